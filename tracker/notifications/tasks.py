"""Celery tasks: the only module of the package that knows Celery.

Each task carries ids and calls into the outbox or the delivery code; the state is in the
database. On import this module installs itself as the publisher of `queue`.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_init
from django.db import InterfaceError, OperationalError

from tracker.services.deadlines import send_deadline_alerts
from tracker.services.idempotency import forget_expired_keys
from tracker.services.rada_fetch import sync_url

from . import delivery, digests, outbox, queue

logger = logging.getLogger(__name__)


@worker_init.connect
def load_url_patterns(**kwargs) -> None:
    """Payloads link to the API: load the URLconf before the first delivery, not during it."""
    from tracker.links import api_path

    api_path("law", 1)


# A task that finds the database away is tried again soon, after about 1, 2, 4, 8, 16, then
# 30 s (jittered), 12 times in all: the work resumes within seconds of the database coming
# back rather than at the next sweep (which still finds whatever these gave up on).
WHILE_THE_DATABASE_IS_AWAY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 1,
    "retry_backoff_max": 30,
    "retry_jitter": True,
    "max_retries": 12,
}


@shared_task(name=queue.FAN_OUT, **WHILE_THE_DATABASE_IS_AWAY)
def fan_out(event_id: int) -> int:
    return len(outbox.fan_out_event(event_id))


@shared_task(name=queue.DELIVER, **WHILE_THE_DATABASE_IS_AWAY)
def deliver(delivery_id: int) -> str | None:
    return delivery.attempt_delivery(delivery_id)


@shared_task(name=queue.DELIVER_BATCH, **WHILE_THE_DATABASE_IS_AWAY)
def deliver_batch(delivery_ids: list[int]) -> int:
    """One attempt at each due delivery of `delivery_ids`; returns how many were attempted."""
    states = delivery.attempt_deliveries(delivery_ids).values()
    return sum(state is not None for state in states)


@shared_task(name="notifications.sweep")
def sweep() -> None:
    outbox.sweep()


@shared_task(name="deadlines.alerts")
def deadline_alerts() -> dict[str, int]:
    """Announce deadlines coming near and deadlines missed (each once; a re-run, or a run
    after downtime, sends only what was not sent yet)."""
    return send_deadline_alerts()


@shared_task(name="idempotency.forget")
def forget_idempotency_keys() -> int:
    """Forget the Idempotency-Keys of staff writes once their window is over."""
    return forget_expired_keys()


@shared_task(name="notifications.digests")
def send_digests() -> int:
    """Daily and weekly digests of every period completed and not yet sent (a run after
    downtime catches up; nothing is sent twice)."""
    return digests.send_due_digests()


# The daily sync with the Rada's open data (scheduled in config/celery_app.py when
# RADA_SYNC_ENABLED): the download alone may take RADA_DOWNLOAD_TIMEOUT_SECONDS.
RADA_SYNC_TIME_LIMIT = 3 * 3600


@shared_task(
    name="rada.sync",
    time_limit=RADA_SYNC_TIME_LIMIT,
    soft_time_limit=RADA_SYNC_TIME_LIMIT - 300,
    acks_late=False,
)
def rada_sync() -> str:
    result = sync_url()
    summary = getattr(getattr(result, "report_object", None), "summary", None)
    return summary() if summary else str(getattr(result, "outcome", ""))


TASKS = {task.name: task for task in (fan_out, deliver, deliver_batch)}


def publish(kind: str, arguments: list, countdown: float | None = None) -> None:
    """One message of the task `kind` per item of `arguments`, all through one broker
    connection. A lost message only delays the work: the sweep finds it in the database."""
    task = TASKS[kind]
    try:
        with task.app.producer_or_acquire() as producer:
            for argument in arguments:
                task.apply_async(args=[argument], countdown=countdown, producer=producer)
    except Exception as exc:
        logger.warning("Could not queue %s: %s; the sweep will", task.name, exc)


queue.install(publish)
