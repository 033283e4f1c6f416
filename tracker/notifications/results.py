"""Writing the result of each attempt, every row still guarded by its claim.

All the successes of a batch are written with one statement; a failure plans the next
attempt on the retry schedule (or fails the delivery, or, on 410 Gone, switches the
subscription off). What follows a batch (queueing short retries and handed-back attempts,
telling people) is collected in `Afterwards` and done once every result is written.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from tracker.models import Delivery, DeliveryState, WebhookSubscription
from tracker.ops import metrics
from tracker.services.subscriptions import disable_subscription

from . import config, notices, queue
from .sql import int_array
from .transports import Outcome, TransportError

if TYPE_CHECKING:
    from .sending import Attempt

logger = logging.getLogger(__name__)

DUE_STATES = (DeliveryState.PENDING, DeliveryState.SENDING)


@dataclass
class Afterwards:
    """What a batch does once every result is written: queue the short retries together,
    queue the attempts it gave back, and only then tell people (mail may be slow; the
    lease covers the sends, not the notices)."""

    retries: list[tuple[int, datetime.timedelta]] = field(default_factory=list)
    released: list[int] = field(default_factory=list)
    notices: list[Callable[[], object]] = field(default_factory=list)

    def run(self) -> None:
        if self.retries:
            countdown = max(delay for _pk, delay in self.retries).total_seconds()
            queue.enqueue_deliveries([pk for pk, _delay in self.retries], countdown=countdown)
        queue.enqueue_deliveries(self.released)
        for notify in self.notices:
            try:
                notify()
            except Exception:
                logger.exception("A delivery notice could not be sent")


def _claim_lost(delivery: Delivery) -> None:
    logger.warning("Delivery %s was claimed again before its result was written", delivery.pk)
    metrics.observe_attempt(delivery, metrics.LOST)


def record_attempt(attempt: Attempt, after: Afterwards) -> DeliveryState | None:
    """Write the result of an attempt that did not succeed (or was never started)."""
    delivery, outcome, exc = attempt.delivery, attempt.outcome, attempt.error
    if not attempt.started:
        return release(delivery, after)
    if isinstance(exc, TransportError):
        return record_retryable(delivery, outcome=None, error=exc.message, after=after)
    if exc is not None:
        # A fault of ours: record it where staff look, and retry on the schedule.
        logger.error("Delivery %s failed unexpectedly", delivery.pk, exc_info=exc)
        return record_retryable(
            delivery, outcome=None, error="Internal error; it will be retried.", after=after
        )
    if outcome.status_code == 410:
        return record_permanent_failure(
            delivery, outcome=outcome, error="The endpoint answered 410 Gone.", after=after
        )
    return record_retryable(
        delivery,
        outcome=outcome,
        error=f"The endpoint answered {outcome.status_code}.",
        after=after,
    )


def record_successes(attempts: Sequence[Attempt]) -> dict[int, DeliveryState | None]:
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
        done_params: list = [int_array(column) for column in columns]
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
    succeeded: list[Delivery] = []
    for attempt in attempts:
        delivery = attempt.delivery
        if delivery.pk not in written:
            _claim_lost(delivery)
            results[delivery.pk] = None
            continue
        delivery.state, delivery.delivered_at = DeliveryState.SUCCEEDED, now
        delivery.next_attempt_at, delivery.last_error = None, ""
        delivery.last_status_code = attempt.outcome.status_code
        delivery.last_latency_ms = attempt.outcome.latency_ms
        results[delivery.pk] = DeliveryState.SUCCEEDED
        succeeded.append(delivery)
        if delivery.subscription_id and delivery.subscription.failing_since is not None:
            recovered.add(delivery.subscription_id)
    metrics.observe_successes(succeeded, now=now)
    if recovered:
        WebhookSubscription.objects.filter(pk__in=recovered, failing_since__isnull=False).update(
            failing_since=None
        )
    return results


def cancel(deliveries: Sequence[Delivery], error: str) -> dict[int, DeliveryState | None]:
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
            _claim_lost(delivery)
            results[delivery.pk] = None
            continue
        for name, value in values.items():
            setattr(delivery, name, value)
        results[delivery.pk] = DeliveryState.CANCELLED
        metrics.observe_attempt(delivery, metrics.CANCELLED, error=error)
    return results


def release(delivery: Delivery, after: Afterwards) -> DeliveryState | None:
    """Give back a claimed attempt that was never started, due at once."""
    released = Delivery.objects.filter(
        pk=delivery.pk, state=DeliveryState.SENDING, attempts=delivery.attempts
    ).update(
        state=DeliveryState.PENDING, attempts=delivery.attempts - 1, next_attempt_at=timezone.now()
    )
    if released != 1:
        return None
    after.released.append(delivery.pk)
    metrics.observe_attempt(delivery, metrics.RELEASED)
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
        _claim_lost(delivery)
        return None
    for name, value in values.items():
        setattr(delivery, name, value)
    metrics.observe_attempt(
        delivery, metrics.FAILED if state == DeliveryState.FAILED else metrics.RETRYING, error=error
    )
    return state


def record_retryable(
    delivery: Delivery,
    *,
    outcome: Outcome | None,
    error: str,
    after: Afterwards,
) -> DeliveryState | None:
    """Plan the next attempt; a wait short enough for a countdown is queued with the batch's
    other retries."""
    now = timezone.now()
    _mark_failing(delivery, now)
    if delivery.attempts >= config.max_attempts():
        state = _record(delivery, state=DeliveryState.FAILED, outcome=outcome, error=error)
        if state is not None:
            after.notices.append(partial(notices.delivery_failed, delivery))
        return state
    delay = config.retry_delay(delivery.attempts, outcome.retry_after if outcome else None)
    state = _record(
        delivery,
        state=DeliveryState.PENDING,
        outcome=outcome,
        error=error,
        next_attempt_at=now + delay,
    )
    if state is not None and delay <= config.MAX_COUNTDOWN:
        after.retries.append((delivery.pk, delay))
    return state


def record_permanent_failure(
    delivery: Delivery, *, error: str, outcome: Outcome, after: Afterwards
) -> DeliveryState | None:
    state = _record(delivery, state=DeliveryState.FAILED, outcome=outcome, error=error)
    subscription = delivery.subscription  # 410 is an HTTP answer: webhooks only
    if (
        state is not None
        and subscription is not None
        and disable_subscription(subscription=subscription, reason=error)
    ):
        after.notices.append(partial(notices.subscription_disabled, subscription))
    return state


def finish_failed(
    delivery_id: int, attempts: int, error: str, now: datetime.datetime, after: Afterwards
) -> None:
    finished = Delivery.objects.filter(
        pk=delivery_id, state__in=DUE_STATES, attempts=attempts, next_attempt_at__lte=now
    ).update(state=DeliveryState.FAILED, last_error=error, next_attempt_at=None)
    if finished == 1:
        failed = Delivery.objects.select_related("event").get(pk=delivery_id)
        metrics.observe_attempt(failed, metrics.FAILED, error=error)
        after.notices.append(partial(notices.delivery_failed, failed))


def _mark_failing(delivery: Delivery, now: datetime.datetime) -> None:
    subscription = delivery.subscription if delivery.subscription_id else None
    if subscription is None or subscription.failing_since is not None:
        return  # already failing since earlier: nothing would change
    WebhookSubscription.objects.filter(pk=subscription.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    subscription.failing_since = now
