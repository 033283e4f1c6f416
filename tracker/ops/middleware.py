"""One metric sample and one log line per request, first in the middleware stack so that
the time covers every other middleware."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import metrics

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Probes and scrapes come every few seconds: counted, logged at DEBUG only.
QUIET_ROUTES = frozenset({"healthz", "readyz", "metrics"})


def route_of(request: HttpRequest) -> str:
    """The name of the URL pattern that answered (`api:law-detail`), else the pattern itself;
    never the raw path: the label's values stay few whatever the callers send."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unmatched>"
    return match.view_name or match.route or "<unnamed>"


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        route = route_of(request)
        method = request.method if request.method in METHODS else "other"
        metrics.observe_request(
            method=method,
            route=route,
            status=response.status_code,
            seconds=seconds,
            path=request.path,
            quiet=route in QUIET_ROUTES,
        )
        return response
