"""One error shape for the whole API: RFC 9457 problem details (`application/problem+json`).

{"type": ..., "title": ..., "status": ..., "detail": ..., "instance": <path>}
plus `errors` (field -> messages) for invalid input and `allowed` (the statuses a record
may move to) for a refused transition.
"""

from __future__ import annotations

import json
import logging
import sys
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.html import escape
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from .parsers import PayloadTooLarge

CONTENT_TYPE = "application/problem+json"
API_PREFIX = "/api/"

# A `type` per kind of problem a client may want to branch on; others are "about:blank",
# whose title is the HTTP status phrase (RFC 9457 section 4.2.1).
TYPE_PREFIX = "urn:tracker:problem:"
VALIDATION_ERROR = TYPE_PREFIX + "validation-error"
TRANSITION_NOT_ALLOWED = TYPE_PREFIX + "transition-not-allowed"
THROTTLED = TYPE_PREFIX + "throttled"
SERVICE_UNAVAILABLE = TYPE_PREFIX + "service-unavailable"

logger = logging.getLogger(__name__)


# The titles of "about:blank" problems: the HTTP status phrases, in the caller's language.
STATUS_TITLES = {
    400: gettext_lazy("Bad Request"),
    401: gettext_lazy("Unauthorized"),
    403: gettext_lazy("Forbidden"),
    404: gettext_lazy("Not Found"),
    405: gettext_lazy("Method Not Allowed"),
    406: gettext_lazy("Not Acceptable"),
    409: gettext_lazy("Conflict"),
    412: gettext_lazy("Precondition Failed"),
    413: gettext_lazy("Content Too Large"),
    415: gettext_lazy("Unsupported Media Type"),
    422: gettext_lazy("Unprocessable Content"),
    429: gettext_lazy("Too Many Requests"),
    500: gettext_lazy("Internal Server Error"),
    503: gettext_lazy("Service Unavailable"),
}


def status_title(status_code: int) -> str:
    title = STATUS_TITLES.get(status_code)
    return str(title) if title is not None else HTTPStatus(status_code).phrase


def problem(
    status_code: int,
    *,
    detail: str,
    type: str = "about:blank",
    title: str | None = None,
    instance: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": type,
        "title": title or status_title(status_code),
        "status": status_code,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


class TransitionConflict(exceptions.APIException):
    """409: the workflow does not allow the move, or the record changed meanwhile."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "transition_not_allowed"

    def __init__(self, detail: str, *, allowed: list[str], current_status: str) -> None:
        super().__init__(detail)
        self.allowed = allowed
        self.current_status = current_status


def _first_message(data: Any) -> str:
    if isinstance(data, dict):
        for key, value in data.items():
            message = _first_message(value)
            if message:
                return message if key == "non_field_errors" else f"{key}: {message}"
        return ""
    if isinstance(data, list):
        return _first_message(data[0]) if data else ""
    return str(data)


def _messages(data: Any) -> list[str]:
    """Every message in `data`, however DRF nested it."""
    if isinstance(data, dict):
        return [message for value in data.values() for message in _messages(value)]
    if isinstance(data, list | tuple):
        return [message for value in data for message in _messages(value)]
    return [str(data)]


def field_errors(errors: dict) -> dict[str, list[str] | dict[str, list[str]]]:
    """`errors` in the documented shape: field -> messages, or, for a list or map field,
    field -> item index (or key) -> messages."""
    shaped: dict[str, list[str] | dict[str, list[str]]] = {}
    for field, value in errors.items():
        if isinstance(value, dict):
            shaped[str(field)] = {str(key): _messages(item) for key, item in value.items()}
        elif isinstance(value, list | tuple) and any(isinstance(v, dict | list) for v in value):
            # a list of nested objects: one entry per item that has errors
            shaped[str(field)] = {
                str(index): _messages(item) for index, item in enumerate(value) if item
            }
        else:
            shaped[str(field)] = _messages(value)
    return shaped


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` (or what it was raised from) says the database could not be reached or
    gave up on a statement: an outage or an overload, not a bug, so a 503 rather than a 500."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def retry_after() -> str:
    return str(int(settings.SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS))


def unavailable_detail() -> str:
    return _("The service cannot reach its database just now. Try again shortly.")


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF exception handler: every APIException (and Http404/PermissionDenied) as a problem;
    a service's ValidationError is a 400 that names the fields."""
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    if database_unavailable(exc):
        request = context.get("request")
        logger.warning("Database unavailable: %s: %s", type(exc).__name__, exc)
        set_rollback()
        return Response(
            problem(
                503,
                type=SERVICE_UNAVAILABLE,
                detail=unavailable_detail(),
                instance=request.path if request is not None else None,
            ),
            status=503,
            headers={"Retry-After": retry_after()},
            content_type=CONTENT_TYPE,
        )
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's handler500 answers (with a problem under /api/)

    request = context.get("request")
    instance = request.path if request is not None else None
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        errors = field_errors(detail)
        body = problem(
            exc.status_code,
            type=VALIDATION_ERROR,
            title=_("Invalid input"),
            detail=_first_message(errors) or _("The request is invalid."),
            instance=instance,
            errors=errors,
        )
    elif isinstance(exc, TransitionConflict):
        body = problem(
            exc.status_code,
            type=TRANSITION_NOT_ALLOWED,
            title=_("Transition not allowed"),
            detail=str(exc.detail),
            instance=instance,
            allowed=exc.allowed,
            current_status=exc.current_status,
        )
    elif isinstance(exc, exceptions.Throttled):
        body = problem(
            exc.status_code,
            type=THROTTLED,
            title=_("Too many requests"),
            detail=str(exc.detail),
            instance=instance,
        )
    else:
        body = problem(exc.status_code, detail=str(exc.detail), instance=instance)

    set_rollback()
    return Response(body, status=exc.status_code, headers=headers, content_type=CONTENT_TYPE)


def json_problem(
    request: HttpRequest, status_code: int, detail: str, type: str = "about:blank"
) -> HttpResponse:
    """A problem document answered outside DRF's rendering."""
    body = problem(status_code, type=type, detail=detail, instance=request.path)
    return HttpResponse(json.dumps(body), status=status_code, content_type=CONTENT_TYPE)


@csrf_exempt  # it changes nothing; a CSRF refusal would hide the 404 behind a 403
def api_not_found(request: HttpRequest) -> HttpResponse:
    return json_problem(request, 404, _("No such resource. See /api/v1/docs/."))


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


UNAVAILABLE_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{detail}</p></body></html>
"""


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: a problem document under /api/, a plain page elsewhere (built
    without templates or context processors, which could reach for the database again)."""
    if request.path.startswith(API_PREFIX):
        response = json_problem(request, 503, unavailable_detail(), type=SERVICE_UNAVAILABLE)
    else:
        page = UNAVAILABLE_PAGE.format(
            lang=escape(get_language() or "en"),
            title=escape(status_title(503)),
            detail=escape(unavailable_detail()),
        )
        response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = retry_after()
    response["Cache-Control"] = "no-store"
    return response


def handler500(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception (from a view or any middleware, e.g.
    # the session's): a database that cannot be reached is an outage, answered with a 503.
    if database_unavailable(sys.exc_info()[1]):
        logger.warning("Database unavailable: %s", sys.exc_info()[1])
        return service_unavailable(request)
    if request.path.startswith(API_PREFIX):
        return json_problem(
            request, 500, _("The server failed to answer this request; it has been logged.")
        )
    return defaults.server_error(request)
