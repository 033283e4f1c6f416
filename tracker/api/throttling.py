"""Request rates: per partner API key, per staff user, per anonymous client address.

Rates come from `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` (scopes `partner`, `staff`,
`anon`), read at request time; counters live in the default cache.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .authentication import PartnerPrincipal


class _SettingsRateThrottle(SimpleRateThrottle):
    def __init__(self) -> None:
        # Read per request so that a changed setting applies without a restart of the class.
        self.rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        self.num_requests, self.duration = self.parse_rate(self.rate)


class PartnerKeyThrottle(_SettingsRateThrottle):
    scope = "partner"

    def get_cache_key(self, request, view):
        user = request.user
        if isinstance(user, PartnerPrincipal):
            return self.cache_format % {"scope": self.scope, "ident": user.api_key.pk}
        return None


class StaffThrottle(_SettingsRateThrottle):
    scope = "staff"

    def get_cache_key(self, request, view):
        user = request.user
        if isinstance(user, PartnerPrincipal) or not user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class AnonymousThrottle(_SettingsRateThrottle):
    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
