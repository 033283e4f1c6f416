"""Idempotency keys on staff writes: a client that lost the answer to a write sends it again
with the same `Idempotency-Key` and gets the first answer back, without a second change.

The key is claimed in the transaction that makes the change and holds its answer once the
change is done, so key and change are saved together or not at all. A second request with
the key waits for the first to finish (the key's row is unique), then gets its answer.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.models import IdempotentRequest

# Printable ASCII without spaces, as a UUID or any client-made token is.
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
PENDING = 0  # the status of a claim whose change is still being made


class KeyReused(Exception):
    """The key was used within the window for a different request."""


def check_key(key: str) -> str:
    if not KEY_PATTERN.fullmatch(key):
        raise ValidationError(
            {
                "Idempotency-Key": _(
                    "Send 1 to 255 printable ASCII characters without spaces, e.g. a UUID."
                )
            }
        )
    return key


def fingerprint(method: str, path: str, data: Any) -> str:
    """What makes two requests the same: method, path and body (as parsed, so the order of
    a JSON object's fields or white space do not matter)."""
    body = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder, ensure_ascii=False)
    return hashlib.sha256(f"{method}\n{path}\n{body}".encode()).hexdigest()


def _window_start() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=float(settings.IDEMPOTENCY_KEY_HOURS))


def stored_answer(
    *, user: AbstractBaseUser, key: str, fingerprint: str
) -> IdempotentRequest | None:
    """The answer given to this user's key within the window, or None; KeyReused if the key
    went with another request."""
    entry = IdempotentRequest.objects.filter(
        user=user, key=key, created_at__gte=_window_start()
    ).first()
    if entry is None or entry.status_code == PENDING:
        return None
    if entry.fingerprint != fingerprint:
        raise KeyReused
    return entry


def claim(*, user: AbstractBaseUser, key: str, fingerprint: str) -> IdempotentRequest | None:
    """Claim the key for a change about to be made, inside that change's transaction; None if
    another request holds it (it has finished by then: look for its answer)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("claim the key inside the transaction that makes the change")
    # A use of the key older than the window is forgotten; so are this user's other old keys.
    IdempotentRequest.objects.filter(user=user, created_at__lt=_window_start()).delete()
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(
                user=user, key=key, fingerprint=fingerprint, status_code=PENDING
            )
    except IntegrityError:
        return None


def forget_expired_keys() -> int:
    """Forget every use of a key older than the window, whoever made it (hourly: a user who
    never writes again leaves nothing behind); returns how many were forgotten."""
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=_window_start()).delete()
    return deleted


def record_answer(*, claimed: IdempotentRequest, status_code: int, body: Any) -> None:
    """The answer to the change the key was claimed for, saved with the change."""
    claimed.status_code = status_code
    claimed.body = body
    claimed.save(update_fields=["status_code", "body"])
