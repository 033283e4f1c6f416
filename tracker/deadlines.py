"""The counting rules of every deadline, in one place (explained in docs/deadlines.md).

Pure functions of what is recorded: no query, no write. `tracker.services.deadlines` stores
what they give for each record; every reader (law page, dashboard, API, calendar, alerts)
reads those rows and asks `state_of` how they stand today.

The rules:

- **Calendar days, from the day after.** A term of N days that starts with an event on day D
  (the law reached the President, it was published) counts D+1 as its first day and ends at
  the end of day D+N. Weekends and public holidays count like any other day, and a term that
  ends on a Saturday or a Sunday still ends that day: the Constitution counts days, not
  working days, and gives no rule to move a term (the Civil Code's rule for civil-law terms
  does not apply to it). The deadline says so (`on_weekend`).
- **A date known only to the month, or not known, gives no date.** The tracker never makes
  one up: the deadline is there with `due_on` null and the reason (`unknown_because`).
- **A law returned by the President** ends the round: the 15 days are answered. The Rada then
  adopts it with the proposals (a new round: 15 days from the new receipt) or overrides them
  (10 days from the receipt after the override, to sign and publish).
- **Missed, not changed.** Past its date a deadline someone had to meet is overdue; past the
  President's 15 days the law is *deemed approved* (art. 94), which is said, never recorded
  as a status.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from tracker.models import DatePrecision, DeadlineKind, EntryIntoForce, StatusChange
from tracker.workflows import (
    PRESIDENT_AFTER_OVERRIDE_DAYS,
    PRESIDENT_ANSWER_DAYS,
    LawStatus,
    TaxMeasureStatus,
)

# A law enters into force ten days after its official publication unless it says otherwise,
# and never before the day it is published (Constitution art. 94, part 5).
ENTRY_INTO_FORCE_DAYS = 10

# Why a deadline has no date.
UNKNOWN_MONTH = "month_only"
UNKNOWN_DATE = "date_unknown"
UNKNOWN_CONDITION = "condition"
UNKNOWN_REASONS = {
    UNKNOWN_MONTH: _("the date it counts from is known only to the month"),
    UNKNOWN_DATE: _("the date it counts from is not known"),
    UNKNOWN_CONDITION: _("it depends on a condition, not a date"),
}

# Stored in English, as these msgids; `legal_basis_of` translates them for the reader.
LEGAL_BASES = {
    DeadlineKind.PRESIDENT_ANSWER: gettext_noop("Constitution of Ukraine, art. 94, parts 2 and 3"),
    DeadlineKind.PRESIDENT_AFTER_OVERRIDE: gettext_noop("Constitution of Ukraine, art. 94, part 4"),
    DeadlineKind.NEXT_STEP: gettext_noop("Planned next step as recorded"),
}
DEFAULT_ENTRY_BASIS = gettext_noop(
    "Constitution of Ukraine, art. 94, part 5 (ten days after publication)"
)
LAW_ENTRY_BASIS = gettext_noop("The law's own provisions on its entry into force")
RULE_BASES = frozenset({*LEGAL_BASES.values(), DEFAULT_ENTRY_BASIS, LAW_ENTRY_BASIS})

# What a deadline counts from.
FROM_RECEIVED = "received_by_president"
FROM_PUBLISHED = "published"
FROM_OVERRIDE = "veto_overridden"
FROM_LAW = "law_provides"
FROM_PLANNED = "planned"
FROM_MEASURE = "measure_provides"
FROM_STAFF = "set_by_staff"
COUNTS_FROM_LABELS = {
    FROM_RECEIVED: _("received by the President"),
    FROM_PUBLISHED: _("officially published"),
    FROM_OVERRIDE: _("the Rada overrode the President's proposals"),
    FROM_LAW: _("date the law sets"),
    FROM_PLANNED: _("date planned"),
    FROM_MEASURE: _("date the measure sets"),
    FROM_STAFF: _("date set by the source"),
}

TITLES = {
    DeadlineKind.PRESIDENT_ANSWER: _("The President must sign the law or return it"),
    DeadlineKind.PRESIDENT_AFTER_OVERRIDE: _(
        "The President must sign and publish the overridden law"
    ),
    DeadlineKind.ENTRY_INTO_FORCE: _("Enters into force"),
    DeadlineKind.TAX_START: _("The tax measure starts"),
    DeadlineKind.TAX_SUNSET: _("The tax measure ends"),
    DeadlineKind.NEXT_STEP: _("Planned next step"),
}

# Where a law has failed, nothing is due any more.
LAW_FAILED = frozenset(
    {LawStatus.REJECTED, LawStatus.WITHDRAWN, LawStatus.REMOVED, LawStatus.LAPSED}
)
MEASURE_ENDED = frozenset(
    {TaxMeasureStatus.DROPPED, TaxMeasureStatus.REPEALED, TaxMeasureStatus.EXPIRED}
)
MEASURE_STARTED = frozenset({TaxMeasureStatus.IN_EFFECT, *MEASURE_ENDED})


def counted(start: datetime.date, days: int) -> datetime.date:
    """The last day of a term of `days` calendar days counted from the day after `start`."""
    return start + datetime.timedelta(days=days)


@dataclass(frozen=True)
class ComputedDeadline:
    """A deadline as the rules give it: what `Deadline` rows store."""

    key: str
    kind: str
    due_on: datetime.date | None
    counts_from: tuple[dict[str, Any], ...] = ()
    unknown_because: str = ""
    label: str = ""
    legal_basis: str = ""
    obliged: bool = True
    source_url: str = ""
    manual_id: int | None = None
    responsible_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _from(what: str, on: datetime.date | None, precision: str = DatePrecision.DAY) -> dict:
    if on is None:
        return {"what": what, "date": None, "date_precision": DatePrecision.UNKNOWN}
    text = on.strftime("%Y-%m") if precision == DatePrecision.MONTH else on.isoformat()
    return {"what": what, "date": text, "date_precision": str(precision)}


def _day_of(step: StatusChange | None) -> tuple[datetime.date | None, str]:
    """The step's day, or why there is none."""
    if step is None or step.occurred_on is None:
        return None, UNKNOWN_DATE
    if step.date_precision != DatePrecision.DAY:
        return None, UNKNOWN_MONTH
    return step.occurred_on, ""


