"""Relay from the event table to notification delivery.

The event row is the outbox: once committed, its fan-out is queued; if that message is lost
(broker down, worker killed), the periodic sweep finds the event by `fanned_out_at IS NULL`
and queues it again. Fan-out writes one `Delivery` per matching subscription and marks the
event, in one transaction; the unique (event, subscription) constraints make a repeat a no-op.
Once committed, the deliveries are queued as a few `deliver_batch` messages (`queue`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence, Set
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from tracker.models import (
    Delivery,
    DeliveryState,
    EmailFrequency,
    EmailSubscription,
    Event,
    Facility,
    WebhookSubscription,
)
from tracker.models.notifications import (
    MY_FACILITIES,
    facilities_touched,
    new_message_id,
    subscription_wants,
)
from tracker.ops import metrics
from tracker.selectors import partners_told_of
from tracker.services.subscriptions import disable_failing_subscriptions

from . import config, notices, payloads
from .queue import enqueue_deliveries, enqueue_delivery, enqueue_fan_outs  # noqa: F401 (re-exported)

logger = logging.getLogger(__name__)

SWEEP_BATCH = 1000


def event_committed(event_id: int) -> None:
    """Called once the transaction that wrote event `event_id` has committed."""
    enqueue_fan_out(event_id)


def enqueue_fan_out(event_id: int) -> None:
    enqueue_fan_outs([event_id])


def fan_out_event(event_id: int) -> list[int]:
    """Create the deliveries of one event; returns their ids (empty if already done).

    The deliveries are written in two parts, the first committed and queued before the rest
    is written, so sending starts while the rest of a large fan-out is still being written.
    The first part is small (`config.first_part_size()`: a few sends for each place of a
    batch), so the first deliveries leave soon after the commit however many subscribers
    there are. The event is marked done with the rest, which is queued in batches; a fan-out
    cut short is finished by the sweep, and rows already written are left alone.
    """
    with transaction.atomic():
        event = _lock_unfanned(event_id)
        if event is None:
            return []
        subscribers = matching_subscribers(event)
        size = config.first_part_size()
        first, rest = subscribers[:size], subscribers[size:]
        if not rest:
            return _finish_fan_out(event, first)
        create_deliveries(event, first)
        ids = _pending_ids(event)
        transaction.on_commit(lambda: enqueue_deliveries(ids))
    with transaction.atomic():
        event = _lock_unfanned(event_id)
        if event is None:
            return ids  # another run finished it meanwhile
        return _finish_fan_out(event, rest, queued=set(ids))


def _lock_unfanned(event_id: int) -> Event | None:
    return Event.objects.select_for_update().filter(pk=event_id, fanned_out_at__isnull=True).first()


def _pending_ids(event: Event) -> list[int]:
    return list(
        Delivery.objects.filter(event=event, state=DeliveryState.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _finish_fan_out(
    event: Event, subscribers: Sequence[Subscriber], queued: Set[int] = frozenset()
) -> list[int]:
    """Write the last deliveries of `event`, mark it fanned out and queue what is pending."""
    create_deliveries(event, subscribers)
    Event.objects.filter(pk=event.pk).update(fanned_out_at=timezone.now())
    pending = _pending_ids(event)
    todo = [pk for pk in pending if pk not in queued]
    transaction.on_commit(lambda: enqueue_deliveries(todo))
    return sorted(queued | set(pending))


class Subscriber(NamedTuple):
    """A subscription an event goes to: what a delivery row needs of it."""

    pk: int
    partner_id: int
    webhook: bool  # a WebhookSubscription, else an EmailSubscription


def create_deliveries(event: Event, subscribers: Sequence[Subscriber]) -> None:
    """One pending delivery of `event` per subscriber; those that exist are left alone."""
    if not subscribers:
        return
    if connection.vendor != "postgresql":
        Delivery.objects.bulk_create(
            [
                Delivery(
                    event=event,
                    partner_id=subscriber.partner_id,
                    next_attempt_at=event.occurred_at,
                    **{
                        "subscription_id" if subscriber.webhook else "email_subscription_id": (
                            subscriber.pk
                        )
                    },
                )
                for subscriber in subscribers
            ],
            ignore_conflicts=True,
        )
        return
    # The same rows in one statement of four arrays: a thousand subscriptions cost
    # milliseconds here, where building and compiling the ORM's INSERT costs a tenth of a second.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(Delivery._meta.db_table)} "
            "(event_id, subscription_id, email_subscription_id, partner_id, message_id, state, "
            "attempts, next_attempt_at, last_error, created_at) "
            "SELECT %s, s, e, p, m, %s, 0, %s, '', %s "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::text[]) AS t(s, e, p, m) "
            "ON CONFLICT DO NOTHING",
            [
                event.pk,
                DeliveryState.PENDING.value,
                event.occurred_at,
                timezone.now(),
                [s.pk if s.webhook else None for s in subscribers],
                [None if s.webhook else s.pk for s in subscribers],
                [s.partner_id for s in subscribers],
                [new_message_id() for _ in subscribers],
            ],
        )


# Digest subscriptions get one mail per period (`digests`), never one per event.
_DIGESTS = {EmailSubscription: {"frequency__in": [EmailFrequency.DAILY, EmailFrequency.WEEKLY]}}


def matching_subscribers(event: Event) -> list[Subscriber]:
    """Active subscriptions that want this event and whose partner may see its record (a
    tombstone: whose partner is in its audience), in id order, webhooks first. A subscription
    to "anything that affects my facilities" wants it when the event is about, or touches,
    a facility linked to its partner country."""
    if event.type == "webhook.test" or not payloads.is_partner_news(event):
        return []
    wanted = Q(is_active=True) & (
        Q(record_type="") | Q(record_type=event.record_type) | Q(record_type=MY_FACILITIES)
    )
    rows = [
        (Subscriber(pk, partner_id, model is WebhookSubscription), record_type)
        for model in (WebhookSubscription, EmailSubscription)
        for pk, partner_id, event_types, record_type, record_id in model.objects.filter(wanted)
        .exclude(**_DIGESTS.get(model, {"pk__in": []}))
        .order_by("pk")
        .values_list("pk", "partner_id", "event_types", "record_type", "record_id")
        if subscription_wants(
            event_types=event_types,
            record_type=record_type,
            record_id=record_id,
            event=(event.type, event.record_type, event.record_id),
        )
    ]
    scoped = {s.partner_id for s, record_type in rows if record_type == MY_FACILITIES}
    owners = _partners_with_facilities(event, scoped) if scoped else set()
    candidates = [
        s for s, record_type in rows if record_type != MY_FACILITIES or s.partner_id in owners
    ]
    if not candidates:
        return []
    seeing = partners_told_of(event, {s.partner_id for s in candidates})
    return [s for s in candidates if s.partner_id in seeing]


def _partners_with_facilities(event: Event, partner_ids: set[int]) -> set[int]:
    """Which of `partner_ids` are linked to a facility the event is about or touches."""
    touched = facilities_touched(event.record_type, event.record_id, event.data)
    if event.audience_only or not touched:
        return set()
    links = Facility.partners.through.objects.filter(
        facility_id__in=touched, partnercountry_id__in=partner_ids
    )
    return set(links.values_list("partnercountry_id", flat=True))


@dataclass(frozen=True)
class SweepResult:
    events: int
    deliveries: int
    subscriptions_disabled: int


def sweep() -> SweepResult:
    """Queue again whatever is due: events not fanned out, deliveries whose time has come;
    switch off the subscriptions that have failed for too long, and tell their people."""
    now = timezone.now()
    event_ids = list(
        Event.objects.filter(fanned_out_at__isnull=True)
        .order_by("id")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    enqueue_fan_outs(event_ids)
    delivery_ids = list(
        Delivery.objects.filter(
            state__in=[DeliveryState.PENDING, DeliveryState.SENDING], next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    enqueue_deliveries(delivery_ids)
    switched_off = disable_failing_subscriptions(now=now)
    for subscription in switched_off:
        notices.subscription_disabled(subscription)
    disabled = len(switched_off)
    metrics.observe_sweep(events=len(event_ids), deliveries=len(delivery_ids))
    if event_ids or delivery_ids or disabled:
        logger.info(
            "Sweep queued %d events and %d deliveries; disabled %d subscriptions",
            len(event_ids),
            len(delivery_ids),
            disabled,
        )
    return SweepResult(len(event_ids), len(delivery_ids), disabled)
