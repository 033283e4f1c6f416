"""Writing events: the change feed, the notification outbox and the audit trail in one table."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction

from tracker.models import Event, ProceduralEvent, StatusChange, TrackedRecord
from tracker.selectors import affected_by

from .signals import event_committed

logger = logging.getLogger(__name__)

# Any constant works; it only has to be the same for every writer of events.
EVENT_ORDER_LOCK = 7_311_204_117


def _serialize_event_commits() -> None:
    """Make events commit in id order.

    Two transactions can take ids 10 and 11 and commit 11 first; a feed reader who saw 11
    would then never see 10. Holding one transaction-scoped lock from taking an id until
    commit makes ids commit in order. SQLite already runs one writer at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [EVENT_ORDER_LOCK])


@dataclass(frozen=True)
class TimelineChange:
    """A change to a record's timeline alone, as the transaction making it holds it."""

    record: TrackedRecord  # as the change saved it, locked
    steps: Sequence[StatusChange]  # its active steps in order, after the change
    status_before: str
    steps_before: Sequence[StatusChange]


def emit_event(
    *,
    type: str,
    record: TrackedRecord | None = None,
    record_type: str | None = None,
    record_id: int | None = None,
    actor: AbstractBaseUser | None = None,
    data: dict[str, Any] | None = None,
    status_change: StatusChange | None = None,
    procedural_event: ProceduralEvent | None = None,
    audience: Collection[int] | None = None,
    timeline: TimelineChange | None = None,
) -> Event:
    """Append an event inside the caller's transaction; notifications start once it commits.

    With `audience` (partner country ids, possibly none) the event is for them alone (and
    staff), whatever the record's visibility: a tombstone. Without it, whoever may see the
    record may see the event. `timeline` describes a change to `record`'s timeline alone:
    its deadlines are computed from what it holds.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("emit_event must run inside the transaction that made the change")
    record_type = record.record_type if record is not None else (record_type or "")
    record_id = record.pk if record is not None else record_id
    data = data or {}
    if audience is None and type != "webhook.test":
        # What the change touches beyond its record; readers see what they may of it.
        affects = affected_by(record_type, record_id)
        if affects:
            data = {**data, "affects": affects}
    # Done before the lock below, which every writer of events waits for until commit.
    _keep_deadlines_current(type, record_type, record_id, data, timeline)
    _serialize_event_commits()
    event = Event.objects.create(
        type=type,
        record_type=record_type,
        record_id=record_id,
        actor=actor if actor is not None and actor.is_authenticated else None,
        data=data,
        status_change=status_change,
        procedural_event=procedural_event,
        audience_only=audience is not None,
    )
    if audience:
        event.audience.set(sorted(audience))
    transaction.on_commit(lambda: _announce(event.pk))
    return event


# What a record's deadlines are computed from (tracker/deadlines.py): an `updated` event that
# changed none of these leaves them as they are. A step, a correction or a retraction always
# counts; facilities and partner countries only have the deadlines staff add.
DEADLINE_FIELDS = {
    "law": frozenset({"planned_next_step", "planned_next_step_on", "entries_into_force"}),
    "tax_measure": frozenset(
        {"starts_on", "start_condition", "sunset_on", "sunset_condition", "legal_basis"}
    ),
}
DEADLINE_ACTIONS = frozenset({"created", "status_changed", "corrected"})


def _keep_deadlines_current(
    type: str,
    record_type: str,
    record_id: int | None,
    data: dict[str, Any],
    timeline: TimelineChange | None,
) -> None:
    """Every change to a record passes here: recompute its deadlines in the same transaction
    when the change can move them (never for the deadline alerts themselves)."""
    action = type.rpartition(".")[2]
    if not record_type or action.startswith("deadline_"):
        return
    from . import deadlines  # deadlines writes events: imported when first needed

    if action == "deleted":
        deadlines.forget_deadlines(record_type, record_id)
        return
    fields = DEADLINE_FIELDS.get(record_type, frozenset())
    changed = set(data.get("changed", ())) if action == "updated" else set()
    if "deadlines" in changed or changed & fields or (fields and action in DEADLINE_ACTIONS):
        deadlines.refresh_deadlines(record_type, record_id, timeline=timeline)


def _announce(event_id: int) -> None:
    # The notification side listens (tracker.notifications.receivers); services never import it.
    try:
        event_committed.send(sender=Event, event_id=event_id)
    except Exception:
        # The broker may be down; the periodic sweep finds the event in the table.
        logger.warning("Could not queue event %s; the sweep will pick it up", event_id)
