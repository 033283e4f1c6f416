"""ETag and If-None-Match for GET responses.

The ETag is a hash of the rendered body, so it differs whenever what the caller sees differs:
two callers with different visibility get different tags for the same URL.
"""

from __future__ import annotations

import hashlib

from django.http import HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags

from . import response_cache


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
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match:
            tags = parse_etags(if_none_match)
            if "*" in tags or etag in tags or etag.strip('"') in tags:
                not_modified = HttpResponseNotModified()
                for header in ("ETag", "Cache-Control", "Vary"):
                    not_modified[header] = response[header]
                return not_modified
        return response
