"""A small world with public records and hidden ones (restricted, partner-only, archived),
each hidden one carrying a tell-tale name that must never reach a public page or feed."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests.factories import make_facility, make_law, make_partner, make_tax_measure, move
from tracker.models import Agreement, Contact, LawDocument, LawRelation, Visibility
from tracker.services.records import record_archive
from tracker.services.transitions import record_transition

HIDDEN = "SECRET"


@pytest.fixture
def world(db):
    today = timezone.localdate()
    germany = make_partner(
        "DE", name_en="Germany", name_uk="Німеччина", internal_notes=f"{HIDDEN} partner note"
    )
    Contact.objects.create(partner=germany, name=f"{HIDDEN} Contact Person", email="x@example.de")
    Agreement.objects.create(partner=germany, title="Joint production accord", signed_on=today)
    move(germany, "negotiating", "mou_signed")
    denmark = make_partner("DK", name_en="Denmark", name_uk="Данія")
    hidden_partner = make_partner(
        "NO",
        name_en=f"{HIDDEN} Norway",
        name_uk=f"{HIDDEN} Норвегія",
        visibility=Visibility.RESTRICTED,
    )
    move(hidden_partner, "negotiating")

    law = make_law(
        title_en="On joint weapons production",
        title_uk="Про спільне виробництво озброєння",
        registration_number="13302",
        registration_date=today - datetime.timedelta(days=30),
        summary_en="Lets partners co-invest.",
        summary_uk="Дозволяє партнерам спільно інвестувати.",
        internal_notes=f"{HIDDEN} law note",
        partners=[germany, hidden_partner],
        planned_next_step="Second reading",
        planned_next_step_on=today - datetime.timedelta(days=3),
    )
    start = today - datetime.timedelta(days=20)
    move(
        law,
        "stakeholder_review",
        "cabinet_approved",
        "registered",
        "in_committee",
        "first_reading",
        start=start,
    )
    record_transition(
        record=law,
        to_status="adopted_in_principle",
        occurred_on=today - datetime.timedelta(days=10),
        recorded_by=None,
        note="Adopted as a basis; proposals due in 14 days.",
        source_url="https://rada.example/13302",
        votes_for=262,
        votes_against=12,
        abstained=5,
    )
    LawDocument.objects.create(
        law=law, kind="text", title="Bill text", url="https://rada.example/t"
    )

    restricted_law = make_law(
        title_en=f"{HIDDEN} restricted law",
        title_uk=f"{HIDDEN} закон",
        visibility=Visibility.RESTRICTED,
        partners=[germany],
        planned_next_step="Hidden step",
        planned_next_step_on=today,
    )
    move(restricted_law, "registered", "in_committee")
    # A hidden bill related to the public one: the public page must not name it.
    LawRelation.objects.create(law=restricted_law, kind="alternative_to", other=law)
    LawRelation.objects.create(law=law, kind="package_with", other=restricted_law)
    partners_law = make_law(
        title_en=f"{HIDDEN} partners-only law",
        title_uk=f"{HIDDEN} для партнерів",
        visibility=Visibility.PARTNERS,
    )
    move(partners_law, "registered")
    archived_law = make_law(title_en=f"{HIDDEN} archived law", title_uk=f"{HIDDEN} архів")
    move(archived_law, "registered")
    record_archive(record=archived_law, actor=None)

    vetoed_law = make_law(title_en="On special tax regimes", title_uk="Про спеціальні режими")
    move(
        vetoed_law,
        "registered",
        "in_committee",
        "first_reading",
        start=today - datetime.timedelta(days=12),
    )
    record_transition(
        record=vetoed_law,
        to_status="adopted_as_whole",
        occurred_on=today - datetime.timedelta(days=6),
        recorded_by=None,
        votes_for=300,
        votes_against=10,
        abstained=0,
    )
    move(
        vetoed_law,
        "signed_by_speaker",
        "sent_to_president",
        "vetoed",
        start=today - datetime.timedelta(days=4),
    )

    measure = make_tax_measure(
        name_en="VAT exemption on imported components",
        name_uk="Звільнення від ПДВ імпортних компонентів",
        legal_basis=law,
        rate_percent=20,
        partners=[germany],
    )
    measure.legal_bases.add(law, restricted_law)
    move(measure, "in_draft_law")
    hidden_measure = make_tax_measure(
        name_en=f"{HIDDEN} tax measure",
        legal_basis=law,
        visibility=Visibility.RESTRICTED,
    )
    move(hidden_measure, "in_draft_law")

    facility = make_facility(
        name_en="Artillery shell plant",
        name_uk="Завод артилерійських снарядів",
        country="UA",
        region="Kyiv region",
        exact_site=f"{HIDDEN} 50.45N 30.52E",
        internal_notes=f"{HIDDEN} facility note",
        investment=150_000_000,
        investment_currency="EUR",
        partners=[germany, hidden_partner],
    )
    facility.enabling_laws.add(law, restricted_law)
    facility.tax_measures.add(measure, hidden_measure)
    move(facility, "agreement_signed", "financed")
    drone_plant = make_facility(
        name_en="Drone assembly line",
        name_uk="Лінія складання дронів",
        country="DK",
        product_category="drones",
        partners=[denmark],
    )
    hidden_facility = make_facility(
        name_en=f"{HIDDEN} facility",
        name_uk=f"{HIDDEN} завод",
        country="NO",
        visibility=Visibility.PARTNERS,
        product_category="missiles",
    )
    move(hidden_facility, "agreement_signed")
    hidden_facility.enabling_laws.add(law)

    return SimpleNamespace(
        today=today,
        germany=germany,
        denmark=denmark,
        hidden_partner=hidden_partner,
        law=law,
        restricted_law=restricted_law,
        partners_law=partners_law,
        archived_law=archived_law,
        vetoed_law=vetoed_law,
        measure=measure,
        hidden_measure=hidden_measure,
        facility=facility,
        drone_plant=drone_plant,
        hidden_facility=hidden_facility,
    )
