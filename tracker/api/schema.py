"""OpenAPI generation: every operation documents the problem responses it can give."""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from .conditional import ConditionalGetMixin
from .fields import ID_SCHEMA
from .pagination import RecordCursorPagination
from .problems import CONTENT_TYPE

MESSAGES = {"type": "array", "items": {"type": "string"}}


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "oneOf": [
                {**MESSAGES, "description": "The messages about this field."},
                {
                    "type": "object",
                    "additionalProperties": MESSAGES,
                    "description": "A list (or map) field: item index (or key) -> messages.",
                },
            ]
        },
    }
)
class FieldErrorsField(serializers.DictField):
    """`errors` as `problems.field_errors` shapes them."""


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details: the shape of every error this API returns."""

    type = serializers.CharField(
        help_text="A URI naming the kind of problem; `about:blank` when the status says it all."
    )
    title = serializers.CharField(help_text="A short summary of the kind of problem.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong this time, and how to fix it.")
    instance = serializers.CharField(required=False, help_text="The path that was asked for.")
    errors = FieldErrorsField(
        required=False,
        help_text="For invalid input: field name -> list of messages (`non_field_errors` for "
        "the request as a whole). For a list field whose items are wrong: field name -> "
        'item index -> list of messages, e.g. `{"event_types": {"1": ["..."]}}`.',
    )
    allowed = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="For a refused transition: the statuses the record may move to now.",
    )
    current_status = serializers.CharField(
        required=False, help_text="For a refused transition: the record's status now."
    )


ERROR_DESCRIPTIONS = {
    400: "Invalid input: see `errors`.",
    401: "Missing, unknown, revoked or expired API key.",
    403: "Authenticated, but not allowed to do this (partners have read access only).",
    404: "No such resource, or not one you may see.",
    405: "Method not allowed here.",
    406: "Cannot answer in a media type you accept (use application/json).",
    409: "Transition refused: not allowed from the current status, or the record changed.",
    412: "`If-Match` named no ETag of the current representation.",
    413: "The body is larger than the API takes (`DATA_UPLOAD_MAX_MEMORY_SIZE`).",
    415: "Send JSON (Content-Type: application/json).",
    429: "Too many requests: wait for `Retry-After` seconds.",
    500: "Server error.",
}


RATE_LIMIT_HEADERS = {
    "RateLimit-Policy": {
        "schema": {"type": "string"},
        "description": "The caller's quota and its window in seconds (IETF RateLimit fields), "
        'e.g. `"partner";q=1200;w=60`: per API key (`partner`), staff member (`staff`) or '
        "address (`anon`).",
    },
    "RateLimit": {
        "schema": {"type": "string"},
        "description": "What remains of the quota and the seconds until the window ends, e.g. "
        '`"partner";r=1150;t=30`.',
    },
}


class AutoSchema(openapi.AutoSchema):
    def _error_codes(self) -> list[int]:
        codes = [401, 404, 406, 429, 500]
        method = self.method.upper()
        if any(permission is not AllowAny for permission in self.view.permission_classes):
            codes.append(403)  # e.g. staff calling the partners' own subscription endpoints
        if method == "GET":
            codes.append(400)  # filters, ordering, page size, cursor
            if isinstance(self.view, ConditionalGetMixin):
                codes.append(412)
        else:
            codes += [400, 403, 409, 415]
            if method in ("POST", "PUT", "PATCH"):
                codes.append(413)
        return sorted(set(codes))

    def _get_parameters(self):
        """Ids in paths are int64s, whatever the URL pattern that matches them."""
        parameters = super()._get_parameters()
        for parameter in parameters:
            name = parameter["name"]
            if parameter["in"] == "path" and (
                name == "id" or name.endswith("_id") or name.endswith("_pk")
            ):
                parameter["schema"] = dict(ID_SCHEMA)
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        for code in self._error_codes():
            if str(code) in responses:
                continue
            response = self._get_response_for_code(
                ProblemSerializer, str(code), media_types=[CONTENT_TYPE], direction=direction
            )
            response["description"] = ERROR_DESCRIPTIONS[code]
            responses[str(code)] = response
        return responses

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        if status_code == "429":
            headers["Retry-After"] = {
                "schema": {"type": "integer"},
                "description": "Seconds to wait before trying again.",
            }
        if status_code == "429" or status_code.startswith("2") or status_code == "304":
            headers.update(RATE_LIMIT_HEADERS)
        if (
            status_code == "200"
            and self._is_list_view()
            and isinstance(self._get_paginator(), RecordCursorPagination)
        ):
            headers["Link"] = {
                "schema": {"type": "string"},
                "description": 'RFC 8288 links to the other pages: `<url>; rel="next"` and '
                '`<url>; rel="prev"`, the same as `next` and `previous` in the body.',
            }
        if status_code in ("200", "304") and self.method.upper() == "GET":
            headers["ETag"] = {
                "schema": {"type": "string"},
                "description": "Send it back in If-None-Match to get 304 when unchanged.",
            }
        return headers


class PartnerAPIKeyScheme(OpenApiAuthenticationExtension):
    """A partner key is accepted under two schemes: either one authenticates."""

    target_class = "tracker.api.authentication.PartnerAPIKeyAuthentication"
    name = ["PartnerApiKey", "PartnerBearer"]

    def get_security_requirement(self, auto_schema):
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema):
        issued = "issued per partner country by the ministry"
        refused = (
            "Any `Authorization` header that does not authenticate (an unknown, revoked or "
            "expired key, another scheme) is answered 401, never as an anonymous call."
        )
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": f"`Api-Key <key>`, {issued}. {refused}",
            },
            {
                "type": "http",
                "scheme": "bearer",
                "description": f"`Bearer <key>`: the same partner key, {issued}, sent the way "
                f"generated clients send tokens. {refused}",
            },
        ]


class StaffAPITokenScheme(OpenApiAuthenticationExtension):
    target_class = "tracker.api.authentication.StaffAPITokenAuthentication"
    name = "StaffToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "`Bearer tst_<token>`: a staff API token, issued by a superuser for one staff "
                "member; what it writes is recorded as written by that person. For the staff "
                "endpoints (recording transitions, procedural events, corrections, law "
                "changes); no session or CSRF token needed."
            ),
        }


class RecordSerializerExtension(OpenApiSerializerExtension):
    """Document records as staff see them: staff-only fields appear, as optional properties."""

    target_class = "tracker.api.serializers.RecordSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        from tracker.selectors import Viewer

        cls = self.target if isinstance(self.target, type) else type(self.target)
        staff_view = cls(context={"viewer": Viewer.staff()})
        return auto_schema._map_basic_serializer(staff_view, direction)


class TimelineEntrySerializerExtension(RecordSerializerExtension):
    """Timeline entries as staff read them: the audit fields appear, as optional properties."""

    target_class = "tracker.api.serializers.TimelineEntrySerializer"
    match_subclasses = True


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    """A named enum component per choices class, e.g. `RelationKind`, instead of enums named
    after the field (several different `kind` fields would collide)."""

    target_class = "tracker.api.serializers.NamedChoiceField"

    def map_serializer_field(self, auto_schema, direction):
        choices_class = self.target.choices_class
        component = ResolvedComponent(
            name=choices_class.__name__,
            type=ResolvedComponent.SCHEMA,
            object=choices_class,
            schema={
                "enum": list(choices_class.values),
                "type": "string",
                "description": "\n".join(
                    f"* `{value}` - {label}" for value, label in choices_class.choices
                ),
            },
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref
