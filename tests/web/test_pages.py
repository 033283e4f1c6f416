import datetime
import re

import pytest
from django.urls import reverse

from tests.factories import make_law, make_partner, move
from tracker.models import Visibility

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """The page's visible text, whitespace collapsed, for assertions on what people read."""
    body = response.content.decode()
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", body)


def test_home_shows_counts_stages_changes_facilities_and_partners(client, world):
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    page = text(response)
    assert "2 draft laws" in page
    assert "On joint weapons production" in page
    assert "Latest status changes" in page
    assert "Artillery shell plant" in page  # its latest change is listed
    assert "🇩🇪" in response.content.decode() and "Germany" in page
    assert "Memorandum signed" in page
    stages = response.context["law_stages"]
    assert [s.status for s in stages.main] == list(
        __import__("tracker.workflows", fromlist=["LAW_WORKFLOW"]).LAW_WORKFLOW.main_path
    )
    assert [s.status for s in stages.side] == ["vetoed"]
    assert [law.pk for law in stages.side[0].items] == [world.vetoed_law.pk]


def test_law_page_shows_stepper_timeline_votes_links_and_overdue_next_step(client, world):
    response = client.get(reverse("web:law-detail", args=[world.law.pk]))
    body = response.content.decode()
    page = text(response)
    # The stepper is an ordered list; exactly one step is current.
    assert body.count('aria-current="step"') == 1
    current = re.search(r'class="step step--current" aria-current="step">(.*?)</li>', body, re.S)
    assert "Adopted in principle" in current.group(1)
    assert "Lets partners co-invest." in page
    # Timeline: dated, with the vote and the source.
    assert "For 262" in page and "Against 12" in page and "Abstained 5" in page
    assert 'href="https://rada.example/13302"' in body
    assert "Adopted as a basis; proposals due in 14 days." in page
    # Next step, overdue by three days.
    assert "Second reading" in page
    assert "Overdue" in page and "3 days past the planned date" in page
    # Related public records and documents.
    assert "VAT exemption on imported components" in page
    assert "Artillery shell plant" in page
    assert "Bill text" in page


def test_vetoed_law_shows_the_veto_as_a_side_exit(client, world):
    body = client.get(reverse("web:law-detail", args=[world.vetoed_law.pk])).content.decode()
    assert re.search(
        r'step--exit[^"]*" aria-current="step">.*?Returned by the President with proposals',
        body,
        re.S,
    )
    assert "current status, off the usual path" in body


def test_next_step_in_the_future_is_not_overdue(client, world):
    law = make_law(
        planned_next_step="Committee hearing",
        planned_next_step_on=world.today + datetime.timedelta(days=5),
    )
    page = text(client.get(reverse("web:law-detail", args=[law.pk])))
    assert "Committee hearing" in page
    assert "Overdue" not in page


def test_law_list_filters_by_stage_partner_and_search(client, world):
    url = reverse("web:law-list")
    names = lambda r: [law.pk for law in r.context["page"].object_list]  # noqa: E731
    assert set(names(client.get(url))) == {world.law.pk, world.vetoed_law.pk}
    assert names(client.get(url, {"status": "vetoed"})) == [world.vetoed_law.pk]
    assert names(client.get(url, {"partner": "DE"})) == [world.law.pk]
    assert names(client.get(url, {"q": "13302"})) == [world.law.pk]
    assert names(client.get(url, {"q": "special tax"})) == [world.vetoed_law.pk]
    response = client.get(url, {"status": "nonsense"})
    assert response.status_code == 400
    assert "Select a valid choice" in text(response)


def test_lists_paginate_and_keep_filters_in_page_links(client, db):
    for _ in range(25):
        make_law()
    response = client.get(reverse("web:law-list"), {"status": "drafting"})
    assert len(response.context["page"].object_list) == 20
    assert "status=drafting&amp;page=2" in response.content.decode()
    second = client.get(reverse("web:law-list"), {"status": "drafting", "page": 2})
    assert len(second.context["page"].object_list) == 5
    # A page number past the end shows the last page rather than failing.
    assert client.get(reverse("web:law-list"), {"page": 99}).status_code == 200


def test_facility_list_filters_by_country_category_status_and_partner(client, world):
    url = reverse("web:facility-list")
    pks = lambda r: [f.pk for f in r.context["page"].object_list]  # noqa: E731
    assert pks(client.get(url, {"country": "DK"})) == [world.drone_plant.pk]
    assert pks(client.get(url, {"category": "ammunition"})) == [world.facility.pk]
    assert pks(client.get(url, {"status": "financed"})) == [world.facility.pk]
    assert pks(client.get(url, {"partner": "DK"})) == [world.drone_plant.pk]
    assert pks(client.get(url, {"q": "drone"})) == [world.drone_plant.pk]


