"""Tombstones by webhook, and a partner's delivery log as it may still see it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from tests.factories import make_law, move
from tests.notifications.marks import committing
from tracker.models import Delivery, Event, Visibility
from tracker.notifications.outbox import fan_out_event
from tracker.services.api_keys import api_key_issue
from tracker.services.records import record_archive, record_delete, record_update
from tracker.services.subscriptions import webhook_subscription_create


def _client(partner) -> APIClient:
    _, key = api_key_issue(partner=partner, name="system")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def _bodies(receiver, path, secret):
    return [Webhook(secret).verify(r.body, r.headers) for r in receiver.requests if r.path == path]


@committing
def test_tombstones_reach_by_webhook_exactly_the_partners_that_could_see(
    germany, france, editor, superuser, receiver, inline_tasks
):
    _, de_secret = webhook_subscription_create(
        partner=germany, url=receiver.url("/de"), event_types=["law.*"]
    )
    _, fr_secret = webhook_subscription_create(
        partner=france, url=receiver.url("/fr"), event_types=["*"]
    )
    theirs = make_law(partners=[germany], visibility=Visibility.RESTRICTED)
    shared = make_law(partners=[germany, france], visibility=Visibility.RESTRICTED)
    public = make_law(visibility=Visibility.PUBLIC)
    receiver.requests.clear()

    record_archive(record=theirs, actor=editor)
    record_update(record=shared, values={"partners": [france]}, actor=editor)
    public_id = public.pk
    record_delete(record=public, actor=superuser)

    de = _bodies(receiver, "/de", de_secret)
    fr = _bodies(receiver, "/fr", fr_secret)
    assert [(b["type"], b["data"]["record_id"]) for b in de] == [
        ("law.archived", theirs.pk),
        ("law.hidden", shared.pk),
        ("law.deleted", public_id),
    ]
    # France still sees the shared law (its update) and saw the public one; of Germany's
    # own law it learns nothing.
    assert [(b["type"], b["data"]["record_id"]) for b in fr] == [
        ("law.updated", shared.pk),
        ("law.deleted", public_id),
    ]
    for body in de:
        event = body["data"]
        assert event["type"] == body["type"]
        assert (event["data"], event["record_url"]) == ({}, None)
        assert event == _client(germany).get(f"/api/v1/events/{event['id']}/").json()
    assert str(theirs.pk) not in {str(b["data"]["record_id"]) for b in fr}
    delivered = Delivery.objects.filter(event__type__in=["law.archived", "law.hidden"])
    assert {d.partner_id for d in delivered} == {germany.pk}
    assert {d.state for d in Delivery.objects.all()} == {"succeeded"}


@pytest.mark.django_db
def test_the_delivery_log_forgets_records_the_partner_may_no_longer_see(
    germany, france, editor, receiver, no_broker
):
    de, fr = _client(germany), _client(france)
    de_hook = de.post(
        "/api/v1/webhooks/", {"url": receiver.url("/de"), "event_types": ["*"]}, format="json"
    ).json()["id"]
    fr_hook = fr.post(
        "/api/v1/webhooks/", {"url": receiver.url("/fr"), "event_types": ["*"]}, format="json"
    ).json()["id"]
    law = make_law(partners=[france], visibility=Visibility.PARTNERS)
    move(law, "registered")
    other = make_law(visibility=Visibility.PUBLIC)
    tested = de.post(f"/api/v1/webhooks/{de_hook}/test/").json()["id"]

    def fan_out():
        for pk in Event.objects.filter(fanned_out_at__isnull=True).values_list("pk", flat=True):
            fan_out_event(pk)

    def log(client, hook):
        page = client.get(f"/api/v1/webhooks/{hook}/deliveries/").json()["results"]
        return [(d["event_type"], Event.objects.get(pk=d["event_id"]).record_id) for d in page]

    fan_out()
    before = Delivery.objects.get(partner=germany, event__type="law.status_changed").pk
    assert ("law.status_changed", law.pk) in log(de, de_hook)

    # The law becomes restricted to France: Germany loses sight of it.
    record_update(record=law, values={"visibility": Visibility.RESTRICTED}, actor=editor)
    fan_out()

    de_log = log(de, de_hook)
    about_law = [e for e in de_log if e[1] == law.pk and e[0].startswith("law.")]
    assert about_law == [("law.hidden", law.pk)]
    assert {("webhook.test", None), ("law.created", other.pk)} <= set(de_log)
    assert [t for t, record in log(fr, fr_hook) if record == law.pk and t.startswith("law.")] == [
        "law.updated",
        "law.status_changed",
        "law.created",
    ]
    assert de.get(f"/api/v1/webhooks/{de_hook}/deliveries/{before}/").status_code == 404
    assert de.post(f"/api/v1/webhooks/{de_hook}/deliveries/{before}/retry/").status_code == 404
    assert de.get(f"/api/v1/webhooks/{de_hook}/deliveries/{tested}/").status_code == 200
