"""A staff member follows a suggested bill and settles a difference with the Rada's data."""

from __future__ import annotations

import datetime

import pytest

from tests.factories import make_law, make_user
from tests.rada.dumps import card, phase, write
from tracker.models import DraftLaw, RadaReview, RadaSuggestionRule, StatusChange, SuggestedBill
from tracker.services.rada_sync import sync_file
from tracker.services.transitions import record_transition

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

D = datetime.date


@pytest.fixture
def rada_data(transactional_db, tmp_path):
    liaison = make_user(username="liaison", role="Editors")
    RadaSuggestionRule.objects.create(kind="word", value="виробництв")
    law = make_law(registration_number="15000", initiator="mps", title_en="On defense procurement")
    record_transition(
        record=law, to_status="registered", occurred_on=D(2025, 3, 3), recorded_by=liaison
    )
    record_transition(
        record=law, to_status="in_committee", occurred_on=D(2025, 3, 7), recorded_by=liaison
    )
    cards = [
        card(
            700,
            "15000",
            name="Про оборонні закупівлі",
            passings=[phase("2025-03-05", "Опрацьовується в комітеті")],
        ),
        card(
            701,
            "15001",
            name="Про спільне виробництво озброєння",
            passings=[phase("2025-04-01", "Опрацьовується в комітеті")],
        ),
    ]
    sync_file(str(write(tmp_path / "d.json", cards)))
    return law


def test_staff_accepts_a_suggested_bill_and_settles_a_difference(rada_data, new_page, screenshot):
    law = rada_data
    page = new_page(viewport={"width": 1280, "height": 900})
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", "liaison")
    page.fill("#id_password", "pw-for-tests-only")
    with page.expect_navigation():
        page.locator("#login-form [type=submit]").click()

    # The suggested bills: tick the one to follow, choose the action, go.
    page.goto("/admin/tracker/suggestedbill/")
    row = page.locator("#result_list tr", has_text="15001")
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", "accept_selected")
    screenshot(page, "rada-01-suggested-bills")
    with page.expect_navigation():
        page.locator("button[name=index], .actions button[type=submit]").first.click()
    assert "now tracked" in page.locator(".messagelist").inner_text()
    followed = DraftLaw.objects.get(registration_number="15001")
    assert followed.status == "in_committee" and followed.visibility == "restricted"
    assert SuggestedBill.objects.get(rada_id=701).state == "accepted"

    # The law page says there is something to review; the review shows both sides.
    page.goto(f"/admin/tracker/draftlaw/{law.pk}/change/")
    notice = page.locator("#rada-reviews")
    assert "differs from this record" in notice.inner_text()
    with page.expect_navigation():
        notice.locator("a").click()
    screenshot(page, "rada-02-review-queue")
    with page.expect_navigation():
        page.locator("#result_list a", has_text="Опрацьовується в комітеті").first.click()
    sides = page.locator(".tracker-review-sides").inner_text()
    assert "2025-03-05" in sides and "2025-03-07" in sides
    screenshot(page, "rada-03-review")
    with page.expect_navigation():
        page.locator("#review-accept button").click()

    review = RadaReview.objects.get(law=law, key__startswith="date:")
    assert review.state == "accepted" and review.resolved_by.username == "liaison"
    step = StatusChange.objects.get(record_id=law.pk, to_status="in_committee", is_active=True)
    assert step.occurred_on == D(2025, 3, 5)
