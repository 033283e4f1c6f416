"""No trace of restricted, partner-only or archived records on any public page or feed."""

import pytest
from django.urls import reverse

from tests.web.conftest import HIDDEN

pytestmark = pytest.mark.django_db


def public_urls(world):
    return [
        reverse("web:home"),
        reverse("web:law-list"),
        reverse("web:law-detail", args=[world.law.pk]),
        reverse("web:law-detail", args=[world.vetoed_law.pk]),
        reverse("web:tax-measure-list"),
        reverse("web:tax-measure-detail", args=[world.measure.pk]),
        reverse("web:facility-list"),
        reverse("web:facility-detail", args=[world.facility.pk]),
        reverse("web:facility-detail", args=[world.drone_plant.pk]),
        reverse("web:partner-list"),
        reverse("web:partner-detail", args=[world.germany.pk]),
        reverse("web:feed-atom"),
        reverse("web:feed-ics"),
    ]


@pytest.mark.parametrize("language", ["en", "uk"])
def test_no_page_or_feed_mentions_a_hidden_record(client, world, language):
    client.cookies["django_language"] = language
    for url in public_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert HIDDEN not in body, url
        assert "x@example.de" not in body, url
        assert "Hidden step" not in body, url


def test_hidden_records_are_not_found(client, world):
    hidden = [
        ("web:law-detail", world.restricted_law),
        ("web:law-detail", world.partners_law),
        ("web:law-detail", world.archived_law),
        ("web:tax-measure-detail", world.hidden_measure),
        ("web:facility-detail", world.hidden_facility),
        ("web:partner-detail", world.hidden_partner),
    ]
    for name, record in hidden:
        assert client.get(reverse(name, args=[record.pk])).status_code == 404, (name, record)


def test_counts_include_public_records_only(client, world):
    response = client.get(reverse("web:home"))
    totals = response.context["totals"]
    assert totals == {"laws": 2, "tax_measures": 1, "facilities": 2, "partners": 2}
    stages = {s.status: s.count for s in response.context["law_stages"].main}
    assert stages["registered"] == 0  # the hidden laws wait there
    assert stages["in_committee"] == 0
    assert stages["adopted_in_principle"] == 1
    facility_countries = {c.country.code: c.count for c in response.context["facility_countries"]}
    assert facility_countries == {"UA": 1, "DK": 1}  # not the partner-only one in Norway
    partner_stages = {s.status: s.count for s in response.context["partner_stages"].main}
    assert partner_stages["negotiating"] == 0  # the restricted partner is negotiating


def test_latest_changes_leave_out_hidden_records(client, world):
    changes = client.get(reverse("web:home")).context["latest_changes"]
    shown = {(c.record_type, c.record_id) for c in changes}
    assert shown
    hidden = {
        ("law", world.restricted_law.pk),
        ("law", world.partners_law.pk),
        ("law", world.archived_law.pk),
        ("tax_measure", world.hidden_measure.pk),
        ("facility", world.hidden_facility.pk),
        ("partner", world.hidden_partner.pk),
    }
    assert not shown & hidden


def test_filters_cannot_reveal_hidden_records(client, world):
    # Searching for a hidden name, or filtering by a hidden partner, finds nothing.
    response = client.get(reverse("web:law-list"), {"q": HIDDEN})
    assert response.context["page"].paginator.count == 0
    response = client.get(reverse("web:facility-list"), {"partner": "NO"})
    assert response.status_code == 400  # not a choice: the restricted partner is not offered
    assert b"Norway" not in response.content
    response = client.get(reverse("web:facility-list"), {"country": "NO"})
    assert response.status_code == 400


def test_exact_site_and_internal_notes_never_leave_the_staff_side(client, world):
    body = client.get(reverse("web:facility-detail", args=[world.facility.pk])).content.decode()
    assert "Kyiv region" in body  # the region is public
    assert "50.45N" not in body
    assert "facility note" not in body


def test_a_hidden_record_gets_the_public_not_found_page(client, world):
    response = client.get(reverse("web:law-detail", args=[world.restricted_law.pk]))
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body and 'href="/"' in body
    assert HIDDEN not in body