def is_after_override(steps: Sequence[StatusChange]) -> bool:
    """Whether the law's latest round with the President follows an override of its proposals
    (10 days to sign) rather than a first adoption or one with the proposals (15 days)."""
    for step in reversed(steps):
        if step.to_status == LawStatus.VETO_OVERRIDDEN:
            return True
        if step.to_status in (LawStatus.VETOED, LawStatus.ADOPTED_WITH_PROPOSALS):
            return False
    return False


def president_deadline(
    law_id: int, status: str, steps: Sequence[StatusChange]
) -> ComputedDeadline | None:
    """The President's term running for the law (`steps`: its active steps in order)."""
    if status != LawStatus.SENT_TO_PRESIDENT:
        return None
    received = None
    rounds = 0
    for step in steps:
        if step.to_status == LawStatus.SENT_TO_PRESIDENT:
            rounds += 1
            received = step
    after_override = is_after_override(steps)
    kind = (
        DeadlineKind.PRESIDENT_AFTER_OVERRIDE if after_override else DeadlineKind.PRESIDENT_ANSWER
    )
    days = PRESIDENT_AFTER_OVERRIDE_DAYS if after_override else PRESIDENT_ANSWER_DAYS
    day, why = _day_of(received)
    counts = [
        _from(
            FROM_RECEIVED,
            received.occurred_on if received else None,
            received.date_precision if received else DatePrecision.UNKNOWN,
        )
    ]
    if after_override:
        override = next(s for s in reversed(steps) if s.to_status == LawStatus.VETO_OVERRIDDEN)
        counts.append(_from(FROM_OVERRIDE, override.occurred_on, override.date_precision))
    return ComputedDeadline(
        key=f"law:{law_id}:president:{max(rounds, 1)}",
        kind=kind,
        due_on=counted(day, days) if day else None,
        unknown_because=why,
        counts_from=tuple(counts),
        legal_basis=LEGAL_BASES[kind],
        extra={"days": days},
    )


