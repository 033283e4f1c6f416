"""Every read that depends on who is asking goes through here: the one place visibility lives.

- `public`: anyone, the public dashboard included;
- `partners`: any authenticated partner;
- `restricted`: staff, and the partner countries linked to the record.
Archived records are seen by staff only.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce

from tracker.models import (
    RECORD_MODELS,
    CooperationProgramme,
    Deadline,
    Delivery,
    DraftLaw,
    EntryIntoForce,
    Event,
    Facility,
    LawCommittee,
    LawDocument,
    LawRelation,
    PartnerCountry,
    ProceduralEvent,
    RegistrationNumber,
    StatusChange,
    TaxMeasure,
    TimelineEntry,
    TrackedRecord,
    Visibility,
)
from tracker.models.expressions import JSONRows
from tracker.models.prepared import Prepared

R = TypeVar("R", bound=TrackedRecord)


@dataclass(frozen=True)
class Viewer:
    """Who is reading: staff, a partner country (by id), or the anonymous public.

    `partner_id` may also be an `OuterRef` to the partner countries of an enclosing query,
    to ask the visibility rule about every partner at once (`partners_who_can_see`).
    """

    is_staff: bool = False
    partner_id: int | OuterRef | None = None

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
        partner_id = viewer.partner_id
        if isinstance(partner_id, OuterRef):
            # The link subquery nests one level deeper than the `model` rows it filters.
            partner_id = OuterRef(partner_id)
        # A scalar subquery probed per row through the (record, partner) unique index:
        # PostgreSQL turns an EXISTS here into a hash of all the partner's links first, which
        # grows with the data (1.8 ms against 0.1 ms for a first page of 20,000 laws).
        linked = Subquery(
            through.objects.filter(**{source: OuterRef("pk")}, partnercountry_id=partner_id).values(
                linked=Value(True)
            )[:1],
            output_field=BooleanField(),
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


# Fields that are staff business: outside the staff side, not even their names are told.
STAFF_ONLY_FIELDS = frozenset({"internal_notes", "exact_site", "contacts", "notification_emails"})


def changed_fields_seen_by(event_data: dict, viewer: Viewer) -> list[str]:
    """The `changed` field names of an `.updated` event that `viewer` may be told about."""
    changed = event_data.get("changed", [])
    if viewer.is_staff:
        return list(changed)
    return [name for name in changed if name not in STAFF_ONLY_FIELDS]


def event_data_seen_by(event_data: dict, viewer: Viewer) -> dict:
    """An event's data as `viewer` may read it: staff-only field names left out."""
    if isinstance(event_data.get("changed"), list):
        return {**event_data, "changed": changed_fields_seen_by(event_data, viewer)}
    return event_data


# The newest committed event id: it changes with every change to any record.
LATEST_EVENT_ID_SQL = f"SELECT MAX(id) FROM {Event._meta.db_table}"


def latest_event_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute(LATEST_EVENT_ID_SQL)
        (latest,) = cursor.fetchone()
    return latest or 0


def visible_events(viewer: Viewer) -> QuerySet[Event]:
    """Events about records `viewer` may see now, in id order; a tombstone (an event for its
    audience only) is seen by the partner countries of its audience and by staff alone."""
    # The condition depends on the viewer only; building it is most of a feed page's work.
    return _visible_events(viewer).all()


def feed_events(viewer: Viewer) -> QuerySet[Event]:
    """`visible_events` for a query of its own (the change feed, one event), never for a
    subquery: the condition is compiled to SQL once per viewer, not on every page."""
    return _feed_events(viewer, connection.alias).all()


@functools.lru_cache(maxsize=1024)
def _feed_events(viewer: Viewer, alias: str) -> QuerySet[Event]:
    return _precompiled(_visible_events(viewer), alias).order_by("id")


def listed_records(model: type[R], viewer: Viewer) -> QuerySet[R]:
    """`visible_records` for a query of its own (an API list page), never for a subquery:
    the condition is compiled to SQL once per viewer, not on every page."""
    return _listed_records(model, viewer, connection.alias).all()


@functools.lru_cache(maxsize=4096)
def _listed_records(model: type[R], viewer: Viewer, alias: str) -> QuerySet[R]:
    return _precompiled(visible_records(model, viewer), alias)


