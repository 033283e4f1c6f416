"""Request rates: per partner API key, per staff user, per anonymous client address.

Rates come from `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` (scopes `partner`, `staff`,
`anon`), read at request time; counters live in the default cache.

The window slides: a request is let through if this window's count plus the previous
window's count, weighted by how much of it still overlaps the last `duration` seconds, leaves
room for it. Two counters per
caller, whatever the rate: DRF's `SimpleRateThrottle` keeps every request's timestamp in one
cache value, which a busy key turns into tens of kilobytes read and written per request.
With Redis (`REDIS_URL`) the counters are read and counted in one round trip; otherwise they
live in the default cache. If the store cannot be reached, requests are let through (and
logged): the rate limit protects the service, it must not take it down.

Every counted response says where the caller stands, in the IETF fields
(draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy: "partner";q=1200;w=60` (the quota
and its window in seconds) and `RateLimit: "partner";r=1150;t=30` (what remains of it, and
the seconds until the current window ends); a 429 also carries `Retry-After`. The throttle
leaves its verdict on the request and `RateLimitHeadersMiddleware` writes the fields, so they
reach every API response, cached pages and 304s included.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from tracker.ops import metrics

from .authentication import PartnerPrincipal

logger = logging.getLogger(__name__)


@functools.cache
def _redis() -> redis.Redis | None:
    if not settings.REDIS_URL:
        return None
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)


@dataclass(frozen=True, slots=True)
class RateLimitState:
    """Where one caller stands after this request was counted."""

    policy: str
    quota: int
    window: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        name = f'"{self.policy}"'
        return {
            "RateLimit-Policy": f"{name};q={self.quota};w={self.window}",
            "RateLimit": f"{name};r={self.remaining};t={self.reset}",
        }


STATE_ATTRIBUTE = "tracker_rate_limit"


class RateLimitHeadersMiddleware:
    """Writes the rate-limit fields the throttle left on the request."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        state = getattr(request, STATE_ATTRIBUTE, None)
        if state is not None:
            for name, value in state.headers().items():
                response[name] = value
        return response


class SlidingWindowThrottle(SimpleRateThrottle):
    cache = cache
    timer = time.time

    def __init__(self) -> None:
        # Read per request so that a changed setting applies without a restart.
        self.rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self._wait = 0.0

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        current_key, previous_key = f"{key}:{window}", f"{key}:{window - 1}"
        elapsed = (now % self.duration) / self.duration
        try:
            previous, current = self._count(current_key, previous_key)
            used = previous * (1 - elapsed) + current
            if used <= self.num_requests:
                reset = math.ceil((1 - elapsed) * self.duration)
                self._tell(request, remaining=self.num_requests - used, reset=reset)
                return True
            self._uncount(current_key)  # a refused request does not count
        except Exception as exc:  # the store is down: serve, and say so
            logger.warning("Rate limit not checked (%s): %s", key, exc)
            return True
        metrics.observe_rate_limit_refusal(self.scope)
        self._wait = self._time_to_wait(current - 1, previous, elapsed)
        self._tell(request, remaining=0, reset=int(self.wait()))
        return False

    def _tell(self, request, *, remaining: float, reset: int) -> None:
        """Leave this caller's standing on the request for `RateLimitHeadersMiddleware`."""
        state = RateLimitState(
            policy=self.scope,
            quota=self.num_requests,
            window=self.duration,
            remaining=max(0, math.floor(remaining)),
            reset=reset,
        )
        setattr(getattr(request, "_request", request), STATE_ATTRIBUTE, state)

    def _count(self, current_key: str, previous_key: str) -> tuple[int, int]:
        """Count this request; the previous window's count and this one's, this included."""
        client = _redis()
        if client is not None:  # one round trip
            pipe = client.pipeline(transaction=False)
            pipe.get(f"tracker:{previous_key}")
            pipe.incr(f"tracker:{current_key}")
            pipe.expire(f"tracker:{current_key}", 2 * self.duration)
            previous, current, _ = pipe.execute()
            return int(previous or 0), current
        previous = self.cache.get(previous_key, 0)
        if self.cache.add(current_key, 1, timeout=2 * self.duration):
            return previous, 1  # the first request of this window
        return previous, self.cache.incr(current_key)

    def _uncount(self, current_key: str) -> None:
        client = _redis()
        if client is not None:
            client.decr(f"tracker:{current_key}")
        else:
            self.cache.decr(current_key)

    def _time_to_wait(self, current: int, previous: int, elapsed: float) -> float:
        """Seconds until one more request fits under the rate."""
        room = self.num_requests - 1
        if current <= room and previous:
            # Later in this window, when the previous window weighs little enough.
            overlap_needed = (room - current) / previous
            return max(0.0, (1 - overlap_needed - elapsed) * self.duration)
        # In the next window, when this window's count has slid out far enough.
        slide = 1 - room / current if current else 0.0
        return (1 - elapsed + slide) * self.duration

    def wait(self) -> float:
        return max(1.0, math.ceil(self._wait))


class PartnerKeyThrottle(SlidingWindowThrottle):
    scope = "partner"

    def get_cache_key(self, request, view):
        user = request.user
        if isinstance(user, PartnerPrincipal):
            return self.cache_format % {"scope": self.scope, "ident": user.api_key.pk}
        return None


class StaffThrottle(SlidingWindowThrottle):
    scope = "staff"

    def get_cache_key(self, request, view):
        user = request.user
        if isinstance(user, PartnerPrincipal) or not user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class AnonymousThrottle(SlidingWindowThrottle):
    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
