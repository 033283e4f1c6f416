"""Alerts: `<record>.deadline_approaching` and `.deadline_missed`, once each per deadline and
date, through the feed, webhooks and e-mail with the same visibility as every event."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from tests.factories import make_law
from tracker.models import Deadline, DeadlineAlert, Delivery, Event, Visibility
from tracker.notifications import delivery, outbox
from tracker.services.deadlines import send_deadline_alerts
from tracker.services.records import record_update
from tracker.services.subscriptions import email_subscription_create

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def alerts(**filters):
    return list(Event.objects.filter(type__contains=".deadline_", **filters).order_by("id"))


def test_each_alert_once_per_deadline_and_again_only_when_it_moves():
    law = make_law(planned_next_step="Second reading", planned_next_step_on=TODAY + 3 * DAY)
    assert send_deadline_alerts(today=TODAY, days_before=7) == {
        "deadline_approaching": 1,
        "deadline_missed": 0,
    }
    (event,) = alerts()
    assert event.type == "law.deadline_approaching" and event.record_id == law.pk
    assert event.data["deadline"] == f"law:{law.pk}:next_step"
    assert event.data["title"] == "Planned next step: Second reading"
    assert event.data["due_on"] == (TODAY + 3 * DAY).isoformat()
    assert event.data["days_left"] == 3
    # A re-run (or a run after a restart: the state is in the database) sends nothing.
    send_deadline_alerts(today=TODAY, days_before=7)
    send_deadline_alerts(today=TODAY + DAY, days_before=7)
    assert len(alerts()) == 1
    # The deadline moves: announced again, for its new date, once.
    record_update(record=law, values={"planned_next_step_on": TODAY + 5 * DAY}, actor=None)
    send_deadline_alerts(today=TODAY + DAY, days_before=7)
    send_deadline_alerts(today=TODAY + DAY, days_before=7)
    moved = alerts()[1:]
    assert [e.data["due_on"] for e in moved] == [(TODAY + 5 * DAY).isoformat()]
    # Missed once it has passed, once.
    for _ in range(2):
        send_deadline_alerts(today=TODAY + 6 * DAY, days_before=7)
    missed = [e for e in alerts() if e.type == "law.deadline_missed"]
    assert len(missed) == 1 and missed[0].data["days_overdue"] == 1
    assert DeadlineAlert.objects.count() == 3


def test_not_yet_near_nothing_is_sent_and_dates_that_come_by_themselves_are_never_missed():
    make_law(planned_next_step="Vote", planned_next_step_on=TODAY + 10 * DAY)
    assert send_deadline_alerts(today=TODAY, days_before=7)["deadline_approaching"] == 0
    assert send_deadline_alerts(today=TODAY, days_before=10)["deadline_approaching"] == 1
    Deadline.objects.update(obliged=False)  # as an entry into force: it comes by itself
    assert send_deadline_alerts(today=TODAY + 30 * DAY)["deadline_missed"] == 0


def test_an_overlapping_run_that_already_sent_it_wins_and_nothing_is_doubled():
    law = make_law(planned_next_step="Vote", planned_next_step_on=TODAY + DAY)
    row = Deadline.objects.get(record_id=law.pk)
    DeadlineAlert.objects.create(key=row.key, kind="approaching", due_on=row.due_on)
    assert send_deadline_alerts(today=TODAY)["deadline_approaching"] == 0
    assert alerts() == []


def test_alerts_reach_only_partners_who_may_see_the_record(
    api_client_for, germany, france, monkeypatch
):
    law = make_law(
        visibility=Visibility.RESTRICTED,
        partners=[germany],
        planned_next_step="Signature",
        planned_next_step_on=TODAY - DAY,
    )
    for partner, address in ((germany, "de@example.org"), (france, "fr@example.org")):
        email_subscription_create(partner=partner, email=address, event_types=["law.*"])
    send_deadline_alerts(today=TODAY)
    (event,) = alerts()
    assert event.type == "law.deadline_missed"
    ids = outbox.fan_out_event(event.pk)
    assert [d.partner_id for d in Delivery.objects.filter(pk__in=ids)] == [germany.pk]
    for pk in ids:
        delivery.attempt_delivery(pk)
    (message,) = mail.outbox
    assert message.to == ["de@example.org"]
    assert "Deadline missed: Planned next step: Signature" in message.subject
    assert "1 day ago" in message.body
    # The change feed, with the API's visibility.
    de_feed = api_client_for(germany).get("/api/v1/events/", {"type": "law.deadline_missed"})
    fr_feed = api_client_for(france).get("/api/v1/events/", {"type": "law.deadline_missed"})
    assert [e["record_id"] for e in de_feed.json()["results"]] == [law.pk]
    assert fr_feed.json()["results"] == []


def test_the_command_recomputes_and_sends_once():
    make_law(planned_next_step="Vote", planned_next_step_on=TODAY + 2 * DAY)
    Deadline.objects.all().delete()
    out = io.StringIO()
    call_command("check_deadlines", stdout=out)
    call_command("check_deadlines", stdout=out)
    assert "1 approaching and 0 missed alerts sent." in out.getvalue()
    assert "0 approaching and 0 missed alerts sent." in out.getvalue()
    assert len(alerts()) == 1


def test_two_runs_racing_for_the_same_alert_send_it_once():
    # Both runs found the deadline still to announce; the unique key lets one of them in.
    from tracker.services.deadlines import _alert

    law = make_law(planned_next_step="Vote", planned_next_step_on=TODAY + DAY)
    row = Deadline.objects.get(record_id=law.pk)
    assert _alert(row, "approaching", TODAY) is True
    assert _alert(row, "approaching", TODAY) is False
    assert len(alerts()) == 1 and DeadlineAlert.objects.get().event == alerts()[0]