def _precompiled(queryset: QuerySet[R], alias: str) -> QuerySet[R]:
    """The rows of `queryset`, its WHERE clause compiled to SQL now, for queries whose main
    table is the same (never a subquery: its aliases would not follow). A visibility
    condition costs more to compile than its query costs to run."""
    query = queryset.query
    if not query.where:
        return queryset
    sql, params = query.get_compiler(using=alias).compile(query.where)
    return queryset.model.objects.filter(RawSQL(sql, tuple(params), output_field=BooleanField()))


@functools.lru_cache(maxsize=1024)
def _visible_events(viewer: Viewer) -> QuerySet[Event]:
    events = Event.objects.exclude(type="webhook.test").order_by("id")
    if viewer.is_staff:
        return events
    # Checked row by row with a scalar subquery per record type: PostgreSQL cannot hash it
    # into the set of every visible record first (as it does with `record_id IN (...)`), so
    # a page of the feed costs the same with 10,000 or 1,000,000 events.
    if viewer.partner_id is None:
        told: Subquery | Value = Value(False)
    else:
        told = Subquery(
            Event.audience.through.objects.filter(
                event_id=OuterRef("pk"), partnercountry_id=viewer.partner_id
            ).values(seen=Value(True))[:1],
            output_field=BooleanField(),
        )
    about_visible = _about_visible_record(viewer, When(audience_only=True, then=told))
    return events.alias(about_visible=Coalesce(about_visible, Value(False))).filter(
        about_visible=True
    )


def partners_told_of(event: Event, partner_ids: set[int]) -> set[int]:
    """Which of `partner_ids` may be told of `event` now, in one query: the audience of a
    tombstone, else the partner countries that may see its record (`partners_who_can_see`)."""
    if not partner_ids:
        return set()
    if event.audience_only:
        return set(
            Event.audience.through.objects.filter(
                event_id=event.pk, partnercountry_id__in=partner_ids
            ).values_list("partnercountry_id", flat=True)
        )
    return partners_who_can_see(
        record_type=event.record_type, record_id=event.record_id, partner_ids=partner_ids
    )


def visible_deliveries(viewer: Viewer, deliveries: QuerySet[Delivery]) -> QuerySet[Delivery]:
    """`deliveries` narrowed to those of events `viewer` may see now (and its own tests).

    A partner's delivery log then forgets a record it may no longer see, like the feed does,
    but keeps the tombstones addressed to it. Checked row by row, like the feed.
    """
    if viewer.is_staff:
        return deliveries
    seen = Subquery(
        visible_events(viewer)
        .filter(pk=OuterRef("event_id"))
        .order_by()
        .values(seen=Value(True))[:1],
        output_field=BooleanField(),
    )
    return deliveries.alias(event_seen=Coalesce(seen, Value(False))).filter(
        Q(event_seen=True) | Q(event__type="webhook.test")
    )


def status_history(record: TrackedRecord) -> QuerySet[StatusChange]:
    """The record's steps as they stand (corrected, without retracted ones), in timeline order."""
    return StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(type(record)),
        record_id=record.pk,
        is_active=True,
    ).order_by("position", "id")


def timeline(record: TrackedRecord, viewer: Viewer) -> list[TimelineEntry]:
    """The record's steps and procedural events in timeline order, as `viewer` may read them.

    Partners and the public read the timeline as it stands; staff also read every entry that
    was corrected or retracted, beside what replaced it. The caller has checked that `viewer`
    may see the record.
    """
    content_type = ContentType.objects.get_for_model(type(record))
    scope = Q(content_type=content_type, record_id=record.pk)
    if not viewer.is_staff:
        scope &= Q(is_active=True)
    related = ("corrects", "recorded_by", "retracted_by") if viewer.is_staff else ()
    entries: list[TimelineEntry] = [
        *StatusChange.objects.filter(scope).select_related(*related),
        *ProceduralEvent.objects.filter(scope).select_related(*related),
    ]
    entries.sort(key=lambda e: (e.position, e.recorded_at, e.pk))
    return entries


# --- API read models ---------------------------------------------------------
# Querysets shaped for serialization: every related collection is prefetched once per
# page through the same visibility rules, so a page costs the same queries at any size.


def _visible_partner_codes(viewer: Viewer) -> Prefetch:
    return Prefetch(
        "partners",
        queryset=visible_partners(viewer).only("id", "code").order_by("code"),
        to_attr="visible_partner_list",
    )


