"""Attempts at deliveries, one or a batch at a time: claim, check, send, record.

A batch costs a fixed number of statements whatever its size: the claim (`claims`), one
load of the deliveries with their subscriptions, one of their events, one or two visibility
queries per event, and one UPDATE for all its successes (`results`). Sending is `sending`'s;
failures go through the per-delivery rules in `results`. Any resend keeps the same
`webhook-id`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from tracker.models import Delivery, DeliveryState
from tracker.selectors import partners_told_of

from . import config, payloads
from .claims import claim_batch
from .results import Afterwards, cancel, record_attempt, record_successes
from .sending import Attempt, send_all


def attempt_delivery(delivery_id: int) -> DeliveryState | None:
    """Claim, send and record one attempt. Returns the new state, or None if not claimed."""
    return attempt_deliveries([delivery_id])[delivery_id]


def attempt_deliveries(delivery_ids: Sequence[int]) -> dict[int, DeliveryState | None]:
    """Claim, send and record one attempt of each due delivery among `delivery_ids`.

    Sends up to WEBHOOKS_BATCH_THREADS at once, reusing connections per endpoint.
    Returns each id's new state; None where it was not claimed (not due, another worker has
    it) or where the claim was lost before the result was written.
    """
    results: dict[int, DeliveryState | None] = dict.fromkeys(delivery_ids)
    ids = sorted(set(delivery_ids))
    size = config.batch_size()
    for start in range(0, len(ids), size):
        results.update(_attempt_batch(ids[start : start + size]))
    return results


def _attempt_batch(ids: list[int]) -> dict[int, DeliveryState | None]:
    started = time.monotonic()
    after = Afterwards()
    try:
        return _send_batch(ids, started, after)
    finally:
        after.run()


def _send_batch(
    ids: list[int], started: float, after: Afterwards
) -> dict[int, DeliveryState | None]:
    deliveries = claim_batch(ids, after=after)
    results: dict[int, DeliveryState | None] = {}
    attempts = _checked(deliveries, results)
    if not attempts:
        return results
    # No send may start that could outlast the lease: the last round starts by this time.
    timeout = config.send_timeout()
    slack = (config.lease().total_seconds() - timeout) / 2
    start_by = started + timeout * (config.send_rounds(len(ids)) - 1) + max(slack, 0.0)
    done: list[Attempt] = []
    last_flush = time.monotonic()
    for attempt in send_all(attempts, start_by):
        if attempt.succeeded:
            done.append(attempt)
            if time.monotonic() - last_flush >= config.SUCCESS_FLUSH_SECONDS:
                results.update(record_successes(done))
                done, last_flush = [], time.monotonic()
        else:
            results[attempt.delivery.pk] = record_attempt(attempt, after)
    results.update(record_successes(done))
    return results


def _checked(deliveries: list[Delivery], results: dict[int, DeliveryState | None]) -> list[Attempt]:
    """What may still be sent: cancels deliveries whose channel is off or whose partner
    lost sight of the record (checked once per event for all partners of the batch)."""
    by_event: dict[int, list[Delivery]] = {}
    switched_off: list[Delivery] = []
    for delivery in deliveries:
        if delivery.channel.is_active:
            by_event.setdefault(delivery.event_id, []).append(delivery)
        else:
            switched_off.append(delivery)
    results.update(cancel(switched_off, "The subscription is off."))
    attempts, unseen = [], []
    for group in by_event.values():
        event = group[0].event
        if event.type == "webhook.test":
            seeing = {delivery.partner_id for delivery in group}
        else:
            seeing = partners_told_of(event, {delivery.partner_id for delivery in group})
        body = None
        for delivery in group:
            if delivery.partner_id not in seeing:
                unseen.append(delivery)
                continue
            if delivery.subscription_id and body is None:
                body = payloads.webhook_body(event)  # one body for the whole group
            attempts.append(Attempt(delivery, body=body if delivery.subscription_id else None))
    results.update(cancel(unseen, "The partner may no longer see this."))
    return attempts
