"""Request bodies: JSON only, bounded in size and in depth.

Python's `json` recurses once per nesting level, so a few kilobytes of `[[[[...` raise
`RecursionError` deep in the parser. orjson parses without recursing (and refuses more than
1,024 levels itself); what it returns is then held to `API_JSON_MAX_DEPTH` levels, far more
than any body this API takes. A body over `DATA_UPLOAD_MAX_MEMORY_SIZE` is refused with a
413 before it is read.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers, status


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        super().__init__(
            _("The body is larger than this API takes: send at most %(limit)d bytes.")
            % {"limit": limit}
        )


def depth(data: Any) -> int:
    """How deeply arrays and objects nest in `data` (a scalar is 0), without recursing."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        deepest = max(deepest, level)
        stack.extend((item, level + 1) for item in value if isinstance(item, dict | list))
    return deepest


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        parser_context = parser_context or {}
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = parser_context.get("request")
        if limit is not None and request is not None and _declared_length(request) > limit:
            raise PayloadTooLarge()  # without reading it
        body = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(body) > limit:
            raise PayloadTooLarge()
        encoding = (parser_context.get("encoding") or "utf-8").lower()
        try:
            # RFC 8259 says UTF-8, but a charset the client declared is honoured.
            if encoding.replace("-", "").replace("_", "") != "utf8":
                body = body.decode(encoding)
            data = orjson.loads(body)
        except (orjson.JSONDecodeError, UnicodeDecodeError, LookupError) as exc:
            message = _("The body is not valid JSON: %(error)s") % {"error": exc}
            raise exceptions.ParseError(message) from None
        if depth(data) > settings.API_JSON_MAX_DEPTH:
            raise exceptions.ParseError(
                _("The body nests arrays and objects more than %(depth)d levels deep.")
                % {"depth": settings.API_JSON_MAX_DEPTH}
            )
        return data
