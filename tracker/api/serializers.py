"""Representations of records for the API.

Output serializers are plain `Serializer`s over querysets from `tracker.selectors.api_*`,
which prefetch every related collection through visibility; serializers never query.
Staff-only fields (`internal_notes`, `exact_site`, `contacts`) are dropped unless the caller
is staff; in the schema they are optional properties.
"""

from __future__ import annotations

import datetime
import json
from types import SimpleNamespace
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from tracker import deadlines as deadline_rules
from tracker import selectors
from tracker.events import EVENT_TYPES, event_object
from tracker.models import (
    RECORD_MODELS,
    RELATION_INVERSE_LABELS,
    Currency,
    DatePrecision,
    DeadlineKind,
    DocumentKind,
    Initiator,
    ProceduralEventKind,
    ProductCategory,
    ProgrammeKind,
    RelationKind,
    StatusChange,
    TaxMeasureKind,
    Visibility,
    parse_date_as_known,
)
from tracker.workflows import (
    FACILITY_WORKFLOW,
    LAW_WORKFLOW,
    PARTNER_WORKFLOW,
    TAX_MEASURE_WORKFLOW,
    CooperationStatus,
    FacilityStatus,
    LawStatus,
    TaxMeasureStatus,
    Workflow,
)

from .fields import (
    MAX_ID,
    IdField,
    RecordURLField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    url_prefix,
)


class NamedChoiceField(serializers.ChoiceField):
    """A choice field documented as a named enum component (the choices class's name)."""

    def __init__(self, choices_class: type, **kwargs: Any) -> None:
        self.choices_class = choices_class
        super().__init__(choices=choices_class.choices, **kwargs)


class TimelineEntryState(models.TextChoices):
    ACTIVE = "active", "active"
    CORRECTED = "corrected", "corrected"
    RETRACTED = "retracted", "retracted"


# --- Input -------------------------------------------------------------------------------


class StrictInputSerializer(serializers.Serializer):
    """Rejects fields it does not know and fields that are read-only, naming them."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            errors: dict[str, list[str]] = {}
            for name in data:
                field = self.fields.get(name)
                if field is None:
                    errors[name] = [_("Unknown field.")]
                elif field.read_only:
                    errors[name] = [_("This field is read-only.")]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


DATE_AS_KNOWN_PATTERN = r"^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$"


@extend_schema_field(
    {
        "type": "string",
        "nullable": True,
        "pattern": DATE_AS_KNOWN_PATTERN,
        "description": "The date as far as it is known: YYYY-MM-DD, YYYY-MM (the month only), "
        "or null (not known).",
    }
)
class DateAsKnownField(serializers.Field):
    """'2025-07-01' (a day), '2025-07' (a month) or null (not known) -> (date, precision)."""

    default_error_messages = {
        "invalid": gettext_lazy(
            "Give the date as YYYY-MM-DD, the month as YYYY-MM, or null if it is not known."
        )
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> tuple[datetime.date, str]:
        if not isinstance(data, str) or not data.strip():
            self.fail("invalid")
        try:
            return parse_date_as_known(data)
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value: Any) -> Any:
        return value


def _vote_field(help_text: str) -> StrictIntegerField:
    return StrictIntegerField(
        required=False, allow_null=True, min_value=0, max_value=450, help_text=help_text
    )


def _votes() -> dict[str, serializers.Field]:
    return {
        "votes_for": _vote_field("Votes for."),
        "votes_against": _vote_field("Votes against."),
        "abstained": _vote_field("Abstained."),
        "not_voting": _vote_field("Present but did not vote."),
        "present": _vote_field("Members present (registered) for the vote."),
    }


def _date_fields(default_help: str) -> dict[str, serializers.Field]:
    return {
        "occurred_on": DateAsKnownField(required=False, help_text=default_help),
        "date_precision": NamedChoiceField(
            DatePrecision,
            required=False,
            help_text="How much of the date is known; by default what `occurred_on` gives "
            "(a day, a month, or unknown for null).",
        ),
    }


def known_date(data: dict[str, Any], *, default_today: bool) -> dict[str, Any]:
    """`occurred_on` and `date_precision` of validated input, as the services take them.

    Absent `occurred_on` means today when `default_today`, else it is left out.
    """
    explicit = data.get("date_precision")
    if "occurred_on" not in data:
        if not default_today:
            return {"date_precision": explicit} if explicit else {}
        if explicit == DatePrecision.UNKNOWN:
            return {"occurred_on": None, "date_precision": explicit}
        return {"occurred_on": timezone.localdate(), "date_precision": explicit}
    value = data["occurred_on"]
    if value is None:
        if explicit not in (None, DatePrecision.UNKNOWN):
            raise serializers.ValidationError(
                {
                    "occurred_on": _(
                        "Give the date (or the month) that is known, or leave date_precision out."
                    )
                }
            )
        return {"occurred_on": None, "date_precision": DatePrecision.UNKNOWN}
    on, precision = value
    if explicit == DatePrecision.DAY and precision == DatePrecision.MONTH:
        raise serializers.ValidationError(
            {"occurred_on": _("This is a month: give the day, or say date_precision is month.")}
        )
    if explicit == DatePrecision.UNKNOWN:
        raise serializers.ValidationError(
            {"occurred_on": _("Leave the date out (null) when it is not known.")}
        )
    return {"occurred_on": on, "date_precision": explicit or precision}


def transition_input_serializer(name: str, statuses: type) -> type[serializers.Serializer]:
    """The body of POST <resource>/<id>/transitions/, with the resource's status enum."""
    attrs = {
        "to": serializers.ChoiceField(choices=statuses.choices, help_text="The new status."),
        **_date_fields(
            "When it happened in the real world: YYYY-MM-DD, YYYY-MM (month known) or null "
            "(date not known); absent means today. Not in the future. A step dated before "
            "later steps takes its place among them."
        ),
        "note": StrictCharField(required=False, allow_blank=True, max_length=5000),
        "source_url": serializers.URLField(required=False, allow_blank=True, max_length=500),
        **_votes(),
        "expected_status": serializers.ChoiceField(
            choices=statuses.choices,
            required=False,
            help_text="The status you saw; if the record has moved since, the answer is 409.",
        ),
        "reopening": StrictBooleanField(
            required=False,
            default=False,
            help_text="The record comes back from an end that proved not final; the note "
            "must say why.",
        ),
        "after_step": StrictIntegerField(
            required=False,
            allow_null=True,
            min_value=1,
            max_value=MAX_ID,
            help_text="Id of the step this one directly follows on the timeline (for a step "
            "learned late whose date is not known).",
        ),
    }
    return type(name, (StrictInputSerializer,), attrs)


