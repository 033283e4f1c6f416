"""Reaching any status of any workflow through the transition service."""

from __future__ import annotations

import datetime
from collections import deque

from django.utils import timezone

from tests.factories import make_facility, make_law, make_partner, make_tax_measure
from tracker.models import EntryIntoForce, TrackedRecord
from tracker.services.transitions import record_transition
from tracker.workflows import VETO_OVERRIDE_MIN_VOTES, WORKFLOWS, LawStatus, Workflow

MAKERS = {
    "law": lambda: make_law(),
    "tax_measure": lambda: make_tax_measure(),
    "facility": lambda: make_facility(),
    "partner": lambda: make_partner("DK"),
}


def paths_from_initial(workflow: Workflow) -> dict[str, tuple[str, ...]]:
    """The shortest sequence of transitions from the initial status to each reachable status."""
    paths: dict[str, tuple[str, ...]] = {workflow.initial: ()}
    queue = deque([workflow.initial])
    while queue:
        status = queue.popleft()
        for target in workflow.allowed_targets(status):
            if target not in paths:
                paths[target] = (*paths[status], target)
                queue.append(target)
    return paths


PATHS = {name: paths_from_initial(workflow) for name, workflow in WORKFLOWS.items()}


def votes_for_transition(workflow: Workflow, from_status: str, to_status: str) -> dict:
    """Plausible vote counts for a vote transition, none for anything else."""
    if not workflow.is_vote(from_status, to_status):
        return {}
    if to_status == LawStatus.VETO_OVERRIDDEN:
        return {"votes_for": VETO_OVERRIDE_MIN_VOTES + 5, "votes_against": 20, "abstained": 10}
    return {"votes_for": 240, "votes_against": 40, "abstained": 15}


def record_at(record_type: str, status: str, *, on: datetime.date | None = None) -> TrackedRecord:
    """A new record of `record_type` walked to `status`, every step dated `on`."""
    workflow = WORKFLOWS[record_type]
    record = MAKERS[record_type]()
    day = on or timezone.localdate() - datetime.timedelta(days=30)
    for target in PATHS[record_type][status]:
        prepare_for(record, target, day)
        record_transition(
            record=record,
            to_status=target,
            occurred_on=day,
            recorded_by=None,
            **votes_for_transition(workflow, record.status, target),
        )
    assert record.status == status
    return record


def prepare_for(record: TrackedRecord, target: str, day: datetime.date) -> None:
    """What the record must hold before it may move to `target`: a law in force, its entry."""
    if record.record_type == "law" and target == LawStatus.IN_FORCE:
        EntryIntoForce.objects.get_or_create(law=record, defaults={"on": day})
