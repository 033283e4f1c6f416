"""OpenAPI description of the partner API key, for the subscription endpoints' schema.

Low priority: a scheme the rest of the API registers for the same class takes precedence.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PartnerAPIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "tracker.api.authentication.PartnerAPIKeyAuthentication"
    name = "PartnerApiKey"
    priority = -1

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`, issued per partner country by ministry staff.",
        }
