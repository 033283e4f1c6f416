"""Every read that depends on who is asking goes through here: the one place visibility lives.

- `public`: anyone, the public dashboard included;
- `partners`: any authenticated partner;
- `restricted`: staff, and the partner countries linked to the record.
Archived records are seen by staff only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, QuerySet

from tracker.models import (
    RECORD_MODELS,
    DraftLaw,
    Event,
    Facility,
    PartnerCountry,
    StatusChange,
    TaxMeasure,
    TrackedRecord,
    Visibility,
)

R = TypeVar("R", bound=TrackedRecord)


@dataclass(frozen=True)
class Viewer:
    """Who is reading: staff, a partner country (by id), or the anonymous public."""

    is_staff: bool = False
    partner_id: int | None = None

    @classmethod
    def public(cls) -> Viewer:
        return cls()

    @classmethod
    def staff(cls) -> Viewer:
        return cls(is_staff=True)

    @classmethod
    def partner(cls, partner: PartnerCountry | int) -> Viewer:
        return cls(partner_id=partner if isinstance(partner, int) else partner.pk)

    @property
    def is_partner(self) -> bool:
        return self.partner_id is not None and not self.is_staff


def visibility_filter(model: type[TrackedRecord], viewer: Viewer) -> Q:
    """The condition on `model` rows that `viewer` may see (archived rows aside)."""
    if viewer.is_staff:
        return Q()
    if viewer.partner_id is None:
        return Q(visibility=Visibility.PUBLIC)
    if model is PartnerCountry:
        linked = Q(pk=viewer.partner_id)
    else:
        through = model._meta.get_field("partners").remote_field.through
        source = f"{model._meta.model_name}_id"
        linked = Exists(
            through.objects.filter(**{source: OuterRef("pk")}, partnercountry_id=viewer.partner_id)
        )
    return Q(visibility__in=[Visibility.PUBLIC, Visibility.PARTNERS]) | (
        Q(visibility=Visibility.RESTRICTED) & linked
    )


def visible_records(model: type[R], viewer: Viewer) -> QuerySet[R]:
    queryset = model.objects.filter(visibility_filter(model, viewer))
    if not viewer.is_staff:
        queryset = queryset.filter(archived_at__isnull=True)
    return queryset


def visible_laws(viewer: Viewer) -> QuerySet[DraftLaw]:
    return visible_records(DraftLaw, viewer)


def visible_tax_measures(viewer: Viewer) -> QuerySet[TaxMeasure]:
    return visible_records(TaxMeasure, viewer)


def visible_facilities(viewer: Viewer) -> QuerySet[Facility]:
    return visible_records(Facility, viewer)


def visible_partners(viewer: Viewer) -> QuerySet[PartnerCountry]:
    return visible_records(PartnerCountry, viewer)


def can_see(record: TrackedRecord, viewer: Viewer) -> bool:
    return visible_records(type(record), viewer).filter(pk=record.pk).exists()


def visible_events(viewer: Viewer) -> QuerySet[Event]:
    """Events about records `viewer` may see now, in id order."""
    events = Event.objects.exclude(type="webhook.test").order_by("id")
    if viewer.is_staff:
        return events
    about_visible = Q(pk__in=[])
    for record_type, model in RECORD_MODELS.items():
        about_visible |= Q(
            record_type=record_type,
            record_id__in=visible_records(model, viewer).values("pk"),
        )
    return events.filter(about_visible)


def status_history(record: TrackedRecord) -> QuerySet[StatusChange]:
    return StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(type(record)), record_id=record.pk
    ).order_by("occurred_on", "id")


def previous_status_date(record: TrackedRecord):
    return (
        status_history(record)
        .order_by("-occurred_on", "-id")
        .values_list("occurred_on", flat=True)
        .first()
    )


def visible_status_changes(viewer: Viewer) -> QuerySet[StatusChange]:
    """Status changes of the records `viewer` may see now (none of any other record)."""
    changes = StatusChange.objects.all()
    if viewer.is_staff:
        return changes
    about_visible = Q(pk__in=[])
    for model in RECORD_MODELS.values():
        about_visible |= Q(
            content_type=ContentType.objects.get_for_model(model),
            record_id__in=visible_records(model, viewer).values("pk"),
        )
    return changes.filter(about_visible)
