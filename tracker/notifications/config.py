"""The delivery knobs, read from the settings each time (tests and operators change them)."""

from __future__ import annotations

import datetime
import math
import random

from django.conf import settings

JITTER = 0.1
# Waits up to this long go to the broker as a countdown; longer ones wait for the sweep.
MAX_COUNTDOWN = datetime.timedelta(seconds=60)
MAX_RETRY_AFTER = datetime.timedelta(hours=24)
# Of a batch task's soft time limit, what is kept for the database work around the sends.
BATCH_TIME_RESERVE_SECONDS = 20.0
# While a slow batch is still sending, the successes so far are written this often.
SUCCESS_FLUSH_SECONDS = 1.0
# When the database goes away mid-batch, the outcomes already known are written once it is
# back: tried again after each of these waits (reconnecting each time), ~15 s in all, well
# within the batch's lease; then the batch gives up and what it could not write is sent again.
RECORD_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)


def retry_schedule() -> tuple[datetime.timedelta, ...]:
    """Waits after attempt 1, 2, ... (WEBHOOKS_RETRY_SCHEDULE, in seconds); after the last
    one the delivery has failed."""
    return tuple(
        datetime.timedelta(seconds=float(seconds)) for seconds in settings.WEBHOOKS_RETRY_SCHEDULE
    )


def max_attempts() -> int:
    """The first attempt and one per wait of the retry schedule."""
    return len(settings.WEBHOOKS_RETRY_SCHEDULE) + 1


def retry_delay(attempt: int, retry_after: float | None = None) -> datetime.timedelta:
    """How long to wait after failed attempt number `attempt` (1-based), jittered; at least
    what the endpoint's Retry-After asked (capped at MAX_RETRY_AFTER)."""
    schedule = retry_schedule() or (datetime.timedelta(0),)
    base = schedule[min(attempt, len(schedule)) - 1]
    delay = base * random.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(datetime.timedelta(seconds=retry_after), MAX_RETRY_AFTER))
    return delay


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=float(settings.WEBHOOKS_CLAIM_LEASE_SECONDS))


def send_timeout() -> float:
    return float(settings.WEBHOOKS_TIMEOUT_SECONDS)


def batch_threads() -> int:
    return max(1, int(settings.WEBHOOKS_BATCH_THREADS))


def batch_size() -> int:
    """Deliveries per batch task (WEBHOOKS_BATCH_SIZE)."""
    return max(1, int(settings.WEBHOOKS_BATCH_SIZE))


def first_part_size() -> int:
    """The deliveries a fan-out writes and queues first: two for each place of a batch."""
    return min(batch_size(), 2 * batch_threads())


def max_send_rounds() -> int:
    """How many rounds of sends, one after the other, a batch may start: as many as fit in
    the task's soft time limit if every endpoint hangs until the timeout."""
    budget = float(settings.CELERY_TASK_SOFT_TIME_LIMIT) - BATCH_TIME_RESERVE_SECONDS
    return max(1, int(budget // max(send_timeout(), 0.001)))


def send_rounds(count: int) -> int:
    """How many sends one after the other a batch of `count` may need: one round per
    `batch_threads()` deliveries, at most `max_send_rounds()`. When endpoints are slow, what
    the last round cannot start in time is handed back and queued again."""
    return max(1, min(math.ceil(count / batch_threads()), max_send_rounds()))


def batch_lease(count: int) -> datetime.timedelta:
    """The lease of a claim of `count` deliveries: that of one attempt, plus one timeout for
    every further round of sends."""
    return lease() + datetime.timedelta(seconds=send_timeout() * (send_rounds(count) - 1))