class ProceduralEventInputSerializer(StrictInputSerializer):
    kind = NamedChoiceField(ProceduralEventKind)
    title = StrictCharField(required=False, allow_blank=True, max_length=300)
    occurred_on = DateAsKnownField(
        required=False,
        help_text="YYYY-MM-DD, YYYY-MM (month known) or null (date not known); absent means today.",
    )
    date_precision = NamedChoiceField(DatePrecision, required=False)
    note = StrictCharField(required=False, allow_blank=True, max_length=5000)
    source_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    votes_for = _vote_field("For a failed vote: votes for.")
    votes_against = _vote_field("Votes against.")
    abstained = _vote_field("Abstained.")
    not_voting = _vote_field("Present but did not vote.")
    present = _vote_field("Members present.")
    after_step = StrictIntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="Id of the step this event directly follows on the timeline.",
    )


class CorrectionInputSerializer(StrictInputSerializer):
    reason = StrictCharField(max_length=5000, help_text="Why the entry is corrected.")
    occurred_on = DateAsKnownField(
        required=False, help_text="The right date: YYYY-MM-DD, YYYY-MM or null (not known)."
    )
    date_precision = NamedChoiceField(DatePrecision, required=False)
    note = StrictCharField(required=False, allow_blank=True, max_length=5000)
    source_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    votes_for = _vote_field("Votes for.")
    votes_against = _vote_field("Votes against.")
    abstained = _vote_field("Abstained.")
    not_voting = _vote_field("Present but did not vote.")
    present = _vote_field("Members present.")
    kind = NamedChoiceField(
        ProceduralEventKind, required=False, help_text="Procedural events only."
    )
    title = StrictCharField(
        required=False, allow_blank=True, max_length=300, help_text="Procedural events only."
    )


class RetractionInputSerializer(StrictInputSerializer):
    reason = StrictCharField(max_length=5000, help_text="Why the entry is retracted.")


class LawIdentifiersInputSerializer(StrictInputSerializer):
    """PATCH laws/<id>/ (staff): the bill's identifiers and procedure."""

    registration_number = StrictCharField(
        required=False, allow_null=True, allow_blank=True, max_length=32
    )
    registration_date = serializers.DateField(required=False, allow_null=True)
    convocation = StrictIntegerField(required=False, allow_null=True, min_value=1, max_value=99)
    act_number = StrictCharField(required=False, allow_blank=True, max_length=32)
    act_date = serializers.DateField(required=False, allow_null=True)
    is_urgent = StrictBooleanField(required=False)
    shortened_procedure = StrictBooleanField(required=False)
    needs_constitutional_majority = StrictBooleanField(required=False)
    lead_committee = StrictCharField(required=False, allow_blank=True, max_length=300)
    lead_committee_received_on = serializers.DateField(required=False, allow_null=True)


class RegistrationNumberInputSerializer(StrictInputSerializer):
    number = StrictCharField(max_length=32, help_text="An earlier number, e.g. 1234.")
    registered_on = serializers.DateField(required=False, allow_null=True)
    note = StrictCharField(required=False, allow_blank=True, max_length=300)


