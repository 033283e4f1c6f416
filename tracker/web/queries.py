"""What the dashboard reads, built only on the public view of `tracker.selectors`.

Every query here starts from a `visible_*` selector with `Viewer.public()`, so restricted,
partner-only and archived records (and their status changes) cannot leak into a page, a
count or a feed. Each function runs a fixed number of queries, whatever the data size.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_countries.fields import Country

from tracker import links
from tracker.deadlines import OVERDUE, present
from tracker.models import (
    RECORD_MODELS,
    RELATION_INVERSE_LABELS,
    CooperationProgramme,
    DatePrecision,
    Deadline,
    DraftLaw,
    Facility,
    LawRelation,
    PartnerCountry,
    ProceduralEventKind,
    StatusChange,
    TaxMeasure,
    TaxMeasureKind,
    TimelineEntry,
    TrackedRecord,
)
from tracker.selectors import (
    Viewer,
    affected_by,
    deadlines_of_records,
    status_history,
    timeline,
    visible_facilities,
    visible_laws,
    visible_partners,
    visible_records,
    visible_status_changes,
    visible_tax_measures,
)
from tracker.workflows import (
    FACILITY_WORKFLOW,
    LAW_WORKFLOW,
    PARTNER_WORKFLOW,
    WORKFLOWS,
    Workflow,
)

from .localize import language, with_local_names

PUBLIC = Viewer.public()


def public_laws(*, text: bool = False) -> QuerySet[DraftLaw]:
    return with_local_names(visible_laws(PUBLIC), text=text)


def public_tax_measures(*, text: bool = False) -> QuerySet[TaxMeasure]:
    return with_local_names(visible_tax_measures(PUBLIC), text=text)


def public_facilities(*, text: bool = False) -> QuerySet[Facility]:
    return with_local_names(visible_facilities(PUBLIC), text=text)


def public_partners(*, text: bool = False) -> QuerySet[PartnerCountry]:
    return with_local_names(visible_partners(PUBLIC), text=text)


def public_partners_prefetch() -> Prefetch:
    """Linked partner countries, the public ones only, as `public_partners`."""
    return Prefetch(
        "partners", queryset=public_partners().order_by("local_name"), to_attr="public_partners"
    )


# --- Counts and pictures for the home page ------------------------------------------


@dataclass
class Stage:
    status: str
    label: str
    count: int = 0
    share: int = 0  # percent of the largest stage, for the bar width
    items: list = field(default_factory=list)
    on_main_path: bool = True
    is_end: bool = False


@dataclass
class Stages:
    main: list[Stage]  # the main path, in order, empty stages included
    side: list[Stage]  # the other statuses that hold at least one record


def _stages(workflow: Workflow, counts: dict[str, int], items=None) -> Stages:
    items = items or {}
    largest = max(counts.values(), default=0) or 1

    def stage(status: str) -> Stage:
        count = counts.get(status, 0)
        return Stage(
            status=status,
            label=workflow.label(status),
            count=count,
            share=round(100 * count / largest),
            items=items.get(status, []),
            on_main_path=status in workflow.main_path,
            is_end=workflow.is_terminal(status),
        )

    return Stages(
        main=[stage(s) for s in workflow.main_path],
        side=[
            stage(s)
            for s in workflow.statuses.values
            if s not in workflow.main_path and counts.get(s)
        ],
    )


def law_stages() -> Stages:
    """Every public draft law, placed at its stage."""
    by_status: dict[str, list[DraftLaw]] = defaultdict(list)
    for law in public_laws().only("id", "status", "registration_number").order_by("local_name"):
        by_status[law.status].append(law)
    counts = {status: len(laws) for status, laws in by_status.items()}
    return _stages(LAW_WORKFLOW, counts, by_status)


def status_counts(queryset: QuerySet) -> dict[str, int]:
    rows = queryset.order_by().values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def facility_stages() -> Stages:
    return _stages(FACILITY_WORKFLOW, status_counts(visible_facilities(PUBLIC)))


@dataclass
class CountryCount:
    country: Country
    count: int
    share: int


def facilities_by_country() -> list[CountryCount]:
    rows = visible_facilities(PUBLIC).order_by().values("country").annotate(n=Count("id"))
    largest = max((row["n"] for row in rows), default=0) or 1
    result = [
        CountryCount(Country(row["country"]), row["n"], round(100 * row["n"] / largest))
        for row in rows
    ]
    return sorted(result, key=lambda c: (-c.count, c.country.name))


def partner_stages() -> Stages:
    return _stages(PARTNER_WORKFLOW, status_counts(visible_partners(PUBLIC)))


def totals() -> dict[str, int]:
    return {
        "laws": visible_laws(PUBLIC).count(),
        "tax_measures": visible_tax_measures(PUBLIC).count(),
        "facilities": visible_facilities(PUBLIC).count(),
        "partners": visible_partners(PUBLIC).count(),
    }


# --- Status changes --------------------------------------------------------------


def latest_changes(limit: int) -> list[StatusChange]:
    # Steps whose date is not known come after the dated ones (by when they were recorded).
    changes = visible_status_changes(PUBLIC).order_by(
        F("occurred_on").desc(nulls_last=True), "-recorded_at", "-id"
    )[:limit]
    return with_records(list(changes))


def with_records(changes: list[StatusChange]) -> list[StatusChange]:
    """Attach to each change its public record (`public_record`, `record_type`,
    `record_url`) and status labels; one query per record type involved."""
    wanted: dict[int, set[int]] = defaultdict(set)
    for change in changes:
        wanted[change.content_type_id].add(change.record_id)
    records: dict[tuple[int, int], TrackedRecord] = {}
    for model in RECORD_MODELS.values():
        content_type = ContentType.objects.get_for_model(model)
        if ids := wanted.get(content_type.pk):
            for record in with_local_names(visible_records(model, PUBLIC)).filter(pk__in=ids):
                records[(content_type.pk, record.pk)] = record
    result = []
    for change in changes:
        record = records.get((change.content_type_id, change.record_id))
        if record is None:
            continue
        change.public_record = record
        change.record_type = record.record_type
        change.record_url = links.public_path(record.record_type, record.pk)
        label_changes([change], record.workflow)
        result.append(change)
    return result


def label_changes(changes: Iterable[StatusChange], workflow: Workflow) -> list[StatusChange]:
    changes = list(changes)
    for change in changes:
        change.from_label = _label(workflow, change.from_status)
        change.to_label = _label(workflow, change.to_status)
    return changes


def _label(workflow: Workflow, status: str) -> str:
    return workflow.label(status) if status in workflow.statuses.values else status


def history_of(record: TrackedRecord) -> list[StatusChange]:
    """The record's status changes, oldest first, labelled; the record must be public."""
    return label_changes(status_history(record), WORKFLOWS[record.record_type])


