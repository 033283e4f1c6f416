"""Attempts at deliveries, one or a batch at a time: claim, send, record, plan the next.

A claim is one compare-and-set UPDATE ... RETURNING over the batch's ids on (state, attempts,
next_attempt_at): of two workers holding the same ids, or a worker and the sweep, exactly one
changes each row and sends it. While a delivery is `sending`, `next_attempt_at` is the end of
the sender's lease, sized for the whole batch; if the worker dies, the sweep claims it again
after that. Any resend keeps the same `webhook-id`.

A batch costs a fixed number of statements whatever its size: the claim, one load of the
deliveries with their subscriptions, one of their events, one or two visibility queries per
event, and one UPDATE for all its successes. Failures go through the per-delivery rules below.
"""

from __future__ import annotations

import datetime
import logging
import math
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from tracker.models import (
    Delivery,
    DeliveryState,
    EmailSubscription,
    Event,
    WebhookSubscription,
)
from tracker.selectors import partners_who_can_see

from . import notices, payloads
from .transports import (
    EmailTransport,
    Outcome,
    Pools,
    TransportError,
    WebhookTransport,
)

logger = logging.getLogger(__name__)

# Waits after attempt 1, 2, ...; after the last one the delivery has failed.
RETRY_SCHEDULE = (
    datetime.timedelta(seconds=5),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=5),
    datetime.timedelta(hours=10),
    datetime.timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
JITTER = 0.1
# Waits up to this long go to the broker as a countdown; longer ones wait for the sweep.
MAX_COUNTDOWN = datetime.timedelta(seconds=60)
MAX_RETRY_AFTER = datetime.timedelta(hours=24)
DUE_STATES = (DeliveryState.PENDING, DeliveryState.SENDING)
# Of a batch task's soft time limit, what is kept for the database work around the sends.
BATCH_TIME_RESERVE_SECONDS = 20.0
# While a slow batch is still sending, the successes so far are written this often.
SUCCESS_FLUSH_SECONDS = 1.0


# What sending needs of a claimed delivery and its webhook subscription; the rest of either
# row is loaded only if a failure needs it (a few deliveries, not the batch).
CLAIM_FIELDS = (
    "event_id",
    "subscription_id",
    "email_subscription_id",
    "partner_id",
    "message_id",
    "state",
    "attempts",
    "subscription__partner_id",
    "subscription__url",
    "subscription__secret",
    "subscription__previous_secret",
    "subscription__previous_secret_expires_at",
    "subscription__is_active",
    "subscription__failing_since",
)


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=float(settings.WEBHOOKS_CLAIM_LEASE_SECONDS))


def send_timeout() -> float:
    return float(settings.WEBHOOKS_TIMEOUT_SECONDS)


def batch_threads() -> int:
    return max(1, int(settings.WEBHOOKS_BATCH_THREADS))


def batch_size() -> int:
    """Deliveries per batch task (WEBHOOKS_BATCH_SIZE)."""
    return max(1, int(settings.WEBHOOKS_BATCH_SIZE))


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


def retry_delay(attempt: int, retry_after: float | None = None) -> datetime.timedelta:
    """How long to wait after failed attempt number `attempt` (1-based), jittered."""
    base = RETRY_SCHEDULE[min(attempt, len(RETRY_SCHEDULE)) - 1]
    delay = base * random.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(datetime.timedelta(seconds=retry_after), MAX_RETRY_AFTER))
    return delay


