"""Rendered read responses, kept until anything changes.

Partners poll the same pages (the first page of a list, the feed after their last id, the
records they follow) far more often than anything changes. Every change to a record, its
links or its documents writes an event in the same transaction (`tracker.services`), so the
newest event id is the version of everything the read API shows. A rendered 200 is stored
under (version, caller's visibility scope, language, absolute URL) in the worker's memory
and answered again until a newer event commits; the caller's key, throttle and ETag are
still checked on every request.

Why the version cannot go backwards under a cached page: the version is read before the
page's queries, and event ids become visible in id order (`services.events`), so a page is
never older than the version it is stored under. Staff are never served from here: what
they see also depends on their permissions. If the cache is unreachable the page is built
as usual.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.utils import translation
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.selectors import Viewer, latest_event_id

logger = logging.getLogger(__name__)

KEY_PREFIX = "api-page"
# Headers that belong to the page itself and are kept with its body.
KEPT_HEADERS = ("Link",)


def data_version(request: Request) -> int:
    """The id of the newest committed event: it changes whenever any record does.

    A partner's key lookup has read it already (`authentication`), before any of the page.
    """
    api_key = getattr(request.user, "api_key", None)
    if api_key is not None and hasattr(api_key, "data_version"):
        return api_key.data_version or 0
    return latest_event_id()


def scope_of(viewer: Viewer) -> str | None:
    """The part of the key that stands for what the caller may see; None: do not cache."""
    if viewer.is_staff:
        return None
    return f"partner:{viewer.partner_id}" if viewer.is_partner else "public"


def cache_key(*, version: int, scope: str, request: Request) -> str:
    where = f"{scope}|{translation.get_language()}|{request.build_absolute_uri()}"
    digest = hashlib.blake2b(where.encode(), digest_size=20).hexdigest()
    return f"{KEY_PREFIX}:{version}:{digest}"


def enabled() -> bool:
    return float(settings.API_RESPONSE_CACHE_SECONDS) > 0


def cached_read(view_method: Callable) -> Callable:
    """Serve a GET from the cache when nothing has changed since it was rendered.

    On a miss, the response is marked with its key; `ConditionalGetMixin` stores the
    rendered body once DRF has rendered it.
    """

    @wraps(view_method)
    def wrapper(view, request: Request, *args, **kwargs):
        scope = scope_of(view.viewer) if enabled() else None
        if scope is None:
            return view_method(view, request, *args, **kwargs)
        key = cache_key(version=data_version(request), scope=scope, request=request)
        try:
            body = caches["responses"].get(key)
        except Exception as exc:
            logger.warning("Response cache not read: %s", exc)
            return view_method(view, request, *args, **kwargs)
        if body is not None:
            return _cached_response(body)
        response = view_method(view, request, *args, **kwargs)
        response.cache_key = key
        return response

    return wrapper


def _cached_response(value: bytes | tuple[bytes, dict[str, str]]) -> HttpResponse:
    body, headers = value if isinstance(value, tuple) else (value, None)
    return HttpResponse(body, content_type="application/json", headers=headers)


def store(response: Response) -> None:
    """Keep a rendered 200 that `cached_read` marked."""
    key = getattr(response, "cache_key", None)
    if key is None or response.status_code != 200:
        return
    if len(response.content) > settings.API_RESPONSE_CACHE_MAX_BYTES:
        return  # a rare big page (500 events) would crowd out many common ones
    headers = {name: response[name] for name in KEPT_HEADERS if name in response}
    value = (response.content, headers) if headers else response.content
    try:
        caches["responses"].set(key, value, timeout=float(settings.API_RESPONSE_CACHE_SECONDS))
    except Exception as exc:
        logger.warning("Response cache not written: %s", exc)
