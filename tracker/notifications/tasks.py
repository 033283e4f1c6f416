"""Celery tasks: each carries one id and calls into the outbox; the state is in the database."""

from __future__ import annotations

from celery import shared_task

from . import delivery, outbox


@shared_task(name="notifications.fan_out")
def fan_out(event_id: int) -> int:
    return len(outbox.fan_out_event(event_id))


@shared_task(name="notifications.deliver")
def deliver(delivery_id: int) -> str | None:
    return delivery.attempt_delivery(delivery_id)


@shared_task(name="notifications.sweep")
def sweep() -> None:
    outbox.sweep()
