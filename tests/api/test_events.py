import json
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
def test_feed_pages_carry_their_next_link_as_a_header_too(anon):
    for _ in range(3):
        make_law()
    first = anon.get("/api/v1/events/", {"limit": 2})
    body = first.json()
    assert first["Link"] == f'<{body["next"]}>; rel="next"'
    # Answered again from the page cache, the header is still there.
    again = anon.get("/api/v1/events/", {"limit": 2})
    assert again["Link"] == first["Link"]
    following = anon.get(first["Link"][1 : first["Link"].index(">")]).json()
    assert following["results"][0]["id"] == body["last_id"] + 1


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


# --- One event, and tombstones ------------------------------------------------------------


def _feed(client, **params):
    return client.get("/api/v1/events/", {"limit": 500, **params}).json()["results"]


def _about(events, record):
    return [
        e for e in events if e["record_type"] == record.record_type and e["record_id"] == record.pk
    ]


@pytest.mark.django_db
def test_one_event_reads_as_in_the_feed_and_is_404_where_not_visible(
    germany, france, de_client, fr_client, anon, editor_client
):
    shared = make_law(partners=[germany], visibility=Visibility.PARTNERS)
    restricted = make_law(partners=[germany], visibility=Visibility.RESTRICTED)
    move(restricted, "registered")
    for event in _feed(de_client):
        assert de_client.get(f"/api/v1/events/{event['id']}/").json() == event
    secret = Event.objects.get(type="law.status_changed", record_id=restricted.pk).pk
    assert de_client.get(f"/api/v1/events/{secret}/").json()["data"]["to"] == "registered"
    assert fr_client.get(f"/api/v1/events/{secret}/").status_code == 404
    assert anon.get(f"/api/v1/events/{secret}/").status_code == 404
    assert editor_client.get(f"/api/v1/events/{secret}/").status_code == 200
    created = Event.objects.get(type="law.created", record_id=shared.pk).pk
    assert fr_client.get(f"/api/v1/events/{created}/").status_code == 200
    assert anon.get(f"/api/v1/events/{created}/").status_code == 404
    for missing in ("999999", str(2**63), str(2**70)):
        response = de_client.get(f"/api/v1/events/{missing}/")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.django_db
def test_archiving_tells_exactly_the_partners_that_could_see_the_record(
    germany, france, de_client, fr_client, anon, editor, editor_client
):
    from tracker.services.records import record_archive, record_restore

    theirs = make_law(partners=[germany], visibility=Visibility.RESTRICTED)
    everyones = make_law(visibility=Visibility.PUBLIC)
    record_archive(record=theirs, actor=editor)
    record_archive(record=everyones, actor=editor)

    archived = [e for e in _feed(de_client) if e["type"] == "law.archived"]
    assert [e["record_id"] for e in archived] == [theirs.pk, everyones.pk]
    for event in archived:
        assert event["data"] == {} and event["record_url"] is None
        assert set(event) == {
            "id",
            "type",
            "record_type",
            "record_id",
            "record_url",
            "occurred_at",
            "data",
        }
        assert de_client.get(f"/api/v1/events/{event['id']}/").json() == event
    # France could see the public law only; nobody else learns the restricted one existed.
    fr_feed = [e for e in _feed(fr_client) if e["record_type"] == "law"]
    assert [(e["type"], e["record_id"]) for e in fr_feed] == [("law.archived", everyones.pk)]
    assert fr_client.get(f"/api/v1/events/{archived[0]['id']}/").status_code == 404
    assert str(theirs.pk) not in {str(e["record_id"]) for e in fr_feed}
    assert [e for e in _feed(anon) if e["record_type"] == "law"] == []
    assert len([e for e in _feed(editor_client) if e["type"] == "law.archived"]) == 2

    # Restored: the record and its history are back; the tombstone stays where it went.
    record_restore(record=theirs, actor=editor)
    assert [e["type"] for e in _about(_feed(de_client), theirs)] == [
        "law.created",
        "law.archived",
        "law.updated",
    ]
    assert _about(_feed(fr_client), theirs) == []


