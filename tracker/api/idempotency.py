"""`Idempotency-Key` on staff writes (see tracker/services/idempotency.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.services import idempotency

from .authentication import PartnerPrincipal

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Optional: a key of your own (1 to 255 printable ASCII characters, e.g. a "
    "UUID) that makes the write safe to send again. The change is saved with the key; the "
    "same key with the same body within 24 hours gets the first answer back (its status and "
    "body, with `Idempotent-Replayed: true`) and changes nothing; the same key with a "
    "different request is a 422. Keys are yours alone: another user's key of the same text "
    "is another key. A refused request (4xx) is not kept: sent again, it is judged again.",
)


class IdempotencyKeyReused(exceptions.APIException):
    status_code = 422
    default_code = "idempotency_key_reused"


def _keyed(request: Request) -> bool:
    """Whether the key applies: a staff member's write that sent one (anyone else's request
    goes on to be refused as it would be without the key)."""
    user = request.user
    return (
        HEADER in request.headers
        and request.method not in SAFE_METHODS
        and not isinstance(user, PartnerPrincipal)
        and user.is_authenticated
        and user.is_staff
    )


def _replay(stored) -> Response:
    return Response(stored.body, status=stored.status_code, headers={REPLAYED_HEADER: "true"})


def _lookup(request: Request, key: str, fingerprint: str):
    try:
        return idempotency.stored_answer(user=request.user, key=key, fingerprint=fingerprint)
    except idempotency.KeyReused:
        raise IdempotencyKeyReused(
            _(
                "This Idempotency-Key was used for a different request in the last 24 hours; "
                "send a new key for a new request."
            )
        ) from None


def idempotent(view: Callable[..., Response]) -> Callable[..., Response]:
    """Honour `Idempotency-Key` on a staff write view method."""

    @functools.wraps(view)
    def wrapper(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not _keyed(request):
            return view(self, request, *args, **kwargs)
        key = idempotency.check_key(request.headers[HEADER])
        fingerprint = idempotency.fingerprint(request.method, request.path, request.data)
        for _attempt in range(3):
            with transaction.atomic():
                stored = _lookup(request, key, fingerprint)
                if stored is not None:
                    return _replay(stored)
                claimed = idempotency.claim(user=request.user, key=key, fingerprint=fingerprint)
                if claimed is not None:
                    response = view(self, request, *args, **kwargs)
                    idempotency.record_answer(
                        claimed=claimed, status_code=response.status_code, body=response.data
                    )
                    return response
            # Another request with the key finished meanwhile: its answer is ours.
            stored = _lookup(request, key, fingerprint)
            if stored is not None:
                return _replay(stored)
        raise exceptions.APIException(  # pragma: no cover - three races lost in a row
            _("Another request with this Idempotency-Key is being handled; try again.")
        )

    return wrapper