def test_facility_page_shows_progress_location_investment_and_links(client, world):
    response = client.get(reverse("web:facility-detail", args=[world.facility.pk]))
    page = text(response)
    assert "Ukraine, Kyiv region" in page
    assert "150,000,000 EUR" in page
    assert "On joint weapons production" in page  # enabling law, public
    assert "VAT exemption on imported components" in page
    assert response.content.decode().count('aria-current="step"') == 1


def test_tax_measure_page_and_list(client, world):
    page = text(client.get(reverse("web:tax-measure-detail", args=[world.measure.pk])))
    assert "VAT exemption on imported components" in page
    assert "Legal basis On joint weapons production" in page
    assert "20%" in page
    assert "Artillery shell plant" in page
    listing = client.get(reverse("web:tax-measure-list"), {"kind": "vat_exemption"})
    assert [m.pk for m in listing.context["page"].object_list] == [world.measure.pk]


def test_tax_measure_hides_a_legal_basis_that_is_not_public(client, db):
    from tests.factories import make_tax_measure

    law = make_law(title_en="Quiet basis", visibility=Visibility.RESTRICTED)
    measure = make_tax_measure(legal_basis=law)
    page = text(client.get(reverse("web:tax-measure-detail", args=[measure.pk])))
    assert "Quiet basis" not in page and "Legal basis" not in page


def test_partner_pages(client, world):
    response = client.get(reverse("web:partner-list"), {"status": "mou_signed"})
    assert [p.pk for p in response.context["page"].object_list] == [world.germany.pk]
    assert "stage 3 of 5" in text(response)
    page = text(client.get(reverse("web:partner-detail", args=[world.germany.pk])))
    assert "Joint production accord" in page
    assert "On joint weapons production" in page
    assert "Artillery shell plant" in page
    assert "Contact Person" not in page


def test_partner_list_searches_by_name(client, world):
    response = client.get(reverse("web:partner-list"), {"q": "denm"})
    assert [p.pk for p in response.context["page"].object_list] == [world.denmark.pk]


def test_pages_only_answer_safe_methods(client, world):
    assert client.post(reverse("web:home")).status_code == 405


def test_restricted_partner_is_not_listed_on_a_public_law(client, db):
    hidden = make_partner("SE", name_en="Sweden", visibility=Visibility.RESTRICTED)
    law = make_law(partners=[hidden])
    move(law, "registered")
    assert "Sweden" not in text(client.get(reverse("web:law-detail", args=[law.pk])))
    assert "Sweden" not in text(client.get(reverse("web:law-list")))


def test_law_list_says_which_next_steps_are_overdue(client, world):
    cards = client.get(reverse("web:law-list")).content.decode().split('<li class="card">')[1:]
    card = next(c for c in cards if "On joint weapons production" in c)
    assert "Next: Second reading" in text_of(card)
    assert "Overdue" in card
    other = next(c for c in cards if "On special tax regimes" in c)
    assert "Overdue" not in other


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_pages_need_no_javascript_and_mark_the_current_section(client, world):
    for name, args, section in [
        ("web:home", [], "Overview"),
        ("web:law-detail", [world.law.pk], "Draft laws"),
        ("web:facility-list", [], "Facilities"),
    ]:
        body = client.get(reverse(name, args=args)).content.decode()
        assert "<script" not in body
        assert '<a class="skip-link" href="#main">' in body and '<main id="main"' in body
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
        current = re.findall(r'<a href="[^"]*" aria-current="(?:page|true)">([^<]+)</a>', body)
        assert current == [section]


def test_home_lists_a_step_whose_date_is_not_known_without_a_date(client, db):
    from tracker.services.transitions import record_transition

    law = make_law(title_en="Undated steps")
    move(law, "registered")
    record_transition(record=law, to_status="in_committee", occurred_on=None, recorded_by=None)
    response = client.get(reverse("web:home"))
    changes = re.search(r'<ol class="changes">(.*?)</ol>', response.content.decode(), re.S)
    items = [text_of(item) for item in re.findall(r"<li.*?</li>", changes.group(1), re.S)]
    undated = [item for item in items if "In committee" in item]
    assert len(undated) == 1 and "date not known" in undated[0]