def date_as_known(entry: TimelineEntry) -> str:
    """The entry's date as far as it is known, in the active language: a day, a month, or
    the words 'date not known'."""
    if entry.occurred_on is None:
        return _("date not known")
    if entry.date_precision == DatePrecision.MONTH:
        return date_format(entry.occurred_on, "YEAR_MONTH_FORMAT")
    return date_format(entry.occurred_on, "DATE_FORMAT")


def steps_by_record(
    model: type[TrackedRecord], ids: Iterable[int]
) -> dict[int, list[StatusChange]]:
    """The active steps of each of the records `ids` (already known to be public), in timeline
    order; one query."""
    steps: dict[int, list[StatusChange]] = defaultdict(list)
    ids = list(ids)
    if not ids:
        return steps
    rows = StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(model), record_id__in=ids, is_active=True
    ).order_by("record_id", "position", "recorded_at", "id")
    for step in rows:
        steps[step.record_id].append(step)
    return steps


def timeline_of(record: TrackedRecord) -> list[TimelineEntry]:
    """The record's steps and procedural events as they now stand, oldest first, labelled
    (`is_step`, status labels, `is_failed_vote`); the record must be public. Corrected
    entries appear as corrected, retracted ones not at all."""
    workflow = WORKFLOWS[record.record_type]
    entries = timeline(record, PUBLIC)
    for entry in entries:
        entry.is_step = isinstance(entry, StatusChange)
        entry.is_failed_vote = not entry.is_step and entry.kind == ProceduralEventKind.FAILED_VOTE
        if entry.is_step:
            label_changes([entry], workflow)
    return entries