def _summaries(lookup: str, queryset: QuerySet, to_attr: str, *fields: str) -> Prefetch:
    return Prefetch(
        lookup,
        queryset=queryset.only("id", "status", *fields).order_by("id"),
        to_attr=to_attr,
    )


# The fields a related-record summary shows, per record type.
LAW_SUMMARY = ("title_en", "title_uk", "registration_number")
TAX_MEASURE_SUMMARY = ("name_en", "name_uk", "legal_basis_id")
FACILITY_SUMMARY = ("name_en", "name_uk")


def api_laws(viewer: Viewer, *, detail: bool = False) -> QuerySet[DraftLaw]:
    laws = visible_laws(viewer).prefetch_related(_visible_partner_codes(viewer))
    if detail:
        # The bill's own collections and its related records, read with the bill itself: one
        # query, each collection a JSON list in the order of its model (`JSONRows`).
        law = OuterRef("pk")
        visible = visible_laws(viewer).values("pk")
        laws = laws.annotate(
            document_rows=JSONRows(
                LawDocument.objects.filter(law=law),
                kind="kind",
                title="title",
                url="url",
                published_on="published_on",
            ),
            number_rows=JSONRows(
                RegistrationNumber.objects.filter(law=law),
                number="number",
                registered_on="registered_on",
            ),
            committee_rows=JSONRows(
                LawCommittee.objects.filter(law=law),
                id="id",
                name="name",
                received_on="received_on",
            ),
            entry_into_force_rows=JSONRows(
                EntryIntoForce.objects.filter(law=law),
                id="id",
                provisions="provisions",
                on="on",
                condition="condition",
            ),
            # Both ends of each relation, the other bill only if `viewer` may see it.
            relation_rows=JSONRows(
                LawRelation.objects.filter(law=law, other__in=visible),
                kind="kind",
                note="note",
                **{name: f"other__{name}" for name in LAW_SUMMARY_ROW},
            ),
            inverse_relation_rows=JSONRows(
                LawRelation.objects.filter(other=law, law__in=visible),
                kind="kind",
                note="note",
                **{name: f"law__{name}" for name in LAW_SUMMARY_ROW},
            ),
            tax_measure_rows=JSONRows(
                visible_tax_measures(viewer).filter(legal_basis=law).order_by("id"),
                **{name: name for name in TAX_MEASURE_SUMMARY_ROW},
            ),
            facility_rows=JSONRows(
                visible_facilities(viewer).filter(enabling_laws=law).order_by("id"),
                **{name: name for name in FACILITY_SUMMARY_ROW},
            ),
            # The law's deadlines (`DeadlinesField` presents them as of today).
            deadline_rows=JSONRows(
                Deadline.objects.filter(record_type=DraftLaw.record_type, record_id=law).order_by(
                    F("due_on").asc(nulls_last=True), "id"
                ),
                **{name: name for name in DEADLINE_ROW},
            ),
        )
    return laws


# What `tracker.deadlines.present` reads of a stored deadline.
DEADLINE_ROW = (
    "key",
    "kind",
    "label",
    "due_on",
    "unknown_because",
    "counts_from",
    "legal_basis",
    "source_url",
    "obliged",
)


# What a summary of a related record shows, in the order the API writes it (its URL goes
# after the id).
LAW_SUMMARY_ROW = ("id", "registration_number", "title_en", "title_uk", "status")
TAX_MEASURE_SUMMARY_ROW = ("id", "name_en", "name_uk", "status")
FACILITY_SUMMARY_ROW = ("id", "name_en", "name_uk", "status")


def api_tax_measures(viewer: Viewer, *, detail: bool = False) -> QuerySet[TaxMeasure]:
    measures = visible_tax_measures(viewer).prefetch_related(
        _visible_partner_codes(viewer),
        Prefetch(
            "legal_basis",
            queryset=visible_laws(viewer).only("id", "status", *LAW_SUMMARY),
        ),
    )
    if detail:
        measures = measures.prefetch_related(
            _summaries("legal_bases", visible_laws(viewer), "visible_legal_bases", *LAW_SUMMARY),
            _summaries(
                "facilities", visible_facilities(viewer), "visible_facilities", *FACILITY_SUMMARY
            ),
        )
    return measures


