"""Every list runs the same number of queries for a page of 1 and a page of 100."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_facility, make_law, make_partner, make_tax_measure, move
from tracker.models import Agreement, LawRelation, RelationKind, Visibility

LISTS = [
    "/api/v1/laws/",
    "/api/v1/tax-measures/",
    "/api/v1/facilities/",
    "/api/v1/partners/",
    "/api/v1/events/",
]


@pytest.fixture
def many_records(germany, france):
    partners = [germany, france]
    for code in (
        "PL",
        "DK",
        "SE",
        "NO",
        "CZ",
        "FI",
        "NL",
        "GB",
        "IT",
        "ES",
        "PT",
        "BE",
        "AT",
        "LT",
        "LV",
        "EE",
        "SK",
        "RO",
        "BG",
        "HR",
        "SI",
        "IE",
        "CA",
        "US",
        "JP",
        "AU",
        "NZ",
        "KR",
        "CH",
        "LU",
        "IS",
        "MT",
        "CY",
        "GR",
        "HU",
        "TR",
        "MD",
        "GE",
        "AL",
        "MK",
        "ME",
        "BA",
        "RS",
        "IL",
        "SG",
        "AE",
        "SA",
        "QA",
        "KW",
    ):
        partner = make_partner(code, visibility=Visibility.PUBLIC)
        Agreement.objects.create(partner=partner, title="MoU", signed_on="2025-01-01")
        partners.append(partner)
    visibilities = [Visibility.PUBLIC, Visibility.PARTNERS, Visibility.RESTRICTED]
    for i in range(50):
        linked = [partners[i % len(partners)], partners[(i + 3) % len(partners)]]
        visibility = visibilities[i % 3]
        law = make_law(partners=linked, visibility=visibility)
        measure = make_tax_measure(partners=linked, visibility=visibility, legal_basis=law)
        facility = make_facility(partners=linked, visibility=visibility)
        facility.enabling_laws.add(law)
        facility.tax_measures.add(measure)
        if i % 10 == 0:
            move(law, "registered")


def _count(client, url, size):
    param = "limit" if "events" in url else "page_size"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {param: size})
    assert response.status_code == 200, response.content
    return len(queries), len(response.json()["results"])


@pytest.mark.django_db
@pytest.mark.parametrize("caller", ["anon", "de", "staff"])
def test_lists_run_constant_queries(many_records, anon, de_client, editor_client, caller):
    client = {"anon": anon, "de": de_client, "staff": editor_client}[caller]
    client.get("/api/v1/laws/")  # warm up: key last-used stamp, session
    for url in LISTS:
        one, items_one = _count(client, url, 1)
        hundred, items_hundred = _count(client, url, 100)
        assert (items_one, items_hundred > 10) == (1, True), url
        assert one == hundred, f"{url}: {one} queries for 1 item, {hundred} for {items_hundred}"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/laws/", "/api/v1/facilities/", "/api/v1/tax-measures/"])
def test_details_do_not_query_per_related_record(many_records, de_client, url):
    ids = [item["id"] for item in de_client.get(url, {"page_size": 100}).json()["results"]]
    counts = set()
    for pk in ids[:5]:
        with CaptureQueriesContext(connection) as queries:
            assert de_client.get(f"{url}{pk}/").status_code == 200
        counts.add(len(queries))
    assert len(counts) == 1


@pytest.mark.django_db
def test_a_law_detail_costs_the_same_queries_however_much_it_holds(
    germany, france, de_client, settings
):
    settings.API_RESPONSE_CACHE_SECONDS = 0
    bare = make_law(visibility=Visibility.PUBLIC)
    full = make_law(visibility=Visibility.PUBLIC)
    seen = make_law(visibility=Visibility.PUBLIC)
    unseen = make_law(visibility=Visibility.RESTRICTED, partners=[france])
    for n in range(3):
        full.documents.create(kind="text", title=f"Draft {n}", url=f"https://rada.example/{n}")
        full.other_numbers.create(number=f"{1000 + n}")
        full.other_committees.create(name=f"Committee {n}")
        full.entries_into_force.create(provisions=f"Section {n}", condition="On EU accession")
        make_tax_measure(visibility=Visibility.PUBLIC, legal_basis=full)
        make_facility(visibility=Visibility.PUBLIC).enabling_laws.add(full)
    make_tax_measure(visibility=Visibility.RESTRICTED, partners=[france], legal_basis=full)
    LawRelation.objects.create(law=full, other=seen, kind=RelationKind.ALTERNATIVE_TO)
    LawRelation.objects.create(law=unseen, other=full, kind=RelationKind.ALTERNATIVE_TO)
    LawRelation.objects.create(law=full, other=unseen, kind=RelationKind.PACKAGE_WITH)
    de_client.get(f"/api/v1/laws/{bare.pk}/")  # warm up: key last-used stamp

    counts = []
    for law in (bare, full):
        with CaptureQueriesContext(connection) as queries:
            body = de_client.get(f"/api/v1/laws/{law.pk}/").json()
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert (len(body["documents"]), len(body["other_committees"])) == (3, 3)
    assert [n["number"] for n in body["registration_numbers"]] == ["1000", "1001", "1002"]
    assert len(body["entries_into_force"]) == 3
    assert (len(body["tax_measures"]), len(body["facilities"])) == (3, 3)
    # Only the relation to a bill Germany may see, from this side.
    assert [(r["direction"], r["law"]["id"]) for r in body["relations"]] == [("outgoing", seen.pk)]