class RelationInputSerializer(StrictInputSerializer):
    kind = NamedChoiceField(RelationKind, help_text="This bill is <kind> the other.")
    other = StrictIntegerField(min_value=1, max_value=MAX_ID, help_text="Id of the other bill.")
    note = StrictCharField(required=False, allow_blank=True, max_length=300)


class CommitteeInputSerializer(StrictInputSerializer):
    name = StrictCharField(max_length=300)
    received_on = serializers.DateField(required=False, allow_null=True)


class EntryIntoForceInputSerializer(StrictInputSerializer):
    provisions = StrictCharField(required=False, allow_blank=True, max_length=300)
    on = serializers.DateField(required=False, allow_null=True)
    condition = StrictCharField(required=False, allow_blank=True, max_length=500)


# --- Shared output parts -----------------------------------------------------------------


def allowed_transition_serializer(name: str, statuses: type) -> type[serializers.Serializer]:
    return type(
        name,
        (serializers.Serializer,),
        {"to": serializers.ChoiceField(choices=statuses.choices), "label": serializers.CharField()},
    )


TIMELINE_STAFF_FIELDS = frozenset(
    {"state", "correction_reason", "retraction_reason", "retracted_at", "recorded_by"}
)


class TimelineEntrySerializer(serializers.Serializer):
    """One entry of a record's timeline: a status change or a procedural event.

    Staff also read entries that were corrected or retracted, with the staff-only fields;
    everyone else reads the timeline as it stands, without them.
    """

    statuses: type

    def get_fields(self):
        fields = super().get_fields()
        viewer = self.context.get("viewer")
        if not (viewer is not None and viewer.is_staff):
            for name in TIMELINE_STAFF_FIELDS & fields.keys():
                del fields[name]
        return fields

    def to_representation(self, entry) -> dict[str, Any]:
        step = isinstance(entry, StatusChange)
        data: dict[str, Any] = {
            "entry": "status_change" if step else "procedural_event",
            "id": entry.pk,
            "from_status": entry.from_status if step else None,
            "to_status": entry.to_status if step else None,
            "to_label": str(self.statuses(entry.to_status).label) if step else None,
            "is_reopening": entry.is_reopening if step else False,
            "kind": None if step else entry.kind,
            "kind_label": None if step else entry.get_kind_display(),
            "title": "" if step else entry.title,
            "occurred_on": entry.date_text or None,
            "date_precision": entry.date_precision,
            "recorded_at": serializers.DateTimeField().to_representation(entry.recorded_at),
            "note": entry.note,
            "source_url": entry.source_url,
            "votes_for": entry.votes_for,
            "votes_against": entry.votes_against,
            "abstained": entry.abstained,
            "not_voting": entry.not_voting,
            "present": entry.present,
            "corrects": entry.corrects_id,
        }
        fields = self.fields
        if "state" in fields:
            data["state"] = (
                "active"
                if entry.is_active
                else ("retracted" if entry.retracted_at is not None else "corrected")
            )
            data["correction_reason"] = entry.correction_reason
            data["retraction_reason"] = entry.retraction_reason
            data["retracted_at"] = (
                serializers.DateTimeField().to_representation(entry.retracted_at)
                if entry.retracted_at is not None
                else None
            )
            data["recorded_by"] = entry.recorded_by.get_username() if entry.recorded_by else None
        return data


def _staff_timeline(field: serializers.Field) -> serializers.Field:
    field.help_text = f"Staff only; absent for partners and the public. {field.help_text or ''}"
    return field


