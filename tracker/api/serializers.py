"""Representations of records for the API.

Output serializers are plain `Serializer`s over querysets from `tracker.selectors.api_*`,
which prefetch every related collection through visibility; serializers never query.
Staff-only fields (`internal_notes`, `exact_site`, `contacts`) are dropped unless the caller
is staff; in the schema they are optional properties.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from tracker import selectors
from tracker.models import (
    Currency,
    DocumentKind,
    Initiator,
    ProductCategory,
    TaxMeasureKind,
    Visibility,
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

from .fields import RecordURLField

# --- Input -------------------------------------------------------------------------------


class StrictInputSerializer(serializers.Serializer):
    """Rejects fields it does not know and fields that are read-only, naming them."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            errors: dict[str, list[str]] = {}
            for name in data:
                field = self.fields.get(name)
                if field is None:
                    errors[name] = ["Unknown field."]
                elif field.read_only:
                    errors[name] = ["This field is read-only."]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


def transition_input_serializer(name: str, statuses: type) -> type[serializers.Serializer]:
    """The body of POST <resource>/<id>/transitions/, with the resource's status enum."""
    attrs = {
        "to": serializers.ChoiceField(choices=statuses.choices, help_text="The new status."),
        "occurred_on": serializers.DateField(
            required=False,
            help_text="When it happened in the real world (YYYY-MM-DD); defaults to today. "
            "Not in the future, not before the previous status change.",
        ),
        "note": serializers.CharField(required=False, allow_blank=True, max_length=5000),
        "source_url": serializers.URLField(required=False, allow_blank=True, max_length=500),
        "votes_for": serializers.IntegerField(
            required=False, allow_null=True, min_value=0, max_value=450
        ),
        "votes_against": serializers.IntegerField(
            required=False, allow_null=True, min_value=0, max_value=450
        ),
        "abstained": serializers.IntegerField(
            required=False, allow_null=True, min_value=0, max_value=450
        ),
        "expected_status": serializers.ChoiceField(
            choices=statuses.choices,
            required=False,
            help_text="The status you saw; if the record has moved since, the answer is 409.",
        ),
    }
    return type(name, (StrictInputSerializer,), attrs)


# --- Shared output parts -----------------------------------------------------------------


def allowed_transition_serializer(name: str, statuses: type) -> type[serializers.Serializer]:
    return type(
        name,
        (serializers.Serializer,),
        {"to": serializers.ChoiceField(choices=statuses.choices), "label": serializers.CharField()},
    )


def history_serializer(name: str, statuses: type) -> type[serializers.Serializer]:
    attrs = {
        "id": serializers.IntegerField(),
        "from_status": serializers.ChoiceField(choices=statuses.choices),
        "to_status": serializers.ChoiceField(choices=statuses.choices),
        "to_label": serializers.SerializerMethodField(),
        "occurred_on": serializers.DateField(),
        "recorded_at": serializers.DateTimeField(),
        "note": serializers.CharField(),
        "source_url": serializers.CharField(),
        "votes_for": serializers.IntegerField(allow_null=True),
        "votes_against": serializers.IntegerField(allow_null=True),
        "abstained": serializers.IntegerField(allow_null=True),
    }

    def get_to_label(self, obj) -> str:
        return str(statuses(obj.to_status).label)

    attrs["get_to_label"] = get_to_label
    return type(name, (serializers.Serializer,), attrs)


@extend_schema_field({"type": "string", "description": "The status in words."})
class StatusLabelField(serializers.Field):
    """The human label of `status`, from the record's workflow table."""

    def __init__(self, workflow: Workflow, **kwargs: Any) -> None:
        self.workflow = workflow
        kwargs.update(source="status", read_only=True)
        super().__init__(**kwargs)

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


class RecordSerializer(serializers.Serializer):
    """What every record has; staff-only fields are dropped for everyone else."""

    id = serializers.IntegerField(read_only=True)
    visibility = serializers.ChoiceField(choices=Visibility.choices, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

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
    id = serializers.IntegerField(read_only=True)
    url = RecordURLField(view_name="api:law-detail")
    registration_number = serializers.CharField(read_only=True, allow_null=True)
    title_en = serializers.CharField(read_only=True)
    title_uk = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=LawStatus.choices, read_only=True)


class TaxMeasureSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    url = RecordURLField(view_name="api:tax-measure-detail")
    name_en = serializers.CharField(read_only=True)
    name_uk = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=TaxMeasureStatus.choices, read_only=True)


class FacilitySummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
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


class LawSerializer(RecordSerializer):
    url = RecordURLField(view_name="api:law-detail")
    status = serializers.ChoiceField(choices=LawStatus.choices, read_only=True)
    status_label = StatusLabelField(LAW_WORKFLOW)
    partners = PartnerCodesField()
    registration_number = serializers.CharField(read_only=True, allow_null=True)
    registration_date = serializers.DateField(read_only=True, allow_null=True)
    title_en = serializers.CharField(read_only=True)
    title_uk = serializers.CharField(read_only=True)
    initiator = serializers.ChoiceField(choices=Initiator.choices, read_only=True)
    lead_committee = serializers.CharField(read_only=True)
    planned_next_step = serializers.CharField(read_only=True)
    planned_next_step_on = serializers.DateField(read_only=True, allow_null=True)
    effective_date = serializers.DateField(read_only=True, allow_null=True)


class LawDetailSerializer(LawSerializer):
    summary_en = serializers.CharField(read_only=True)
    summary_uk = serializers.CharField(read_only=True)
    documents = LawDocumentSerializer(many=True, read_only=True)
    tax_measures = TaxMeasureSummarySerializer(
        source="visible_tax_measures", many=True, read_only=True
    )
    facilities = FacilitySummarySerializer(source="visible_facilities", many=True, read_only=True)
    internal_notes = _staff_only(serializers.CharField(required=False))


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
    starts_on = serializers.DateField(read_only=True, allow_null=True)
    sunset_on = serializers.DateField(read_only=True, allow_null=True)
    estimated_fiscal_cost = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True, allow_null=True
    )
    fiscal_cost_currency = serializers.ChoiceField(
        choices=Currency.choices, read_only=True, allow_blank=True
    )


class TaxMeasureDetailSerializer(TaxMeasureSerializer):
    description_en = serializers.CharField(read_only=True)
    description_uk = serializers.CharField(read_only=True)
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
    contacts = _staff_only(ContactSerializer(many=True, required=False))
    internal_notes = _staff_only(serializers.CharField(required=False))


# --- Events ------------------------------------------------------------------------------


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="Strictly increasing.")
    type = serializers.CharField(
        read_only=True, help_text="`<record>.created`, `<record>.status_changed`, ..."
    )
    record_type = serializers.CharField(read_only=True)
    record_id = serializers.IntegerField(read_only=True, allow_null=True)
    record_url = serializers.SerializerMethodField()
    occurred_at = serializers.DateTimeField(read_only=True)
    data = serializers.SerializerMethodField()

    def get_data(self, obj) -> dict[str, Any]:
        viewer = self.context.get("viewer") or selectors.Viewer.public()
        return selectors.event_data_seen_by(obj.data, viewer)

    def get_record_url(self, obj) -> str | None:
        return event_record_url(self.context["record_url_prefixes"], obj.record_type, obj.record_id)


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
