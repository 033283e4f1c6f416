"""Who is calling the API: a partner (by API key), a staff member (by session) or the public."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from tracker.models import STAFF_TOKEN_PREFIX, PartnerAPIKey, PartnerCountry
from tracker.selectors import LATEST_EVENT_ID_SQL, Viewer
from tracker.services.staff_tokens import StaffTokenRefused, staff_token_authenticate

KEYWORD = "Api-Key"
# Partner keys are accepted under either scheme: generated clients send `Bearer` by default.
SCHEMES = (KEYWORD.lower(), "bearer")
CHALLENGE = f"{KEYWORD}, Bearer"
_KEY_FIELDS = ("id", "prefix", "hashed_key", "expiry_date", "last_used_at", "partner_id")
# Every API call runs this, so it is plain SQL rather than a queryset compiled each time.
# It also reads the newest event id, the version `response_cache` keys pages by: one round
# trip instead of two.
_USABLE_KEY_SQL = (
    "SELECT {columns}, p.code, ({latest_event}) FROM {keys} k"
    " JOIN {partners} p ON p.id = k.partner_id WHERE k.prefix = %s AND NOT k.revoked"
).format(
    columns=", ".join(f"k.{name}" for name in _KEY_FIELDS),
    keys=PartnerAPIKey._meta.db_table,
    partners=PartnerCountry._meta.db_table,
    latest_event=LATEST_EVENT_ID_SQL,
)


def _aware(value: datetime.datetime | None) -> datetime.datetime | None:
    # SQLite hands back naive UTC date-times where the ORM would convert them.
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value, datetime.UTC)
    return value


def usable_key(prefix: str) -> PartnerAPIKey | None:
    """The unrevoked key with `prefix`, with `partner_code` and `data_version` set on it."""
    with connection.cursor() as cursor:
        cursor.execute(_USABLE_KEY_SQL, [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    values = dict(zip(_KEY_FIELDS, row, strict=False))
    values["expiry_date"] = _aware(values["expiry_date"])
    values["last_used_at"] = _aware(values["last_used_at"])
    api_key = PartnerAPIKey(**values, revoked=False)
    api_key._state.adding = False
    api_key._state.db = connection.alias
    api_key.partner_code, api_key.data_version = row[len(_KEY_FIELDS) :]
    return api_key


@dataclass
class PartnerPrincipal:
    """Stands in for `request.user` when a partner's system calls with its key.

    The partner country itself is loaded only when a view asks for it: reads need its id.
    """

    api_key: PartnerAPIKey

    @property
    def partner_id(self) -> int:
        return self.api_key.partner_id

    @property
    def partner(self) -> PartnerCountry:
        return self.api_key.partner

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    @property
    def username(self) -> str:
        return f"partner:{self.api_key.partner_code}:{self.api_key.prefix}"

    def __str__(self) -> str:
        return self.username


class PartnerAPIKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <key>` or `Authorization: Bearer <key>`.

    A wrong, revoked or expired key is a 401, and so is any other `Authorization` header
    that reaches this class: a caller that sent credentials is never served as anonymous.
    """

    def authenticate(self, request: Request):
        if "HTTP_AUTHORIZATION" not in request.META:
            return None
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _sep, key = header.strip().partition(" ")
        if scheme.lower() not in SCHEMES:
            raise exceptions.AuthenticationFailed(
                _("Send the key as `Authorization: Api-Key <key>` or `Bearer <key>`.")
            )
        key = key.strip()
        if not key:
            raise exceptions.AuthenticationFailed(_("The Authorization header carries no key."))
        prefix, _sep, _rest = key.partition(".")
        api_key = usable_key(prefix)
        if api_key is None or not api_key.is_valid(key):
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key."))
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed(_("This API key has expired."))
        now = timezone.now()
        if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 300:
            PartnerAPIKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        return PartnerPrincipal(api_key=api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return CHALLENGE


class StaffAPITokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer tst_<token>`: a ministry system writing as the staff member its
    token was issued for (no session, so no CSRF token). Any other header is left to the
    classes after this one; a `tst_` token that does not authenticate is a 401."""

    def authenticate(self, request: Request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _sep, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key.startswith(STAFF_TOKEN_PREFIX):
            return None
        try:
            return staff_token_authenticate(key)
        except StaffTokenRefused as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None

    def authenticate_header(self, request: Request) -> str:
        # DRF asks the first class for the challenge of a 401: the API's, the partners'.
        return PartnerAPIKeyAuthentication().authenticate_header(request)


def viewer_for(request: Request) -> Viewer:
    """The visibility scope of the caller."""
    user = request.user
    if isinstance(user, PartnerPrincipal):
        return Viewer.partner(user.partner_id)
    if user is not None and user.is_authenticated and user.is_staff and user.is_active:
        return Viewer.staff()
    return Viewer.public()
