"""A webhook's body carries the very event object the change feed lists."""

from __future__ import annotations

import json
from urllib.parse import urlparse

import pytest
from rest_framework.test import APIClient

from tests.factories import make_law, move
from tracker.models import Event, Visibility
from tracker.notifications.payloads import webhook_body
from tracker.services.api_keys import api_key_issue
from tracker.services.records import record_archive, record_update
from tracker.services.transitions import correct_entry, record_procedural_event

pytestmark = pytest.mark.django_db


def _client(partner) -> APIClient:
    _, key = api_key_issue(partner=partner, name="system")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_the_webhook_body_wraps_the_feed_event_of_every_type(germany, editor, settings):
    settings.TRACKER_BASE_URL = "https://tracker.example"
    law = make_law(partners=[germany], visibility=Visibility.RESTRICTED)
    move(law, "registered")
    record_procedural_event(
        record=law, kind="committee_hearing", occurred_on=None, recorded_by=editor
    )
    step = Event.objects.get(type="law.status_changed").status_change
    correct_entry(entry=step, recorded_by=editor, reason="The date", changes={"note": "Fixed"})
    record_update(
        record=law, values={"title_en": "Renamed", "internal_notes": "staff"}, actor=editor
    )
    archived = make_law(partners=[germany], visibility=Visibility.RESTRICTED)
    record_archive(record=archived, actor=editor)

    feed = _client(germany).get("/api/v1/events/", {"limit": 500}).json()["results"]
    assert {e["type"] for e in feed} >= {
        "law.created",
        "law.status_changed",
        "law.procedural_event",
        "law.corrected",
        "law.updated",
        "law.archived",
    }
    for item in feed:
        event = Event.objects.get(pk=item["id"])
        body = json.loads(webhook_body(event))
        assert set(body) == {"type", "timestamp", "data"}
        assert body["type"] == item["type"]
        assert body["timestamp"] == event.occurred_at.isoformat().replace("+00:00", "Z")
        sent, listed = dict(body["data"]), dict(item)
        if listed["record_url"] is not None:
            # The same place: the feed names it from the request's host, webhooks from ours.
            assert sent.pop("record_url") == (
                "https://tracker.example" + urlparse(listed.pop("record_url")).path
            )
        assert sent == listed, item["type"]
    updated = next(e for e in feed if e["type"] == "law.updated")
    assert updated["data"]["changed"] == ["title_en"]  # staff-only names stay home
    tombstone = next(e for e in feed if e["type"] == "law.archived")
    assert (tombstone["data"], tombstone["record_url"]) == ({}, None)


def test_a_test_delivery_reads_as_an_event_too(germany, receiver, no_broker):
    from tracker.services.subscriptions import (
        webhook_subscription_create,
        webhook_subscription_test,
    )

    subscription, _ = webhook_subscription_create(
        partner=germany, url=receiver.url("/de"), event_types=["*"]
    )
    delivery = webhook_subscription_test(subscription=subscription)
    body = json.loads(webhook_body(delivery.event))
    assert body["type"] == "webhook.test"
    assert body["data"]["id"] == delivery.event_id
    assert body["data"]["type"] == "webhook.test"
    assert body["data"]["data"] == {
        "message": "This is a test delivery.",
        "subscription_id": subscription.pk,
    }
