"""One attempt at one delivery: claim it, send it, record what happened, plan the next.

A claim is a compare-and-set UPDATE on (state, attempts, next_attempt_at): of two workers
holding the same message, or a worker and the sweep, exactly one changes the row and sends.
While a delivery is `sending`, `next_attempt_at` is the end of the sender's lease; if the
worker dies, the sweep claims it again after that. Any resend keeps the same `webhook-id`.
"""

from __future__ import annotations

import datetime
import logging
import random

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tracker.models import Delivery, DeliveryState, WebhookSubscription
from tracker.selectors import partners_who_can_see

from . import notices
from .transports import Outcome, TransportError, transport_for

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


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=float(settings.WEBHOOKS_CLAIM_LEASE_SECONDS))


def retry_delay(attempt: int, retry_after: float | None = None) -> datetime.timedelta:
    """How long to wait after failed attempt number `attempt` (1-based), jittered."""
    base = RETRY_SCHEDULE[min(attempt, len(RETRY_SCHEDULE)) - 1]
    delay = base * random.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(datetime.timedelta(seconds=retry_after), MAX_RETRY_AFTER))
    return delay


def claim(delivery_id: int, now: datetime.datetime | None = None) -> Delivery | None:
    """Take the next attempt of a due delivery, or None if it is not due or someone else has."""
    now = now or timezone.now()
    row = (
        Delivery.objects.filter(pk=delivery_id, state__in=DUE_STATES, next_attempt_at__lte=now)
        .values("state", "attempts")
        .first()
    )
    if row is None:
        return None
    if row["attempts"] >= MAX_ATTEMPTS:
        # The worker of the last attempt died before recording it.
        _finish_failed(delivery_id, row["attempts"], "The last attempt was interrupted.", now)
        return None
    claimed = Delivery.objects.filter(
        pk=delivery_id,
        state=row["state"],
        attempts=row["attempts"],
        next_attempt_at__lte=now,
    ).update(
        state=DeliveryState.SENDING,
        attempts=row["attempts"] + 1,
        last_attempt_at=now,
        next_attempt_at=now + lease(),
    )
    if claimed != 1:
        return None
    return Delivery.objects.select_related(
        "event", "subscription", "email_subscription", "partner"
    ).get(pk=delivery_id)


def attempt_delivery(delivery_id: int) -> DeliveryState | None:
    """Claim, send and record one attempt. Returns the new state, or None if not claimed."""
    delivery = claim(delivery_id)
    if delivery is None:
        return None
    channel = delivery.channel
    if not channel.is_active:
        return _record(delivery, state=DeliveryState.CANCELLED, error="The subscription is off.")
    if delivery.event.type != "webhook.test" and delivery.partner_id not in partners_who_can_see(
        record_type=delivery.event.record_type,
        record_id=delivery.event.record_id,
        partner_ids={delivery.partner_id},
    ):
        return _record(
            delivery, state=DeliveryState.CANCELLED, error="The partner may no longer see this."
        )
    try:
        outcome = transport_for(delivery).send(delivery)
    except TransportError as exc:
        if exc.permanent:
            return _record_permanent_failure(delivery, error=exc.message)
        return _record_retryable(delivery, outcome=None, error=exc.message)
    except Exception as exc:
        # A fault of ours: record it where staff look, and retry on the schedule.
        logger.exception("Delivery %s failed unexpectedly", delivery.pk)
        return _record_retryable(delivery, outcome=None, error=f"Internal error: {exc!r}")
    if outcome.ok:
        return _record_success(delivery, outcome)
    if outcome.status_code == 410:
        return _record_permanent_failure(
            delivery, outcome=outcome, error="The endpoint answered 410 Gone."
        )
    return _record_retryable(
        delivery, outcome=outcome, error=f"The endpoint answered {outcome.status_code}."
    )


def _record(
    delivery: Delivery,
    *,
    state: DeliveryState,
    outcome: Outcome | None = None,
    error: str = "",
    next_attempt_at: datetime.datetime | None = None,
) -> DeliveryState | None:
    """Write the result of the attempt this worker claimed; None if the claim was lost."""
    now = timezone.now()
    values = {
        "state": state,
        "next_attempt_at": next_attempt_at,
        "last_error": error[:500],
        "last_status_code": outcome.status_code if outcome else None,
        "last_latency_ms": outcome.latency_ms if outcome else None,
    }
    if state == DeliveryState.SUCCEEDED:
        values["delivered_at"] = now
    written = Delivery.objects.filter(
        pk=delivery.pk, state=DeliveryState.SENDING, attempts=delivery.attempts
    ).update(**values)
    if written != 1:
        logger.warning("Delivery %s was claimed again before its result was written", delivery.pk)
        return None
    for name, value in values.items():
        setattr(delivery, name, value)
    return state


def _record_success(delivery: Delivery, outcome: Outcome) -> DeliveryState | None:
    state = _record(delivery, state=DeliveryState.SUCCEEDED, outcome=outcome)
    if delivery.subscription_id:
        WebhookSubscription.objects.filter(
            pk=delivery.subscription_id, failing_since__isnull=False
        ).update(failing_since=None)
    return state


def _record_retryable(
    delivery: Delivery, *, outcome: Outcome | None, error: str
) -> DeliveryState | None:
    now = timezone.now()
    _mark_failing(delivery, now)
    if delivery.attempts >= MAX_ATTEMPTS:
        state = _record(delivery, state=DeliveryState.FAILED, outcome=outcome, error=error)
        if state is not None:
            notices.delivery_failed(delivery)
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
        from .outbox import enqueue_delivery

        enqueue_delivery(delivery.pk, countdown=delay.total_seconds())
    return state


def _record_permanent_failure(
    delivery: Delivery, *, error: str, outcome: Outcome | None = None
) -> DeliveryState | None:
    state = _record(delivery, state=DeliveryState.FAILED, outcome=outcome, error=error)
    if state is not None and delivery.subscription_id:
        disable_subscription(subscription=delivery.subscription, reason=error)
    return state


def _finish_failed(delivery_id: int, attempts: int, error: str, now: datetime.datetime) -> None:
    finished = Delivery.objects.filter(
        pk=delivery_id, state__in=DUE_STATES, attempts=attempts, next_attempt_at__lte=now
    ).update(state=DeliveryState.FAILED, last_error=error, next_attempt_at=None)
    if finished == 1:
        notices.delivery_failed(Delivery.objects.select_related("event").get(pk=delivery_id))


def _mark_failing(delivery: Delivery, now: datetime.datetime) -> None:
    if delivery.subscription_id:
        WebhookSubscription.objects.filter(
            pk=delivery.subscription_id, failing_since__isnull=True
        ).update(failing_since=now)


def disable_subscription(*, subscription: WebhookSubscription, reason: str) -> bool:
    """Switch a subscription off and cancel what it still had to send; tell the people."""
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
