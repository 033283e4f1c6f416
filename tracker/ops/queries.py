"""The reads behind readiness and the queue gauges: small aggregate queries on indexed rows."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Min, Q
from django.utils import timezone

from tracker.models import Delivery, DeliveryState, Event

DUE_STATES = (DeliveryState.PENDING, DeliveryState.SENDING)


@dataclass(frozen=True)
class DueDeliveries:
    first_attempts: int  # due and never tried
    retries: int  # due again after a failed attempt (or a worker's lease ran out)
    oldest_due_at: datetime.datetime | None

    def oldest_age_seconds(self, now: datetime.datetime | None = None) -> float:
        if self.oldest_due_at is None:
            return 0.0
        return max(0.0, ((now or timezone.now()) - self.oldest_due_at).total_seconds())


def due_deliveries(now: datetime.datetime | None = None) -> DueDeliveries:
    """What is due now, in one query on the partial `delivery_due` index. A `sending` row is
    due once its lease has run out (its worker died)."""
    now = now or timezone.now()
    row = Delivery.objects.filter(state__in=DUE_STATES, next_attempt_at__lte=now).aggregate(
        first=Count("pk", filter=Q(attempts=0)),
        retries=Count("pk", filter=Q(attempts__gt=0)),
        oldest=Min("next_attempt_at"),
    )
    return DueDeliveries(row["first"], row["retries"], row["oldest"])


def events_not_fanned_out() -> int:
    """Events whose deliveries are not planned yet (the partial `event_pending_fanout` index)."""
    return Event.objects.filter(fanned_out_at__isnull=True).count()
