"""A draft law's identifiers, numbers, relations, committees and entries into force.

Every write validates, runs in one transaction and leaves a `law.updated` event (through
`record_update`, so partners see it in the feed and as a webhook). Relations change both bills,
so both get an event.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.models import (
    DatePrecision,
    DraftLaw,
    EntryIntoForce,
    LawCommittee,
    LawRelation,
    RegistrationNumber,
    RelationKind,
    StatusChange,
    TaxMeasure,
)
from tracker.workflows import LAW_ADOPTED, LawStatus, TaxMeasureStatus

from .records import record_update

# The identifier and procedure fields `set_law_identifiers` writes.
IDENTIFIER_FIELDS = frozenset(
    {
        "registration_number",
        "registration_date",
        "act_number",
        "act_date",
        "convocation",
        "is_urgent",
        "shortened_procedure",
        "needs_constitutional_majority",
        "lead_committee",
        "lead_committee_received_on",
    }
)
# Relations that read the same from both ends (or whose reverse would say the same thing).
SYMMETRIC_RELATIONS = frozenset({RelationKind.PACKAGE_WITH, RelationKind.ALTERNATIVE_TO})
# Any constant works; it only has to be the same for every writer of registration numbers.
NUMBER_LOCK = 7_311_204_118
MAX_NUMBER_LENGTH = 32
MAX_NAME_LENGTH = 300


def _lock_numbers() -> None:
    """Serialize writers of registration numbers: a number is unique across two tables."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [NUMBER_LOCK])


def _lock(law: DraftLaw) -> DraftLaw:
    return DraftLaw.objects.select_for_update().get(pk=law.pk)


def _describe(law: DraftLaw) -> str:
    number = (
        _("No. %(number)s ") % {"number": law.registration_number}
        if law.registration_number
        else ""
    )
    return _("bill %(number)s'%(title)s' (id %(id)s)") % {
        "number": number,
        "title": law.title_en,
        "id": law.pk,
    }


def _not_in_future(name: str, value: datetime.date | None) -> None:
    if value is not None and value > timezone.localdate():
        raise ValidationError({name: _("This date is in the future; give the date it happened.")})


def _touch(law: DraftLaw, actor: AbstractBaseUser | None, *changed: str) -> None:
    """Leave the `law.updated` event for collections already written in this transaction."""
    record_update(record=law, values={}, actor=actor, related_changed=changed)


def number_holder(number: str, *, exclude: DraftLaw | None = None) -> tuple[DraftLaw, str] | None:
    """The bill that has `number` (current or earlier), and which, if any other than `exclude`."""
    current = DraftLaw.objects.filter(registration_number=number)
    earlier = RegistrationNumber.objects.filter(number=number).select_related("law")
    if exclude is not None:
        current = current.exclude(pk=exclude.pk)
        earlier = earlier.exclude(law=exclude)
    law = current.first()
    if law is not None:
        return law, "current"
    row = earlier.first()
    if row is not None:
        return row.law, "earlier"
    return None


def _require_free(number: str, *, law: DraftLaw, field: str) -> None:
    held = number_holder(number, exclude=law)
    if held is not None:
        holder, which = held
        raise ValidationError(
            {
                field: (
                    _(
                        "Number %(number)s is already the current number of %(bill)s; "
                        "a registration number belongs to one bill only."
                    )
                    if which == "current"
                    else _(
                        "Number %(number)s is already the earlier number of %(bill)s; "
                        "a registration number belongs to one bill only."
                    )
                )
                % {"number": number, "bill": _describe(holder)}
            },
            code="unique",
        )


def _clean_number(value: Any, field: str) -> str:
    number = str(value or "").strip()
    if not number:
        raise ValidationError({field: _("Give the registration number, e.g. 1234 or 1234-д.")})
    if len(number) > MAX_NUMBER_LENGTH:
        raise ValidationError(
            {field: _("Keep the number under %(limit)s characters.") % {"limit": MAX_NUMBER_LENGTH}}
        )
    return number


# --- Identifiers ---------------------------------------------------------------------------