def history_serializer(name: str, statuses: type) -> type[serializers.Serializer]:
    """A record's timeline entry, with the record type's status enum."""
    attrs = {
        "statuses": statuses,
        "entry": serializers.ChoiceField(
            choices=[("status_change", "status_change"), ("procedural_event", "procedural_event")],
            read_only=True,
            help_text="A status change (a step) or a procedural event (no change of status).",
        ),
        "id": IdField(read_only=True, help_text="Unique per kind of entry."),
        "from_status": serializers.ChoiceField(
            choices=statuses.choices, read_only=True, allow_null=True
        ),
        "to_status": serializers.ChoiceField(
            choices=statuses.choices, read_only=True, allow_null=True
        ),
        "to_label": serializers.CharField(read_only=True, allow_null=True),
        "is_reopening": serializers.BooleanField(
            read_only=True, help_text="A step back from an end that proved not final."
        ),
        "kind": NamedChoiceField(
            ProceduralEventKind,
            read_only=True,
            allow_null=True,
            help_text="Procedural events: what happened.",
        ),
        "kind_label": serializers.CharField(read_only=True, allow_null=True),
        "title": serializers.CharField(read_only=True),
        "occurred_on": serializers.CharField(
            read_only=True,
            allow_null=True,
            help_text="As far as it is known: YYYY-MM-DD, YYYY-MM, or null (not known).",
        ),
        "date_precision": NamedChoiceField(DatePrecision, read_only=True),
        "recorded_at": serializers.DateTimeField(read_only=True),
        "note": serializers.CharField(read_only=True),
        "source_url": serializers.CharField(read_only=True),
        "votes_for": serializers.IntegerField(read_only=True, allow_null=True),
        "votes_against": serializers.IntegerField(read_only=True, allow_null=True),
        "abstained": serializers.IntegerField(read_only=True, allow_null=True),
        "not_voting": serializers.IntegerField(read_only=True, allow_null=True),
        "present": serializers.IntegerField(read_only=True, allow_null=True),
        "corrects": IdField(
            read_only=True,
            allow_null=True,
            help_text="Id of the entry (of the same kind) this one corrected.",
        ),
        "state": _staff_timeline(NamedChoiceField(TimelineEntryState, required=False)),
        "correction_reason": _staff_timeline(serializers.CharField(required=False)),
        "retraction_reason": _staff_timeline(serializers.CharField(required=False)),
        "retracted_at": _staff_timeline(serializers.DateTimeField(required=False, allow_null=True)),
        "recorded_by": _staff_timeline(
            serializers.CharField(required=False, allow_null=True, help_text="Username.")
        ),
    }
    return type(name, (TimelineEntrySerializer,), attrs)


def retraction_result_serializer(name: str, entry_serializer: type) -> type:
    return type(
        name,
        (serializers.Serializer,),
        {
            "status": serializers.CharField(help_text="The record's status after the retraction."),
            "status_label": serializers.CharField(),
            "entry": entry_serializer(help_text="The retracted entry."),
        },
    )


@extend_schema_field({"type": "string", "description": "The status in words."})
class StatusLabelField(serializers.Field):
    """The human label of `status`, from the record's workflow table."""

    def __init__(self, workflow: Workflow, **kwargs: Any) -> None:
        self.workflow = workflow
        kwargs.update(source="status", read_only=True)
        super().__init__(**kwargs)

    def __deepcopy__(self, memo: dict) -> StatusLabelField:
        # The workflow is shared, immutable data (with mapping proxies that cannot be copied).
        return type(self)(self.workflow, **self._kwargs)

    def to_representation(self, value: str) -> str:
        return self.workflow.label(value)


@extend_schema_field({"type": "array", "items": {"type": "string", "pattern": "^[A-Z]{2}$"}})
class PartnerCodesField(serializers.Field):
    """ISO 3166-1 alpha-2 codes of the linked partner countries the caller may see."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, obj) -> list[str]:
        return [str(p.code) for p in obj.visible_partner_list]


class DeadlineState(models.TextChoices):
    RUNNING = "running"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    PASSED = "passed"
    NO_DATE = "no_date"


class DeadlineNoDateReason(models.TextChoices):
    MONTH_ONLY = "month_only"
    DATE_UNKNOWN = "date_unknown"
    CONDITION = "condition"


class CountsFromSerializer(serializers.Serializer):
    what = serializers.CharField(
        help_text="`received_by_president`, `published`, `veto_overridden`, `law_provides`, "
        "`measure_provides`, `planned`, `set_by_staff`, or `condition`."
    )
    label = serializers.CharField(help_text="`what` in words, in the language asked for.")
    date = serializers.CharField(
        allow_null=True, help_text="`2025-10-01`, `2025-10` when only the month is known, or null."
    )
    date_precision = serializers.CharField(required=False)
    condition = serializers.CharField(required=False, help_text="With `what: condition`.")


class DeadlineSerializer(serializers.Serializer):
    """A deadline computed from the record (docs/deadlines.md), as it stands today."""

    key = serializers.CharField(
        help_text="Names the deadline across recomputations, e.g. `law:7:president:2`; the "
        "calendar's UID and the alerts follow it when its date moves."
    )
    kind = NamedChoiceField(DeadlineKind)
    title = serializers.CharField(help_text="What is due, in the language asked for.")
    due_on = serializers.DateField(
        allow_null=True, help_text="Null when the rules give no date (`unknown_because`)."
    )
    state = NamedChoiceField(
        DeadlineState,
        help_text="`overdue`: someone had to act by a date that passed; `passed`: a date that "
        "comes by itself (entry into force, start, sunset) passed.",
    )
    days_left = serializers.IntegerField(allow_null=True)
    days_overdue = serializers.IntegerField(allow_null=True)
    deemed_approved = serializers.BooleanField(
        help_text="The President's 15 days passed with no answer recorded: the law is deemed "
        "approved (Constitution art. 94). Its status is not changed."
    )
    on_weekend = serializers.BooleanField(
        help_text="The date is a Saturday or Sunday; terms are counted in calendar days and "
        "do not move."
    )
    obliged = serializers.BooleanField(help_text="Someone must act by the date.")
    unknown_because = NamedChoiceField(DeadlineNoDateReason, allow_null=True)
    unknown_reason = serializers.CharField(allow_null=True)
    legal_basis = serializers.CharField(allow_blank=True)
    counts_from = CountsFromSerializer(many=True)
    source_url = serializers.CharField(allow_null=True)


# The keys of a `counts_from` item, in the order CountsFromSerializer writes them.
COUNTS_FROM_KEYS = ("what", "label", "date", "date_precision", "condition")


def present_deadlines(rows) -> list[dict[str, Any]]:
    """Stored deadlines as `DeadlineSerializer` writes them (tests/deadlines compares the
    two), without building a serializer per record: `tracker.deadlines.present` already gives
    each field its final value but the date."""
    today = timezone.localdate()
    presented = []
    for row in rows:
        deadline = deadline_rules.present(row, today)
        due_on = deadline["due_on"]
        deadline["due_on"] = due_on.isoformat() if due_on is not None else None
        deadline["counts_from"] = [
            {key: item[key] for key in COUNTS_FROM_KEYS if key in item}
            for item in deadline["counts_from"]
        ]
        presented.append(deadline)
    return presented


@extend_schema_field(DeadlineSerializer(many=True))
class DeadlinesField(serializers.Field):
    """The record's deadlines (one query; list pages load a whole page's at once)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, obj) -> list[dict[str, Any]]:
        stored = getattr(obj, "deadline_rows", None)
        if stored is not None:  # read with the record itself (a law's detail)
            return present_deadlines([_stored_deadline(row) for row in stored])
        viewer = self.context.get("viewer") or selectors.Viewer.public()
        rows = selectors.deadlines_of_records(viewer, obj.record_type, [obj.pk]).get(obj.pk, [])
        return present_deadlines(rows)


