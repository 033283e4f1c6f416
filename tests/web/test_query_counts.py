"""Every list and the home page run the same number of queries for 3 records or 30."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_facility, make_law, make_partner, make_tax_measure, move

pytestmark = pytest.mark.django_db

PAGES = [
    ("web:home", {}),
    ("web:law-list", {}),
    ("web:law-list", {"partner": "DE", "q": "joint"}),
    ("web:tax-measure-list", {}),
    ("web:facility-list", {}),
    ("web:facility-list", {"country": "UA"}),
    ("web:partner-list", {}),
    ("web:feed-atom", {}),
    ("web:feed-ics", {}),
]
TODAY = datetime.date.today()
CODES = ["DE", "FR", "DK", "GB", "PL", "SE", "NO", "FI", "CZ", "NL"]


def add_records(count: int) -> None:
    partners = [make_partner(code) for code in CODES[:3]]
    for index in range(count):
        partner = partners[index % len(partners)]
        law = make_law(partners=[partner], planned_next_step="Vote", planned_next_step_on=TODAY)
        move(law, "registered")
        measure = make_tax_measure(partners=[partner], legal_basis=law)
        move(measure, "in_draft_law")
        facility = make_facility(partners=partners)
        move(facility, "agreement_signed")
    for code in CODES[3 : 3 + count // 3]:
        partner = make_partner(code)
        if partner.status == "prospective":
            move(partner, "negotiating")


def queries_for(client, name, params) -> int:
    client.get(reverse(name), params)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse(name), params).status_code == 200
    return len(captured)


@pytest.mark.parametrize(("name", "params"), PAGES)
def test_query_count_does_not_grow_with_the_data(client, name, params):
    add_records(3)
    few = queries_for(client, name, params)
    add_records(27)
    many = queries_for(client, name, params)
    assert many == few, f"{name}: {few} queries for a few records, {many} for many"
    assert few <= 15


def grow_law(law, size: int) -> None:
    """Give `law` `size` of everything its page lists: procedural events, earlier numbers,
    committees, entries into force, related bills (public and hidden), legal bases."""
    from tracker.models import (
        EntryIntoForce,
        LawCommittee,
        LawRelation,
        RegistrationNumber,
        Visibility,
    )
    from tracker.services.transitions import record_procedural_event

    for index in range(size):
        record_procedural_event(
            record=law,
            kind="failed_vote",
            occurred_on=TODAY,
            recorded_by=None,
            title=f"Vote {index}",
            votes_for=10,
        )
        RegistrationNumber.objects.create(law=law, number=f"{law.pk}-{index}-old")
        LawCommittee.objects.create(law=law, name=f"Committee {index}", received_on=TODAY)
        EntryIntoForce.objects.create(law=law, provisions=f"Article {index}", on=TODAY)
        other = make_law(
            visibility=Visibility.PUBLIC if index % 2 else Visibility.RESTRICTED,
            partners=[make_partner("DE")],
        )
        LawRelation.objects.create(law=other, kind="alternative_to", other=law)
        LawRelation.objects.create(law=law, kind="package_with", other=other)
        measure = make_tax_measure(legal_basis=other)
        measure.legal_bases.add(law)


def test_record_pages_run_the_same_queries_whatever_their_history(client):
    few, many = make_law(), make_law()
    for law in (few, many):
        move(law, "registered", "in_committee")
    grow_law(few, 2)
    grow_law(many, 12)
    counts = []
    for law in (few, many):
        url = reverse("web:law-detail", args=[law.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
    measure_counts = []
    for law in (few, many):
        measure = make_tax_measure(legal_basis=law)
        measure.legal_bases.add(*[r.other for r in law.relations.all()])
        url = reverse("web:tax-measure-detail", args=[measure.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        measure_counts.append(len(captured))
    assert measure_counts[0] == measure_counts[1], measure_counts
