"""Deadlines: keeping each record's computed deadlines current, the deadlines staff add by
hand, and the alerts sent when a deadline approaches or is missed.

`refresh_deadlines` runs inside the transaction of every change to a record (from
`emit_event`), so the stored rows always match the record; `refresh_all_deadlines` (the daily
job, the demo loader) rebuilds every row.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tracker import deadlines as rules
from tracker.models import (
    RECORD_MODELS,
    AlertKind,
    Deadline,
    DeadlineAlert,
    DraftLaw,
    EntryIntoForce,
    ManualDeadline,
    StatusChange,
    TaxMeasure,
    TrackedRecord,
)
from tracker.models.prepared import Prepared

from .events import TimelineChange, emit_event
from .records import record_update

# Event actions of the alerts (`law.deadline_approaching`, `tax_measure.deadline_missed`...).
APPROACHING = "deadline_approaching"
MISSED = "deadline_missed"
DEFAULT_APPROACHING_DAYS = 7
MAX_TITLE = 300


def approaching_days() -> int:
    """How many days before its date a deadline is announced as approaching."""
    return int(getattr(settings, "DEADLINES_APPROACHING_DAYS", DEFAULT_APPROACHING_DAYS))


# --- Computing and storing ------------------------------------------------------------------


_ENTRIES = Prepared(lambda law: EntryIntoForce.objects.filter(law=law).order_by("id"))
_STORED = Prepared(
    lambda type, record: Deadline.objects.filter(record_type=type, record_id=record).order_by()
)


def _computed(
    record: TrackedRecord, steps: Sequence[StatusChange] | None, *, manual: bool = True
) -> list[rules.ComputedDeadline]:
    content_type = ContentType.objects.get_for_model(type(record))
    result: list[rules.ComputedDeadline] = []
    if isinstance(record, DraftLaw):
        if steps is None:
            steps = list(
                StatusChange.objects.filter(
                    content_type=content_type, record_id=record.pk, is_active=True
                ).order_by("position", "id")
            )
        entries = list(_ENTRIES.instances(law=record.pk))
        result += rules.law_deadlines(record, steps, entries)
    elif isinstance(record, TaxMeasure):
        result += rules.tax_measure_deadlines(record)
    if manual:
        rows = ManualDeadline.objects.filter(
            content_type=content_type, record_id=record.pk, done_on__isnull=True
        ).order_by("id")
        result += [rules.manual_deadline(record.record_type, m) for m in rows]
    return result


def refresh_deadlines(
    record_type: str, record_id: int | None, *, timeline: TimelineChange | None = None
) -> None:
    """Store the record's deadlines as the rules give them now: rows that no longer apply
    (the President answered, the law failed...) go, moved ones change their date.

    With `timeline` (a change to the record's timeline alone) the record and its steps are
    not read again, the deadlines staff added, which no step moves, are kept as they stand,
    and a step the rules say moves nothing writes nothing."""
    model = RECORD_MODELS.get(record_type)
    if model is None or record_id is None:
        return
    steps: Sequence[StatusChange] | None = None
    if timeline is not None:
        record, steps = timeline.record, timeline.steps
        if isinstance(record, DraftLaw) and rules.same_law_deadlines(
            record, timeline.status_before, timeline.steps_before, steps
        ):
            return
    else:
        record = (
            model.objects.select_related(*(["legal_basis"] if model is TaxMeasure else []))
            .filter(pk=record_id)
            .first()
        )
    if record is None:
        Deadline.objects.filter(record_type=record_type, record_id=record_id).delete()
        return
    content_type = ContentType.objects.get_for_model(model)
    keep_manual = timeline is not None
    computed = {d.key: d for d in _computed(record, steps, manual=not keep_manual)}
    existing = {row.key: row for row in _STORED.instances(type=record_type, record=record_id)}
    stale = [
        row.pk
        for key, row in existing.items()
        if key not in computed and not (keep_manual and row.manual_id is not None)
    ]
    if stale:
        Deadline.objects.filter(pk__in=stale).delete()
    for key, deadline in computed.items():
        values = {
            "content_type": content_type,
            "record_id": record_id,
            "record_type": record_type,
            "kind": deadline.kind,
            "label": deadline.label[:300],
            "due_on": deadline.due_on,
            "unknown_because": deadline.unknown_because,
            "counts_from": [*deadline.counts_from, *_extra(deadline)],
            "legal_basis": deadline.legal_basis[:300],
            "source_url": deadline.source_url,
            "obliged": deadline.obliged,
            "manual_id": deadline.manual_id,
            "responsible_id": deadline.responsible_id,
        }
        row = existing.get(key)
        if row is None:
            Deadline.objects.create(key=key, **values)
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.save()


def _extra(deadline: rules.ComputedDeadline) -> list[dict[str, Any]]:
    # A condition ("or the day the register starts") is part of what the date counts from.
    condition = deadline.extra.get("condition")
    return [{"what": "condition", "date": None, "condition": condition}] if condition else []


def forget_deadlines(record_type: str, record_id: int | None) -> None:
    """A deleted record's deadlines, computed and manual, go with it."""
    model = RECORD_MODELS.get(record_type)
    if model is None or record_id is None:
        return
    Deadline.objects.filter(record_type=record_type, record_id=record_id).delete()
    ManualDeadline.objects.filter(
        content_type=ContentType.objects.get_for_model(model), record_id=record_id
    ).delete()


def refresh_all_deadlines() -> int:
    """Rebuild every record's deadlines (after loading data that bypassed the services, and
    daily as a safety net); returns how many deadlines there are."""
    with transaction.atomic():
        for record_type, model in RECORD_MODELS.items():
            ids = set(model.objects.values_list("pk", flat=True))
            ids |= set(
                Deadline.objects.filter(record_type=record_type).values_list("record_id", flat=True)
            )
            for record_id in sorted(ids):
                refresh_deadlines(record_type, record_id)
    return Deadline.objects.count()


# --- Deadlines staff add ----------------------------------------------------------------------

MANUAL_FIELDS = ("title", "due_on", "legal_basis", "source_url", "responsible", "note", "done_on")


def _clean_manual(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    cleaned = dict(values)
    for name in ("title", "legal_basis", "source_url", "note"):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    if not cleaned.get("title"):
        errors["title"] = _("Say what is due.")
    elif len(cleaned["title"]) > MAX_TITLE:
        errors["title"] = _("Keep it under %(limit)s characters.") % {"limit": MAX_TITLE}
    if not isinstance(cleaned.get("due_on"), datetime.date):
        errors["due_on"] = _("Give the date it is due, YYYY-MM-DD.")
    if not cleaned.get("legal_basis"):
        errors["legal_basis"] = _("Name what sets the deadline (a law, a resolution...).")
    elif len(cleaned["legal_basis"]) > MAX_TITLE:
        errors["legal_basis"] = _("Keep it under %(limit)s characters.") % {"limit": MAX_TITLE}
    try:
        URLValidator(schemes=["http", "https"])(cleaned.get("source_url") or "")
    except ValidationError:
        errors["source_url"] = _("Give the link to the source that sets the deadline.")
    responsible = cleaned.get("responsible")
    if responsible is not None and not getattr(responsible, "is_staff", False):
        errors["responsible"] = _("The responsible person must be a staff member.")
    done_on = cleaned.get("done_on")
    if done_on is not None and done_on > timezone.localdate():
        errors["done_on"] = _("This date is in the future; give the date it happened.")
    unknown = set(cleaned) - set(MANUAL_FIELDS)
    if unknown:
        errors["__all__"] = _("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))}
    if errors:
        raise ValidationError(errors)
    return cleaned


def manual_deadline_create(
    *, record: TrackedRecord, actor: AbstractBaseUser | None, **values: Any
) -> ManualDeadline:
    """Add a deadline by hand to `record`: what is due, when, what sets it and its source."""
    cleaned = _clean_manual({"note": "", "responsible": None, "done_on": None, **values})
    with transaction.atomic():
        deadline = ManualDeadline.objects.create(
            content_type=ContentType.objects.get_for_model(type(record)),
            record_id=record.pk,
            created_by=actor if actor is not None and actor.is_authenticated else None,
            **cleaned,
        )
        # The record's `updated` event refreshes its deadlines and tells partners.
        record_update(record=record, values={}, actor=actor, related_changed=["deadlines"])
    return deadline


def manual_deadline_update(
    *, deadline: ManualDeadline, actor: AbstractBaseUser | None, values: dict[str, Any]
) -> ManualDeadline:
    """Change a manual deadline (its date, its source; `done_on` once it is met)."""
    current = {name: getattr(deadline, name) for name in MANUAL_FIELDS}
    cleaned = _clean_manual({**current, **values})
    with transaction.atomic():
        locked = ManualDeadline.objects.select_for_update().get(pk=deadline.pk)
        for name, value in cleaned.items():
            setattr(locked, name, value)
            setattr(deadline, name, value)
        locked.save()
        record_update(record=locked.record, values={}, actor=actor, related_changed=["deadlines"])
    return deadline


def manual_deadline_delete(*, deadline: ManualDeadline, actor: AbstractBaseUser | None) -> None:
    with transaction.atomic():
        record = deadline.record
        ManualDeadline.objects.filter(pk=deadline.pk).delete()
        if record is not None:
            record_update(record=record, values={}, actor=actor, related_changed=["deadlines"])


# --- Alerts ----------------------------------------------------------------------------------


def alert_data(row: Deadline, *, today: datetime.date) -> dict[str, Any]:
    """What an alert event tells of the deadline (in English; codes for machines)."""
    standing = rules.state_of(row.due_on, row.obliged, row.kind, today)
    return {
        "deadline": row.key,
        "kind": row.kind,
        "title": rules.title_of(row.kind, row.label),
        "due_on": row.due_on.isoformat() if row.due_on else None,
        "legal_basis": row.legal_basis,
        "counts_from": row.counts_from,
        "source_url": row.source_url,
        "days_left": standing.days_left,
        "days_overdue": standing.days_overdue,
        "deemed_approved": standing.deemed_approved,
    }


def _alert(row: Deadline, kind: str, today: datetime.date) -> bool:
    """Send one alert unless it was sent for this deadline, kind and date; True if sent."""
    try:
        with transaction.atomic():
            alert = DeadlineAlert.objects.create(key=row.key, kind=kind, due_on=row.due_on)
            action = APPROACHING if kind == AlertKind.APPROACHING else MISSED
            with translation.override("en"):
                data = alert_data(row, today=today)
            with translation.override("uk"):
                data["title_uk"] = rules.title_of(row.kind, row.label)
            event = emit_event(
                type=f"{row.record_type}.{action}",
                record_type=row.record_type,
                record_id=row.record_id,
                data=data,
            )
            DeadlineAlert.objects.filter(pk=alert.pk).update(event=event)
    except IntegrityError:
        return False  # sent before, by this job or another run of it
    return True


def send_deadline_alerts(
    *, today: datetime.date | None = None, days_before: int | None = None
) -> dict[str, int]:
    """Announce each deadline once when it comes within `days_before` days, and each
    deadline someone had to meet once when its date has passed. A deadline whose date moved
    is announced again; nothing else is ever sent twice (`DeadlineAlert` keeps what was
    sent, and its unique key holds even when two runs overlap)."""
    today = today or timezone.localdate()
    days_before = approaching_days() if days_before is None else days_before
    horizon = today + datetime.timedelta(days=days_before)
    sent = {APPROACHING: 0, MISSED: 0}

    def already(kind: str) -> Exists:
        return Exists(
            DeadlineAlert.objects.filter(key=OuterRef("key"), kind=kind, due_on=OuterRef("due_on"))
        )

    # Only what is still to be sent: a deadline missed long ago costs nothing on later runs.
    candidates = (
        Deadline.objects.filter(due_on__isnull=False, due_on__lte=horizon)
        .filter(
            (Q(due_on__gte=today) & ~already(AlertKind.APPROACHING))
            | (Q(due_on__lt=today, obliged=True) & ~already(AlertKind.MISSED))
        )
        .order_by("due_on", "id")
    )
    for row in candidates.iterator():
        if row.due_on >= today:
            sent[APPROACHING] += _alert(row, AlertKind.APPROACHING, today)
        elif row.obliged:
            sent[MISSED] += _alert(row, AlertKind.MISSED, today)
    return sent