def _stored_deadline(row: dict[str, Any]) -> SimpleNamespace:
    """A deadline as a JSON row of the record's own query reads it, typed as the model."""
    counts_from = row["counts_from"]
    if isinstance(counts_from, str):  # SQLite nests a JSON column as its text
        counts_from = json.loads(counts_from)
    due_on = row["due_on"]
    return SimpleNamespace(
        **{
            **row,
            "due_on": datetime.date.fromisoformat(due_on) if due_on else None,
            "counts_from": counts_from,
            "obliged": bool(row["obliged"]),
        }
    )


class RecordSerializer(serializers.Serializer):
    """What every record has; staff-only fields are dropped for everyone else."""

    id = IdField(read_only=True)
    visibility = serializers.ChoiceField(choices=Visibility.choices, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    deadlines = DeadlinesField(
        help_text="What is due on the record and by when (docs/deadlines.md)."
    )

    def get_fields(self):
        fields = super().get_fields()
        viewer = self.context.get("viewer")
        if not (viewer is not None and viewer.is_staff):
            for name in selectors.STAFF_ONLY_FIELDS & fields.keys():
                del fields[name]
        return fields


def _staff_only(field: serializers.Field) -> serializers.Field:
    """Optional in the schema: present for staff callers only."""
    field.help_text = "Staff only; absent for partners and the public."
    return field


class LawSummarySerializer(serializers.Serializer):
    id = IdField(read_only=True)
    url = RecordURLField(view_name="api:law-detail")
    registration_number = serializers.CharField(read_only=True, allow_null=True)
    title_en = serializers.CharField(read_only=True)
    title_uk = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=LawStatus.choices, read_only=True)


class TaxMeasureSummarySerializer(serializers.Serializer):
    id = IdField(read_only=True)
    url = RecordURLField(view_name="api:tax-measure-detail")
    name_en = serializers.CharField(read_only=True)
    name_uk = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=TaxMeasureStatus.choices, read_only=True)


class FacilitySummarySerializer(serializers.Serializer):
    id = IdField(read_only=True)
    url = RecordURLField(view_name="api:facility-detail")
    name_en = serializers.CharField(read_only=True)
    name_uk = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=FacilityStatus.choices, read_only=True)


# --- Laws --------------------------------------------------------------------------------


class LawDocumentSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices, read_only=True)
    title = serializers.CharField(read_only=True)
    url = serializers.URLField(read_only=True)
    published_on = serializers.DateField(read_only=True, allow_null=True)


class RegistrationNumberSerializer(serializers.Serializer):
    number = serializers.CharField(read_only=True)
    registered_on = serializers.DateField(read_only=True, allow_null=True)
    current = serializers.BooleanField(
        read_only=True, help_text="Whether this is the bill's number now."
    )


class LawCommitteeSerializer(serializers.Serializer):
    id = IdField(read_only=True)
    name = serializers.CharField(read_only=True)
    received_on = serializers.DateField(read_only=True, allow_null=True)


