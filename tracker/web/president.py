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

from tracker.models import DatePrecision, StatusChange
from tracker.workflows import (
    PRESIDENT_AFTER_OVERRIDE_DAYS,
    PRESIDENT_ANSWER_DAYS,
    LawStatus,
)

# Steps that start a new round with the President, and what they mean for the term.
_ROUND_STARTS = {
    LawStatus.VETO_OVERRIDDEN: True,
    LawStatus.VETOED: False,
    LawStatus.ADOPTED_WITH_PROPOSALS: False,
}


@dataclass(frozen=True)
class PresidentTerm:
    after_override: bool  # the 10-day duty to sign, not the 15-day term to answer
    days: int
    received_on: datetime.date | None  # None: the law is not with the President, or the day
    due_on: datetime.date | None  # it reached the President is not known
    with_president: bool  # the law has been sent to the President
    passed: bool = False
    days_left: int | None = None


def president_term(
    status: str, steps: Sequence[StatusChange], today: datetime.date
) -> PresidentTerm | None:
    """The term that runs for a law at `status` whose active steps are `steps` (in order),
    or None when no term runs (the law is not with the President, nor overridden on its way
    back to the President)."""
    if status not in (
        LawStatus.SENT_TO_PRESIDENT,
        LawStatus.VETO_OVERRIDDEN,
        LawStatus.SIGNED_BY_SPEAKER,
    ):
        return None
    after_override = False
    for step in reversed(steps):
        if step.to_status in _ROUND_STARTS:
            after_override = _ROUND_STARTS[step.to_status]
            break
    days = PRESIDENT_AFTER_OVERRIDE_DAYS if after_override else PRESIDENT_ANSWER_DAYS
    if status != LawStatus.SENT_TO_PRESIDENT:
        if not after_override:
            return None  # signed by the Speaker for the first time: no term runs yet
        return PresidentTerm(
            after_override=True, days=days, received_on=None, due_on=None, with_president=False
        )
    received = next((s for s in reversed(steps) if s.to_status == status), None)
    if (
        received is None
        or received.occurred_on is None
        or received.date_precision != DatePrecision.DAY
    ):
        return PresidentTerm(
            after_override=after_override,
            days=days,
            received_on=None,
            due_on=None,
            with_president=True,
        )
    due_on = received.occurred_on + datetime.timedelta(days=days)
    return PresidentTerm(
        after_override=after_override,
        days=days,
        received_on=received.occurred_on,
        due_on=due_on,
        with_president=True,
        passed=today > due_on,
        days_left=max((due_on - today).days, 0),
    )
