"""Staff API tokens: a superuser issues one for a named staff member; a ministry system then
writes through the API as that person (`Authorization: Bearer tst_...`)."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from tracker.models import STAFF_TOKEN_PREFIX, StaffAPIToken

logger = logging.getLogger(__name__)


class StaffTokenRefused(Exception):
    """The token is unknown, revoked, expired, or its user may no longer act."""


def staff_token_issue(
    *,
    user: AbstractBaseUser,
    name: str,
    expires_at: datetime.datetime,
    created_by: AbstractBaseUser,
) -> tuple[StaffAPIToken, str]:
    """Issue a token acting as `user`; the plain token is returned only now, never stored."""
    if not (created_by.is_active and created_by.is_superuser):
        raise PermissionDenied("Only a superuser may issue staff API tokens.")
    errors = staff_token_problems(user=user, name=name, expires_at=expires_at)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        token, key = StaffAPIToken.objects.create_key(
            user=user, name=name.strip(), expiry_date=expires_at, created_by=created_by
        )
    logger.info(
        "Staff API token %s issued for %s by %s", token.prefix, user.get_username(), created_by
    )
    return token, key


def staff_token_problems(
    *, user: AbstractBaseUser | None, name: str, expires_at: datetime.datetime | None
) -> dict[str, str]:
    """What is wrong with issuing a token with these values, by field (empty: nothing)."""
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Name the token after the system that will use it."
    elif len(name) > 50:
        errors["name"] = "Keep the name within 50 characters."
    if user is None or not (user.is_active and user.is_staff):
        errors["user"] = "Choose an active staff member: the token writes as that person."
    now = timezone.now()
    longest = datetime.timedelta(days=settings.STAFF_API_TOKEN_MAX_DAYS)
    if expires_at is None:
        errors["expiry_date"] = "Give the moment the token stops working."
    elif expires_at <= now:
        errors["expiry_date"] = "The expiry must be in the future."
    elif expires_at > now + longest:
        errors["expiry_date"] = (
            f"A token may live at most {settings.STAFF_API_TOKEN_MAX_DAYS} days; "
            "issue a new one when it runs out."
        )
    return errors


def staff_token_revoke(*, token: StaffAPIToken) -> bool:
    """Revoke `token` for good; False if it already was."""
    updated = StaffAPIToken.objects.filter(pk=token.pk, revoked=False).update(revoked=True)
    token.revoked = True
    return bool(updated)


def staff_token_authenticate(key: str) -> tuple[AbstractBaseUser, StaffAPIToken]:
    """The user `key` acts as, and its token; records the use. Raises `StaffTokenRefused`."""
    if not key.startswith(STAFF_TOKEN_PREFIX):
        raise StaffTokenRefused("This is not a staff API token.")
    prefix, _, _ = key.removeprefix(STAFF_TOKEN_PREFIX).partition(".")
    token = (
        StaffAPIToken.objects.select_related("user").filter(prefix=prefix, revoked=False).first()
    )
    if token is None or not token.is_valid(key):
        raise StaffTokenRefused("Unknown or revoked staff API token.")
    if token.has_expired:
        raise StaffTokenRefused("This staff API token has expired.")
    user = token.user
    if user is None or not (user.is_active and user.is_staff):
        raise StaffTokenRefused("The staff member this token acts as may no longer sign in.")
    now = timezone.now()
    StaffAPIToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
    return user, token