class EntryIntoForceSerializer(serializers.Serializer):
    id = IdField(read_only=True)
    provisions = serializers.CharField(
        read_only=True, help_text="Which parts enter into force; empty for the whole law."
    )
    on = serializers.DateField(read_only=True, allow_null=True)
    condition = serializers.CharField(
        read_only=True, help_text="A condition instead of or beside the date (whichever first)."
    )


class LawRelationSerializer(serializers.Serializer):
    kind = NamedChoiceField(RelationKind, read_only=True)
    label = serializers.CharField(
        read_only=True,
        help_text="How the relation reads from this bill, e.g. 'alternative to' or "
        "'has the alternative'.",
    )
    direction = serializers.ChoiceField(
        choices=[("outgoing", "outgoing"), ("incoming", "incoming")],
        read_only=True,
        help_text="`outgoing`: this bill is <label> the other; `incoming`: recorded on the "
        "other bill.",
    )
    note = serializers.CharField(read_only=True)
    law = LawSummarySerializer(read_only=True, help_text="The other bill.")


class RowsField(serializers.Field):
    """A list the query already built in its final shape (`selectors`' `JSONRows`): written
    as it is. `with_url` puts each row's record URL after its id, as a summary shows it."""

    def __init__(self, *, with_url: str | None = None, **kwargs: Any) -> None:
        self.with_url = with_url
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not self.with_url:
            return rows
        return with_urls(rows, url_prefix(self.context.get("request"), self.with_url))


def with_urls(rows: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """Record summaries with each one's URL after its id, as the API writes a summary."""
    return [{"id": row["id"], "url": f"{prefix}{row['id']}/", **row} for row in rows]


def rows_field(schema: serializers.Serializer, **kwargs: Any) -> RowsField:
    """A `RowsField` documented as `schema`."""
    return extend_schema_field(schema)(type("RowsField", (RowsField,), {}))(**kwargs)


def law_relations(law, request) -> list[dict[str, Any]]:
    """Both ends of the bill's relations, each read from this bill (the rows `api_laws`
    annotated: visible bills only)."""
    prefix = url_prefix(request, "api:law-detail")

    def relation(row: dict[str, Any], label: str, direction: str) -> dict[str, Any]:
        (other,) = with_urls([{k: v for k, v in row.items() if k not in ("kind", "note")}], prefix)
        return {"kind": row["kind"], "label": label, "direction": direction,
                "note": row["note"], "law": other}  # fmt: skip

    return [
        relation(row, str(RelationKind(row["kind"]).label), "outgoing") for row in law.relation_rows
    ] + [
        relation(row, str(RELATION_INVERSE_LABELS[RelationKind(row["kind"])]), "incoming")
        for row in law.inverse_relation_rows
    ]


class LawSerializer(RecordSerializer):
    url = RecordURLField(view_name="api:law-detail")
    status = serializers.ChoiceField(choices=LawStatus.choices, read_only=True)
    status_label = StatusLabelField(LAW_WORKFLOW)
    partners = PartnerCodesField()
    registration_number = serializers.CharField(
        read_only=True, allow_null=True, help_text="The bill's current number."
    )
    registration_date = serializers.DateField(read_only=True, allow_null=True)
    convocation = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The Rada's convocation, e.g. 9."
    )
    title_en = serializers.CharField(read_only=True)
    title_uk = serializers.CharField(read_only=True)
    initiator = serializers.ChoiceField(choices=Initiator.choices, read_only=True)
    lead_committee = serializers.CharField(read_only=True, help_text="The main committee.")
    lead_committee_received_on = serializers.DateField(read_only=True, allow_null=True)
    is_urgent = serializers.BooleanField(
        read_only=True, help_text="Marked urgent by the President."
    )
    shortened_procedure = serializers.BooleanField(read_only=True)
    needs_constitutional_majority = serializers.BooleanField(
        read_only=True, help_text="Adoption needs 300 votes (a constitutional amendment)."
    )
    act_number = serializers.CharField(
        read_only=True, help_text="The signed law's number, e.g. 1234-IX; empty until then."
    )
    act_date = serializers.DateField(read_only=True, allow_null=True)
    planned_next_step = serializers.CharField(read_only=True)
    planned_next_step_on = serializers.DateField(read_only=True, allow_null=True)
    effective_date = serializers.DateField(
        read_only=True, allow_null=True, help_text="The first dated entry into force."
    )