def steps_of(entries: Iterable[TimelineEntry]) -> list[StatusChange]:
    return [entry for entry in entries if isinstance(entry, StatusChange)]


@dataclass(frozen=True)
class RelatedBill:
    label: str
    law: DraftLaw
    note: str = ""


def related_bills(law: DraftLaw) -> list[RelatedBill]:
    """The bills related to `law`, read from either end (an alternative bill, the reworked
    text, a package...); a bill the public may not see is left out, unnamed. Two queries."""
    relations = list(LawRelation.objects.filter(Q(law=law) | Q(other=law)).order_by("kind", "id"))
    ids = {r.other_id if r.law_id == law.pk else r.law_id for r in relations}
    laws = {bill.pk: bill for bill in public_laws().filter(pk__in=ids)} if ids else {}
    result = []
    for relation in relations:
        if relation.law_id == law.pk:
            other, label = relation.other_id, relation.get_kind_display()
        else:
            other = relation.law_id
            label = RELATION_INVERSE_LABELS.get(relation.kind, relation.get_kind_display())
        if other in laws:
            result.append(RelatedBill(label=str(label), law=laws[other], note=relation.note))
    return result


def legal_bases(measure: TaxMeasure) -> list[DraftLaw]:
    """The public laws a tax measure rests on, the main one first (`is_main` set)."""
    laws = list(
        public_laws()
        .filter(Q(based_tax_measures=measure) | Q(pk=measure.legal_basis_id or 0))
        .distinct()
        .order_by("id")
    )
    for law in laws:
        law.is_main = law.pk == measure.legal_basis_id
    return sorted(laws, key=lambda law: not law.is_main)


def kind_labels(kinds: Iterable[str]) -> list[str]:
    """Labels of tax measure kinds, unknown values left out."""
    return [str(TaxMeasureKind(k).label) for k in kinds if k in TaxMeasureKind.values]


def with_progress(records: Iterable[TrackedRecord]) -> list[TrackedRecord]:
    """Set on each record `stage_number` (1-based place on the main path, None off it),
    `stage_count`, `stage_range`, `is_terminal` and, for draft laws, `next_step_overdue`."""
    records = list(records)
    today = timezone.localdate()
    for record in records:
        path = record.workflow.main_path
        record.stage_number = path.index(record.status) + 1 if record.status in path else None
        record.stage_count = len(path)
        record.stage_range = range(1, len(path) + 1)
        record.is_terminal = record.workflow.is_terminal(record.status)
        if isinstance(record, DraftLaw):
            record.next_step_overdue = is_next_step_overdue(record, today)
    return records


def is_next_step_overdue(law: DraftLaw, today: datetime.date) -> bool:
    """The planned date has passed and the law is still moving."""
    return bool(
        law.planned_next_step_on
        and law.planned_next_step_on < today
        and not LAW_WORKFLOW.is_terminal(law.status)
    )


# --- Deadlines ---------------------------------------------------------------------------------

# The dashboard lists what is due within this many days, and what is overdue.
DUE_SOON_DAYS = 14
DEADLINES_SHOWN = 20


def deadlines_of(record: TrackedRecord, today: datetime.date) -> list[dict]:
    """The public record's deadlines as readers get them (`tracker.deadlines.present`)."""
    rows = deadlines_of_records(PUBLIC, record.record_type, [record.pk]).get(record.pk, [])
    return [present(row, today) for row in rows]


