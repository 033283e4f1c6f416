import datetime
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from tests.factories import make_law
from tracker.models import Visibility

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def test_atom_feed_lists_public_status_changes_with_links_to_their_pages(client, world):
    response = client.get(reverse("web:feed-atom"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert "On joint weapons production: Adopted in principle" in titles
    assert "Germany: Memorandum signed" in titles
    vote = entries[titles.index("On joint weapons production: Adopted in principle")]
    link = vote.find(f"{ATOM}link").get("href")
    assert link.startswith(f"http://testserver/laws/{world.law.pk}/#change-")
    summary = vote.findtext(f"{ATOM}summary")
    assert "Votes for: 262, against: 12, abstained: 5" in summary
    assert 'href="https://rada.example/13302"' in summary
    # Every entry is about a public record.
    assert all(not any(w in t for w in ("SECRET",)) for t in titles), titles
    assert len(entries) == len(set(e.findtext(f"{ATOM}id") for e in entries))


def test_atom_feed_is_limited_to_the_latest_changes(client, db):
    law = make_law()
    path = ["registered", "in_committee", "first_reading", "returned_for_revision"]
    for _ in range(20):
        path += ["in_committee", "first_reading", "returned_for_revision"]
    path = path[:55]
    start = datetime.date.today() - datetime.timedelta(days=60)
    from tests.factories import move

    move(law, *path, start=start)
    feed = ET.fromstring(client.get(reverse("web:feed-atom")).content)
    assert len(feed.findall(f"{ATOM}entry")) == 50


def test_calendar_feed_has_planned_next_steps_of_public_moving_laws(client, world):
    make_law(
        title_en="Signed long ago, nothing planned",
        planned_next_step="never shown",
        planned_next_step_on=world.today,
        visibility=Visibility.PUBLIC,
    )
    response = client.get(reverse("web:feed-ics"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n")
    unfolded = body.replace("\r\n ", "")
    events = unfolded.split("BEGIN:VEVENT")[1:]
    assert len(events) == 2  # world.law and the new one; not the restricted law's step
    event = next(e for e in events if f"law-{world.law.pk}-next-step@" in e)
    due = (world.today - datetime.timedelta(days=3)).strftime("%Y%m%d")
    assert f"DTSTART;VALUE=DATE:{due}\r\n" in event
    assert "SUMMARY:13302: Second reading\r\n" in event
    assert f"URL;VALUE=URI:http://testserver/laws/{world.law.pk}/" in event
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    assert "Hidden step" not in unfolded


def test_calendar_escapes_text_values(client, db):
    make_law(
        title_en="On co-production, investment; and relief",
        planned_next_step="Vote; second reading, final",
        planned_next_step_on=datetime.date(2026, 12, 1),
    )
    unfolded = client.get(reverse("web:feed-ics")).content.decode().replace("\r\n ", "")
    assert "SUMMARY:Vote\\; second reading\\, final\r\n" in unfolded
    assert "DESCRIPTION:On co-production\\, investment\\; and relief\\nCurrent stage" in unfolded


def test_calendar_leaves_out_laws_whose_process_has_ended(client, db):
    law = make_law(planned_next_step="Moot", planned_next_step_on=datetime.date(2026, 12, 1))
    from tests.factories import move

    move(law, "withdrawn")
    assert "Moot" not in client.get(reverse("web:feed-ics")).content.decode()


def test_feeds_follow_the_language(client, world):
    client.cookies["django_language"] = "uk"
    feed = ET.fromstring(client.get(reverse("web:feed-atom")).content)
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert "Про спільне виробництво озброєння: Прийнято за основу" in titles
    body = client.get(reverse("web:feed-ics")).content.decode().replace("\r\n ", "")
    assert "Поточний етап: Прийнято за основу" in body


def test_feed_gives_no_made_up_date_to_a_step_whose_day_is_not_known(client, db):
    from tests.factories import move
    from tracker.services.transitions import record_transition

    law = make_law(title_en="On dates as known")
    move(law, "registered", start=datetime.date(2025, 6, 2))
    unknown = record_transition(
        record=law, to_status="in_committee", occurred_on=None, recorded_by=None
    )
    month = record_transition(
        record=law,
        to_status="first_reading",
        occurred_on=datetime.date(2025, 7, 1),
        date_precision="month",
        recorded_by=None,
    )
    feed = ET.fromstring(client.get(reverse("web:feed-atom")).content)
    entries = {
        e.find(f"{ATOM}link").get("href").split("#")[1]: e for e in feed.findall(f"{ATOM}entry")
    }
    registered = entries[
        next(k for k in entries if k not in {f"change-{unknown.pk}", f"change-{month.pk}"})
    ]
    assert registered.findtext(f"{ATOM}published").startswith("2025-06-02T00:00:00")
    for step in (unknown, month):
        entry = entries[f"change-{step.pk}"]
        recorded = step.recorded_at.isoformat()[:19]
        assert entry.findtext(f"{ATOM}published").startswith(recorded)
    assert "Date: date not known" in entries[f"change-{unknown.pk}"].findtext(f"{ATOM}summary")
    assert "Date: July 2025" in entries[f"change-{month.pk}"].findtext(f"{ATOM}summary")


def test_calendar_has_the_end_of_the_presidents_term_only_where_it_is_known(client, db):
    from tests.factories import move
    from tracker.services.transitions import record_transition

    today = datetime.date.today()
    known = make_law(title_en="Known day", registration_number="777", registration_date=today)
    unknown = make_law(title_en="Unknown day")
    for law in (known, unknown):
        move(
            law,
            "registered",
            "in_committee",
            "first_reading",
            start=today - datetime.timedelta(days=30),
        )
        record_transition(
            record=law,
            to_status="adopted_as_whole",
            occurred_on=today - datetime.timedelta(days=20),
            recorded_by=None,
            votes_for=300,
        )
        record_transition(
            record=law, to_status="signed_by_speaker", occurred_on=None, recorded_by=None
        )
    record_transition(
        record=known,
        to_status="sent_to_president",
        occurred_on=today - datetime.timedelta(days=4),
        recorded_by=None,
    )
    record_transition(
        record=unknown, to_status="sent_to_president", occurred_on=None, recorded_by=None
    )
    body = client.get(reverse("web:feed-ics")).content.decode().replace("\r\n ", "")
    events = body.split("BEGIN:VEVENT")[1:]
    terms = [e for e in events if "-president-" in e]
    assert len(terms) == 1
    due = (today + datetime.timedelta(days=11)).strftime("%Y%m%d")
    assert f"DTSTART;VALUE=DATE:{due}\r\n" in terms[0]
    assert "SUMMARY:777: The President's 15 days to sign or return the law end" in terms[0]
    assert "Unknown day" not in body
