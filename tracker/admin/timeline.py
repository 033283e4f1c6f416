"""A record's timeline as the admin shows it: steps and procedural events in order, dates as
far as they are known, and for staff every corrected or retracted entry beside what replaced it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from tracker.models import DatePrecision, ProceduralEvent, StatusChange, TimelineEntry
from tracker.workflows import Workflow

# How the admin URLs name the two kinds of entry.
ENTRY_KINDS: dict[str, type[TimelineEntry]] = {"step": StatusChange, "event": ProceduralEvent}


def entry_kind(entry: TimelineEntry) -> str:
    return "step" if isinstance(entry, StatusChange) else "event"


def date_label(entry: TimelineEntry) -> str:
    """The date as it was entered: a day, a month written as a month, or that it is not known."""
    if entry.occurred_on is None:
        return _("date not known")
    if entry.date_precision == DatePrecision.MONTH:
        return date_format(entry.occurred_on, "YEAR_MONTH_FORMAT")
    return date_format(entry.occurred_on)


def votes_label(entry: TimelineEntry) -> str:
    votes = entry.votes()
    if not votes:
        return ""
    names = (
        ("votes_for", _("for")),
        ("votes_against", _("against")),
        ("abstained", _("abstained")),
        ("not_voting", _("did not vote")),
        ("present", _("present")),
    )
    return ", ".join(f"{votes[name]} {label}" for name, label in names if name in votes)


@dataclass
class TimelineRow:
    entry: TimelineEntry
    kind: str
    what: str
    date: str
    date_iso: str
    votes: str
    replaced_by: TimelineEntry | None = None
    replaced_by_date: str = ""
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def is_active(self) -> bool:
        return self.entry.is_active

    @property
    def is_retracted(self) -> bool:
        return self.entry.retracted_at is not None

    @property
    def corrects(self) -> TimelineEntry | None:
        return self.entry.corrects

    @property
    def dom_id(self) -> str:
        return f"timeline-{self.kind}-{self.entry.pk}"


def timeline_rows(
    entries: Sequence[TimelineEntry],
    workflow: Workflow,
    *,
    badge: Callable[[Workflow, str], str],
    action_url: Callable[[str, TimelineEntry], str] | None = None,
) -> list[TimelineRow]:
    """Rows for the change page. `action_url(action, entry)` gives the correct and retract
    links; without it (a user who may not change the timeline) no action is offered."""
    replacements = {
        (type(e), e.corrects_id): e for e in entries if getattr(e, "corrects_id", None) is not None
    }
    rows = []
    for entry in entries:
        if isinstance(entry, StatusChange):
            what = format_html(
                "{} → {}{}",
                badge(workflow, entry.from_status),
                badge(workflow, entry.to_status),
                format_html(" <em>({})</em>", _("reopened")) if entry.is_reopening else "",
            )
        else:
            what = format_html(
                '<strong class="tracker-event-kind">{}</strong>{}',
                entry.get_kind_display(),
                format_html(": {}", entry.title) if entry.title else "",
            )
        replaced_by = replacements.get((type(entry), entry.pk))
        row = TimelineRow(
            entry=entry,
            kind=entry_kind(entry),
            what=what,
            date=date_label(entry),
            date_iso=entry.date_text,
            votes=votes_label(entry),
            replaced_by=replaced_by,
            replaced_by_date=date_label(replaced_by) if replaced_by is not None else "",
        )
        if action_url is not None and entry.is_active:
            row.urls = {action: action_url(action, entry) for action in ("correct", "retract")}
        rows.append(row)
    return rows


def describe(entry: TimelineEntry, workflow: Workflow) -> str:
    """One line naming an entry, for page titles and messages."""
    if isinstance(entry, StatusChange):
        what = workflow.label(entry.to_status)
    else:
        what = str(entry.get_kind_display())
        if entry.title:
            what = f"{what}: {entry.title}"
    return f"{what} ({date_label(entry)})"
