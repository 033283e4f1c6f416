"""What a record's public page tells about its real history: the path it took, dates as
known, procedural events, corrections, related bills and the President's term."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from tests.factories import make_law, make_partner, make_tax_measure, move
from tests.web.test_pages import text
from tracker.models import (
    CooperationProgramme,
    EntryIntoForce,
    LawCommittee,
    LawRelation,
    RegistrationNumber,
    Visibility,
)
from tracker.services.transitions import (
    correct_entry,
    record_procedural_event,
    record_transition,
    retract_entry,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def step(law, to_status, on, **extra):
    return record_transition(
        record=law, to_status=to_status, occurred_on=on, recorded_by=None, **extra
    )


def stepper_items(body: str) -> list[str]:
    """The stepper's items, each as its visible text."""
    stepper = re.search(r'<ol class="stepper".*?</ol>', body, re.S).group(0)
    items = re.findall(r"<li [^>]*>(.*?)</li>", stepper, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip() for item in items]


def timeline_items(body: str) -> dict[str, str]:
    """The timeline's items by their anchor id, each as its visible text."""
    items = re.findall(r'<li class="timeline__item[^"]*" id="([^"]+)">(.*?)</li>', body, re.S)
    return {
        anchor: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip() for anchor, item in items
    }


def page_of(client, law):
    response = client.get(reverse("web:law-detail", args=[law.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def overridden_law(db):
    """A law the President returned with proposals, the Rada overrode, and the President then
    signed; it entered into force in two stages."""
    law = make_law(
        title_en="On defense industry parks",
        registration_number="9001",
        registration_date=ago(60),
        convocation=9,
        act_number="4321-IX",
        act_date=ago(8),
        lead_committee="Committee on National Security, Defense and Intelligence",
        lead_committee_received_on=ago(59),
        is_urgent=True,
    )
    move(law, "registered", "in_committee", "first_reading", start=ago(59))
    step(law, "adopted_as_whole", ago(40), votes_for=280, votes_against=20, abstained=5)
    step(law, "signed_by_speaker", ago(38))
    step(law, "sent_to_president", ago(37))
    step(law, "vetoed", ago(30), note="Returned with proposals on article 5.")
    step(
        law,
        "veto_overridden",
        ago(20),
        votes_for=310,
        votes_against=30,
        abstained=10,
        not_voting=60,
        present=410,
    )
    step(law, "signed_by_speaker", ago(19))
    step(law, "sent_to_president", ago(18))
    step(law, "signed_by_president", ago(9))
    step(law, "published", ago(7))
    EntryIntoForce.objects.create(law=law, provisions="Articles 1-4", on=ago(6))
    EntryIntoForce.objects.create(
        law=law, provisions="Article 5", condition="the day the register starts operating"
    )
    step(law, "in_force", ago(6))
    return law


def test_vetoed_then_overridden_law_shows_the_path_it_took(client, overridden_law):
    items = stepper_items(page_of(client, overridden_law))
    expected = [
        "Drafting",
        "Registered in the Rada",
        "In committee",
        "First reading",
        "Adopted as a whole",
        "Signed by the Speaker",
        "Sent to the President",
        "Returned by the President with proposals",
        "Veto overridden",
        "Signed by the Speaker",
        "Sent to the President",
        "Signed by the President",
        "Published",
        "In force",
    ]
    assert [next(label for label in expected if item.startswith(label)) for item in items] == (
        expected
    )
    assert len(items) == len(expected)  # nothing ahead: the law is in force
    # Each recorded step with its own date, the second signature marked as such.
    assert "Returned by the President with proposals" in items[7]
    assert date_format(ago(30), "DATE_FORMAT") in items[7]
    assert date_format(ago(20), "DATE_FORMAT") in items[8]
    assert "again" in items[9]
    assert "current stage" in items[-1]


def test_law_page_shows_numbers_act_committees_urgency_and_staged_entry_into_force(
    client, overridden_law
):
    law = overridden_law
    RegistrationNumber.objects.create(law=law, number="9001-old", registered_on=ago(90))
    LawCommittee.objects.create(law=law, name="Budget Committee", received_on=ago(58))
    page = text(client.get(reverse("web:law-detail", args=[law.pk])))
    assert "Registration number 9001" in page
    assert "Earlier registration numbers 9001-old" in page
    assert "Act No. 4321-IX" in page
    assert "Convocation 9" in page
    assert "Marked urgent by the President" in page
    assert "Main committee Committee on National Security, Defense and Intelligence" in page
    assert "Budget Committee, received" in page
    assert f"Articles 1-4 : {date_format(ago(6), 'DATE_FORMAT')}" in page
    assert "Article 5 : the day the register starts operating" in page
    # The override's full vote.
    assert "For 310" in page and "Did not vote 60" in page and "Present 410" in page


def test_a_step_with_no_known_date_says_so_and_a_month_is_shown_as_a_month(client, db):
    law = make_law()
    move(law, "registered", start=datetime.date(2025, 6, 2))
    committee = step(law, "in_committee", None)
    reading = step(law, "first_reading", datetime.date(2025, 7, 1), date_precision="month")
    body = page_of(client, law)
    items = stepper_items(body)
    assert items[2].startswith("In committee") and "date not known" in items[2]
    assert items[3].startswith("First reading") and "July 2025" in items[3]
    assert "July 1" not in body  # the first of the month is not shown as the day
    timeline = timeline_items(body)
    assert "date not known" in timeline[f"change-{committee.pk}"]
    assert "July 2025" in timeline[f"change-{reading.pk}"]
    # Exactly the one unknown date: no invented one for the steps around it.
    assert body.count("date not known") == 2  # once in the stepper, once in the timeline

    client.cookies["django_language"] = "uk"
    body = page_of(client, law)
    assert "2025" in stepper_items(body)[3] and "липень 2025" in stepper_items(body)[3].lower()


def test_procedural_events_and_failed_votes_are_on_the_timeline_in_order(client, db):
    law = make_law()
    move(law, "registered", "in_committee", start=ago(20))
    hearing = record_procedural_event(
        record=law,
        kind="committee_hearing",
        occurred_on=ago(15),
        recorded_by=None,
        title="Hearing with the Defense Ministry",
        note="The industry association spoke.",
        source_url="https://rada.example/hearing",
    )
    failed = record_procedural_event(
        record=law,
        kind="failed_vote",
        occurred_on=ago(10),
        recorded_by=None,
        title="Vote on adoption as a basis",
        votes_for=180,
        votes_against=40,
        abstained=20,
        not_voting=100,
        present=340,
    )
    body = page_of(client, law)
    items = timeline_items(body)
    order = list(items)
    assert order.index(f"event-{hearing.pk}") < order.index(f"event-{failed.pk}")
    hearing_text = items[f"event-{hearing.pk}"]
    assert "Committee hearing" in hearing_text
    assert "Hearing with the Defense Ministry" in hearing_text
    assert "The industry association spoke." in hearing_text
    assert 'href="https://rada.example/hearing"' in body
    failed_text = items[f"event-{failed.pk}"]
    assert "Failed vote" in failed_text and "vote failed" in failed_text
    assert "For 180" in failed_text and "Did not vote 100" in failed_text
    assert "Present 340" in failed_text
    # A procedural event changes no status and is not a step of the stepper.
    assert [i.split(" ")[0] for i in stepper_items(body)][:3] == ["Drafting", "Registered", "In"]
    assert not any("Failed vote" in item for item in stepper_items(body))


def test_a_corrected_step_shows_only_its_corrected_values_and_a_retracted_one_nothing(client, db):
    law = make_law()
    move(law, "registered", "in_committee", "first_reading", start=ago(30))
    adopted = step(
        law,
        "adopted_in_principle",
        ago(10),
        votes_for=262,
        votes_against=12,
        note="Wrong count from an early report.",
    )
    correct_entry(
        entry=adopted,
        recorded_by=None,
        reason="The official record gives 271.",
        changes={"votes_for": 271, "occurred_on": ago(9), "note": "Adopted as a basis."},
    )
    hearing = record_procedural_event(
        record=law,
        kind="committee_hearing",
        occurred_on=ago(5),
        recorded_by=None,
        title="Hearing that never took place",
    )
    retract_entry(entry=hearing, recorded_by=None, reason="Recorded on the wrong bill.")
    body = page_of(client, law)
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))
    assert "For 271" in page and "262" not in page
    assert "Adopted as a basis." in page and "Wrong count" not in page
    assert "The official record gives 271." not in page  # the staff's reason stays inside
    assert "Hearing that never took place" not in page
    assert "corrected" in page
    items = stepper_items(body)
    assert sum(item.startswith("Adopted in principle") for item in items) == 1
    adopted_item = next(item for item in items if item.startswith("Adopted in principle"))
    assert date_format(ago(9), "DATE_FORMAT") in adopted_item
    # The feed tells the corrected step only.
    feed = client.get(reverse("web:feed-atom")).content.decode()
    assert "Votes for: 271" in feed and "Votes for: 262" not in feed


def test_related_bills_are_shown_both_ways_and_a_hidden_one_is_not_named(client, db):
    main = make_law(title_en="Main bill", registration_number="1234", registration_date=ago(9))
    alternative = make_law(
        title_en="Alternative bill", registration_number="1234-1", registration_date=ago(8)
    )
    hidden = make_law(
        title_en="Quiet alternative",
        registration_number="1234-2",
        registration_date=ago(8),
        visibility=Visibility.RESTRICTED,
    )
    partners_only = make_law(title_en="Partners-only package", visibility=Visibility.PARTNERS)
    LawRelation.objects.create(law=alternative, kind="alternative_to", other=main)
    LawRelation.objects.create(law=hidden, kind="alternative_to", other=main)
    LawRelation.objects.create(law=main, kind="package_with", other=partners_only)
    page = text(client.get(reverse("web:law-detail", args=[main.pk])))
    assert "Has the alternative : 1234-1 · Alternative bill" in page
    assert "Quiet alternative" not in page and "1234-2" not in page
    assert "Partners-only package" not in page
    other_side = text(client.get(reverse("web:law-detail", args=[alternative.pk])))
    assert "Alternative to : 1234 · Main bill" in other_side


def test_the_presidents_term_is_shown_and_said_to_have_passed(client, db):
    law = make_law()
    move(law, "registered", "in_committee", "first_reading", start=ago(40))
    step(law, "adopted_as_whole", ago(30), votes_for=300)
    step(law, "signed_by_speaker", ago(25))
    step(law, "sent_to_president", ago(20))
    page = text(client.get(reverse("web:law-detail", args=[law.pk])))
    assert "Term passed" in page
    assert "15-day term ended on" in page
    assert "deemed approved" in page
    law.refresh_from_db()
    assert law.status == "sent_to_president"  # nothing changed by itself

    waiting = make_law()
    move(waiting, "registered", "in_committee", "first_reading", start=ago(40))
    step(waiting, "adopted_as_whole", ago(10), votes_for=300)
    step(waiting, "signed_by_speaker", ago(5))
    step(waiting, "sent_to_president", ago(3))
    page = text(client.get(reverse("web:law-detail", args=[waiting.pk])))
    assert "Term passed" not in page
    assert "The President has until" in page and "12 days left" in page

    unknown = make_law()
    move(unknown, "registered", "in_committee", "first_reading", start=ago(40))
    step(unknown, "adopted_as_whole", ago(10), votes_for=300)
    step(unknown, "signed_by_speaker", None)
    step(unknown, "sent_to_president", None)
    page = text(client.get(reverse("web:law-detail", args=[unknown.pk])))
    assert "is not known, so the end of the 15-day term cannot be given" in page
    assert "Term passed" not in page


def test_after_an_override_the_page_tells_the_10_day_duty(client, db):
    law = make_law()
    move(law, "registered", "in_committee", "first_reading", start=ago(40))
    step(law, "adopted_as_whole", ago(30), votes_for=300)
    move(law, "signed_by_speaker", "sent_to_president", "vetoed", start=ago(28))
    step(law, "veto_overridden", ago(20), votes_for=320)
    page = text(client.get(reverse("web:law-detail", args=[law.pk])))
    assert "within 10 days" in page
    step(law, "signed_by_speaker", ago(19))
    step(law, "sent_to_president", ago(18))
    page = text(client.get(reverse("web:law-detail", args=[law.pk])))
    assert "The 10-day term to sign the overridden law ended on" in page


def test_tax_measure_shows_every_public_basis_kinds_and_conditions(client, db):
    main = make_law(title_en="Main law on parks")
    tax_code = make_law(title_en="Tax Code amendment")
    hidden = make_law(title_en="Quiet customs law", visibility=Visibility.RESTRICTED)
    measure = make_tax_measure(
        legal_basis=main,
        other_kinds=["customs_exemption", "land_tax_relief"],
        start_condition="from the month after the register starts",
        sunset_on=datetime.date(2030, 1, 1),
        sunset_condition="or accession to the EU, whichever comes first",
    )
    measure.legal_bases.add(main, tax_code, hidden)
    page = text(client.get(reverse("web:tax-measure-detail", args=[measure.pk])))
    assert "Legal bases Main law on parks (main) Tax Code amendment" in page
    assert "Quiet customs law" not in page
    assert "Further kinds Customs duty exemption, Land tax relief" in page
    assert "Starts from the month after the register starts" in page
    assert "or accession to the EU, whichever comes first" in page
    assert "2030" in page


def test_partner_page_lists_its_programmes_with_their_stage(client, db):
    partner = make_partner("FR", name_en="France")
    CooperationProgramme.objects.create(
        partner=partner,
        name_en="Joint drone financing",
        name_uk="Спільне фінансування дронів",
        kind="financing",
        status="financing",
        started_on=ago(100),
    )
    page = text(client.get(reverse("web:partner-detail", args=[partner.pk])))
    assert "Joint drone financing" in page
    assert "Financing of production" in page and "Financing without an agreement" in page
    client.cookies["django_language"] = "uk"
    page = text(client.get(reverse("web:partner-detail", args=[partner.pk])))
    assert "Спільне фінансування дронів" in page