class LawDetailSerializer(LawSerializer):
    summary_en = serializers.CharField(read_only=True)
    summary_uk = serializers.CharField(read_only=True)
    registration_numbers = serializers.SerializerMethodField(
        help_text="Every number the bill has had: the current one first, then earlier ones."
    )
    other_committees = rows_field(LawCommitteeSerializer(many=True), source="committee_rows")
    relations = serializers.SerializerMethodField(
        help_text="Related bills you may see, from both ends of each relation."
    )
    entries_into_force = rows_field(
        EntryIntoForceSerializer(many=True), source="entry_into_force_rows"
    )
    documents = rows_field(LawDocumentSerializer(many=True), source="document_rows")
    tax_measures = rows_field(
        TaxMeasureSummarySerializer(many=True),
        source="tax_measure_rows",
        with_url="api:tax-measure-detail",
    )
    facilities = rows_field(
        FacilitySummarySerializer(many=True), source="facility_rows", with_url="api:facility-detail"
    )
    internal_notes = _staff_only(serializers.CharField(required=False))

    @extend_schema_field(RegistrationNumberSerializer(many=True))
    def get_registration_numbers(self, obj) -> list[dict[str, Any]]:
        numbers = []
        if obj.registration_number:
            numbers.append(
                {
                    "number": obj.registration_number,
                    "registered_on": obj.registration_date,
                    "current": True,
                }
            )
        numbers = RegistrationNumberSerializer(numbers, many=True).data
        return numbers + [{**row, "current": False} for row in obj.number_rows]

    @extend_schema_field(LawRelationSerializer(many=True))
    def get_relations(self, obj) -> list[dict[str, Any]]:
        return law_relations(obj, self.context.get("request"))


# --- Tax measures ------------------------------------------------------------------------


class TaxMeasureSerializer(RecordSerializer):
    url = RecordURLField(view_name="api:tax-measure-detail")
    status = serializers.ChoiceField(choices=TaxMeasureStatus.choices, read_only=True)
    status_label = StatusLabelField(TAX_MEASURE_WORKFLOW)
    partners = PartnerCodesField()
    name_en = serializers.CharField(read_only=True)
    name_uk = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=TaxMeasureKind.choices, read_only=True)
    legal_basis = LawSummarySerializer(
        read_only=True, allow_null=True, help_text="The draft law it rests on, if you may see it."
    )
    beneficiaries = serializers.CharField(read_only=True)
    rate_percent = serializers.DecimalField(
        max_digits=6, decimal_places=2, read_only=True, allow_null=True
    )
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True, allow_null=True
    )
    amount_currency = serializers.ChoiceField(
        choices=Currency.choices, read_only=True, allow_blank=True
    )
    other_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=TaxMeasureKind.choices),
        read_only=True,
        help_text="Further kinds of tax the measure covers beside `kind`.",
    )
    starts_on = serializers.DateField(read_only=True, allow_null=True)
    start_condition = serializers.CharField(
        read_only=True,
        help_text="When it starts, if on a condition rather than (or beside) a date.",
    )
    sunset_on = serializers.DateField(read_only=True, allow_null=True)
    sunset_condition = serializers.CharField(
        read_only=True,
        help_text="A condition ending it, e.g. '... or EU accession, whichever first'.",
    )
    estimated_fiscal_cost = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True, allow_null=True
    )
    fiscal_cost_currency = serializers.ChoiceField(
        choices=Currency.choices, read_only=True, allow_blank=True
    )


class TaxMeasureDetailSerializer(TaxMeasureSerializer):
    description_en = serializers.CharField(read_only=True)
    description_uk = serializers.CharField(read_only=True)
    legal_bases = LawSummarySerializer(
        source="visible_legal_bases",
        many=True,
        read_only=True,
        help_text="Every law the measure rests on (the main one included) that you may see.",
    )
    facilities = FacilitySummarySerializer(source="visible_facilities", many=True, read_only=True)
    internal_notes = _staff_only(serializers.CharField(required=False))


# --- Facilities --------------------------------------------------------------------------


class FacilitySerializer(RecordSerializer):
    url = RecordURLField(view_name="api:facility-detail")
    status = serializers.ChoiceField(choices=FacilityStatus.choices, read_only=True)
    status_label = StatusLabelField(FACILITY_WORKFLOW)
    partners = PartnerCodesField()
    name_en = serializers.CharField(read_only=True)
    name_uk = serializers.CharField(read_only=True)
    companies = serializers.CharField(read_only=True)
    country = serializers.CharField(read_only=True, help_text="ISO 3166-1 alpha-2 code.")
    region = serializers.CharField(read_only=True)
    product_category = serializers.ChoiceField(choices=ProductCategory.choices, read_only=True)
    investment = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True, allow_null=True
    )
    investment_currency = serializers.ChoiceField(
        choices=Currency.choices, read_only=True, allow_blank=True
    )
    planned_capacity = serializers.CharField(read_only=True)


class FacilityDetailSerializer(FacilitySerializer):
    description_en = serializers.CharField(read_only=True)
    description_uk = serializers.CharField(read_only=True)
    enabling_laws = LawSummarySerializer(source="visible_enabling_laws", many=True, read_only=True)
    tax_measures = TaxMeasureSummarySerializer(
        source="visible_tax_measures", many=True, read_only=True
    )
    exact_site = _staff_only(serializers.CharField(required=False))
    internal_notes = _staff_only(serializers.CharField(required=False))