def entry_into_force_deadlines(
    law_id: int,
    status: str,
    steps: Sequence[StatusChange],
    entries: Iterable[EntryIntoForce],
) -> list[ComputedDeadline]:
    """Each recorded entry into force (a staged law has several); with none recorded, the
    default ten days after publication once the law is published."""
    if status in LAW_FAILED:
        return []
    published = next((s for s in reversed(steps) if s.to_status == LawStatus.PUBLISHED), None)
    published_day, published_why = _day_of(published)
    result = []
    for entry in entries:
        counts = [_from(FROM_LAW, entry.on)]
        due, why = entry.on, ""
        if due is None:
            why = UNKNOWN_CONDITION
        elif published_day is not None and due < published_day:
            # Never before the day it is published.
            due = published_day
            counts.append(_from(FROM_PUBLISHED, published_day))
        result.append(
            ComputedDeadline(
                key=f"law:{law_id}:entry_into_force:{entry.pk}",
                kind=DeadlineKind.ENTRY_INTO_FORCE,
                due_on=due,
                unknown_because=why,
                counts_from=tuple(counts),
                label=entry.provisions,
                legal_basis=LAW_ENTRY_BASIS,
                obliged=False,
                extra={"condition": entry.condition} if entry.condition else {},
            )
        )
    if not result and status == LawStatus.PUBLISHED:
        result.append(
            ComputedDeadline(
                key=f"law:{law_id}:entry_into_force:default",
                kind=DeadlineKind.ENTRY_INTO_FORCE,
                due_on=counted(published_day, ENTRY_INTO_FORCE_DAYS) if published_day else None,
                unknown_because=published_why,
                counts_from=(
                    _from(
                        FROM_PUBLISHED,
                        published.occurred_on if published else None,
                        published.date_precision if published else DatePrecision.UNKNOWN,
                    ),
                ),
                legal_basis=DEFAULT_ENTRY_BASIS,
                obliged=False,
                extra={"days": ENTRY_INTO_FORCE_DAYS},
            )
        )
    return result


def law_deadlines(
    law: Any, steps: Sequence[StatusChange], entries: Iterable[EntryIntoForce]
) -> list[ComputedDeadline]:
    """Every computed deadline of a draft law (manual ones aside)."""
    result: list[ComputedDeadline] = []
    president = president_deadline(law.pk, law.status, steps)
    if president is not None:
        result.append(president)
    result += entry_into_force_deadlines(law.pk, law.status, steps, entries)
    if law.planned_next_step_on and not law.workflow.is_terminal(law.status):
        result.append(
            ComputedDeadline(
                key=f"law:{law.pk}:next_step",
                kind=DeadlineKind.NEXT_STEP,
                due_on=law.planned_next_step_on,
                counts_from=(_from(FROM_PLANNED, law.planned_next_step_on),),
                label=law.planned_next_step,
                legal_basis=LEGAL_BASES[DeadlineKind.NEXT_STEP],
            )
        )
    return result


def _entries_depend_on(status: str, steps: Sequence[StatusChange]) -> tuple:
    """What of the status and steps `entry_into_force_deadlines` reads besides the entries."""
    published = next((s for s in reversed(steps) if s.to_status == LawStatus.PUBLISHED), None)
    return status in LAW_FAILED, status == LawStatus.PUBLISHED, _day_of(published)


def same_law_deadlines(
    law: Any,
    status_before: str,
    steps_before: Sequence[StatusChange],
    steps: Sequence[StatusChange],
) -> bool:
    """Whether a change of `law`'s status and steps alone (from `status_before` and
    `steps_before` to what it has now) leaves its computed deadlines as they were, whatever
    its entries into force: then the stored ones stand."""
    if _entries_depend_on(status_before, steps_before) != _entries_depend_on(law.status, steps):
        return False
    before = copy.copy(law)
    before.status = status_before
    return law_deadlines(before, steps_before, ()) == law_deadlines(law, steps, ())