def set_law_identifiers(
    *, law: DraftLaw, actor: AbstractBaseUser | None, **fields: Any
) -> list[str]:
    """Set the bill's numbers, act, convocation, urgency and main committee; returns changes."""
    unknown = sorted(set(fields) - IDENTIFIER_FIELDS)
    if unknown:
        raise ValidationError(
            {name: _("This field is not an identifier of the bill.") for name in unknown}
        )
    for name in ("act_date", "registration_date", "lead_committee_received_on"):
        if isinstance(fields.get(name), datetime.date):
            _not_in_future(name, fields[name])
    if "convocation" in fields and fields["convocation"] is not None:
        value = fields["convocation"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 99:
            raise ValidationError({"convocation": _("Give the convocation as a number, e.g. 9.")})
    for name in ("act_number", "lead_committee"):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    with transaction.atomic():
        if fields.get("registration_number"):
            number = _clean_number(fields["registration_number"], "registration_number")
            fields["registration_number"] = number
            _lock_numbers()
            if law.other_numbers.filter(number=number).exists():
                raise ValidationError(
                    {
                        "registration_number": _(
                            "%(number)s is an earlier number of this bill; remove it from the "
                            "earlier numbers before making it the current one."
                        )
                        % {"number": number}
                    }
                )
            _require_free(number, law=law, field="registration_number")
        return record_update(record=law, values=fields, actor=actor)


# --- Registration numbers ------------------------------------------------------------------


def add_registration_number(
    *,
    law: DraftLaw,
    number: str,
    actor: AbstractBaseUser | None,
    registered_on: datetime.date | None = None,
    note: str = "",
) -> RegistrationNumber:
    """Record a number the bill had before its current one (1234 before the reworked 1234-д)."""
    number = _clean_number(number, "number")
    _not_in_future("registered_on", registered_on)
    note = (note or "").strip()
    if len(note) > MAX_NAME_LENGTH:
        raise ValidationError(
            {"note": _("Keep the note under %(limit)s characters.") % {"limit": MAX_NAME_LENGTH}}
        )
    with transaction.atomic():
        locked = _lock(law)
        _lock_numbers()
        if locked.registration_number == number:
            raise ValidationError(
                {
                    "number": _("%(number)s is already this bill's current number.")
                    % {"number": number}
                }
            )
        if locked.other_numbers.filter(number=number).exists():
            raise ValidationError(
                {
                    "number": _("%(number)s is already an earlier number of this bill.")
                    % {"number": number}
                }
            )
        _require_free(number, law=locked, field="number")
        try:
            with transaction.atomic():
                row = RegistrationNumber.objects.create(
                    law=locked, number=number, registered_on=registered_on, note=note
                )
        except IntegrityError:
            raise ValidationError(
                {
                    "number": _("Number %(number)s was just given to another bill.")
                    % {"number": number}
                },
                code="unique",
            ) from None
        _touch(law, actor, "registration_numbers")
    return row


def remove_registration_number(
    *, law: DraftLaw, number: str, actor: AbstractBaseUser | None
) -> None:
    """Forget an earlier number recorded by mistake (the current one changes by an update)."""
    number = str(number or "").strip()
    with transaction.atomic():
        locked = _lock(law)
        deleted = RegistrationNumber.objects.filter(law=locked, number=number).delete()[0]
        if not deleted:
            message = (
                _(
                    "%(number)s is not an earlier number of this bill. It is the current "
                    "number: change it on the bill instead."
                )
                if locked.registration_number == number
                else _("%(number)s is not an earlier number of this bill.")
            )
            raise ValidationError({"number": message % {"number": number}})
        _touch(law, actor, "registration_numbers")


# --- Relations -----------------------------------------------------------------------------


def _lock_both(law: DraftLaw, other: DraftLaw) -> None:
    # Always in id order, so two writers relating the same pair cannot deadlock.
    list(DraftLaw.objects.select_for_update().filter(pk__in=[law.pk, other.pk]).order_by("pk"))


def _check_kind(kind: str) -> None:
    if kind not in RelationKind.values:
        raise ValidationError(
            {
                "kind": _("'%(kind)s' is not a relation; use one of %(kinds)s.")
                % {"kind": kind, "kinds": ", ".join(RelationKind.values)}
            }
        )


def relate_laws(
    *,
    law: DraftLaw,
    kind: str,
    other: DraftLaw,
    actor: AbstractBaseUser | None,
    note: str = "",
) -> LawRelation:
    """Record that `law` is `kind` `other` (e.g. 1234-1 is an alternative to 1234)."""
    _check_kind(kind)
    if other is None or other.pk == law.pk:
        raise ValidationError({"other": _("A bill cannot be related to itself.")})
    note = (note or "").strip()
    if len(note) > MAX_NAME_LENGTH:
        raise ValidationError(
            {"note": _("Keep the note under %(limit)s characters.") % {"limit": MAX_NAME_LENGTH}}
        )
    label = RelationKind(kind).label
    with transaction.atomic():
        _lock_both(law, other)
        if LawRelation.objects.filter(law=law, kind=kind, other=other).exists():
            raise ValidationError(
                {
                    "other": _("This bill is already recorded as %(label)s %(bill)s.")
                    % {"label": label, "bill": _describe(other)}
                },
                code="unique",
            )
        if LawRelation.objects.filter(law=other, kind=kind, other=law).exists():
            message = (
                _("%(bill)s is already recorded as %(label)s this bill, which says the same.")
                if kind in SYMMETRIC_RELATIONS
                else _(
                    "%(bill)s is already recorded as %(label)s this bill; a relation of this "
                    "kind cannot run both ways."
                )
            ) % {"bill": _describe(other).capitalize(), "label": label}
            raise ValidationError({"other": message}, code="unique")
        relation = LawRelation.objects.create(law=law, kind=kind, other=other, note=note)
        _touch(law, actor, "relations")
        _touch(other, actor, "relations")
    return relation


def unrelate_laws(
    *, law: DraftLaw, kind: str, other: DraftLaw, actor: AbstractBaseUser | None
) -> None:
    """Remove a relation recorded by mistake; a symmetric one is found from either end."""
    _check_kind(kind)
    with transaction.atomic():
        _lock_both(law, other)
        match = Q(law=law, kind=kind, other=other)
        if kind in SYMMETRIC_RELATIONS:
            match |= Q(law=other, kind=kind, other=law)
        deleted = LawRelation.objects.filter(match).delete()[0]
        if not deleted:
            raise ValidationError(
                {
                    "other": _("This bill is not recorded as %(label)s that bill.")
                    % {"label": RelationKind(kind).label}
                }
            )
        _touch(law, actor, "relations")
        _touch(other, actor, "relations")


# --- Committees ----------------------------------------------------------------------------


def add_committee(
    *,
    law: DraftLaw,
    name: str,
    actor: AbstractBaseUser | None,
    received_on: datetime.date | None = None,
) -> LawCommittee:
    """Record another committee (beside the main one) the bill was sent to, and when."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the committee's name.")})
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            {"name": _("Keep the name under %(limit)s characters.") % {"limit": MAX_NAME_LENGTH}}
        )
    _not_in_future("received_on", received_on)
    with transaction.atomic():
        locked = _lock(law)
        if locked.lead_committee.strip().casefold() == name.casefold():
            raise ValidationError({"name": _("This is the bill's main committee.")})
        if locked.other_committees.filter(name__iexact=name).exists():
            raise ValidationError({"name": _("This committee is already recorded for the bill.")})
        committee = LawCommittee.objects.create(law=locked, name=name, received_on=received_on)
        _touch(law, actor, "other_committees")
    return committee


def remove_committee(
    *, law: DraftLaw, committee: LawCommittee | int, actor: AbstractBaseUser | None
) -> None:
    pk = committee.pk if isinstance(committee, LawCommittee) else committee
    with transaction.atomic():
        locked = _lock(law)
        deleted = LawCommittee.objects.filter(law=locked, pk=pk).delete()[0]
        if not deleted:
            raise ValidationError({"committee": _("This committee is not recorded for the bill.")})
        _touch(law, actor, "other_committees")


# --- Entry into force ----------------------------------------------------------------------


def publication_date(law: DraftLaw) -> tuple[datetime.date, str] | None:
    """The date (and its precision) of the law's active publication step, if one is known."""
    step = (
        StatusChange.objects.filter(
            content_type__app_label=DraftLaw._meta.app_label,
            content_type__model=DraftLaw._meta.model_name,
            record_id=law.pk,
            is_active=True,
            to_status=LawStatus.PUBLISHED,
            occurred_on__isnull=False,
        )
        .order_by("-position", "-id")
        .values_list("occurred_on", "date_precision")
        .first()
    )
    return (step[0], step[1]) if step else None


def sync_effective_date(law: DraftLaw) -> datetime.date | None:
    """Set `effective_date` to the earliest dated entry into force; returns it."""
    earliest = EntryIntoForce.objects.filter(law=law, on__isnull=False).aggregate(on=Min("on"))[
        "on"
    ]
    DraftLaw.objects.filter(pk=law.pk).update(effective_date=earliest)
    law.effective_date = earliest
    return earliest


def add_entry_into_force(
    *,
    law: DraftLaw,
    actor: AbstractBaseUser | None,
    provisions: str = "",
    on: datetime.date | None = None,
    condition: str = "",
) -> EntryIntoForce:
    """Record when the law (or some of its provisions) enters into force: a date, a condition,
    or both (whichever comes first)."""
    provisions, condition = (provisions or "").strip(), (condition or "").strip()
    errors: dict[str, str] = {}
    if on is None and not condition:
        errors["on"] = _("Give the date, the condition, or both.")
    if len(provisions) > MAX_NAME_LENGTH:
        errors["provisions"] = _("Keep the provisions under %(limit)s characters.") % {
            "limit": MAX_NAME_LENGTH
        }
    if len(condition) > 500:
        errors["condition"] = _("Keep the condition under %(limit)s characters.") % {"limit": 500}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock(law)
        published = publication_date(locked)
        if on is not None and published is not None:
            day, precision = published
            if on < day:
                shown = day.strftime("%Y-%m") if precision == DatePrecision.MONTH else str(day)
                raise ValidationError(
                    {
                        "on": _(
                            "A law never enters into force before its publication (%(date)s); "
                            "check the date."
                        )
                        % {"date": shown}
                    }
                )
        entry = EntryIntoForce.objects.create(
            law=locked, provisions=provisions, on=on, condition=condition
        )
        before = locked.effective_date
        sync_effective_date(law)
        changed = ["entries_into_force"]
        if law.effective_date != before:
            changed.append("effective_date")
        _touch(law, actor, *changed)
    return entry


def remove_entry_into_force(
    *, law: DraftLaw, entry: EntryIntoForce | int, actor: AbstractBaseUser | None
) -> None:
    pk = entry.pk if isinstance(entry, EntryIntoForce) else entry
    with transaction.atomic():
        locked = _lock(law)
        entries = list(EntryIntoForce.objects.filter(law=locked).values_list("pk", flat=True))
        if pk not in entries:
            raise ValidationError(
                {"entry": _("This entry into force is not recorded for the law.")}
            )
        if locked.status == LawStatus.IN_FORCE and len(entries) == 1:
            raise ValidationError(
                {
                    "entry": _(
                        "A law in force keeps at least one entry into force; add the right "
                        "one before removing this one."
                    )
                }
            )
        EntryIntoForce.objects.filter(pk=pk).delete()
        before = locked.effective_date
        sync_effective_date(law)
        changed = ["entries_into_force"]
        if law.effective_date != before:
            changed.append("effective_date")
        _touch(law, actor, *changed)


# --- Tax measures that follow a law --------------------------------------------------------


def measures_to_follow(law: DraftLaw) -> list[tuple[TaxMeasure, str]]:
    """Tax measures resting on `law` whose status lags behind it, each with the status to move
    it to. Nothing moves by itself: staff confirm each one."""
    adopted = law.status in LAW_ADOPTED
    in_force = law.status == LawStatus.IN_FORCE
    if not adopted:
        return []
    measures = TaxMeasure.objects.filter(legal_bases=law, archived_at__isnull=True).order_by("id")
    result: list[tuple[TaxMeasure, str]] = []
    for measure in measures:
        target = None
        if measure.status in (TaxMeasureStatus.PROPOSED, TaxMeasureStatus.IN_DRAFT_LAW):
            target = TaxMeasureStatus.ADOPTED
        elif in_force and measure.status == TaxMeasureStatus.ADOPTED:
            target = TaxMeasureStatus.IN_EFFECT
        if target is not None and measure.workflow.is_allowed(measure.status, target):
            result.append((measure, str(target)))
    return result
