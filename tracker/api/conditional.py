"""ETag and If-None-Match for GET responses.

Preconditions are evaluated by Django (`django.utils.cache.get_conditional_response`).
The ETag is a hash of the rendered body, so it differs whenever what the caller sees differs:
two callers with different visibility get different tags for the same URL.
"""

from __future__ import annotations

import hashlib

from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.translation import gettext as _

from . import response_cache
from .problems import json_problem


class ConditionalGetMixin:
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ("Authorization", "Cookie"))
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        if hasattr(response, "render"):
            response.render()
            response_cache.store(response)
        digest = hashlib.blake2b(response.content, digest_size=16).hexdigest()
        etag = f'"{digest}"'
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        # Django evaluates the preconditions as RFC 9110 section 13.2.2 says: If-None-Match
        # compares weakly (W/"x" matches "x"), `*` matches any, If-Match strongly.
        conditional = get_conditional_response(request, etag=etag, response=response)
        if conditional.status_code == 412:
            conditional = json_problem(
                request, 412, _("The representation's ETag is not among those in If-Match.")
            )
            patch_vary_headers(conditional, ("Authorization", "Cookie"))
        return conditional
