"""Where the notification side hears the services: their signals, turned into queued work.

Connected once, when the app is ready (`tracker.apps.TrackerConfig.ready`). Each receiver
looks the outbox up when called, so what the outbox queues through stays replaceable.
"""

from __future__ import annotations

from django.dispatch import receiver

from tracker.services.signals import delivery_requested, event_committed

from . import outbox


@receiver(event_committed, dispatch_uid="tracker.notifications.event_committed")
def queue_fan_out(sender, *, event_id: int, **kwargs) -> None:
    outbox.event_committed(event_id)


@receiver(delivery_requested, dispatch_uid="tracker.notifications.delivery_requested")
def queue_delivery(sender, *, delivery_id: int, **kwargs) -> None:
    outbox.enqueue_delivery(delivery_id)