def api_facilities(viewer: Viewer, *, detail: bool = False) -> QuerySet[Facility]:
    facilities = visible_facilities(viewer).prefetch_related(_visible_partner_codes(viewer))
    if detail:
        facilities = facilities.prefetch_related(
            _summaries(
                "enabling_laws", visible_laws(viewer), "visible_enabling_laws", *LAW_SUMMARY
            ),
            _summaries(
                "tax_measures",
                visible_tax_measures(viewer),
                "visible_tax_measures",
                *TAX_MEASURE_SUMMARY,
            ),
        )
    return facilities


def api_partners(viewer: Viewer, *, detail: bool = False) -> QuerySet[PartnerCountry]:
    partners = visible_partners(viewer)
    if detail:
        partners = partners.prefetch_related("agreements", "programmes")
        if viewer.is_staff:
            partners = partners.prefetch_related("contacts")
    return partners


API_RECORD_QUERYSETS = {
    DraftLaw: api_laws,
    TaxMeasure: api_tax_measures,
    Facility: api_facilities,
    PartnerCountry: api_partners,
}


def api_records(model: type[R], viewer: Viewer, *, detail: bool = False) -> QuerySet[R]:
    # Built once per (model, viewer, detail) and cloned: requests only add their filters.
    return _api_records(model, viewer, detail).all()


@functools.lru_cache(maxsize=4096)
def _api_records(model: type[R], viewer: Viewer, detail: bool) -> QuerySet[R]:
    return API_RECORD_QUERYSETS[model](viewer, detail=detail)


def api_record(model: type[R], viewer: Viewer, pk: int) -> R | None:
    """The record `pk` of `model` as its API detail shows it to `viewer`, or None if it
    does not exist for `viewer`."""
    if model is DraftLaw:
        return _api_law(viewer, pk)
    return api_records(model, viewer, detail=True).filter(pk=pk).first()


# The annotations of a law's detail that hold JSON lists (`JSONRows`).
LAW_DETAIL_ROWS = (
    "document_rows",
    "number_rows",
    "committee_rows",
    "entry_into_force_rows",
    "relation_rows",
    "inverse_relation_rows",
    "tax_measure_rows",
    "facility_rows",
    "deadline_rows",
)


def _api_law(viewer: Viewer, pk: int) -> DraftLaw | None:
    """A law's detail read with one statement compiled once per viewer: what the law's
    collections and related records (`api_laws`) cost to compile is paid once, not on
    every request."""
    found = _law_detail(viewer).instances(pk=pk).prefetch_related(_visible_partner_codes(viewer))
    laws = list(found)
    if not laws:
        return None
    law = laws[0]
    for name in LAW_DETAIL_ROWS:
        value = getattr(law, name)
        if isinstance(value, str):  # SQLite hands JSON over as text
            setattr(law, name, json.loads(value))
    return law


@functools.lru_cache(maxsize=4096)
def _law_detail(viewer: Viewer) -> Prepared:
    return Prepared(lambda pk: api_laws(viewer, detail=True).filter(pk=pk).order_by())


def linked_to_visible_partners(
    model: type[TrackedRecord], viewer: Viewer, codes: list[str]
) -> Exists:
    """Rows of `model` linked to any of the partner countries `codes` that `viewer` may see."""
    through = model._meta.get_field("partners").remote_field.through
    source = f"{model._meta.model_name}_id"
    return Exists(
        through.objects.filter(
            **{source: OuterRef("pk")},
            partnercountry__in=visible_partners(viewer).filter(code__in=codes),
        )
    )


def visible_status_changes(viewer: Viewer) -> QuerySet[StatusChange]:
    """Status changes of the records `viewer` may see now (none of any other record)."""
    changes = StatusChange.objects.filter(is_active=True)
    if viewer.is_staff:
        return changes
    about_visible = Q(pk__in=[])
    for model in RECORD_MODELS.values():
        about_visible |= Q(
            content_type=ContentType.objects.get_for_model(model),
            record_id__in=visible_records(model, viewer).values("pk"),
        )
    return changes.filter(about_visible)


def visible_partner_codes(
    model: type[TrackedRecord], viewer: Viewer, record_ids: list[int]
) -> dict[int, list[str]]:
    """record id -> sorted ISO codes of its linked partner countries that `viewer` may see."""
    if not record_ids:
        return {}
    codes: dict[int, list[str]] = {}
    for record_id, code in _partner_codes(model, viewer).rows(records=list(record_ids)):
        codes.setdefault(record_id, []).append(code)
    return codes


