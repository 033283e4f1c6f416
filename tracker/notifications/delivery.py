"""Attempts at deliveries, one or a batch at a time: claim, check, send, record.

A batch costs a fixed number of statements whatever its size: the claim (`claims`), one
load of the deliveries with their subscriptions, one of their events, one or two visibility
queries per event, and one UPDATE for all its successes (`results`). Sending is `sending`'s;
failures go through the per-delivery rules in `results`. Any resend keeps the same
`webhook-id`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from django.db import InterfaceError, OperationalError, connection

from tracker.models import Delivery, DeliveryState
from tracker.selectors import partners_told_of

from . import config, payloads
from .claims import claim_batch
from .results import Afterwards, cancel, record_attempt, record_successes
from .sending import Attempt, send_all

logger = logging.getLogger(__name__)

# The database went away (or gave up on a statement): not this batch's fault.
DATABASE_ERRORS = (OperationalError, InterfaceError)


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
    # At the first database error no further send starts; the outcomes of the sends made
    # are kept here and written once the database answers again.
    database_lost = threading.Event()
    done: list[Attempt] = []  # successes not written yet
    unwritten: list[Attempt] = []  # other outcomes not written yet
    last_flush = time.monotonic()
    for attempt in send_all(attempts, start_by, database_lost):
        if attempt.succeeded:
            done.append(attempt)
            due = time.monotonic() - last_flush >= config.SUCCESS_FLUSH_SECONDS
            if due and not database_lost.is_set():
                try:
                    results.update(record_successes(done))
                    done, last_flush = [], time.monotonic()
                except DATABASE_ERRORS as exc:
                    _lost(database_lost, exc)
        elif database_lost.is_set():
            unwritten.append(attempt)
        else:
            try:
                results[attempt.delivery.pk] = record_attempt(attempt, after)
            except DATABASE_ERRORS as exc:
                _lost(database_lost, exc)
                unwritten.append(attempt)
    _write_when_back(done, unwritten, after, results)
    return results


def _lost(database_lost: threading.Event, exc: Exception) -> None:
    if not database_lost.is_set():
        logger.warning(
            "The database went away during a batch (%s); no further send starts, the "
            "outcomes so far are written when it is back",
            exc,
        )
    database_lost.set()


def _write_when_back(
    done: list[Attempt],
    unwritten: list[Attempt],
    after: Afterwards,
    results: dict[int, DeliveryState | None],
) -> None:
    """Write the outcomes not written yet: at once, then, while the database is away, after
    each of `config.RECORD_RETRY_DELAYS` on a fresh connection. If it stays away, the error
    is raised: those rows stay claimed until their lease ends and are sent again then."""
    waits = (0.0, *config.RECORD_RETRY_DELAYS)
    for number, wait in enumerate(waits):
        if wait:
            time.sleep(wait)
        try:
            if done:
                results.update(record_successes(done))
                done = []
            while unwritten:
                attempt = unwritten[0]
                results[attempt.delivery.pk] = record_attempt(attempt, after)
                unwritten.pop(0)
            return
        except DATABASE_ERRORS as exc:
            if number == len(waits) - 1 or connection.in_atomic_block:
                raise
            logger.warning(
                "Writing a batch's outcomes failed (%s); trying again in %g s",
                str(exc).strip(),
                waits[number + 1],
            )
            try:
                connection.close()  # the next statement opens a new connection
            except Exception:
                logger.debug("Closing the lost database connection failed", exc_info=True)


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
