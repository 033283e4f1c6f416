"""The President's term for a law (Constitution of Ukraine, art. 94).

Within 15 days of receiving a law the President signs it or returns it with proposals; a law
neither signed nor returned in that time is deemed approved and must be signed and published.
After the Rada overrides the proposals, the President must sign and publish within 10 days.
Nothing here changes a status: laws do wait unsigned for months, so the page only says when
the term ends and, once it has passed, that it has.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from tracker import deadlines as rules
from tracker.models import DeadlineKind, StatusChange
from tracker.workflows import (
    PRESIDENT_AFTER_OVERRIDE_DAYS,
    PRESIDENT_ANSWER_DAYS,
    LawStatus,
)


@dataclass(frozen=True)
class PresidentTerm:
    after_override: bool  # the 10-day duty to sign, not the 15-day term to answer
    days: int
    received_on: datetime.date | None  # None: the law is not with the President, or the day
    due_on: datetime.date | None  # it reached the President is not known
    with_president: bool  # the law has been sent to the President
    passed: bool = False
    days_left: int | None = None
    unknown_because: str = ""  # why there is no date (`tracker.deadlines.UNKNOWN_REASONS`)


def president_term(
    status: str, steps: Sequence[StatusChange], today: datetime.date
) -> PresidentTerm | None:
    """The term that runs for a law at `status` whose active steps are `steps` (in order),
    or None when no term runs (the law is not with the President, nor overridden on its way
    back to the President). The dates come from the counting rules of `tracker.deadlines`."""
    if status in (LawStatus.VETO_OVERRIDDEN, LawStatus.SIGNED_BY_SPEAKER):
        if not rules.is_after_override(steps):
            return None  # signed by the Speaker for the first time: no term runs yet
        return PresidentTerm(
            after_override=True,
            days=PRESIDENT_AFTER_OVERRIDE_DAYS,
            received_on=None,
            due_on=None,
            with_president=False,
        )
    deadline = rules.president_deadline(0, status, steps)
    if deadline is None:
        return None
    after_override = deadline.kind == DeadlineKind.PRESIDENT_AFTER_OVERRIDE
    days = PRESIDENT_AFTER_OVERRIDE_DAYS if after_override else PRESIDENT_ANSWER_DAYS
    if deadline.due_on is None:
        return PresidentTerm(
            after_override=after_override,
            days=days,
            received_on=None,
            due_on=None,
            with_president=True,
            unknown_because=deadline.unknown_because,
        )
    due_on = deadline.due_on
    return PresidentTerm(
        after_override=after_override,
        days=days,
        received_on=datetime.date.fromisoformat(deadline.counts_from[0]["date"]),
        due_on=due_on,
        with_president=True,
        passed=today > due_on,
        days_left=max((due_on - today).days, 0),
    )
