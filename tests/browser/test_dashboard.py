"""A visitor reads the dashboard in Ukrainian; a staff member records a step in the admin."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from tests.factories import make_facility, make_law, make_partner, make_user, move
from tracker.services.transitions import record_transition

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def public_law(transactional_db):
    today = timezone.localdate()
    germany = make_partner("DE", name_en="Germany", name_uk="Німеччина")
    law = make_law(
        title_en="On joint weapons production with partner states",
        title_uk="Про спільне виробництво озброєння з державами-партнерами",
        registration_number="13302",
        registration_date=today - datetime.timedelta(days=20),
        partners=[germany],
        planned_next_step="Second reading",
        planned_next_step_on=today + datetime.timedelta(days=7),
    )
    move(
        law,
        "stakeholder_review",
        "cabinet_approved",
        "registered",
        "in_committee",
        "first_reading",
        start=today - datetime.timedelta(days=20),
    )
    record_transition(
        record=law,
        to_status="adopted_in_principle",
        recorded_by=None,
        occurred_on=today - datetime.timedelta(days=2),
        votes_for=262,
        votes_against=12,
        abstained=5,
        source_url="https://rada.example/13302",
    )
    plant = make_facility(
        name_en="Artillery shell plant", name_uk="Завод снарядів", partners=[germany]
    )
    plant.enabling_laws.add(law)
    move(plant, "agreement_signed")
    return law


def test_visitor_switches_to_ukrainian_and_follows_a_law_through_the_rada(
    public_law, new_page, screenshot
):
    law = public_law
    page = new_page(viewport={"width": 1280, "height": 900})
    page.goto("/")
    assert page.locator("h1").inner_text() == "Joint defense production: where things stand"
    # The skip link is the first thing the keyboard reaches, and it is visible when focused.
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()
    screenshot(page, "01-home-en")

    page.select_option("#language-select", "uk")
    with page.expect_navigation():
        page.get_by_role("button", name="Switch").click()
    assert page.locator("html").get_attribute("lang") == "uk"
    assert page.locator("h1").inner_text() == "Спільне оборонне виробництво: стан справ"
    screenshot(page, "02-home-uk")

    page.get_by_role("link", name=law.title_uk).first.click()
    page.wait_for_url(f"**/laws/{law.pk}/")
    assert page.locator("h1").inner_text() == law.title_uk
    stepper = page.get_by_role("list", name="Етапи законопроєкту")
    steps = stepper.get_by_role("listitem")
    assert steps.count() == 14
    current = stepper.locator('[aria-current="step"]')
    assert current.count() == 1
    assert "Прийнято за основу" in current.inner_text()
    assert "поточний етап" in current.inner_text()
    assert "Утрималися" in page.locator(".timeline").inner_text()
    screenshot(page, "03-law-uk")

    phone = new_page(viewport={"width": 375, "height": 740}, is_mobile=True)
    phone.goto(f"/laws/{law.pk}/")
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the law page scrolls sideways on a phone"
    screenshot(phone, "04-law-phone-en")


def test_staff_records_a_transition_in_the_admin_and_the_public_page_shows_it(new_page, screenshot):
    """Written to the admin's transition form: `/admin/tracker/draftlaw/<pk>/transition/?to=`
    linked from the change page, fields to_status, occurred_on, note, source_url, votes."""
    make_user(username="liaison", role="Editors")
    law = make_law(title_en="On special tax regimes for defense producers")
    move(law, "registered")
    today = timezone.localdate().isoformat()

    page = new_page(viewport={"width": 1280, "height": 900})
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", "liaison")
    page.fill("#id_password", "pw-for-tests-only")
    with page.expect_navigation():
        page.locator("#login-form [type=submit]").click()

    page.goto(f"/admin/tracker/draftlaw/{law.pk}/change/")
    link = page.locator('a[href*="/transition/?to=in_committee"]').first
    with page.expect_navigation():
        link.click()
    assert "/admin/tracker/draftlaw/" in page.url and "to=in_committee" in page.url
    form = page.locator("form:has([name=occurred_on])")
    # The target may be offered as radio buttons or a select, preset from `?to=`; say it.
    if form.locator("select[name=to_status]").count():
        form.locator("select[name=to_status]").select_option("in_committee")
    elif form.locator("input[type=radio][name=to_status]").count():
        form.locator('input[type=radio][name=to_status][value="in_committee"]').check()
    form.locator("[name=occurred_on]").fill(today)
    form.locator("[name=note]").fill("Sent to the Committee on National Security.")
    form.locator("[name=source_url]").fill("https://rada.example/committee")
    screenshot(page, "05-admin-transition-form")
    with page.expect_navigation():
        form.locator("[type=submit]").first.click()
    screenshot(page, "06-admin-after-transition")

    page.goto(f"/laws/{law.pk}/")
    current = page.locator('ol.stepper [aria-current="step"]')
    assert "In committee" in current.inner_text()
    timeline = page.locator(".timeline").inner_text()
    assert "Sent to the Committee on National Security." in timeline
    assert page.locator('.timeline a[href="https://rada.example/committee"]').count() == 1
    screenshot(page, "07-law-after-transition")
