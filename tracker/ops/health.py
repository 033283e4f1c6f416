"""Liveness and readiness.

`/healthz` answers as soon as the process can answer. `/readyz` says whether the service is
doing its job: the database and the broker answer, a worker finished a sweep within two
sweep intervals, and no delivery has waited past its due time longer than the threshold.
Each check says only "ok" or "fail"; why it failed goes to the log, never to the caller.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from kombu import Connection

from . import heartbeat, queries

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    reason: str = ""  # for the log only


def database_connection() -> BaseDatabaseWrapper:
    """The connection the database check uses: this process's own."""
    return connections[DEFAULT_DB_ALIAS]


def check_database() -> CheckResult:
    connection = database_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return CheckResult("database", True)


def check_broker() -> CheckResult:
    """Open a connection to the Celery broker, once, within READYZ_TIMEOUT_SECONDS."""
    timeout = float(settings.READYZ_TIMEOUT_SECONDS)
    options = dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        options.update(socket_connect_timeout=timeout, socket_timeout=timeout)
    with Connection(
        settings.CELERY_BROKER_URL, transport_options=options, connect_timeout=timeout
    ) as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
    return CheckResult("broker", True)


def check_worker() -> CheckResult:
    """A worker finished a periodic sweep recently enough."""
    age = heartbeat.age()
    limit = float(settings.READYZ_HEARTBEAT_MAX_AGE_SECONDS)
    if age is None:
        return CheckResult("worker", False, "no sweep has finished yet")
    if age > limit:
        return CheckResult(
            "worker", False, f"last sweep finished {age:.0f} s ago (limit {limit:g} s)"
        )
    return CheckResult("worker", True)


def check_deliveries() -> CheckResult:
    """No delivery has been due for longer than the threshold."""
    age = queries.due_deliveries().oldest_age_seconds()
    limit = float(settings.READYZ_DUE_DELIVERY_MAX_AGE_SECONDS)
    if age > limit:
        return CheckResult(
            "deliveries", False, f"the oldest due delivery is {age:.0f} s late (limit {limit:g} s)"
        )
    return CheckResult("deliveries", True)


READINESS_CHECKS: tuple[tuple[str, Callable[[], CheckResult]], ...] = (
    ("database", check_database),
    ("broker", check_broker),
    ("worker", check_worker),
    ("deliveries", check_deliveries),
)


def run_checks() -> list[CheckResult]:
    """Every readiness check; one that raises has failed, with the error logged."""
    results = []
    for name, check in READINESS_CHECKS:
        started = time.monotonic()
        try:
            result = check()
        except Exception as exc:
            result = CheckResult(name, False, f"{type(exc).__name__}: {exc}")
        if not result.ok:
            logger.warning(
                "Readiness check %s failed: %s",
                name,
                result.reason,
                extra={"check": name, "duration_ms": round((time.monotonic() - started) * 1000)},
            )
        results.append(result)
    return results
