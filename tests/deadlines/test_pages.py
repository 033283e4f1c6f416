"""Deadlines on the public pages: the countdown beside the stepper, the dashboard's lists."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_law, make_tax_measure
from tracker.services.transitions import record_transition

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def walk(law, *steps):
    for status, on in steps:
        record_transition(record=law, to_status=status, occurred_on=on, recorded_by=None)
    return law


def with_president(received):
    law = make_law(title_en="On joint production of shells")
    return walk(
        law,
        ("registered", received - 10 * DAY),
        ("first_reading", received - 9 * DAY),
        ("adopted_as_whole", received - 9 * DAY),
        ("signed_by_speaker", received - 5 * DAY),
        ("sent_to_president", received),
    )


def test_law_page_counts_down_beside_the_stepper(client):
    law = with_president(TODAY - 11 * DAY)  # 15 days from receipt: 4 left
    page = client.get(reverse("web:law-detail", args=[law.pk])).content.decode()
    progress = page.split('id="progress-heading"')[1].split('id="timeline-heading"')[0]
    assert "4 days left" in progress and "stepper" in progress
    law2 = make_law(planned_next_step="Second reading", planned_next_step_on=TODAY - 2 * DAY)
    page = client.get(reverse("web:law-detail", args=[law2.pk])).content.decode()
    assert "Second reading" in page and "2 days overdue" in page


def test_law_page_in_ukrainian(client):
    law = make_law(planned_next_step="Друге читання", planned_next_step_on=TODAY + 3 * DAY)
    page = client.get(
        reverse("web:law-detail", args=[law.pk]), HTTP_ACCEPT_LANGUAGE="uk"
    ).content.decode()
    assert "Що має статися" in page and "Залишилося 3 дні" in page


def test_dashboard_lists_what_is_due_and_what_is_overdue_of_public_records_only(client):
    make_law(title_en="Due soon", planned_next_step="Vote", planned_next_step_on=TODAY + 3 * DAY)
    make_law(title_en="Late", planned_next_step="Vote", planned_next_step_on=TODAY - DAY)
    make_law(title_en="Far", planned_next_step="Vote", planned_next_step_on=TODAY + 30 * DAY)
    make_law(
        title_en="Hidden",
        visibility="partners",
        planned_next_step="Vote",
        planned_next_step_on=TODAY + DAY,
    )
    make_tax_measure(name_en="Starts soon", starts_on=TODAY + 5 * DAY)
    page = client.get(reverse("web:home")).content.decode()
    due = page.split("due-list__due")[1].split("</ul>")[0]
    overdue = page.split("due-list__overdue")[1].split("</ul>")[0]
    assert "Due soon" in due and "Starts soon" in due and "Late" not in due
    assert "Late" in overdue and "1 day overdue" in overdue
    assert "Far" not in page.split("due-list")[1] and "Hidden" not in page


def _events(client):
    body = client.get(reverse("web:feed-ics")).content.decode().replace("\r\n ", "")
    events = {}
    for chunk in body.split("BEGIN:VEVENT")[1:]:
        fields = dict(line.split(":", 1) for line in chunk.split("\r\n") if ":" in line)
        events[fields["UID"].split("@")[0]] = fields
    return events


def test_calendar_has_one_event_per_deadline_and_moves_it_with_the_same_uid(client):
    from tracker.models import StatusChange
    from tracker.services.records import record_update
    from tracker.services.transitions import correct_entry

    law = with_president(TODAY - 3 * DAY)
    record_update(
        record=law,
        values={"planned_next_step": "Signature", "planned_next_step_on": TODAY + DAY},
        actor=None,
    )
    measure = make_tax_measure(starts_on=TODAY + 20 * DAY, sunset_on=TODAY + 400 * DAY)
    events = _events(client)
    term = events[f"law-{law.pk}-president-1"]
    assert term["DTSTART;VALUE=DATE"] == (TODAY + 12 * DAY).strftime("%Y%m%d")
    assert f"law-{law.pk}-next-step" in events
    assert {f"tax-measure-{measure.pk}-start", f"tax-measure-{measure.pk}-sunset"} <= set(events)
    step = StatusChange.objects.get(record_id=law.pk, to_status="sent_to_president")
    correct_entry(
        entry=step,
        recorded_by=None,
        reason="The card gives the day after",
        changes={"occurred_on": TODAY - 2 * DAY, "date_precision": "day"},
    )
    moved = _events(client)[f"law-{law.pk}-president-1"]
    assert moved["DTSTART;VALUE=DATE"] == (TODAY + 13 * DAY).strftime("%Y%m%d")
    assert int(moved["SEQUENCE"]) >= int(term["SEQUENCE"])
    assert moved["LAST-MODIFIED"] >= term["LAST-MODIFIED"]


def test_law_page_says_why_the_presidents_term_has_no_date(client):
    law = make_law()
    for status, on, precision in (
        ("registered", TODAY - 40 * DAY, "day"),
        ("first_reading", TODAY - 39 * DAY, "day"),
        ("adopted_as_whole", TODAY - 39 * DAY, "day"),
        ("signed_by_speaker", TODAY - 38 * DAY, "day"),
        ("sent_to_president", (TODAY - 35 * DAY).replace(day=1), "month"),
    ):
        record_transition(
            record=law, to_status=status, occurred_on=on, date_precision=precision, recorded_by=None
        )
    page = client.get(reverse("web:law-detail", args=[law.pk])).content.decode()
    assert "in a month whose day is not known" in page
    uk = client.get(reverse("web:law-detail", args=[law.pk]), HTTP_ACCEPT_LANGUAGE="uk")
    assert "день якого невідомий" in uk.content.decode()
