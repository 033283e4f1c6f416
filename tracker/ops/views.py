"""`/healthz`, `/readyz` and `/metrics`. None of them needs a session or a login."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import health, metrics


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: each check's result, 200 if all pass, 503 otherwise."""
    results = health.run_checks()
    ready = all(result.ok for result in results)
    response = JsonResponse(
        {
            "status": "ok" if ready else "fail",
            "checks": {result.name: "ok" if result.ok else "fail" for result in results},
        },
        status=200 if ready else 503,
    )
    if not ready:
        response["Retry-After"] = str(int(settings.SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS))
    return response


def _address_allowed(request: HttpRequest) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(allowed, strict=False)
        for allowed in settings.METRICS_ALLOWED_IPS
    )


def _token_given(request: HttpRequest) -> bool:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        credentials.strip().encode(), settings.METRICS_TOKEN.encode()
    )


@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, when METRICS_ENABLED. Each guard that is configured must pass: the
    token (`Authorization: Bearer <METRICS_TOKEN>`) and the client address
    (METRICS_ALLOWED_IPS); with neither configured, nobody is let in."""
    if not settings.METRICS_ENABLED:
        raise Http404
    token, allowlist = settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS
    if token and not _token_given(request):
        response = HttpResponse("A valid metrics token is needed.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if (allowlist and not _address_allowed(request)) or not (token or allowlist):
        return HttpResponse("Metrics are not served to this address.\n", status=403)
    body, content_type = metrics.render()
    return HttpResponse(body, content_type=content_type)
