"""Who is calling the API: a partner (by API key), a staff member (by session) or the public."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from tracker.models import PartnerAPIKey, PartnerCountry
from tracker.selectors import Viewer

KEYWORD = "Api-Key"


@dataclass
class PartnerPrincipal:
    """Stands in for `request.user` when a partner's system calls with its key."""

    partner: PartnerCountry
    api_key: PartnerAPIKey

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    @property
    def username(self) -> str:
        return f"partner:{self.partner.code}:{self.api_key.prefix}"

    def __str__(self) -> str:
        return self.username


class PartnerAPIKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <key>`; a wrong, revoked or expired key is a 401."""

    def authenticate(self, request: Request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != KEYWORD.lower():
            return None
        key = key.strip()
        if not key:
            raise exceptions.AuthenticationFailed("The Api-Key header carries no key.")
        prefix, _, _ = key.partition(".")
        api_key = (
            PartnerAPIKey.objects.get_usable_keys()
            .select_related("partner")
            .filter(prefix=prefix)
            .first()
        )
        if api_key is None or not api_key.is_valid(key):
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed("This API key has expired.")
        now = timezone.now()
        if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 300:
            PartnerAPIKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        return PartnerPrincipal(partner=api_key.partner, api_key=api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


def viewer_for(request: Request) -> Viewer:
    """The visibility scope of the caller."""
    user = request.user
    if isinstance(user, PartnerPrincipal):
        return Viewer.partner(user.partner.pk)
    if user is not None and user.is_authenticated and user.is_staff and user.is_active:
        return Viewer.staff()
    return Viewer.public()