def due_and_overdue(today: datetime.date) -> tuple[list[dict], list[dict]]:
    """Deadlines of public records due in the next `DUE_SOON_DAYS` days, and the overdue ones
    (someone had to act), each with its record's name (`record_name`) and page (`url`): one
    query, the name read with the public visibility rule (no name: not public)."""
    soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
    name = Case(
        *(
            When(
                record_type=record_type,
                then=Subquery(
                    with_local_names(visible_records(model, PUBLIC))
                    .filter(pk=OuterRef("record_id"))
                    .values("local_name")[:1]
                ),
            )
            for record_type, model in RECORD_MODELS.items()
        ),
        default=Value(None),
        output_field=CharField(),
    )
    rows = list(
        Deadline.objects.filter(
            Q(due_on__gte=today, due_on__lte=soon) | Q(due_on__lt=today, obliged=True)
        )
        .annotate(record_name=name)
        .filter(record_name__isnull=False)
        .order_by("due_on", "id")[: 2 * DEADLINES_SHOWN]
    )
    due, overdue = [], []
    for row in rows:
        shown = {
            **present(row, today),
            "record_name": row.record_name,
            "url": links.public_path(row.record_type, row.record_id),
        }
        (overdue if shown["state"] == OVERDUE else due).append(shown)
    # The latest missed first: what may still be saved before what is long gone.
    overdue.reverse()
    return due[:DEADLINES_SHOWN], overdue[:DEADLINES_SHOWN]


def public_dated_deadlines() -> list[Deadline]:
    """Every dated deadline of a public record, soonest first, each with its record
    (`public_record`, with `local_name`): one query for the deadlines, one per record type
    that has any."""
    rows = list(Deadline.objects.filter(due_on__isnull=False).order_by("due_on", "id"))
    wanted: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        wanted[row.record_type].add(row.record_id)
    records = {}
    for record_type, model in RECORD_MODELS.items():
        if ids := wanted.get(record_type):
            for record in with_local_names(visible_records(model, PUBLIC)).filter(pk__in=ids):
                records[(record_type, record.pk)] = record
    result = []
    for row in rows:
        record = records.get((row.record_type, row.record_id))
        if record is not None:
            row.public_record = record
            result.append(row)
    return result


# --- Impact ------------------------------------------------------------------------------------


def affects_of(record: TrackedRecord) -> list[dict]:
    """What a change to the public record touches that the public may see (tax measures,
    facilities, partner programmes), each with its name and page: a fixed number of queries."""
    affects = affected_by(record.record_type, record.pk)
    wanted: dict[str, set[int]] = defaultdict(set)
    for item in affects:
        wanted[item["type"]].add(item["id"])
    names: dict[tuple[str, int], tuple[str, str]] = {}
    for record_type, model in (
        (TaxMeasure.record_type, TaxMeasure),
        (Facility.record_type, Facility),
    ):
        if ids := wanted.get(record_type):
            for other in public_records_named(model, ids):
                names[(record_type, other.pk)] = (
                    other.local_name,
                    links.public_path(record_type, other.pk),
                )
    if ids := wanted.get("programme"):
        programmes = CooperationProgramme.objects.filter(
            pk__in=ids, partner__in=visible_partners(PUBLIC).values("pk")
        ).select_related("partner")
        uk = language() == "uk"
        for programme in programmes:
            partner = programme.partner
            name = programme.name_uk if uk and programme.name_uk else programme.name_en
            partner_name = partner.name_uk if uk and partner.name_uk else partner.name_en
            names[("programme", programme.pk)] = (
                f"{partner_name}: {name}",
                links.public_path(PartnerCountry.record_type, partner.pk),
            )
    labels = {
        "tax_measure": _("Tax measure"),
        "facility": _("Facility"),
        "programme": _("Partner programme"),
    }
    return [
        {"type": item["type"], "label": labels[item["type"]], "name": name, "url": url}
        for item in affects
        if (name_url := names.get((item["type"], item["id"])))
        for name, url in [name_url]
    ]


def public_records_named(model: type[TrackedRecord], ids: set[int]) -> QuerySet:
    return with_local_names(visible_records(model, PUBLIC)).filter(pk__in=ids).order_by("pk")
