"""A visitor finds what is due on the dashboard and the countdown beside the law's stepper."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from tests.factories import make_law
from tracker.services.transitions import record_transition

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def laws(transactional_db):
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    with_president = make_law(
        title_en="On joint production of artillery shells",
        title_uk="Про спільне виробництво артилерійських снарядів",
        registration_number="14001",
        registration_date=today - 30 * day,
    )
    for status, on in (
        ("registered", today - 30 * day),
        ("first_reading", today - 20 * day),
        ("adopted_as_whole", today - 20 * day),
        ("signed_by_speaker", today - 15 * day),
        ("sent_to_president", today - 11 * day),  # 15 days from receipt: 4 left
    ):
        record_transition(
            record=with_president,
            to_status=status,
            occurred_on=on,
            recorded_by=None,
            votes_for=301 if status == "adopted_as_whole" else None,
        )
    late = make_law(
        title_en="On drone component imports",
        title_uk="Про імпорт компонентів дронів",
        planned_next_step="Committee conclusion",
        planned_next_step_on=today - 3 * day,
    )
    return with_president, late


def test_visitor_sees_what_is_due_and_the_countdown_beside_the_stepper(laws, new_page, screenshot):
    with_president, late = laws
    page = new_page(viewport={"width": 1280, "height": 900})
    page.goto("/")
    due = page.locator(".due-list__due")
    overdue = page.locator(".due-list__overdue")
    assert "On joint production of artillery shells" in due.inner_text()
    assert "4 days left" in due.inner_text()
    assert "On drone component imports" in overdue.inner_text()
    assert "3 days overdue" in overdue.inner_text()
    screenshot(page, "deadlines-01-home")

    with page.expect_navigation():
        due.get_by_role("link", name="On joint production of artillery shells").click()
    progress = page.locator("section[aria-labelledby=progress-heading]")
    term = progress.locator(".president-term")
    assert term.is_visible()
    assert "4 days left" in term.inner_text()
    assert progress.get_by_role("list", name="Stages of the draft law").is_visible()
    screenshot(page, "deadlines-02-law")

    page.goto(f"/laws/{late.pk}/")
    countdown = page.locator(".deadlines .deadline--overdue")
    assert "Committee conclusion" in countdown.inner_text()
    assert "3 days overdue" in countdown.inner_text()

    phone = new_page(viewport={"width": 375, "height": 740}, is_mobile=True)
    phone.goto(f"/laws/{with_president.pk}/")
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the law page scrolls sideways on a phone"