@functools.lru_cache(maxsize=4096)
def _partner_codes(model: type[TrackedRecord], viewer: Viewer) -> Prepared:
    # Compiled once per reader and page length: the visibility rule costs more to compile
    # than the query to run.
    through = model._meta.get_field("partners").remote_field.through
    source = f"{model._meta.model_name}_id"
    return Prepared(
        lambda records: (
            through.objects.filter(
                **{f"{source}__in": records},
                partnercountry__in=visible_partners(viewer).values("pk"),
            )
            .order_by("partnercountry__code")
            .values_list(source, "partnercountry__code")
        )
    )


def partners_who_can_see(
    *, record_type: str, record_id: int | None, partner_ids: set[int]
) -> set[int]:
    """Which of `partner_ids` may see the record now (none if it is gone or unknown).

    One query whatever the number of partners: the partner countries for which
    `visible_records` (the rule every read applies) finds the record.
    """
    model = RECORD_MODELS.get(record_type)
    if model is None or record_id is None or not partner_ids:
        return set()
    seen = visible_records(model, Viewer(partner_id=OuterRef("pk"))).filter(pk=record_id)
    return set(
        PartnerCountry.objects.filter(pk__in=partner_ids)
        .filter(Exists(seen))
        .values_list("pk", flat=True)
    )


# --- Deadlines ---------------------------------------------------------------------------------


def _about_visible_record(viewer: Viewer, *first: When) -> Case:
    """Per row of a table naming a record by `record_type` and `record_id`: may `viewer` see
    the record? Checked row by row (the change feed puts its tombstones' rule `first`)."""
    return Case(
        *first,
        *(
            When(
                record_type=record_type,
                then=Subquery(
                    visible_records(model, viewer)
                    .filter(pk=OuterRef("record_id"))
                    .values(seen=Value(True))[:1],
                    output_field=BooleanField(),
                ),
            )
            for record_type, model in RECORD_MODELS.items()
        ),
        default=Value(False),
    )


def visible_deadlines(viewer: Viewer) -> QuerySet[Deadline]:
    """Deadlines of the records `viewer` may see now, soonest first (no date last)."""
    deadlines = Deadline.objects.all()
    if viewer.is_staff:
        return deadlines
    return deadlines.alias(
        about_visible=Coalesce(_about_visible_record(viewer), Value(False))
    ).filter(about_visible=True)


def deadlines_of_records(
    viewer: Viewer, record_type: str, record_ids: list[int]
) -> dict[int, list[Deadline]]:
    """record id -> its deadlines, for records the caller already found visible to `viewer`:
    one query for a whole page."""
    if not record_ids:
        return {}
    result: dict[int, list[Deadline]] = {}
    for row in _DEADLINES_OF.instances(record_type=record_type, records=list(record_ids)):
        result.setdefault(row.record_id, []).append(row)
    return result


_DEADLINES_OF = Prepared(
    lambda record_type, records: Deadline.objects.filter(
        record_type=record_type, record_id__in=records
    ).order_by(F("due_on").asc(nulls_last=True), "id")
)


def deadlines_linked_to_partner(partner_id: int) -> Q:
    """The condition on `Deadline` rows whose record is linked to the partner country (or is
    the partner country itself), whatever the record's visibility: a staff filter."""
    condition = Q(record_type=PartnerCountry.record_type, record_id=partner_id)
    for record_type, model in RECORD_MODELS.items():
        if model is PartnerCountry:
            continue
        through = model._meta.get_field("partners").remote_field.through
        source = f"{model._meta.model_name}_id"
        condition |= Q(
            record_type=record_type,
            record_id__in=through.objects.filter(partnercountry_id=partner_id).values(source),
        )
    return condition


# --- Impact ------------------------------------------------------------------------------------
# What a change to a record touches: the tax measures resting on a law (its legal bases), the
# facilities a law enables or whose tax measures it carries, and the partner programmes of the
# partner countries the record is linked to. Events carry it as `affects`; each reader sees
# only the items it may see (`affects_seen_by`).


def affected_by(record_type: str, record_id: int | None) -> list[dict]:
    """Everything a change to the record touches, whoever may see it (one statement), as
    `{"type": "tax_measure" | "facility" | "programme", "id": ...}` items (a programme also
    names its `partner`)."""
    if record_id is None or record_type not in RECORD_MODELS:
        return []
    rows = sorted(set(_AFFECTED[record_type].rows(record=record_id)))
    return [
        {"type": AFFECTED_KINDS[rank], "id": pk, **({"partner": partner} if rank == 2 else {})}
        for rank, pk, partner in rows
    ]