@pytest.mark.django_db
def test_deleting_tells_the_partners_that_could_see_it_and_nothing_more(
    germany, france, de_client, fr_client, superuser, editor_client
):
    from tracker.services.records import record_archive, record_delete

    law = make_law(partners=[germany], visibility=Visibility.RESTRICTED, title_en="Secret bill")
    move(law, "registered")
    gone_long_ago = make_law(visibility=Visibility.PUBLIC)
    record_archive(record=gone_long_ago, actor=superuser)
    law_id, old_id = law.pk, gone_long_ago.pk
    record_delete(record=law, actor=superuser)
    record_delete(record=gone_long_ago, actor=superuser)

    deleted = [e for e in _feed(de_client) if e["type"] == "law.deleted"]
    assert [(e["record_id"], e["data"], e["record_url"]) for e in deleted] == [(law_id, {}, None)]
    assert "Secret bill" not in json.dumps(_feed(de_client))
    # France saw only the public law, archived long before: its tombstone, no deletion.
    fr_laws = [e for e in _feed(fr_client) if e["record_type"] == "law"]
    assert [(e["type"], e["record_id"]) for e in fr_laws] == [("law.archived", old_id)]
    assert not [e for e in _feed(fr_client) if e["type"] == "law.deleted"]
    # Staff keep the trace of what was deleted, both deletions included.
    staff = [e for e in _feed(editor_client) if e["type"] == "law.deleted"]
    assert len(staff) == 2
    assert staff[0]["data"]["label"] == "Secret bill"


@pytest.mark.django_db
def test_losing_sight_of_a_record_leaves_a_hidden_tombstone_for_those_who_lost_it(
    germany, france, de_client, fr_client, editor
):
    from tracker.services.records import record_update

    law = make_law(partners=[germany], visibility=Visibility.PARTNERS)
    move(law, "registered")
    # France loses sight: the law becomes restricted to its linked partners (Germany).
    record_update(record=law, values={"visibility": Visibility.RESTRICTED}, actor=editor)
    fr_events = _about(_feed(fr_client), law)
    assert [e["type"] for e in fr_events] == ["law.hidden"]
    assert fr_events[0]["data"] == {} and fr_events[0]["record_url"] is None
    assert "law.hidden" not in [e["type"] for e in _about(_feed(de_client), law)]
    # A change that takes nobody's sight away tells nothing.
    record_update(record=law, values={"partners": [germany, france]}, actor=editor)
    record_update(record=law, values={"title_en": "Renamed"}, actor=editor)
    assert Event.objects.filter(type="law.hidden").count() == 1
    # Germany is unlinked from the restricted law: now it is Germany's turn.
    record_update(record=law, values={"partners": [france]}, actor=editor)
    de_types = [e["type"] for e in _about(_feed(de_client), law)]
    assert de_types == ["law.hidden"]
    hidden = Event.objects.filter(type="law.hidden").order_by("id")
    assert [set(e.audience.values_list("code", flat=True)) for e in hidden] == [{"FR"}, {"DE"}]


@pytest.mark.django_db
def test_feed_with_tombstones_costs_the_same_queries_for_one_or_many(germany, de_client, editor):
    from django.test.utils import CaptureQueriesContext

    from tracker.services.records import record_archive, record_update

    for _ in range(6):
        law = make_law(partners=[germany], visibility=Visibility.RESTRICTED)
        record_update(record=law, values={"partners": []}, actor=editor)
        record_archive(record=make_law(), actor=editor)

    def count(limit):
        with CaptureQueriesContext(connection) as queries:
            body = de_client.get("/api/v1/events/", {"limit": limit}).json()
        return len(queries), body

    de_client.get("/api/v1/events/", {"limit": 2})  # the key's first use is recorded once
    few, body = count(1)
    many, body = count(100)
    assert {e["type"] for e in body["results"]} >= {"law.hidden", "law.archived"}
    assert few == many


@pytest.mark.django_db
def test_subscriptions_accept_tombstone_types(germany):
    from tracker.services.subscriptions import email_subscription_create

    subscription = email_subscription_create(
        partner=germany,
        email="ops@bund.example",
        event_types=["law.archived", "facility.deleted", "tax_measure.hidden"],
    )
    assert subscription.event_types == ["facility.deleted", "law.archived", "tax_measure.hidden"]
