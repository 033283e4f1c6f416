"""The Rada's data in the admin: suggestions, bills by number, the review queue, the law page."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from tests.factories import make_law
from tests.rada.dumps import card, phase, write
from tracker.models import (
    DraftLaw,
    RadaReview,
    RadaSuggestionRule,
    ReviewKind,
    StatusChange,
    SuggestedBill,
)
from tracker.services.rada_sync import sync_file
from tracker.services.transitions import record_transition

pytestmark = pytest.mark.django_db

D = datetime.date
COMMITTEE = phase("2025-03-05", "Опрацьовується в комітеті")


def _suggest(tmp_path):
    RadaSuggestionRule.objects.create(kind="word", value="виробництв")
    cards = [
        card(500, "12000", name="Про спільне виробництво", passings=[COMMITTEE]),
        card(501, "12001", name="Про оборонне виробництво"),
    ]
    sync_file(str(write(tmp_path / "d.json", cards)))


def test_an_editor_tracks_and_dismisses_suggested_bills(client, editor, tmp_path):
    _suggest(tmp_path)
    client.force_login(editor)
    url = reverse("admin:tracker_suggestedbill_changelist")
    page = client.get(url)
    assert page.status_code == 200
    assert "Про спільне виробництво" in page.text and "Follow a bill by its number" in page.text
    first, second = SuggestedBill.objects.order_by("rada_id")
    answer = client.post(
        url,
        {"action": "accept_selected", "_selected_action": [first.pk]},
        follow=True,
    )
    assert "1 bills are now tracked" in answer.text
    law = DraftLaw.objects.get(registration_number="12000")
    assert law.status == "in_committee" and law.visibility == "restricted"
    client.post(
        url,
        {"action": "dismiss_selected", "_selected_action": [second.pk]},
    )
    second.refresh_from_db()
    assert second.state == "dismissed" and second.decided_by == editor
    # What waits for a decision is shown by default; the rest under its own filter.
    assert "Про оборонне виробництво" not in client.get(url).text
    assert "Про оборонне виробництво" in client.get(f"{url}?state=dismissed").text
    assert "Про спільне виробництво" in client.get(f"{url}?state=all").text


def test_a_viewer_sees_suggestions_but_cannot_decide(client, viewer_user, tmp_path):
    _suggest(tmp_path)
    client.force_login(viewer_user)
    url = reverse("admin:tracker_suggestedbill_changelist")
    page = client.get(url)
    assert page.status_code == 200 and "accept_selected" not in page.text
    assert "Follow a bill by its number" not in page.text
    assert client.get(reverse("admin:tracker_suggestedbill_add_by_number")).status_code == 403
    first = SuggestedBill.objects.first()
    client.post(url, {"action": "accept_selected", "_selected_action": [first.pk]})
    first.refresh_from_db()
    assert first.state == "pending" and not DraftLaw.objects.exists()


def test_an_editor_follows_a_bill_by_its_number(client, editor):
    client.force_login(editor)
    url = reverse("admin:tracker_suggestedbill_add_by_number")
    answer = client.post(url, {"number": "13302-1"})
    law = DraftLaw.objects.get(registration_number="13302-1")
    assert answer.status_code == 302 and answer.url.endswith(f"/{law.pk}/change/")
    again = client.post(url, {"number": "13302-1"})
    assert again.status_code == 200 and "already followed" in again.text
    empty = client.post(url, {"number": ""})
    assert "This field is required" in empty.text


def _conflict(tmp_path, editor):
    law = make_law(registration_number="14000", initiator="mps")
    record_transition(
        record=law, to_status="registered", occurred_on=D(2025, 3, 3), recorded_by=editor
    )
    record_transition(
        record=law, to_status="in_committee", occurred_on=D(2025, 3, 7), recorded_by=editor
    )
    sync_file(str(write(tmp_path / "d.json", [card(600, "14000", passings=[COMMITTEE])])))
    return law, RadaReview.objects.get(law=law, kind=ReviewKind.DATE_DIFFERS)


def test_the_law_page_tells_staff_there_is_something_to_review(client, editor, tmp_path):
    law, _review = _conflict(tmp_path, editor)
    client.force_login(editor)
    page = client.get(reverse("admin:tracker_draftlaw_change", args=[law.pk]))
    assert 'id="rada-reviews"' in page.text and "differs from this record in 2 places" in page.text
    assert f"law__id__exact={law.pk}" in page.text
    assert "https://itd.rada.gov.ua/billInfo/Bills/Card/600" in page.text
    listing = client.get(
        reverse("admin:tracker_radareview_changelist") + f"?law__id__exact={law.pk}"
    )
    assert listing.status_code == 200 and "2025-03-05" in listing.text


@pytest.mark.parametrize(
    ("action", "value", "expected_date", "state"),
    [
        ("accept", "", D(2025, 3, 5), "accepted"),
        ("keep", "", D(2025, 3, 7), "kept"),
        ("edit", "2025-03-06", D(2025, 3, 6), "edited"),
    ],
)
def test_each_review_action_from_the_admin(
    client, editor, tmp_path, action, value, expected_date, state
):
    law, review = _conflict(tmp_path, editor)
    client.force_login(editor)
    url = reverse("admin:tracker_radareview_change", args=[review.pk])
    page = client.get(url)
    assert "2025-03-05" in page.text and "2025-03-07" in page.text
    answer = client.post(url, {"action": action, "value": value, "note": "checked"})
    assert answer.status_code == 302
    review.refresh_from_db()
    assert review.state == state and review.resolved_by == editor
    step = StatusChange.objects.get(record_id=law.pk, to_status="in_committee", is_active=True)
    assert step.occurred_on == expected_date


def test_a_refused_action_is_a_form_error_and_nothing_changes(
    client, editor, viewer_user, tmp_path
):
    _law, review = _conflict(tmp_path, editor)
    client.force_login(editor)
    url = reverse("admin:tracker_radareview_change", args=[review.pk])
    answer = client.post(url, {"action": "edit", "value": "2099-01-01"})
    assert answer.status_code == 200 and "future" in answer.text
    review.refresh_from_db()
    assert review.state == "open"
    client.force_login(viewer_user)
    assert client.post(url, {"action": "accept"}).status_code == 403
    review.refresh_from_db()
    assert review.state == "open"


def test_the_lists_run_the_same_queries_for_few_rows_or_many(client, editor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tracker.services.rada_sync import open_review

    def add(count: int, start: int) -> None:
        for i in range(start, start + count):
            law = make_law(registration_number=str(17000 + i))
            open_review(
                law,
                key="value:title_uk",
                rada_value=f"T{i}",
                kind="value_differs",
                subject="title (Ukrainian)",
                our_value="x",
            )
            SuggestedBill.objects.create(rada_id=900 + i, title=f"B{i}", law=law)

    client.force_login(editor)
    counts = []
    for count, start in ((2, 0), (20, 2)):
        add(count, start)
        for name in ("radareview", "suggestedbill"):
            url = reverse(f"admin:tracker_{name}_changelist")
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append((name, len(queries)))
    assert counts[:2] == counts[2:]