def tax_measure_deadlines(measure: Any) -> list[ComputedDeadline]:
    """A tax measure's start (until it is in effect) and sunset (until it has ended)."""
    if measure.status in MEASURE_ENDED:
        return []
    basis = str(measure.legal_basis) if measure.legal_basis_id else ""
    result = []
    for kind, on, condition, applies in (
        (
            DeadlineKind.TAX_START,
            measure.starts_on,
            measure.start_condition,
            measure.status not in MEASURE_STARTED,
        ),
        (DeadlineKind.TAX_SUNSET, measure.sunset_on, measure.sunset_condition, True),
    ):
        if not applies or (on is None and not condition):
            continue
        result.append(
            ComputedDeadline(
                key=f"tax_measure:{measure.pk}:{kind.removeprefix('tax_')}",
                kind=kind,
                due_on=on,
                unknown_because="" if on else UNKNOWN_CONDITION,
                counts_from=(_from(FROM_MEASURE, on),),
                legal_basis=basis,
                obliged=False,
                extra={"condition": condition} if condition else {},
            )
        )
    return result


def manual_deadline(record_type: str, manual: Any) -> ComputedDeadline:
    return ComputedDeadline(
        key=f"{record_type}:{manual.record_id}:manual:{manual.pk}",
        kind=DeadlineKind.MANUAL,
        due_on=manual.due_on,
        counts_from=(_from(FROM_STAFF, manual.due_on),),
        label=manual.title,
        legal_basis=manual.legal_basis,
        source_url=manual.source_url,
        manual_id=manual.pk,
        responsible_id=manual.responsible_id,
    )


# --- How a deadline stands today -----------------------------------------------------------

RUNNING = "running"
DUE_TODAY = "due_today"
OVERDUE = "overdue"
PASSED = "passed"
NO_DATE = "no_date"
STATES = (RUNNING, DUE_TODAY, OVERDUE, PASSED, NO_DATE)


@dataclass(frozen=True)
class Standing:
    state: str
    days_left: int | None  # days until the due date (0 on the day); None without a date
    days_overdue: int | None  # days past the due date of something someone had to do
    deemed_approved: bool  # the President's 15 days passed with no answer (art. 94)
    on_weekend: bool


def state_of(
    due_on: datetime.date | None, obliged: bool, kind: str, today: datetime.date
) -> Standing:
    if due_on is None:
        return Standing(NO_DATE, None, None, False, False)
    weekend = due_on.weekday() >= 5
    if due_on > today:
        return Standing(RUNNING, (due_on - today).days, None, False, weekend)
    if due_on == today:
        return Standing(DUE_TODAY, 0, None, False, weekend)
    if not obliged:
        return Standing(PASSED, None, None, False, weekend)
    return Standing(
        OVERDUE, None, (today - due_on).days, kind == DeadlineKind.PRESIDENT_ANSWER, weekend
    )


def title_of(kind: str, label: str) -> str:
    """What is due, in the reader's language (a label staff wrote is kept as written)."""
    if kind == DeadlineKind.MANUAL:
        return label
    title = str(TITLES.get(kind, kind))
    if label and kind in (DeadlineKind.ENTRY_INTO_FORCE, DeadlineKind.NEXT_STEP):
        return f"{title}: {label}"
    return title


def legal_basis_of(stored: str) -> str:
    """The legal basis in the reader's language where the rules name it, else as stored."""
    return gettext(stored) if stored in RULE_BASES else stored


def counts_from_of(counts_from: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`counts_from` with each date's meaning in the reader's language (`label`)."""
    return [
        {**item, "label": str(COUNTS_FROM_LABELS.get(item.get("what"), item.get("what")))}
        for item in counts_from
    ]


def unknown_reason_of(code: str) -> str:
    return str(UNKNOWN_REASONS[code]) if code in UNKNOWN_REASONS else ""


def present(row: Any, today: datetime.date) -> dict[str, Any]:
    """A stored deadline (`Deadline`) as readers get it, in their language, as of `today`:
    what the API, the pages and the calendar show."""
    standing = state_of(row.due_on, row.obliged, row.kind, today)
    return {
        "key": row.key,
        "kind": row.kind,
        "title": title_of(row.kind, row.label),
        "due_on": row.due_on,
        "state": standing.state,
        "days_left": standing.days_left,
        "days_overdue": standing.days_overdue,
        "deemed_approved": standing.deemed_approved,
        "on_weekend": standing.on_weekend,
        "obliged": row.obliged,
        "unknown_because": row.unknown_because or None,
        "unknown_reason": unknown_reason_of(row.unknown_because) or None,
        "legal_basis": legal_basis_of(row.legal_basis),
        "counts_from": counts_from_of(row.counts_from),
        "source_url": row.source_url or None,
    }