def claim_batch(
    delivery_ids: Iterable[int],
    now: datetime.datetime | None = None,
    *,
    after: _Afterwards | None = None,
) -> list[Delivery]:
    """Take the next attempt of every due delivery among `delivery_ids` that nobody else has.

    One UPDATE ... RETURNING; the claimed rows are `sending` for the batch's lease. Returns
    them, loaded with event and subscription, in id order. Due deliveries whose last
    attempt was interrupted (attempts used up) are failed; with `after`, the people are told
    once the batch is done.
    """
    ids = sorted(set(delivery_ids))
    if not ids:
        return []
    now = now or timezone.now()
    until = now + batch_lease(len(ids))
    ops = connection.ops
    table = ops.quote_name(Delivery._meta.db_table)
    among, among_params = _id_list(ids)
    sql = (
        f"UPDATE {table} SET state = %s, attempts = attempts + 1, last_attempt_at = %s, "
        f"next_attempt_at = %s WHERE id {among} AND state IN (%s, %s) "
        "AND next_attempt_at <= %s AND attempts < %s RETURNING id, attempts"
    )
    params = [
        DeliveryState.SENDING.value,
        ops.adapt_datetimefield_value(now),
        ops.adapt_datetimefield_value(until),
        *among_params,
        *(state.value for state in DUE_STATES),
        ops.adapt_datetimefield_value(now),
        MAX_ATTEMPTS,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        claimed = dict(cursor.fetchall())
    if len(claimed) < len(ids):
        told_later = after or _Afterwards()
        _fail_interrupted([pk for pk in ids if pk not in claimed], now, told_later)
        if after is None:
            told_later.run()  # no batch to wait for: tell them now
    if not claimed:
        return []
    deliveries = list(
        Delivery.objects.filter(pk__in=claimed)
        .select_related("subscription")
        .only(*CLAIM_FIELDS)
        .order_by("pk")
    )
    # One object per event and per subscription, so that a batch parses an event once and
    # what one delivery learns about its subscription (failing since...) the next knows.
    events = Event.objects.in_bulk({delivery.event_id for delivery in deliveries})
    mail = {d.email_subscription_id for d in deliveries if d.email_subscription_id}
    mail_subscriptions = EmailSubscription.objects.in_bulk(mail) if mail else {}
    subscriptions: dict[int, WebhookSubscription] = {}
    for delivery in deliveries:
        delivery.attempts = claimed[delivery.pk]  # the attempt this worker owns
        delivery.event = events[delivery.event_id]
        if delivery.subscription_id:
            delivery.subscription = subscriptions.setdefault(
                delivery.subscription_id, delivery.subscription
            )
        elif delivery.email_subscription_id:
            delivery.email_subscription = mail_subscriptions[delivery.email_subscription_id]
    return deliveries


def _id_list(ids: list[int]) -> tuple[str, list]:
    """`= ANY(%s)` with one array parameter on PostgreSQL (the same short statement whatever
    the number of ids, parsed once by psycopg), `IN (%s, ...)` elsewhere."""
    if connection.vendor == "postgresql":
        return "= ANY(%s)", [list(ids)]
    return f"IN ({', '.join(['%s'] * len(ids))})", list(ids)


def claim(delivery_id: int, now: datetime.datetime | None = None) -> Delivery | None:
    """Take the next attempt of a due delivery, or None if it is not due or someone else has."""
    claimed = claim_batch([delivery_id], now)
    return claimed[0] if claimed else None


def _fail_interrupted(delivery_ids: list[int], now: datetime.datetime, after: _Afterwards) -> None:
    """Due deliveries with no attempt left: the worker of the last one died before recording it."""
    used_up = Delivery.objects.filter(
        pk__in=delivery_ids,
        state__in=DUE_STATES,
        next_attempt_at__lte=now,
        attempts__gte=MAX_ATTEMPTS,
    ).values_list("pk", "attempts")
    for delivery_id, attempts in used_up:
        _finish_failed(delivery_id, attempts, "The last attempt was interrupted.", now, after)


@dataclass
class _Afterwards:
    """What a batch does once every result is written: queue the short retries together,
    queue the attempts it gave back, and only then tell people (mail may be slow; the
    lease covers the sends, not the notices)."""

    retries: list[tuple[int, datetime.timedelta]] = field(default_factory=list)
    released: list[int] = field(default_factory=list)
    notices: list[Callable[[], object]] = field(default_factory=list)

    def run(self) -> None:
        from .outbox import enqueue_deliveries

        if self.retries:
            countdown = max(delay for _pk, delay in self.retries).total_seconds()
            enqueue_deliveries([pk for pk, _delay in self.retries], countdown=countdown)
        enqueue_deliveries(self.released)
        for notify in self.notices:
            try:
                notify()
            except Exception:
                logger.exception("A delivery notice could not be sent")


@dataclass
class _Attempt:
    delivery: Delivery
    body: str | None = None
    outcome: Outcome | None = None
    error: Exception | None = None
    started: bool = False


def attempt_delivery(delivery_id: int) -> DeliveryState | None:
    """Claim, send and record one attempt. Returns the new state, or None if not claimed."""
    return attempt_deliveries([delivery_id])[delivery_id]


def attempt_deliveries(delivery_ids: Sequence[int]) -> dict[int, DeliveryState | None]:
    """Claim, send and record one attempt of each due delivery among `delivery_ids`.

    Sends up to WEBHOOKS_BATCH_THREADS at once, reusing connections per checked address.
    Returns each id's new state; None where it was not claimed (not due, another worker has
    it) or where the claim was lost before the result was written.
    """
    results: dict[int, DeliveryState | None] = dict.fromkeys(delivery_ids)
    ids = sorted(set(delivery_ids))
    size = batch_size()
    for start in range(0, len(ids), size):
        results.update(_attempt_batch(ids[start : start + size]))
    return results


def _attempt_batch(ids: list[int]) -> dict[int, DeliveryState | None]:
    started = time.monotonic()
    after = _Afterwards()
    try:
        return _send_batch(ids, started, after)
    finally:
        after.run()


def _send_batch(
    ids: list[int], started: float, after: _Afterwards
) -> dict[int, DeliveryState | None]:
    deliveries = claim_batch(ids, after=after)
    results: dict[int, DeliveryState | None] = {}
    attempts = _checked(deliveries, results)
    if not attempts:
        return results
    # No send may start that could outlast the lease: the last round starts by this time.
    slack = (lease().total_seconds() - send_timeout()) / 2
    start_by = started + send_timeout() * (send_rounds(len(ids)) - 1) + max(slack, 0.0)
    pools = Pools(maxsize=batch_threads())
    done: list[_Attempt] = []
    last_flush = time.monotonic()
    try:
        for attempt in _send_all(attempts, pools, start_by):
            if attempt.started and attempt.error is None and attempt.outcome.ok:
                done.append(attempt)
                if time.monotonic() - last_flush >= SUCCESS_FLUSH_SECONDS:
                    results.update(_record_successes(done))
                    done, last_flush = [], time.monotonic()
            else:
                results[attempt.delivery.pk] = _record_attempt(attempt, after)
        results.update(_record_successes(done))
    finally:
        pools.close()
    return results


def _checked(
    deliveries: list[Delivery], results: dict[int, DeliveryState | None]
) -> list[_Attempt]:
    """What may still be sent: cancels deliveries whose channel is off or whose partner
    lost sight of the record (checked once per event for all partners of the batch)."""
    by_event: dict[int, list[Delivery]] = {}
    switched_off: list[Delivery] = []
    for delivery in deliveries:
        if delivery.channel.is_active:
            by_event.setdefault(delivery.event_id, []).append(delivery)
        else:
            switched_off.append(delivery)
    results.update(_cancel(switched_off, "The subscription is off."))
    attempts, unseen = [], []
    for group in by_event.values():
        event = group[0].event
        if event.type == "webhook.test":
            seeing = {delivery.partner_id for delivery in group}
        else:
            seeing = partners_who_can_see(
                record_type=event.record_type,
                record_id=event.record_id,
                partner_ids={delivery.partner_id for delivery in group},
            )
        body = None
        for delivery in group:
            if delivery.partner_id not in seeing:
                unseen.append(delivery)
                continue
            if delivery.subscription_id and body is None:
                body = payloads.webhook_body(event)  # one body for the whole group
            attempts.append(_Attempt(delivery, body=body if delivery.subscription_id else None))
    results.update(_cancel(unseen, "The partner may no longer see this."))
    return attempts


def _cancel(deliveries: list[Delivery], error: str) -> dict[int, DeliveryState | None]:
    """Cancel claimed deliveries, each row still guarded by its claim: two statements
    whatever their number. None for a delivery whose claim was lost."""
    if not deliveries:
        return {}
    claims = Q()
    for delivery in deliveries:
        claims |= Q(pk=delivery.pk, attempts=delivery.attempts)
    values = {
        "state": DeliveryState.CANCELLED,
        "next_attempt_at": None,
        "last_error": error[:500],
        "last_status_code": None,
        "last_latency_ms": None,
    }
    with transaction.atomic():
        still_mine = set(
            Delivery.objects.select_for_update()
            .filter(claims, state=DeliveryState.SENDING)
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=still_mine).update(**values)
    results: dict[int, DeliveryState | None] = {}
    for delivery in deliveries:
        if delivery.pk not in still_mine:
            logger.warning(
                "Delivery %s was claimed again before its result was written", delivery.pk
            )
            results[delivery.pk] = None
            continue
        for name, value in values.items():
            setattr(delivery, name, value)
        results[delivery.pk] = DeliveryState.CANCELLED
    return results


def _send_all(attempts: list[_Attempt], pools: Pools, start_by: float) -> Iterable[_Attempt]:
    """Send every attempt, `batch_threads()` at a time; yields each as it finishes."""
    webhooks, email = WebhookTransport(pools), EmailTransport()

    def send(attempt: _Attempt) -> _Attempt:
        if time.monotonic() > start_by:
            return attempt  # not started: released for a later claim
        attempt.started = True
        delivery = attempt.delivery
        try:
            if delivery.subscription_id:
                attempt.outcome = webhooks.send(delivery, attempt.body)
            else:
                attempt.outcome = email.send(delivery)
        except Exception as exc:
            attempt.error = exc
        return attempt

    if len(attempts) == 1 or batch_threads() == 1:
        for attempt in attempts:
            yield send(attempt)
        return
    # Each sending thread takes the next attempt until none is left: one hand-over per
    # attempt each way, not a future per attempt.
    todo: queue.SimpleQueue[_Attempt] = queue.SimpleQueue()
    for attempt in attempts:
        todo.put(attempt)
    finished: queue.SimpleQueue[_Attempt] = queue.SimpleQueue()

    def sender() -> None:
        try:
            while True:
                try:
                    attempt = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    send(attempt)
                except BaseException as exc:  # the thread is going down: say so, then go
                    attempt.error = exc
                    raise
                finally:
                    finished.put(attempt)
        finally:
            # Sending needs no database; close any connection this thread opened anyway.
            if connection.connection is not None:
                connection.close()

    pool = _senders()
    for _ in range(min(batch_threads(), len(attempts))):
        pool.submit(sender)
    for _ in attempts:
        yield finished.get()


_local = threading.local()


def _senders() -> ThreadPoolExecutor:
    """The calling thread's own sending threads, kept for its next batches.

    One set per worker thread, so a batch never waits behind another's sends: the batch
    lease can count on `batch_threads()` sends at once.
    """
    size, pool = getattr(_local, "senders", (0, None))
    if pool is None or size != batch_threads():
        if pool is not None:
            pool.shutdown(wait=False)
        size, pool = batch_threads(), ThreadPoolExecutor(batch_threads(), "delivery")
        _local.senders = (size, pool)
    return pool


def _record_attempt(attempt: _Attempt, after: _Afterwards) -> DeliveryState | None:
    delivery, outcome, exc = attempt.delivery, attempt.outcome, attempt.error
    if not attempt.started:
        return _release(delivery, after)
    if isinstance(exc, TransportError):
        return _record_retryable(delivery, outcome=None, error=exc.message, after=after)
    if exc is not None:
        # A fault of ours: record it where staff look, and retry on the schedule.
        logger.error("Delivery %s failed unexpectedly", delivery.pk, exc_info=exc)
        return _record_retryable(
            delivery, outcome=None, error=f"Internal error: {exc!r}", after=after
        )
    if outcome.status_code == 410:
        return _record_permanent_failure(
            delivery, outcome=outcome, error="The endpoint answered 410 Gone.", after=after
        )
    return _record_retryable(
        delivery,
        outcome=outcome,
        error=f"The endpoint answered {outcome.status_code}.",
        after=after,
    )


def _record_successes(attempts: list[_Attempt]) -> dict[int, DeliveryState | None]:
    """Write every success of a batch in one UPDATE, each row still guarded by its claim."""
    if not attempts:
        return {}
    now = timezone.now()
    ops = connection.ops
    table = ops.quote_name(Delivery._meta.db_table)
    columns = [
        [a.delivery.pk for a in attempts],
        [a.delivery.attempts for a in attempts],
        [a.outcome.status_code for a in attempts],
        [a.outcome.latency_ms for a in attempts],
    ]
    if connection.vendor == "postgresql":
        # Four array parameters: the same short statement whatever the batch's size.
        done = (
            "unnest(%s::bigint[], %s::integer[], %s::integer[], %s::integer[]) "
            "AS done(column1, column2, column3, column4)"
        )
        done_params: list = columns
    else:
        done = "(VALUES " + ", ".join(["(%s, %s, %s, %s)"] * len(attempts)) + ") AS done"
        done_params = [value for row in zip(*columns, strict=True) for value in row]
    sql = (
        f"UPDATE {table} SET state = %s, next_attempt_at = NULL, last_error = '', "
        "last_status_code = CAST(done.column3 AS integer), "
        "last_latency_ms = CAST(done.column4 AS integer), delivered_at = %s "
        f"FROM {done} "
        f"WHERE {table}.id = done.column1 AND {table}.attempts = done.column2 "
        f"AND {table}.state = %s RETURNING {table}.id"
    )
    params = [
        DeliveryState.SUCCEEDED.value,
        ops.adapt_datetimefield_value(now),
        *done_params,
        DeliveryState.SENDING.value,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written = {row[0] for row in cursor.fetchall()}
    results: dict[int, DeliveryState | None] = {}
    recovered: set[int] = set()
    for attempt in attempts:
        delivery = attempt.delivery
        if delivery.pk not in written:
            logger.warning(
                "Delivery %s was claimed again before its result was written", delivery.pk
            )
            results[delivery.pk] = None
            continue
        delivery.state, delivery.delivered_at = DeliveryState.SUCCEEDED, now
        delivery.next_attempt_at, delivery.last_error = None, ""
        delivery.last_status_code = attempt.outcome.status_code
        delivery.last_latency_ms = attempt.outcome.latency_ms
        results[delivery.pk] = DeliveryState.SUCCEEDED
        if delivery.subscription_id and delivery.subscription.failing_since is not None:
            recovered.add(delivery.subscription_id)
    if recovered:
        WebhookSubscription.objects.filter(pk__in=recovered, failing_since__isnull=False).update(
            failing_since=None
        )
    return results


def _release(delivery: Delivery, after: _Afterwards) -> DeliveryState | None:
    """Give back a claimed attempt that was never started, due at once."""
    released = Delivery.objects.filter(
        pk=delivery.pk, state=DeliveryState.SENDING, attempts=delivery.attempts
    ).update(
        state=DeliveryState.PENDING, attempts=delivery.attempts - 1, next_attempt_at=timezone.now()
    )
    if released != 1:
        return None
    after.released.append(delivery.pk)
    return DeliveryState.PENDING


def _record(
    delivery: Delivery,
    *,
    state: DeliveryState,
    outcome: Outcome | None = None,
    error: str = "",
    next_attempt_at: datetime.datetime | None = None,
) -> DeliveryState | None:
    """Write the result of the attempt this worker claimed; None if the claim was lost."""
    values = {
        "state": state,
        "next_attempt_at": next_attempt_at,
        "last_error": error[:500],
        "last_status_code": outcome.status_code if outcome else None,
        "last_latency_ms": outcome.latency_ms if outcome else None,
    }
    written = Delivery.objects.filter(
        pk=delivery.pk, state=DeliveryState.SENDING, attempts=delivery.attempts
    ).update(**values)
    if written != 1:
        logger.warning("Delivery %s was claimed again before its result was written", delivery.pk)
        return None
    for name, value in values.items():
        setattr(delivery, name, value)
    return state


def _record_retryable(
    delivery: Delivery,
    *,
    outcome: Outcome | None,
    error: str,
    after: _Afterwards,
) -> DeliveryState | None:
    """Plan the next attempt; a wait short enough for a countdown is queued with the batch's
    other retries."""
    now = timezone.now()
    _mark_failing(delivery, now)
    if delivery.attempts >= MAX_ATTEMPTS:
        state = _record(delivery, state=DeliveryState.FAILED, outcome=outcome, error=error)
        if state is not None:
            after.notices.append(partial(notices.delivery_failed, delivery))
        return state
    delay = retry_delay(delivery.attempts, outcome.retry_after if outcome else None)
    state = _record(
        delivery,
        state=DeliveryState.PENDING,
        outcome=outcome,
        error=error,
        next_attempt_at=now + delay,
    )
    if state is not None and delay <= MAX_COUNTDOWN:
        after.retries.append((delivery.pk, delay))
    return state


def _record_permanent_failure(
    delivery: Delivery, *, error: str, outcome: Outcome, after: _Afterwards
) -> DeliveryState | None:
    state = _record(delivery, state=DeliveryState.FAILED, outcome=outcome, error=error)
    subscription = delivery.subscription  # 410 is an HTTP answer: webhooks only
    if (
        state is not None
        and subscription is not None
        and disable_subscription(subscription=subscription, reason=error, tell=False)
    ):
        after.notices.append(partial(notices.subscription_disabled, subscription))
    return state


def _finish_failed(
    delivery_id: int, attempts: int, error: str, now: datetime.datetime, after: _Afterwards
) -> None:
    finished = Delivery.objects.filter(
        pk=delivery_id, state__in=DUE_STATES, attempts=attempts, next_attempt_at__lte=now
    ).update(state=DeliveryState.FAILED, last_error=error, next_attempt_at=None)
    if finished == 1:
        failed = Delivery.objects.select_related("event").get(pk=delivery_id)
        after.notices.append(partial(notices.delivery_failed, failed))


def _mark_failing(delivery: Delivery, now: datetime.datetime) -> None:
    subscription = delivery.subscription if delivery.subscription_id else None
    if subscription is None or subscription.failing_since is not None:
        return  # already failing since earlier: nothing would change
    WebhookSubscription.objects.filter(pk=subscription.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    subscription.failing_since = now


def disable_subscription(
    *, subscription: WebhookSubscription, reason: str, tell: bool = True
) -> bool:
    """Switch a subscription off and cancel what it still had to send; tell the people
    (unless `tell` is False: the caller does, later)."""
    now = timezone.now()
    with transaction.atomic():
        switched = WebhookSubscription.objects.filter(pk=subscription.pk, is_active=True).update(
            is_active=False, disabled_at=now, disabled_reason=reason[:300]
        )
        if not switched:
            return False
        Delivery.objects.filter(subscription=subscription, state=DeliveryState.PENDING).update(
            state=DeliveryState.CANCELLED,
            next_attempt_at=None,
            last_error="The subscription was switched off.",
        )
    subscription.refresh_from_db()
    if tell:
        notices.subscription_disabled(subscription)
    return True


def disable_failing_subscriptions(*, now: datetime.datetime | None = None) -> int:
    """Switch off subscriptions that have not had one success for the configured days."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=float(settings.WEBHOOKS_DISABLE_AFTER_DAYS))
    failing = WebhookSubscription.objects.filter(Q(is_active=True) & Q(failing_since__lte=cutoff))
    days = settings.WEBHOOKS_DISABLE_AFTER_DAYS
    return sum(
        disable_subscription(
            subscription=subscription,
            reason=f"Every delivery failed for {days} days.",
        )
        for subscription in failing
    )
