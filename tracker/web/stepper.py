"""A record's progress, for the stepper on its page: the path it actually took, then what is
still ahead.

Every step of the record's timeline as it stands (corrected, without retracted steps) is
drawn in timeline order, with its date as far as it is known: a veto, an adoption with the
President's proposals, an override, a repeated reading and a reopening each appear where they
happened, and a stage reached twice appears twice. After the current status come the stages
of the main path still ahead; none if the record's process has ended. A stage the record went
past without stopping (an MP's bill skips the Cabinet) is simply not on its path.
"""

from __future__ import annotations

import datetime
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace

from tracker.models import DatePrecision, StatusChange
from tracker.workflows import Workflow


@dataclass(frozen=True)
class Step:
    status: str
    label: str
    state: str  # "done", "current" or "ahead"
    occurred_on: datetime.date | None = None
    date_precision: str = DatePrecision.UNKNOWN
    # A recorded step of the timeline (the starting stage and the stages ahead are not).
    is_recorded: bool = False
    is_exit: bool = False  # a status off the main path (vetoed, returned for revision...)
    is_end: bool = False  # a status that ends the workflow
    is_repeat: bool = False  # the record had been at this status before
    is_reopening: bool = False
    entry_id: int | None = None

    @property
    def is_current(self) -> bool:
        return self.state == "current"

    @property
    def reached_on(self) -> datetime.date | None:
        return self.occurred_on


def build_stepper(workflow: Workflow, current: str, history: Sequence[StatusChange]) -> list[Step]:
    """The path `history` (the record's active steps, in timeline order) took, then the main
    path's stages still ahead of `current`."""
    steps: list[Step] = []
    seen: set[str] = set()

    def add(status: str, *, change: StatusChange | None) -> None:
        steps.append(
            Step(
                status=status,
                label=_label(workflow, status),
                state="done",
                occurred_on=change.occurred_on if change else None,
                date_precision=_precision(change) if change else DatePrecision.UNKNOWN,
                is_recorded=change is not None,
                is_exit=status not in workflow.main_path,
                is_end=workflow.is_terminal(status),
                is_repeat=status in seen,
                is_reopening=bool(getattr(change, "is_reopening", False)),
                entry_id=getattr(change, "pk", None),
            )
        )
        seen.add(status)

    start = history[0].from_status if history else current
    add(start, change=None)
    for change in history:
        add(change.to_status, change=change)
    steps[-1] = replace(steps[-1], state="current")
    for status in statuses_ahead(workflow, current, [c.to_status for c in history]):
        steps.append(Step(status=status, label=_label(workflow, status), state="ahead"))
    return steps


def statuses_ahead(workflow: Workflow, current: str, reached: Sequence[str] = ()) -> list[str]:
    """The main-path stages still ahead of `current`, in order; none once the process ended.

    Off the main path (vetoed, returned for revision, suspended...), the way back is the
    nearest main-path stage the workflow allows from `current`: the first one beyond the
    furthest stage reached, else the latest one not beyond it (after a veto, the Speaker's
    signature comes again).
    """
    path = workflow.main_path
    if workflow.is_terminal(current):
        return []
    if current in path:
        return list(path[path.index(current) + 1 :])
    furthest = max((path.index(s) for s in reached if s in path), default=0)
    rejoin = _nearest_main_path_stage(workflow, current, furthest)
    return [] if rejoin is None else list(path[path.index(rejoin) :])


def _nearest_main_path_stage(workflow: Workflow, current: str, furthest: int) -> str | None:
    path = workflow.main_path
    frontier, visited = deque([current]), {current}
    while frontier:
        candidates: list[int] = []
        for _ in range(len(frontier)):
            status = frontier.popleft()
            for target in workflow.allowed_targets(status):
                if target in visited:
                    continue
                visited.add(target)
                if target in path and not workflow.is_terminal(target):
                    candidates.append(path.index(target))
                elif not workflow.is_terminal(target):
                    frontier.append(target)
        if candidates:
            beyond = [i for i in candidates if i > furthest]
            return path[min(beyond) if beyond else max(candidates)]
    return None


def _precision(change: StatusChange) -> str:
    if change.occurred_on is None:
        return DatePrecision.UNKNOWN
    return getattr(change, "date_precision", DatePrecision.DAY) or DatePrecision.DAY


def _label(workflow: Workflow, status: str) -> str:
    return workflow.label(status) if status in workflow.statuses.values else status
