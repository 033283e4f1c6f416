"""Public dashboard pages. Each view reads through `queries` (public records only) and renders."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from tracker.models import DeadlineKind
from tracker.workflows import LAW_WORKFLOW

from . import queries
from .forms import FacilityFilterForm, LawFilterForm, PartnerFilterForm, TaxMeasureFilterForm
from .localize import language
from .president import president_term
from .stepper import build_stepper

PAGE_SIZE = 20
PRESIDENT_KINDS = (DeadlineKind.PRESIDENT_ANSWER, DeadlineKind.PRESIDENT_AFTER_OVERRIDE)
LATEST_CHANGES = 10


def _render(
    request: HttpRequest, template: str, section: str, context: dict, status: int = 200
) -> HttpResponse:
    context = {"section": section, **context}
    return render(request, template, context, status=status)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    due_soon, overdue = queries.due_and_overdue(timezone.localdate())
    return _render(
        request,
        "web/home.html",
        "home",
        {
            "totals": queries.totals(),
            "law_stages": queries.law_stages(),
            "latest_changes": queries.latest_changes(LATEST_CHANGES),
            "facility_stages": queries.facility_stages(),
            "facility_countries": queries.facilities_by_country(),
            "partners": queries.with_progress(queries.public_partners().order_by("local_name")),
            "partner_stages": queries.partner_stages(),
            "due_soon": due_soon,
            "overdue": overdue,
            "due_soon_days": queries.DUE_SOON_DAYS,
        },
    )


def _list_page(
    request: HttpRequest, *, form, queryset: QuerySet, template: str, section: str
) -> HttpResponse:
    """Filter, paginate and render a list; a filter value that makes no sense is a 400
    showing what to fix, with the other filters still applied."""
    valid = form.is_valid()
    page = Paginator(form.filter(queryset), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = queries.with_progress(page.object_list)
    filtered = any(form.cleaned_data.values())
    return _render(
        request,
        template,
        section,
        {"form": form, "page": page, "filtered": filtered},
        status=200 if valid else 400,
    )


@require_safe
def law_list(request: HttpRequest) -> HttpResponse:
    laws = (
        queries.public_laws()
        .prefetch_related(queries.public_partners_prefetch())
        .order_by("-updated_at", "-id")
    )
    return _list_page(
        request,
        form=LawFilterForm(request.GET),
        queryset=laws,
        template="web/law_list.html",
        section="laws",
    )


@require_safe
def law_detail(request: HttpRequest, pk: int) -> HttpResponse:
    law = get_object_or_404(queries.public_laws(text=True), pk=pk)
    history = queries.timeline_of(law)
    steps = queries.steps_of(history)
    today = timezone.localdate()
    next_step_overdue = queries.is_next_step_overdue(law, today)
    return _render(
        request,
        "web/law_detail.html",
        "laws",
        {
            "law": law,
            "stepper": build_stepper(law.workflow, law.status, steps),
            "history": history,
            "president_term": president_term(law.status, steps, today),
            # The President's term has its own box (with what art. 94 says); the rest here.
            "deadlines": [
                d for d in queries.deadlines_of(law, today) if d["kind"] not in PRESIDENT_KINDS
            ],
            "other_numbers": law.other_numbers.all(),
            "other_committees": law.other_committees.all(),
            "entries_into_force": law.entries_into_force.all(),
            "related_bills": queries.related_bills(law),
            "affects": queries.affects_of(law),
            "documents": law.documents.all(),
            "partners": queries.public_partners().filter(laws=law).order_by("local_name"),
            "tax_measures": queries.public_tax_measures()
            .filter(Q(legal_basis=law) | Q(legal_bases=law))
            .distinct(),
            "facilities": queries.public_facilities().filter(enabling_laws=law),
            "is_terminal": LAW_WORKFLOW.is_terminal(law.status),
            "next_step_overdue": next_step_overdue,
            "overdue_days": (today - law.planned_next_step_on).days if next_step_overdue else 0,
        },
    )


@require_safe
def tax_measure_list(request: HttpRequest) -> HttpResponse:
    measures = (
        queries.public_tax_measures()
        .prefetch_related(queries.public_partners_prefetch())
        .order_by("-updated_at", "-id")
    )
    return _list_page(
        request,
        form=TaxMeasureFilterForm(request.GET),
        queryset=measures,
        template="web/tax_measure_list.html",
        section="tax_measures",
    )


@require_safe
def tax_measure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    measure = get_object_or_404(queries.public_tax_measures(text=True), pk=pk)
    history = queries.timeline_of(measure)
    return _render(
        request,
        "web/tax_measure_detail.html",
        "tax_measures",
        {
            "measure": measure,
            "stepper": build_stepper(measure.workflow, measure.status, queries.steps_of(history)),
            "history": history,
            "legal_bases": queries.legal_bases(measure),
            "deadlines": queries.deadlines_of(measure, timezone.localdate()),
            "affects": queries.affects_of(measure),
            "other_kinds": queries.kind_labels(measure.other_kinds or []),
            "partners": queries.public_partners().filter(tax_measures=measure),
            "facilities": queries.public_facilities().filter(tax_measures=measure),
        },
    )


@require_safe
def facility_list(request: HttpRequest) -> HttpResponse:
    facilities = (
        queries.public_facilities()
        .prefetch_related(queries.public_partners_prefetch())
        .order_by("-updated_at", "-id")
    )
    return _list_page(
        request,
        form=FacilityFilterForm(request.GET),
        queryset=facilities,
        template="web/facility_list.html",
        section="facilities",
    )


@require_safe
def facility_detail(request: HttpRequest, pk: int) -> HttpResponse:
    facility = get_object_or_404(queries.public_facilities(text=True), pk=pk)
    history = queries.timeline_of(facility)
    return _render(
        request,
        "web/facility_detail.html",
        "facilities",
        {
            "facility": facility,
            "stepper": build_stepper(facility.workflow, facility.status, queries.steps_of(history)),
            "history": history,
            "partners": queries.public_partners().filter(facilities=facility),
            "laws": queries.public_laws().filter(facilities=facility),
            "deadlines": queries.deadlines_of(facility, timezone.localdate()),
            "affects": queries.affects_of(facility),
            "tax_measures": queries.public_tax_measures().filter(facilities=facility),
        },
    )


@require_safe
def partner_list(request: HttpRequest) -> HttpResponse:
    return _list_page(
        request,
        form=PartnerFilterForm(request.GET),
        queryset=queries.public_partners().order_by("local_name"),
        template="web/partner_list.html",
        section="partners",
    )


@require_safe
def partner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_object_or_404(queries.public_partners(text=True), pk=pk)
    history = queries.timeline_of(partner)
    programmes = list(partner.programmes.all())
    for programme in programmes:
        programme.local_name = (
            programme.name_uk if language() == "uk" and programme.name_uk else programme.name_en
        )
    return _render(
        request,
        "web/partner_detail.html",
        "partners",
        {
            "partner": partner,
            "stepper": build_stepper(partner.workflow, partner.status, queries.steps_of(history)),
            "history": history,
            "programmes": programmes,
            "agreements": partner.agreements.all(),
            "laws": queries.public_laws().filter(partners=partner),
            "tax_measures": queries.public_tax_measures().filter(partners=partner),
            "facilities": queries.public_facilities().filter(partners=partner),
        },
    )
