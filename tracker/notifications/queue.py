"""The notification work queue as the package sees it: kinds of work and ids, nothing more.

`tasks` is the only module that knows Celery; it installs the publisher here when it is
imported (and it is imported here, by name, the first time something is queued, so that
nothing else needs to import it). Tests install their own to run work inline.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from . import config

FAN_OUT = "notifications.fan_out"
DELIVER = "notifications.deliver"
DELIVER_BATCH = "notifications.deliver_batch"

# (kind, one argument per message, countdown in seconds or None)
Publisher = Callable[[str, list, float | None], None]

_publisher: Publisher | None = None


def install(publisher: Publisher) -> None:
    global _publisher
    _publisher = publisher


def publish(kind: str, arguments: Sequence, countdown: float | None = None) -> None:
    """One message of `kind` per item of `arguments`. A lost message only delays the work:
    the sweep finds it in the database."""
    if not arguments:
        return
    if _publisher is None:
        importlib.import_module(f"{__package__}.tasks")  # installs the Celery publisher
    assert _publisher is not None, "tracker.notifications.tasks installs the publisher"
    _publisher(kind, list(arguments), countdown)


def enqueue_fan_outs(event_ids: Sequence[int]) -> None:
    """Queue the fan-out of each event."""
    publish(FAN_OUT, list(event_ids))


def enqueue_delivery(delivery_id: int, countdown: float | None = None) -> None:
    """Queue one delivery (a retry, a staff action)."""
    publish(DELIVER, [delivery_id], countdown)


def enqueue_deliveries(delivery_ids: Sequence[int], countdown: float | None = None) -> None:
    """Queue deliveries in batches of `config.batch_size()` ids each."""
    ids = list(delivery_ids)
    size = config.batch_size()
    publish(DELIVER_BATCH, [ids[i : i + size] for i in range(0, len(ids), size)], countdown)
