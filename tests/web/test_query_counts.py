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
