"""A record's timeline: status changes and procedural events, as they happened.

The one place a record's status is written. A step may have an exact date, a month or no
known date; it takes its place on the timeline by its date (or after a given step), so a step
learned late is inserted where it belongs, and the steps around it must still make a path the
workflow allows. Entries are never edited: a correction is a new entry that replaces the old
one, a retraction marks the old one with who, when and why; both reach partners as a
`<record>.corrected` event, and the status is recomputed from what remains.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.models import (
    LAW_ONLY_EVENT_KINDS,
    RECORD_MODELS,
    DatePrecision,
    DraftLaw,
    ProceduralEvent,
    ProceduralEventKind,
    StatusChange,
    TimelineEntry,
    TrackedRecord,
)
from tracker.models.prepared import Prepared
from tracker.workflows import (
    ADOPTION_MIN_VOTES,
    CONSTITUTIONAL_MIN_VOTES,
    RADA_SEATS,
    LawStatus,
    Workflow,
)

from .errors import TimelineConflict, TransitionNotAllowed
from .events import TimelineChange, emit_event

R = TypeVar("R", bound=TrackedRecord)

MAX_NOTE_LENGTH = 5000
MAX_TITLE_LENGTH = 300
VOTE_FIELDS = TimelineEntry.VOTE_FIELDS
# What a correction may change; the status a step moved to is changed by retracting it.
CORRECTABLE = frozenset(
    {"occurred_on", "date_precision", "note", "source_url", "title", "kind", *VOTE_FIELDS}
)


@dataclass(frozen=True)
class KnownDate:
    """A date as far as it is known: a day, a month (stored as its first day) or nothing."""

    on: datetime.date | None
    precision: str

    @classmethod
    def of(cls, on: datetime.date | None, precision: str | None = None) -> KnownDate:
        if precision is None:
            precision = DatePrecision.DAY if on is not None else DatePrecision.UNKNOWN
        if precision not in DatePrecision.values:
            raise ValidationError(
                {"date_precision": _("Say how much of the date is known: day, month or unknown.")}
            )
        if precision == DatePrecision.UNKNOWN:
            if on is not None:
                raise ValidationError(
                    {"occurred_on": _("Leave the date empty when it is not known.")}, code="invalid"
                )
            return cls(None, precision)
        if not isinstance(on, datetime.date) or isinstance(on, datetime.datetime):
            raise ValidationError(
                {
                    "occurred_on": _(
                        "Give the date it happened as YYYY-MM-DD, the month as "
                        "YYYY-MM, or no date if it is not known."
                    )
                },
                code="invalid",
            )
        if precision == DatePrecision.MONTH:
            on = on.replace(day=1)
        if on > timezone.localdate():
            raise ValidationError(
                {"occurred_on": _("Nothing can be recorded as having happened in the future.")},
                code="future",
            )
        return cls(on, precision)

    @property
    def text(self) -> str | None:
        if self.on is None:
            return None
        return self.on.strftime("%Y-%m") if self.precision == DatePrecision.MONTH else str(self.on)


# --- Reading the timeline ------------------------------------------------------------------


def _content_type(record: TrackedRecord) -> ContentType:
    return ContentType.objects.get_for_model(type(record))


_ACTIVE_STEPS = Prepared(
    lambda content_type, record: StatusChange.objects.filter(
        content_type=content_type, record_id=record, is_active=True
    )
)
_ACTIVE_EVENTS = Prepared(
    lambda content_type, record: ProceduralEvent.objects.filter(
        content_type=content_type, record_id=record, is_active=True
    )
)


def active_entries(record: TrackedRecord) -> list[TimelineEntry]:
    """The record's timeline as it stands (corrected, without retracted entries), in order."""
    content_type = _content_type(record).pk
    entries: list[TimelineEntry] = [
        *_ACTIVE_STEPS.instances(content_type=content_type, record=record.pk),
        *_ACTIVE_EVENTS.instances(content_type=content_type, record=record.pk),
    ]
    entries.sort(key=lambda e: (e.position, e.recorded_at, e.pk))
    return entries


def _steps(entries: Sequence[TimelineEntry]) -> list[StatusChange]:
    return [e for e in entries if isinstance(e, StatusChange)]


