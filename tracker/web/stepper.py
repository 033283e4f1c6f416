"""A record's progress along its workflow's main path, for the stepper on its page.

The main path is drawn as ordered steps: done, skipped (the record went past without
stopping, e.g. an MP's bill skips the Cabinet), current, and ahead. A status off the main
path (returned for revision, vetoed, suspended, rejected...) is drawn as an exit right after
the last main-path stage the record reached; if that exit ends the workflow, the stages after
it will not be reached.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from tracker.models import StatusChange
from tracker.workflows import Workflow


@dataclass(frozen=True)
class Step:
    status: str
    label: str
    state: str  # "done", "skipped", "current", "ahead" or "not_reached"
    reached_on: datetime.date | None = None
    is_exit: bool = False
    is_end: bool = False

    @property
    def is_current(self) -> bool:
        return self.state == "current"


def build_stepper(workflow: Workflow, current: str, history: Sequence[StatusChange]) -> list[Step]:
    path = workflow.main_path
    entered: dict[str, datetime.date] = {}
    for change in history:
        entered[change.to_status] = change.occurred_on
    reached = {workflow.initial, *entered}

    exit_status = None if current in path else current
    anchor = current if exit_status is None else _last_main_path_status(workflow, history)
    cut = path.index(anchor)
    ended = exit_status is not None and workflow.is_terminal(exit_status)

    steps: list[Step] = []
    for index, status in enumerate(path):
        if index < cut:
            state = "done" if status in reached else "skipped"
        elif index == cut:
            state = "current" if exit_status is None else "done"
        else:
            state = "not_reached" if ended else "ahead"
        steps.append(
            Step(
                status=status,
                label=workflow.label(status),
                state=state,
                reached_on=entered.get(status) if state in {"done", "current"} else None,
                is_end=index == len(path) - 1,
            )
        )
        if index == cut and exit_status is not None:
            steps.append(
                Step(
                    status=exit_status,
                    label=workflow.label(exit_status),
                    state="current",
                    reached_on=entered.get(exit_status),
                    is_exit=True,
                    is_end=ended,
                )
            )
    return steps


def _last_main_path_status(workflow: Workflow, history: Sequence[StatusChange]) -> str:
    """Where the record left the main path: the latest main-path status in its history."""
    for change in reversed(history):
        if change.to_status in workflow.main_path:
            return change.to_status
        if change.from_status in workflow.main_path:
            return change.from_status
    return workflow.initial