# --- Partner countries -------------------------------------------------------------------


class AgreementSerializer(serializers.Serializer):
    title = serializers.CharField(read_only=True)
    signed_on = serializers.DateField(read_only=True)
    url = serializers.CharField(read_only=True)


class ContactSerializer(serializers.Serializer):
    name = serializers.CharField()
    role = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()


class CooperationProgrammeSerializer(serializers.Serializer):
    name_en = serializers.CharField(read_only=True)
    name_uk = serializers.CharField(read_only=True)
    kind = NamedChoiceField(ProgrammeKind, read_only=True)
    status = serializers.ChoiceField(choices=CooperationStatus.choices, read_only=True)
    started_on = serializers.DateField(read_only=True, allow_null=True)
    url = serializers.CharField(read_only=True)


class PartnerSerializer(RecordSerializer):
    url = RecordURLField(view_name="api:partner-detail")
    code = serializers.CharField(read_only=True, help_text="ISO 3166-1 alpha-2 code.")
    status = serializers.ChoiceField(choices=CooperationStatus.choices, read_only=True)
    status_label = StatusLabelField(PARTNER_WORKFLOW)
    partners = serializers.SerializerMethodField(
        help_text="The country itself, for symmetry with the other records."
    )
    name_en = serializers.CharField(read_only=True)
    name_uk = serializers.CharField(read_only=True)

    def get_partners(self, obj) -> list[str]:
        return [str(obj.code)]


class PartnerDetailSerializer(PartnerSerializer):
    summary_en = serializers.CharField(read_only=True)
    summary_uk = serializers.CharField(read_only=True)
    agreements = AgreementSerializer(many=True, read_only=True)
    programmes = CooperationProgrammeSerializer(
        many=True, read_only=True, help_text="Lines of cooperation, each at its own stage."
    )
    contacts = _staff_only(ContactSerializer(many=True, required=False))
    internal_notes = _staff_only(serializers.CharField(required=False))


# --- Events ------------------------------------------------------------------------------


def choices_class(name: str, values: list[str]) -> type[models.TextChoices]:
    """A choices class named `name` (the schema's enum component) over string `values`."""
    return models.TextChoices(name, [(v.replace(".", "_").replace("*", "any"), v) for v in values])


# `<record>.<action>` for every record type and action; see `tracker.events`.
EventType = choices_class("EventType", list(EVENT_TYPES))
RecordType = choices_class("RecordType", list(RECORD_MODELS))


class EventSerializer(serializers.Serializer):
    """An event as the change feed lists it and a webhook delivery carries it (`data`)."""

    id = IdField(read_only=True, help_text="Strictly increasing.")
    type = NamedChoiceField(
        EventType,
        read_only=True,
        help_text="`<record>.<action>`: what happened. `<record>.archived`, `.deleted` and "
        "`.hidden` are tombstones: the record is gone for you (archived, deleted, or no "
        "longer visible to you); they name it by type and id only.",
    )
    record_type = NamedChoiceField(RecordType, read_only=True)
    record_id = IdField(read_only=True, allow_null=True)
    record_url = serializers.CharField(
        read_only=True, allow_null=True, help_text="Where the record is; null for a tombstone."
    )
    occurred_at = serializers.DateTimeField(read_only=True)
    data = serializers.DictField(
        read_only=True,
        help_text="What happened, by type: see the `Event<Action>Data` schemas (for example "
        "`EventStatusChangedData`); a tombstone's is empty.",
    )

    def to_representation(self, instance) -> dict[str, Any]:
        viewer = self.context.get("viewer") or selectors.Viewer.public()
        return event_object(
            id=instance.pk,
            type=instance.type,
            record_type=instance.record_type,
            record_id=instance.record_id,
            occurred_at=instance.occurred_at,
            data=instance.data,
            viewer=viewer,
            record_url=event_record_url(
                self.context["record_url_prefixes"], instance.record_type, instance.record_id
            ),
        )


def event_record_url(
    prefixes: dict[str, str], record_type: str, record_id: int | None
) -> str | None:
    """The API URL of an event's record, from the per-type URL prefixes of the request."""
    prefix = prefixes.get(record_type)
    if prefix is None or record_id is None:
        return None
    return f"{prefix}{record_id}/"


@extend_schema_serializer(many=False)
class EventPageSerializer(serializers.Serializer):
    results = EventSerializer(many=True)
    next = serializers.CharField(
        help_text="Where to ask next: the same query continuing after the last event here. "
        "Poll it; it is never empty."
    )
    has_more = serializers.BooleanField(help_text="Whether more events are ready right now.")
    last_id = serializers.IntegerField(
        help_text="The id of the last event here, or the `after` you sent if there was none."
    )