def _position(
    entries: Sequence[TimelineEntry],
    when: KnownDate,
    *,
    after: TimelineEntry | None = None,
) -> float:
    """Where an entry goes: right after `after`, else before the first later-dated entry."""
    if not entries:
        return 1.0
    if after is not None:
        index = next(
            i for i, e in enumerate(entries) if e.pk == after.pk and type(e) is type(after)
        )
    elif when.on is None:
        index = len(entries) - 1
    else:
        # A month may be any of its days: it goes after everything that may be in it.
        latest = _last_possible_day(when.on, when.precision)
        later = [
            i for i, e in enumerate(entries) if e.occurred_on is not None and e.occurred_on > latest
        ]
        index = (later[0] - 1) if later else len(entries) - 1
    if index < 0:
        return entries[0].position - 1.0
    if index == len(entries) - 1:
        return entries[-1].position + 1.0
    return (entries[index].position + entries[index + 1].position) / 2


def _last_possible_day(on: datetime.date, precision: str) -> datetime.date:
    if precision != DatePrecision.MONTH:
        return on
    next_month = (on.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return next_month - datetime.timedelta(days=1)


def _check_path(
    workflow: Workflow, steps: Sequence[StatusChange], changed: set[int], *, record_type: str
) -> None:
    """Check each step in `changed` (indexes into `steps`) and the step after it.

    Steps that were valid when written stay valid: only the joins a change creates are checked.
    """
    to_check = sorted({i for i in changed} | {i + 1 for i in changed if i + 1 < len(steps)})
    for index in to_check:
        step = steps[index]
        before = steps[index - 1].to_status if index else workflow.initial
        if workflow.is_allowed(before, step.to_status, reopening=step.is_reopening):
            continue
        allowed = (
            workflow.reopen_targets(before)
            if step.is_reopening
            else workflow.allowed_targets(before)
        )
        when = step.date_text or _("date not known")
        raise TimelineConflict(
            record_type=record_type,
            current_status=before,
            to_status=step.to_status,
            allowed=allowed,
            message=_(
                "On the timeline the step to '%(to)s' (%(when)s) would follow "
                "'%(before)s', and a %(record_type)s cannot move from '%(before)s' to "
                "'%(to)s'. Allowed after '%(before)s': %(allowed)s. Record the missing "
                "steps (with an unknown date if need be), or place this one elsewhere."
            )
            % {
                "to": step.to_status,
                "when": when,
                "before": before,
                "record_type": record_type,
                "allowed": ", ".join(allowed) or _("none (the status is final)"),
            },
        )


def _rechain(steps: Sequence[StatusChange], workflow: Workflow) -> str:
    """Write each step's `from_status` as its place now says; return the resulting status."""
    before = workflow.initial
    for step in steps:
        if step.from_status != before:
            step.from_status = before
            if step.pk is not None:
                StatusChange.objects.filter(pk=step.pk).update(from_status=before)
        before = step.to_status
    return before


# --- Validation ----------------------------------------------------------------------------


def _entry_errors(
    *, note: str, source_url: str, votes: dict[str, int | None], title: str = ""
) -> dict[str, str]:
    """What is wrong with an entry's text, source and vote counts, by field."""
    errors: dict[str, str] = dict(_validate_vote_counts(votes))
    if len(note) > MAX_NOTE_LENGTH:
        errors["note"] = _("Keep the note under %(limit)s characters.") % {"limit": MAX_NOTE_LENGTH}
    if len(title) > MAX_TITLE_LENGTH:
        errors["title"] = _("Keep the title under %(limit)s characters.") % {
            "limit": MAX_TITLE_LENGTH
        }
    if source_url:
        try:
            URLValidator(schemes=["http", "https"])(source_url.strip())
        except ValidationError:
            errors["source_url"] = _("Give the source as a full http(s) link.")
    return errors


def _validate_vote_counts(votes: dict[str, int | None]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, value in votes.items():
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= RADA_SEATS
        ):
            errors[name] = _("Vote counts are whole numbers from 0 to %(seats)s.") % {
                "seats": RADA_SEATS
            }
    if errors:
        return errors
    counted = sum(
        votes.get(k) or 0 for k in ("votes_for", "votes_against", "abstained", "not_voting")
    )
    if counted > RADA_SEATS:
        errors["votes_for"] = _(
            "For, against, abstained and did not vote add up to %(counted)s, more than the "
            "Rada's %(seats)s seats."
        ) % {"counted": counted, "seats": RADA_SEATS}
    elif votes.get("present") is not None and counted > votes["present"]:
        errors["present"] = _(
            "For, against, abstained and did not vote add up to %(counted)s, more than the "
            "%(present)s present."
        ) % {"counted": counted, "present": votes["present"]}
    return errors


def adoption_threshold(record: TrackedRecord, to_status: str) -> int | None:
    """The votes for that a vote moving `record` into `to_status` needs, if any."""
    threshold = record.workflow.threshold(to_status)
    if (
        threshold == ADOPTION_MIN_VOTES
        and isinstance(record, DraftLaw)
        and record.needs_constitutional_majority
    ):
        return CONSTITUTIONAL_MIN_VOTES
    return threshold


def _validate_step_votes(
    record: TrackedRecord, from_status: str, to_status: str, votes: dict[str, int | None]
) -> None:
    workflow = record.workflow
    given = {k: v for k, v in votes.items() if v is not None}
    threshold = adoption_threshold(record, to_status)
    if given and not workflow.is_vote(from_status, to_status):
        raise ValidationError(
            {"votes_for": _("Vote counts belong only to a vote in parliament; leave them empty.")}
        )
    if to_status in workflow.vote_required and votes.get("votes_for") is None:
        raise ValidationError(
            {
                "votes_for": _("This vote needs its count: at least %(threshold)s for.")
                % {"threshold": threshold}
            },
            code="vote_required",
        )
    if given and threshold is not None and (votes.get("votes_for") or 0) < threshold:
        if to_status == LawStatus.VETO_OVERRIDDEN:
            message = _(
                "Overriding the President's proposals needs at least %(threshold)s votes for; "
                "%(given)s were given. A vote below its threshold failed: record it as a "
                "failed vote (a procedural event of kind 'failed_vote') instead."
            )
        else:
            message = _(
                "Adoption needs at least %(threshold)s votes for; %(given)s were given. A vote "
                "below its threshold failed: record it as a failed vote (a procedural event of "
                "kind 'failed_vote') instead."
            )
        raise ValidationError(
            {"votes_for": message % {"threshold": threshold, "given": votes.get("votes_for") or 0}},
            code="below_threshold",
        )


def _validate_event(record: TrackedRecord, kind: str, votes: dict[str, int | None]) -> None:
    if kind not in ProceduralEventKind.values:
        raise ValidationError(
            {"kind": _("'%(kind)s' is not a kind of procedural event.") % {"kind": kind}},
            code="invalid",
        )
    if kind in LAW_ONLY_EVENT_KINDS and not isinstance(record, DraftLaw):
        raise ValidationError(
            {"kind": _("'%(kind)s' happens only to draft laws.") % {"kind": kind}}, code="invalid"
        )
    given = {k: v for k, v in votes.items() if v is not None}
    if kind == ProceduralEventKind.FAILED_VOTE:
        if votes.get("votes_for") is None:
            raise ValidationError(
                {"votes_for": _("A failed vote needs its count of votes for.")}, code="required"
            )
    elif given:
        raise ValidationError(
            {"votes_for": _("Only a failed vote carries vote counts; leave them empty.")}
        )


def _clean_reason(reason: str | None, missing: str) -> str:
    """The reason for a correction or retraction, required and bounded like a note."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": missing}, code="required")
    if len(reason) > MAX_NOTE_LENGTH:
        raise ValidationError(
            {
                "reason": _("Keep the reason under %(limit)s characters.")
                % {"limit": MAX_NOTE_LENGTH}
            }
        )
    return reason


def _raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError(errors, code="invalid")


_LOCK = {
    model: Prepared(lambda record, model=model: model.objects.select_for_update().filter(pk=record))
    for model in RECORD_MODELS.values()
}


def _lock(record: R) -> R:
    found = list(_LOCK[type(record)].instances(record=record.pk))
    if not found:
        raise type(record).DoesNotExist(f"{type(record).__name__} {record.pk} no longer exists")
    locked = found[0]
    if locked.archived_at is not None:
        raise ValidationError(
            _("This record is archived; restore it before changing its timeline.")
        )
    return locked


def _save_status(record: R, locked: R, status: str, reason: str) -> None:
    locked.status = status
    locked._change_reason = reason
    locked.save(update_fields=["status", "updated_at"])
    record.status = locked.status
    record.updated_at = locked.updated_at


def _user(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return user if user is not None and user.is_authenticated else None


def entry_data(entry: TimelineEntry) -> dict[str, Any]:
    """What an event tells about a timeline entry (the same for the feed and webhooks)."""
    data: dict[str, Any] = {
        "occurred_on": entry.date_text or None,
        "date_precision": entry.date_precision,
        "note": entry.note,
        "source_url": entry.source_url,
        **entry.votes(),
    }
    if isinstance(entry, StatusChange):
        data = {
            "step_id": entry.pk,
            "from": entry.from_status,
            "to": entry.to_status,
            **data,
        }
        if entry.is_reopening:
            data["reopening"] = True
    else:
        data = {"procedural_event_id": entry.pk, "kind": entry.kind, "title": entry.title, **data}
    return data


# --- Writing -------------------------------------------------------------------------------


def record_transition(
    *,
    record: R,
    to_status: str,
    occurred_on: datetime.date | None,
    recorded_by: AbstractBaseUser | None,
    date_precision: str | None = None,
    note: str = "",
    source_url: str = "",
    votes_for: int | None = None,
    votes_against: int | None = None,
    abstained: int | None = None,
    not_voting: int | None = None,
    present: int | None = None,
    expected_status: str | None = None,
    reopening: bool = False,
    after_step: StatusChange | None = None,
) -> StatusChange:
    """Record that `record` moved to `to_status`, writing its step and event, or nothing.

    The step takes its place by its date (after the last step not later than it) or right
    after `after_step`. Appended, it must be allowed from the current status; inserted, from
    the step before it, and the step after it must be allowed from it. `reopening` brings a
    record back from an end that proved not final; the note must say why. `expected_status`
    is the status the caller saw: if the record has moved since, the change is refused.
    Raises `TransitionNotAllowed` (409) and `ValidationError` (400).
    """
    model = type(record)
    workflow = model.workflow
    if to_status not in workflow.statuses.values:
        raise ValidationError(
            {
                "to_status": _("'%(status)s' is not a %(workflow)s status.")
                % {"status": to_status, "workflow": workflow.name}
            },
            code="invalid",
        )
    when = KnownDate.of(occurred_on, date_precision)
    votes = {
        "votes_for": votes_for,
        "votes_against": votes_against,
        "abstained": abstained,
        "not_voting": not_voting,
        "present": present,
    }
    note, source_url = (note or "").strip(), (source_url or "").strip()
    errors = _entry_errors(note=note, source_url=source_url, votes=votes)
    if reopening and not note:
        errors["note"] = _("Say why the record is reopened: a reopening needs a reason.")
    _raise_if(errors)

    with transaction.atomic():
        # The row lock makes a second concurrent change wait, then see the new timeline.
        locked = _lock(record)
        current = locked.status
        if expected_status is not None and expected_status != current:
            raise TransitionNotAllowed(
                record_type=model.record_type,
                current_status=current,
                to_status=to_status,
                allowed=workflow.allowed_targets(current),
                expected_status=expected_status,
            )
        entries = active_entries(locked)
        if after_step is not None and not any(
            isinstance(e, StatusChange) and e.pk == after_step.pk for e in entries
        ):
            raise ValidationError(
                {"after_step": _("Place the step after a step of this record's current timeline.")}
            )
        position = _position(entries, when, after=after_step)
        steps = _steps(entries)
        steps_before = list(steps)
        index = sum(1 for s in steps if s.position < position)
        before = steps[index - 1].to_status if index else workflow.initial
        appended = index == len(steps)
        if appended and not workflow.is_allowed(current, to_status, reopening=reopening):
            raise TransitionNotAllowed(
                record_type=model.record_type,
                current_status=current,
                to_status=to_status,
                allowed=(
                    workflow.reopen_targets(current)
                    if reopening
                    else workflow.allowed_targets(current)
                ),
            )
        _validate_step_votes(locked, before, to_status, votes)
        if to_status == LawStatus.IN_FORCE and isinstance(locked, DraftLaw):
            _require_entry_into_force(locked)

        change = StatusChange(
            content_type=_content_type(locked),
            record_id=locked.pk,
            from_status=before,
            to_status=to_status,
            occurred_on=when.on,
            date_precision=when.precision,
            position=position,
            recorded_by=_user(recorded_by),
            note=note,
            source_url=source_url,
            is_reopening=reopening,
            **votes,
        )
        steps.insert(index, change)
        _check_path(workflow, steps, {index}, record_type=model.record_type)
        change.save()
        status = _rechain(steps, workflow)
        _save_status(record, locked, status, f"Status {current} → {status}")
        data = entry_data(change)
        if not appended:
            data["inserted"] = True
            data["status"] = status
        emit_event(
            type=f"{model.record_type}.status_changed",
            record=locked,
            actor=change.recorded_by,
            status_change=change,
            data=data,
            timeline=TimelineChange(locked, steps, current, steps_before),
        )
    return change


def _require_entry_into_force(law: DraftLaw) -> None:
    if not law.entries_into_force.exists():
        raise ValidationError(
            {
                "to_status": _(
                    "Record when the law enters into force first: at least one entry "
                    "into force, with its date or its condition."
                )
            },
            code="no_entry_into_force",
        )


def record_procedural_event(
    *,
    record: R,
    kind: str,
    occurred_on: datetime.date | None,
    recorded_by: AbstractBaseUser | None,
    date_precision: str | None = None,
    title: str = "",
    note: str = "",
    source_url: str = "",
    votes_for: int | None = None,
    votes_against: int | None = None,
    abstained: int | None = None,
    not_voting: int | None = None,
    present: int | None = None,
    after_step: StatusChange | None = None,
) -> ProceduralEvent:
    """Record something that happened to `record` without changing its status."""
    when = KnownDate.of(occurred_on, date_precision)
    votes = {
        "votes_for": votes_for,
        "votes_against": votes_against,
        "abstained": abstained,
        "not_voting": not_voting,
        "present": present,
    }
    title, note, source_url = (
        (title or "").strip(),
        (note or "").strip(),
        (source_url or "").strip(),
    )
    _raise_if(_entry_errors(note=note, source_url=source_url, votes=votes, title=title))
    _validate_event(record, kind, votes)
    model = type(record)
    with transaction.atomic():
        locked = _lock(record)
        entries = active_entries(locked)
        event = ProceduralEvent.objects.create(
            content_type=_content_type(locked),
            record_id=locked.pk,
            kind=kind,
            title=title,
            occurred_on=when.on,
            date_precision=when.precision,
            position=_position(entries, when, after=after_step),
            recorded_by=_user(recorded_by),
            note=note,
            source_url=source_url,
            **votes,
        )
        _save_status(record, locked, locked.status, f"Procedural event: {kind}")
        emit_event(
            type=f"{model.record_type}.procedural_event",
            record=locked,
            actor=event.recorded_by,
            procedural_event=event,
            data=entry_data(event),
        )
    return event


def correct_entry(
    *,
    entry: TimelineEntry,
    recorded_by: AbstractBaseUser | None,
    reason: str,
    changes: dict[str, Any],
) -> TimelineEntry:
    """Replace `entry` with a corrected copy; the original stays, marked as corrected.

    `changes` may set the date (and how much of it is known), the note, the source, the
    votes, and for a procedural event its kind and title. A changed date can move the entry;
    the steps around it must then still make an allowed path.
    """
    unknown = set(changes) - CORRECTABLE
    if isinstance(entry, StatusChange):
        unknown |= set(changes) & {"title", "kind"}
    if unknown:
        raise ValidationError(
            {
                name: _(
                    "This cannot be corrected; to change the status a step moved to, retract "
                    "the step and record the right one."
                )
                if name in ("to", "to_status")
                else _("This cannot be corrected.")
                for name in sorted(unknown)
            }
        )
    reason = _clean_reason(reason, _("Say why the entry is corrected."))
    record = entry.record
    model = type(record)
    workflow = model.workflow

    with transaction.atomic():
        locked = _lock(record)
        old = type(entry).objects.select_for_update().get(pk=entry.pk)
        _require_active(old)
        values = {name: getattr(old, name) for name in CORRECTABLE if hasattr(old, name)}
        values.update(changes)
        date_changed = "occurred_on" in changes or "date_precision" in changes
        on = changes.get("occurred_on", old.occurred_on)
        precision = changes.get("date_precision") if date_changed else old.date_precision
        if precision == DatePrecision.UNKNOWN and "occurred_on" not in changes:
            on = None
        when = KnownDate.of(on, precision)
        values["occurred_on"], values["date_precision"] = when.on, when.precision
        values["note"] = (values.get("note") or "").strip()
        values["source_url"] = (values.get("source_url") or "").strip()
        votes = {k: values.get(k) for k in VOTE_FIELDS}
        _raise_if(
            _entry_errors(
                note=values["note"],
                source_url=values["source_url"],
                votes=votes,
                title=values.get("title", ""),
            )
        )
        if isinstance(old, StatusChange) and old.is_reopening and not values["note"]:
            raise ValidationError({"note": _("A reopening keeps its reason in the note.")})

        timeline = active_entries(locked)
        entries = [e for e in timeline if not (type(e) is type(old) and e.pk == old.pk)]
        position = old.position
        if when.on != old.occurred_on and when.on is not None:
            position = _position(entries, when)
        new = type(old)(
            content_type=old.content_type,
            record_id=old.record_id,
            position=position,
            recorded_by=_user(recorded_by),
            corrects=old,
            correction_reason=reason,
            **values,
        )
        if isinstance(old, StatusChange):
            new.to_status, new.is_reopening = old.to_status, old.is_reopening
            steps = _steps(entries)
            old_index = next(i for i, s in enumerate(_steps(timeline)) if s.pk == old.pk)
            index = sum(1 for s in steps if s.position < position)
            new.from_status = steps[index - 1].to_status if index else workflow.initial
            _validate_step_votes(locked, new.from_status, new.to_status, votes)
            steps.insert(index, new)
            if index != old_index or position != old.position:
                _check_path(
                    workflow,
                    steps,
                    {index, min(old_index, len(steps) - 1)},
                    record_type=model.record_type,
                )
        else:
            _validate_event(locked, values["kind"], votes)
        old.is_active = False
        old.save(update_fields=["is_active"])
        new.save()
        status = locked.status
        if isinstance(new, StatusChange):
            status = _rechain(steps, workflow)
        _save_status(record, locked, status, f"Correction of {old}")
        data = {
            "action": "corrected",
            "entry": _entry_kind(new),
            "entry_id": new.pk,
            "replaces": old.pk,
            "reason": reason,
            "status": status,
            **entry_data(new),
        }
        emit_event(
            type=f"{model.record_type}.corrected",
            record=locked,
            actor=new.recorded_by,
            status_change=new if isinstance(new, StatusChange) else None,
            procedural_event=new if isinstance(new, ProceduralEvent) else None,
            data=data,
        )
    return new


def retract_entry(
    *, entry: TimelineEntry, recorded_by: AbstractBaseUser | None, reason: str
) -> TimelineEntry:
    """Take back an entry recorded by mistake; the status is recomputed from what remains."""
    reason = _clean_reason(reason, _("Say why the entry is retracted."))
    record = entry.record
    model = type(record)
    workflow = model.workflow
    with transaction.atomic():
        locked = _lock(record)
        old = type(entry).objects.select_for_update().get(pk=entry.pk)
        _require_active(old)
        previous_status = locked.status
        status = previous_status
        if isinstance(old, StatusChange):
            steps = _steps(active_entries(locked))
            index = next(i for i, s in enumerate(steps) if s.pk == old.pk)
            del steps[index]
            if index < len(steps):
                _check_path(workflow, steps, {index}, record_type=model.record_type)
            status = _rechain(steps, workflow)
        old.is_active = False
        old.retracted_at = timezone.now()
        old.retracted_by = _user(recorded_by)
        old.retraction_reason = reason
        old.save(update_fields=["is_active", "retracted_at", "retracted_by", "retraction_reason"])
        _save_status(record, locked, status, f"Retraction of {old}")
        emit_event(
            type=f"{model.record_type}.corrected",
            record=locked,
            actor=old.retracted_by,
            data={
                "action": "retracted",
                "entry": _entry_kind(old),
                "entry_id": old.pk,
                "reason": reason,
                "status": status,
                "previous_status": previous_status,
            },
        )
    return old


def _entry_kind(entry: TimelineEntry) -> str:
    return "status_change" if isinstance(entry, StatusChange) else "procedural_event"


def _require_active(entry: TimelineEntry) -> None:
    if entry.is_active:
        return
    if entry.retracted_at is not None:
        raise TimelineConflict.simple(
            entry, _("This entry was retracted; there is nothing left to change.")
        )
    replacement = type(entry).objects.filter(corrects=entry).values_list("pk", flat=True).first()
    raise TimelineConflict.simple(
        entry,
        _("This entry was already corrected; correct its replacement #%(id)s instead.")
        % {"id": replacement},
    )
