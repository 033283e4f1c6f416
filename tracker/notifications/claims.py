"""Claiming deliveries: one compare-and-set UPDATE ... RETURNING per batch.

A claim changes each row on (state, attempts, next_attempt_at): of two workers holding the
same ids, or a worker and the sweep, exactly one changes each row and sends it. While a
delivery is `sending`, `next_attempt_at` is the end of the sender's lease, sized for the
whole batch; if the worker dies, the sweep claims it again after that.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from tracker.models import (
    Delivery,
    DeliveryState,
    EmailSubscription,
    Event,
    WebhookSubscription,
)

from . import config
from .results import DUE_STATES, Afterwards, finish_failed
from .sql import id_list

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


def claim_batch(
    delivery_ids: Iterable[int],
    now: datetime.datetime | None = None,
    *,
    after: Afterwards | None = None,
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
    until = now + config.batch_lease(len(ids))
    ops = connection.ops
    table = ops.quote_name(Delivery._meta.db_table)
    among, among_params = id_list(ids)
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
        config.max_attempts(),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        claimed = dict(cursor.fetchall())
    if len(claimed) < len(ids):
        told_later = after or Afterwards()
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


def claim(delivery_id: int, now: datetime.datetime | None = None) -> Delivery | None:
    """Take the next attempt of a due delivery, or None if it is not due or someone else has."""
    claimed = claim_batch([delivery_id], now)
    return claimed[0] if claimed else None


def _fail_interrupted(delivery_ids: list[int], now: datetime.datetime, after: Afterwards) -> None:
    """Due deliveries with no attempt left: the worker of the last one died before recording it."""
    used_up = Delivery.objects.filter(
        pk__in=delivery_ids,
        state__in=DUE_STATES,
        next_attempt_at__lte=now,
        attempts__gte=config.max_attempts(),
    ).values_list("pk", "attempts")
    for delivery_id, attempts in used_up:
        finish_failed(delivery_id, attempts, "The last attempt was interrupted.", now, after)
