"""Celery tasks: each carries ids and calls into the outbox; the state is in the database."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_init

from . import delivery, outbox


@worker_init.connect
def load_url_patterns(**kwargs) -> None:
    """Payloads link to the API: load the URLconf before the first delivery, not during it."""
    from tracker.links import api_path

    api_path("law", 1)


@shared_task(name="notifications.fan_out")
def fan_out(event_id: int) -> int:
    return len(outbox.fan_out_event(event_id))


@shared_task(name="notifications.deliver")
def deliver(delivery_id: int) -> str | None:
    return delivery.attempt_delivery(delivery_id)


@shared_task(name="notifications.deliver_batch")
def deliver_batch(delivery_ids: list[int]) -> int:
    """One attempt at each due delivery of `delivery_ids`; returns how many were attempted."""
    states = delivery.attempt_deliveries(delivery_ids).values()
    return sum(state is not None for state in states)


@shared_task(name="notifications.sweep")
def sweep() -> None:
    outbox.sweep()
