import random
import threading
import time

import pytest
from django.db import connection, transaction

from tests.factories import make_facility, make_law, move
from tracker import selectors
from tracker.models import Event, Visibility
from tracker.services import transitions
from tracker.services.events import emit_event


def _ids(body):
    return [event["id"] for event in body["results"]]


@pytest.mark.django_db
def test_feed_is_ascending_keyset_paginated_with_next(anon):
    laws = [make_law() for _ in range(5)]
    move(laws[0], "registered", "in_committee")
    everything = anon.get("/api/v1/events/").json()
    ids = _ids(everything)
    assert ids == sorted(ids) and len(ids) == 7
    assert everything["has_more"] is False

    page = anon.get("/api/v1/events/", {"limit": 3}).json()
    assert _ids(page) == ids[:3]
    assert page["has_more"] is True
    assert page["last_id"] == ids[2]
    page = anon.get(page["next"]).json()
    assert _ids(page) == ids[3:6]
    page = anon.get(page["next"]).json()
    assert _ids(page) == ids[6:]
    empty = anon.get(page["next"]).json()
    assert empty["results"] == [] and empty["last_id"] == ids[-1]
    assert f"after={ids[-1]}" in empty["next"]


@pytest.mark.django_db
def test_feed_filters_by_type_and_record(anon):
    law = make_law()
    facility = make_facility()
    move(law, "registered")
    move(facility, "agreement_signed")

    def types(**params):
        return [e["type"] for e in anon.get("/api/v1/events/", params).json()["results"]]

    assert types(type="law.*") == ["law.created", "law.status_changed"]
    assert types(type="*.status_changed") == ["law.status_changed", "facility.status_changed"]
    assert types(type="facility.created,law.created") == ["law.created", "facility.created"]
    assert types(record_type="facility") == ["facility.created", "facility.status_changed"]
    assert types(record_type="law", record_id=law.pk, type="law.status_changed") == [
        "law.status_changed"
    ]
    event = anon.get("/api/v1/events/", {"type": "law.status_changed"}).json()["results"][0]
    assert event["data"]["to"] == "registered"
    assert event["record_url"].endswith(f"/api/v1/laws/{law.pk}/")


@pytest.mark.django_db
def test_webhook_test_events_are_not_in_the_feed(editor_client):
    with transaction.atomic():
        emit_event(type="webhook.test", record_type="", data={})
    assert editor_client.get("/api/v1/events/").json()["results"] == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_transitions_are_seen_exactly_once_while_paging(germany, de_client, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite runs one writer at a time, so ids cannot commit out of order; "
            "this race needs PostgreSQL (set DATABASE_URL)."
        )
    facilities = [
        make_facility(partners=[germany], visibility=Visibility.RESTRICTED) for _ in range(8)
    ]
    path = ["agreement_signed", "financed", "under_construction", "operational"]
    path += ["suspended", "operational"] * 4

    # Widen the window between taking an event id and committing, as a slow transaction would.
    original_emit = transitions.emit_event

    def slow_emit(**kwargs):
        event = original_emit(**kwargs)
        time.sleep(random.uniform(0, 0.03))
        return event

    monkeypatch.setattr(transitions, "emit_event", slow_emit)
    errors = []

    def writer(records):
        try:
            for status in path:
                for record in records:
                    move(record, status, start=None)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=([f],)) for f in facilities]
    seen = []
    after = 0
    polls = 0
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        body = de_client.get("/api/v1/events/", {"after": after, "limit": 7}).json()
        seen += _ids(body)
        after = body["last_id"]
        polls += 1
    for thread in threads:
        thread.join()
    while True:  # drain what was committed after the last poll
        body = de_client.get("/api/v1/events/", {"after": after, "limit": 7}).json()
        if not body["results"]:
            break
        seen += _ids(body)
        after = body["last_id"]

    assert not errors
    assert polls > 10, "the writers finished before the feed was paged concurrently"
    expected = list(
        selectors.visible_events(selectors.Viewer.partner(germany)).values_list("id", flat=True)
    )
    assert len(seen) == len(set(seen)), "an event was served twice"
    assert seen == expected, "an event was missed"
    assert Event.objects.filter(type="facility.status_changed").count() == 8 * len(path)


@pytest.mark.django_db
def test_feed_does_not_name_staff_only_fields_to_partners(de_client, editor_client, editor):
    from tracker.services.records import record_update

    facility = make_facility()
    record_update(record=facility, values={"exact_site": "Gate B", "region": "Lviv"}, actor=editor)
    partner_view = de_client.get("/api/v1/events/", {"type": "facility.updated"}).json()
    staff_view = editor_client.get("/api/v1/events/", {"type": "facility.updated"}).json()
    assert partner_view["results"][0]["data"]["changed"] == ["region"]
    assert staff_view["results"][0]["data"]["changed"] == ["exact_site", "region"]
