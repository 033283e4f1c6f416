"""Query filters and ordering for the record lists and the change feed."""

from __future__ import annotations

import datetime
import re

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions
from rest_framework.filters import OrderingFilter

from tracker import selectors
from tracker.models import (
    RECORD_MODELS,
    DeadlineKind,
    DraftLaw,
    Facility,
    Initiator,
    LawRelation,
    PartnerCountry,
    ProductCategory,
    RegistrationNumber,
    RelationKind,
    TaxMeasure,
    TaxMeasureKind,
    Visibility,
)
from tracker.workflows import CooperationStatus, FacilityStatus, LawStatus, TaxMeasureStatus

from .authentication import viewer_for
from .fields import MAX_ID


# Query strings may not carry NUL characters (Django's forms refuse them, and so would the
# database): the schema says so, for clients generated from it.
@extend_schema_field({"type": "string", "pattern": "^[^\\x00]*$"})
class TextFilter(filters.CharFilter):
    """Text; NUL characters are a 400."""


@extend_schema_field({"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID})
class IdFilter(filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 99})
class ConvocationFilter(filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 99)
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError(_("Use true or false."))


class BooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        kwargs["widget"] = forms.TextInput  # not a widget that reads "maybe" as "no filter"
        super().__init__(*args, **kwargs)


class StrictFilterSet(filters.FilterSet):
    """An empty value for a typed filter (date, number, choice, boolean) is an error, as any
    other value that is not one; empty text filters simply do not filter."""

    def is_valid(self) -> bool:
        super().is_valid()
        for name, flt in self.filters.items():
            if isinstance(flt, filters.CharFilter) and not isinstance(flt, filters.ChoiceFilter):
                continue
            if "" in self.data.getlist(name) and name not in self.form.errors:
                self.form.add_error(name, _("Give a value, or leave the parameter out."))
        return self.form.is_valid()


class UtcDateTimeField(filters.IsoDateTimeFilter.field_class):
    """An ISO 8601 date-time, normalised to UTC; offsets the database cannot store (beyond
    ±15:59) and instants outside years 1-9999 are refused with a 400."""

    def to_python(self, value):
        result = super().to_python(value)
        if result is None:
            return None
        try:
            return result.astimezone(datetime.UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError(_("Give a date-time between years 1 and 9999.")) from None


class UtcDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class RecordFilterSet(StrictFilterSet):
    """Filters every record list has."""

    SEARCH_FIELDS: tuple[str, ...] = ()

    visibility = filters.ChoiceFilter(choices=Visibility.choices)
    updated_after = UtcDateTimeFilter(
        field_name="updated_at", lookup_expr="gt", label="Changed after (ISO 8601 date-time)."
    )
    updated_before = UtcDateTimeFilter(
        field_name="updated_at", lookup_expr="lt", label="Changed before (ISO 8601 date-time)."
    )
    q = TextFilter(method="filter_text", label="Text search in English and Ukrainian.")

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        condition = Q()
        for field in self.SEARCH_FIELDS:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)

    def filter_partner(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        codes = [code.strip().upper() for code in value.split(",") if code.strip()]
        viewer = viewer_for(self.request)
        return queryset.filter(selectors.linked_to_visible_partners(queryset.model, viewer, codes))


def _partner_filter() -> TextFilter:
    return TextFilter(
        method="filter_partner",
        label="Linked to any of these partner countries (ISO 3166-1 alpha-2, comma-separated).",
    )


class LawFilterSet(RecordFilterSet):
    SEARCH_FIELDS = ("title_en", "title_uk", "summary_en", "summary_uk", "registration_number")

    status = filters.MultipleChoiceFilter(choices=LawStatus.choices)
    partner = _partner_filter()
    initiator = filters.ChoiceFilter(choices=Initiator.choices)
    registration_number = TextFilter()
    lead_committee = TextFilter(lookup_expr="icontains")
    has_planned_step = BooleanFilter(
        method="filter_has_planned_step", label="Has a planned next step with a date."
    )
    overdue = BooleanFilter(
        method="filter_overdue", label="The planned next step's date has passed."
    )
    number = TextFilter(
        method="filter_number", label="Has had this registration number (current or earlier)."
    )
    act_number = TextFilter(label="The signed law's number, e.g. 1234-IX.")
    convocation = ConvocationFilter(field_name="convocation", label="The Rada's convocation.")
    related_to = IdFilter(
        method="filter_related_to",
        label="Related (either way) to the bill with this id; with `relation`, only so.",
    )
    relation = filters.ChoiceFilter(
        choices=RelationKind.choices,
        method="filter_relation",
        label="Has a relation of this kind (either way) to a bill you may see.",
    )
    urgent = BooleanFilter(field_name="is_urgent", label="Marked urgent by the President.")

    class Meta:
        model = DraftLaw
        fields = ["status", "initiator", "registration_number", "visibility"]

    def filter_number(self, queryset, name, value):
        value = value.strip()
        earlier = RegistrationNumber.objects.filter(law=OuterRef("pk"), number=value)
        return queryset.filter(Q(registration_number=value) | Exists(earlier))

    def _related(self, queryset, *, kind: str | None, other_id: int | None):
        # Only relations whose other end the caller may see: a hidden bill is never revealed,
        # not even by which visible bills relate to it.
        visible = selectors.visible_laws(viewer_for(self.request))
        if other_id is not None:
            visible = visible.filter(pk=other_id)
        outgoing = LawRelation.objects.filter(law=OuterRef("pk"), other__in=visible.values("pk"))
        incoming = LawRelation.objects.filter(other=OuterRef("pk"), law__in=visible.values("pk"))
        if kind:
            outgoing, incoming = outgoing.filter(kind=kind), incoming.filter(kind=kind)
        return queryset.filter(Exists(outgoing) | Exists(incoming))

    def filter_related_to(self, queryset, name, value):
        return self._related(
            queryset, kind=self.form.cleaned_data.get("relation") or None, other_id=int(value)
        )

    def filter_relation(self, queryset, name, value):
        if self.form.cleaned_data.get("related_to") is not None:
            return queryset  # applied with `related_to`
        return self._related(queryset, kind=value, other_id=None)

    def filter_has_planned_step(self, queryset, name, value):
        has = Q(planned_next_step_on__isnull=False)
        return queryset.filter(has if value else ~has)

    def filter_overdue(self, queryset, name, value):
        overdue = Q(planned_next_step_on__lt=timezone.localdate())
        return queryset.filter(overdue if value else ~overdue)


class TaxMeasureFilterSet(RecordFilterSet):
    SEARCH_FIELDS = ("name_en", "name_uk", "description_en", "description_uk", "beneficiaries")

    status = filters.MultipleChoiceFilter(choices=TaxMeasureStatus.choices)
    partner = _partner_filter()
    kind = filters.MultipleChoiceFilter(choices=TaxMeasureKind.choices)
    legal_basis = IdFilter(method="filter_legal_basis", label="Id of the draft law it rests on.")

    class Meta:
        model = TaxMeasure
        fields = ["status", "kind", "visibility"]

    def filter_legal_basis(self, queryset, name, value):
        laws = selectors.visible_laws(viewer_for(self.request)).filter(pk=value)
        return queryset.filter(legal_basis__in=laws)


class FacilityFilterSet(RecordFilterSet):
    SEARCH_FIELDS = ("name_en", "name_uk", "description_en", "description_uk", "companies")

    status = filters.MultipleChoiceFilter(choices=FacilityStatus.choices)
    partner = _partner_filter()
    country = TextFilter(method="filter_country", label="Where it is (ISO 3166-1 alpha-2).")
    region = TextFilter(lookup_expr="icontains")
    product_category = filters.MultipleChoiceFilter(choices=ProductCategory.choices)
    enabling_law = IdFilter(method="filter_enabling_law", label="Id of an enabling draft law.")

    class Meta:
        model = Facility
        fields = ["status", "product_category", "visibility"]

    def filter_country(self, queryset, name, value):
        return queryset.filter(country=value.upper())

    def filter_enabling_law(self, queryset, name, value):
        laws = selectors.visible_laws(viewer_for(self.request)).filter(pk=value)
        return queryset.filter(enabling_laws__in=laws)


class PartnerFilterSet(RecordFilterSet):
    SEARCH_FIELDS = ("name_en", "name_uk", "summary_en", "summary_uk")

    status = filters.MultipleChoiceFilter(choices=CooperationStatus.choices)
    code = TextFilter(method="filter_code", label="ISO 3166-1 alpha-2 codes, comma-separated.")

    class Meta:
        model = PartnerCountry
        fields = ["status", "visibility"]

    def filter_code(self, queryset, name, value):
        codes = [code.strip().upper() for code in value.split(",") if code.strip()]
        return queryset.filter(code__in=codes)


class StrictOrderingFilter(OrderingFilter):
    """`ordering=-updated_at`; an unknown field is a 400, not silently ignored."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [param.strip() for param in params.split(",")]
            valid = {
                name for name, _ in self.get_valid_fields(queryset, view, {"request": request})
            }
            unknown = [f for f in fields if f.lstrip("-") not in valid]
            if unknown:
                raise exceptions.ValidationError(
                    {
                        self.ordering_param: [
                            _(
                                "Cannot order by %(unknown)s; use one of %(valid)s "
                                "(prefix - to reverse)."
                            )
                            % {"unknown": ", ".join(unknown), "valid": ", ".join(sorted(valid))}
                        ]
                    }
                )
            return fields
        return self.get_default_ordering(view)

    def get_schema_operation_parameters(self, view):
        fields = [name for name, _ in self.get_valid_fields(view.get_queryset(), view, {})]
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Sort by this field; prefix `-` for descending. "
                "Several, comma-separated, are allowed.",
                "schema": {
                    "type": "string",
                    "enum": [p for name in fields for p in (name, f"-{name}")],
                },
            }
        ]


# --- Events ------------------------------------------------------------------------------

EVENT_RECORD_TYPES = [(name, name) for name in RECORD_MODELS]


class EventFilterSet(StrictFilterSet):
    type = filters.CharFilter(
        method="filter_type",
        label="Event types, comma-separated; `*` matches anything, e.g. `law.*`.",
    )
    record_type = filters.ChoiceFilter(choices=EVENT_RECORD_TYPES)
    record_id = IdFilter(field_name="record_id")

    def filter_type(self, queryset, name, value):
        condition = Q()
        for pattern in (p.strip() for p in value.split(",")):
            if not pattern:
                continue
            if "*" in pattern:
                regex = "^" + re.escape(pattern).replace(r"\*", ".*") + "$"
                condition |= Q(type__regex=regex)
            else:
                condition |= Q(type=pattern)
        return queryset.filter(condition) if condition else queryset


class DeadlineFilterSet(StrictFilterSet):
    due_before = filters.DateFilter(
        field_name="due_on", lookup_expr="lte", label="Due on or before this date (YYYY-MM-DD)."
    )
    due_after = filters.DateFilter(
        field_name="due_on", lookup_expr="gte", label="Due on or after this date (YYYY-MM-DD)."
    )
    record_type = filters.ChoiceFilter(choices=EVENT_RECORD_TYPES)
    kind = filters.ChoiceFilter(choices=DeadlineKind.choices)