AFFECTED_KINDS = ("tax_measure", "facility", "programme")


def _affected_parts(record_type: str, record: int) -> QuerySet:
    """Rows of (kind, id, partner) for `affected_by`, kind being the index into
    `AFFECTED_KINDS`, maybe repeated: each part reads one link table by its index (an OR
    across two tables would read them whole)."""
    bases = TaxMeasure.legal_bases.through.objects
    links: dict[str, QuerySet] = {
        "law": DraftLaw.partners.through.objects.filter(draftlaw_id=record),
        "tax_measure": TaxMeasure.partners.through.objects.filter(taxmeasure_id=record),
        "facility": Facility.partners.through.objects.filter(facility_id=record),
    }
    partners = links[record_type].values("partnercountry_id") if record_type in links else None
    parts: list[tuple[int, QuerySet, str]] = []
    if record_type == DraftLaw.record_type:
        measures = bases.filter(draftlaw_id=record).values("taxmeasure_id")
        founded = TaxMeasure.objects.filter(legal_basis_id=record).values("pk")
        measure_facilities = Facility.tax_measures.through.objects
        parts += [
            (0, bases.filter(draftlaw_id=record), "taxmeasure_id"),
            (0, TaxMeasure.objects.filter(legal_basis_id=record), "pk"),
            (1, Facility.enabling_laws.through.objects.filter(draftlaw_id=record), "facility_id"),
            (1, measure_facilities.filter(taxmeasure_id__in=measures), "facility_id"),
            (1, measure_facilities.filter(taxmeasure_id__in=founded), "facility_id"),
        ]
    elif record_type == TaxMeasure.record_type:
        facilities = Facility.tax_measures.through.objects.filter(taxmeasure_id=record)
        parts.append((1, facilities, "facility_id"))
    programmes = (
        CooperationProgramme.objects.filter(partner_id__in=partners)
        if partners is not None
        else CooperationProgramme.objects.filter(partner_id=record)
    )
    no_partner = Cast(Value(None), BigIntegerField())
    queries = [
        queryset.order_by()
        .annotate(affected_kind=Value(rank, output_field=IntegerField()), partner_of=no_partner)
        .values_list("affected_kind", column, "partner_of")
        for rank, queryset, column in parts
    ]
    queries.append(
        programmes.order_by()
        .annotate(affected_kind=Value(2, output_field=IntegerField()), partner_of=F("partner_id"))
        .values_list("affected_kind", "pk", "partner_of")
    )
    return queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]


_AFFECTED = {
    record_type: Prepared(
        lambda record, record_type=record_type: _affected_parts(record_type, record)
    )
    for record_type in RECORD_MODELS
}


def affects_seen_by(viewer: Viewer, affects_lists: list[list[dict]]) -> set[tuple[str, int]]:
    """Which of the items of `affects_lists` (one per event) `viewer` may see: one query,
    whatever the number of events and items (a feed page costs the same at any size)."""
    wanted: dict[str, set[int]] = {"tax_measure": set(), "facility": set(), "partner": set()}
    for affects in affects_lists:
        for item in affects:
            if item["type"] == "programme":
                wanted["partner"].add(item["partner"])
            elif item["type"] in wanted:
                wanted[item["type"]].add(item["id"])
    # Each part is a query of its own in the UNION: the visibility condition compiled once.
    parts = [
        listed_records(RECORD_MODELS[key], viewer)
        # Id 0 never exists: the query has the same shape with nothing to look for.
        .filter(pk__in=sorted(ids) or [0])
        .order_by()
        .annotate(affected_kind=Value(key, output_field=CharField()))
        .values_list("affected_kind", "pk")
        for key, ids in wanted.items()
    ]
    seen = set(parts[0].union(*parts[1:], all=True))
    result = set()
    for affects in affects_lists:
        for item in affects:
            if item["type"] == "programme":
                if ("partner", item["partner"]) in seen:
                    result.add(("programme", item["id"]))
            elif (item["type"], item["id"]) in seen:
                result.add((item["type"], item["id"]))
    return result


def affects_for(affects: list[dict], seen: set[tuple[str, int]] | None) -> list[dict]:
    """`affects` narrowed to the items in `seen` (None: all of them, for staff)."""
    if seen is None:
        return list(affects)
    return [item for item in affects if (item["type"], item["id"]) in seen]
