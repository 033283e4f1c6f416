"""Fast list pages: the list serializers applied to `.values()` rows instead of model instances.

A list page is the hot path partners poll. Building model instances and walking DRF's
per-field machinery costs far more than the query; here each list serializer is compiled
once per request into plain converters over the columns it declares, and its related data
(partner codes, a tax measure's legal basis) comes from one visibility-filtered query each.
The output is the serializer's own (`tests/api/test_rows.py` compares them), so the schema
documents both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.utils import timezone, translation
from rest_framework import serializers
from rest_framework.fields import SerializerMethodField, empty
from rest_framework.settings import ISO_8601, api_settings

from tracker import selectors
from tracker.events import event_object
from tracker.models import PartnerCountry, TaxMeasure, TrackedRecord

from .fields import RecordURLField, url_prefix
from .serializers import (
    DeadlinesField,
    LawSummarySerializer,
    PartnerCodesField,
    StatusLabelField,
    event_record_url,
    present_deadlines,
)

Row = dict[str, Any]
Plain = Callable[[Row], Any]
# (row, the page's related data: partner codes, deadlines...) -> the field's value
Converter = Callable[[Row, dict[str, dict]], Any]

# Fields whose representation of a non-null value is the value itself.
_IDENTITY = (serializers.CharField, serializers.IntegerField, serializers.ChoiceField)


def _datetime(name: str) -> Plain:
    """DRF's ISO 8601 output in the current time zone, without its per-value lookups."""
    tz = timezone.get_current_timezone()

    def convert(row: Row) -> str | None:
        value = row[name]
        if value is None:
            return None
        text = value.astimezone(tz).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert


def _plain(field: serializers.Field, name: str) -> Plain:
    if isinstance(field, _IDENTITY) and not isinstance(field, serializers.URLField):
        return lambda row: row[name]
    if (
        type(field) is serializers.DateTimeField
        and getattr(field, "format", empty) is empty
        and not hasattr(field, "timezone")
        and str(api_settings.DATETIME_FORMAT).lower() == ISO_8601
    ):
        return _datetime(name)
    represent = field.to_representation
    return lambda row: None if row[name] is None else represent(row[name])


# Compiled list plans, per serializer and what its output depends on (staff or not, language,
# time zone, the site's address): compiling one costs more than rendering a small page.
_PLANS: dict[tuple, tuple[list[str], list[tuple[str, Converter]], frozenset[str]]] = {}


class _Plan:
    """Compiles a list serializer into the columns it reads and a converter per field."""

    def __init__(self, model, serializer_class, viewer, request) -> None:
        self.model = model
        self.request = request
        serializer = serializer_class(context={"viewer": viewer, "request": request})
        self.columns: list[str] = []
        self.related: set[str] = set()
        self.converters = [
            (name, self._compile(name, field)) for name, field in serializer.fields.items()
        ]

    def compiled(self) -> tuple[list[str], list[tuple[str, Converter]], frozenset[str]]:
        return self.columns, self.converters, frozenset(self.related)

    def _column(self, name: str) -> str:
        if name not in self.columns:
            self.columns.append(name)
        return name

    def _compile(self, name: str, field: serializers.Field) -> Converter:
        if isinstance(field, RecordURLField):
            prefix = url_prefix(self.request, field.view_name)
            pk = self._column("id")
            return lambda row, related: f"{prefix}{row[pk]}/"
        if isinstance(field, StatusLabelField):
            labels = {value: str(label) for value, label in field.workflow.statuses.choices}
            status = self._column("status")
            return lambda row, related: labels[row[status]]
        if isinstance(field, PartnerCodesField):
            pk = self._column("id")
            self.related.add("partners")
            return lambda row, related: related["partners"].get(row[pk], [])
        if isinstance(field, DeadlinesField):
            pk = self._column("id")
            self.related.add("deadlines")
            return lambda row, related: related["deadlines"].get(row[pk], [])
        if isinstance(field, SerializerMethodField) and self.model is PartnerCountry:
            code = self._column("code")  # a partner's `partners` is itself
            return lambda row, related: [row[code]]
        if isinstance(field, LawSummarySerializer) and self.model is TaxMeasure:
            basis = self._column("legal_basis_id")
            self.related.add("legal_basis")
            return lambda row, related: related["legal_basis"].get(row[basis])
        if field.source in ("*", None) or "." in field.source:
            raise TypeError(f"{name}: no row representation for {type(field).__name__}")
        convert = _plain(field, self._column(field.source))
        return lambda row, related: convert(row)


class ListRows:
    """Render rows of `model` the way `serializer_class` renders instances of it."""

    def __init__(
        self,
        *,
        model: type[TrackedRecord],
        serializer_class: type[serializers.Serializer],
        viewer: selectors.Viewer,
        request,
    ) -> None:
        self.model = model
        self.viewer = viewer
        self.request = request
        key = (
            model,
            serializer_class,
            viewer.is_staff,
            translation.get_language(),
            timezone.get_current_timezone_name(),
            request.build_absolute_uri("/") if request is not None else "",
        )
        plan = _PLANS.get(key)
        if plan is None:
            plan = _PLANS[key] = _Plan(model, serializer_class, viewer, request).compiled()
        self.columns, self.converters, related = plan
        self._related: dict[str, dict] = {kind: {} for kind in related}

    def values(self, queryset):
        """`queryset` narrowed to the columns the page needs."""
        return queryset.values(*self.columns)

    def render(self, rows: Iterable[Row]) -> list[dict[str, Any]]:
        rows = list(rows)
        self._load_related(rows)
        converters, related = self.converters, self._related
        return [{name: convert(row, related) for name, convert in converters} for row in rows]

    def _load_related(self, rows: list[Row]) -> None:
        if "partners" in self._related:
            self._related["partners"].clear()
            self._related["partners"].update(
                selectors.visible_partner_codes(self.model, self.viewer, [r["id"] for r in rows])
            )
        if "deadlines" in self._related:
            # One query for the page: the rows are records the viewer may see.
            found = selectors.deadlines_of_records(
                self.viewer, self.model.record_type, [r["id"] for r in rows]
            )
            self._related["deadlines"].clear()
            self._related["deadlines"].update(
                {pk: present_deadlines(found_rows) for pk, found_rows in found.items()}
            )
        if "legal_basis" in self._related:
            ids = {r["legal_basis_id"] for r in rows if r["legal_basis_id"] is not None}
            summary = LawSummarySerializer(context={"request": self.request})
            laws = selectors.visible_laws(self.viewer).filter(pk__in=ids) if ids else []
            self._related["legal_basis"].clear()
            self._related["legal_basis"].update(
                {law.pk: summary.to_representation(law) for law in laws}
            )


EVENT_COLUMNS = ("id", "type", "record_type", "record_id", "occurred_at", "data")


def render_events(
    rows: Iterable[Row], *, viewer: selectors.Viewer, record_url_prefixes: dict[str, str]
) -> list[dict[str, Any]]:
    """`EventSerializer`'s output for `.values(*EVENT_COLUMNS)` rows of the change feed: the
    event object of `tracker.events`, which webhook bodies carry too."""
    rows = list(rows)
    # What the events touch, as far as `viewer` may see it: one query for the page, run for
    # every non-empty page so that a page costs the same whatever it holds.
    affects = [row["data"].get("affects", []) for row in rows]
    seen = None if viewer.is_staff or not rows else selectors.affects_seen_by(viewer, affects)
    return [
        event_object(
            **row,
            viewer=viewer,
            record_url=event_record_url(record_url_prefixes, row["record_type"], row["record_id"]),
            seen=seen,
        )
        for row in rows
    ]
