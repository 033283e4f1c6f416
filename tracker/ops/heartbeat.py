"""The worker's sign of life: the time of the last periodic sweep that finished.

Written by the Celery worker that ran the sweep, read by every web process's `/readyz`, so
it lives where both reach: Redis when `REDIS_URL` is set (workers on other machines), else a
file in the var folder (the embedded mode runs on one machine).
"""

from __future__ import annotations

import functools
import os
import tempfile
import time
from pathlib import Path

import redis
from django.conf import settings

KEY = "tracker:ops:worker-heartbeat"
# Kept far longer than any threshold: an old value says "stale", a missing one "never".
KEEP_SECONDS = 7 * 24 * 3600


@functools.cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def _file() -> Path:
    return Path(settings.OPS_HEARTBEAT_FILE)


def beat(now: float | None = None) -> None:
    """Record that the sweep just finished (seconds since the epoch)."""
    value = repr(time.time() if now is None else now)
    if settings.REDIS_URL:
        _redis(settings.REDIS_URL).set(KEY, value, ex=KEEP_SECONDS)
        return
    path = _file()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed over: a reader never sees half a value.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".heartbeat-")
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    os.replace(temporary, path)


def last() -> float | None:
    """When the sweep last finished, or None if it never did. Raises if the store is down."""
    if settings.REDIS_URL:
        value = _redis(settings.REDIS_URL).get(KEY)
        return float(value) if value is not None else None
    try:
        return float(_file().read_text())
    except FileNotFoundError:
        return None


def age(now: float | None = None) -> float | None:
    """Seconds since the last sweep finished, or None if it never did."""
    when = last()
    if when is None:
        return None
    return max(0.0, (time.time() if now is None else now) - when)
