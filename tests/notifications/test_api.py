"""The subscription endpoints, as a partner's system uses them."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from tests.factories import make_law, move
from tests.notifications.marks import committing
from tracker.models import Delivery, DeliveryState, WebhookSubscription
from tracker.services.api_keys import api_key_issue

pytestmark = pytest.mark.django_db


def client_for(partner) -> APIClient:
    _api_key, key = api_key_issue(partner=partner, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def de_client(germany):
    return client_for(germany)


@pytest.fixture
def fr_client(france):
    return client_for(france)


def create(client, url, **extra):
    body = {"url": url, "event_types": ["law.*"], "description": "Ministry systems", **extra}
    return client.post("/api/v1/webhooks/", body, format="json")


def test_create_returns_the_secret_once(de_client, receiver, no_broker):
    response = create(de_client, receiver.url())
    assert response.status_code == 201, response.content
    secret = response.json()["secret"]
    assert secret.startswith("whsec_")
    assert len(Webhook(secret)._whsecret) >= 24
    pk = response.json()["id"]
    listed = de_client.get("/api/v1/webhooks/").json()
    assert [s["id"] for s in listed] == [pk]
    assert "secret" not in listed[0]
    assert "secret" not in de_client.get(f"/api/v1/webhooks/{pk}/").json()


def test_bad_input_says_what_to_fix(de_client, settings, no_broker):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    response = create(de_client, "http://169.254.169.254/latest/")
    assert response.status_code == 400
    assert "metadata" in str(response.json())
    response = create(de_client, "https://hooks.bund.example/", event_types=["laws.created"])
    assert response.status_code == 400
    assert "event_types" in str(response.json())


def test_partners_never_see_each_others_subscriptions(de_client, fr_client, receiver, no_broker):
    pk = create(de_client, receiver.url()).json()["id"]
    assert fr_client.get("/api/v1/webhooks/").json() == []
    for method, path in [
        ("get", f"/api/v1/webhooks/{pk}/"),
        ("patch", f"/api/v1/webhooks/{pk}/"),
        ("delete", f"/api/v1/webhooks/{pk}/"),
        ("post", f"/api/v1/webhooks/{pk}/test/"),
        ("post", f"/api/v1/webhooks/{pk}/rotate-secret/"),
        ("get", f"/api/v1/webhooks/{pk}/deliveries/"),
    ]:
        assert getattr(fr_client, method)(path, {}, format="json").status_code == 404, path
    assert WebhookSubscription.objects.filter(pk=pk).exists()


def test_anonymous_and_staff_sessions_cannot_manage_subscriptions(client, editor):
    assert client.get("/api/v1/webhooks/").status_code in (401, 403)
    client.force_login(editor)
    assert client.get("/api/v1/webhooks/").status_code == 403


def test_update_rotate_and_delete(de_client, receiver, no_broker):
    pk = create(de_client, receiver.url()).json()["id"]
    response = de_client.patch(
        f"/api/v1/webhooks/{pk}/",
        {"event_types": ["facility.status_changed"], "is_active": False},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["event_types"] == ["facility.status_changed"]
    assert response.json()["is_active"] is False
    rotated = de_client.post(f"/api/v1/webhooks/{pk}/rotate-secret/")
    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["previous_secret_expires_at"]
    assert de_client.delete(f"/api/v1/webhooks/{pk}/").status_code == 204
    assert de_client.get(f"/api/v1/webhooks/{pk}/").status_code == 404


@committing
def test_test_delivery_and_retry_over_the_api(de_client, receiver, inline_tasks):
    created = create(de_client, receiver.url()).json()
    response = de_client.post(f"/api/v1/webhooks/{created['id']}/test/")
    assert response.status_code == 202
    assert len(receiver.requests) == 1
    body = Webhook(created["secret"]).verify(
        receiver.requests[0].body, receiver.requests[0].headers
    )
    assert body["type"] == "webhook.test"

    deliveries = de_client.get(f"/api/v1/webhooks/{created['id']}/deliveries/").json()
    (delivery,) = deliveries["results"]
    assert delivery["state"] == "succeeded"
    assert delivery["webhook_id"] == receiver.requests[0].headers["webhook-id"]
    assert delivery["last_status_code"] == 200

    retried = de_client.post(f"/api/v1/webhooks/{created['id']}/deliveries/{delivery['id']}/retry/")
    assert retried.status_code == 202
    assert len(receiver.requests) == 2
    assert receiver.requests[1].headers["webhook-id"] == delivery["webhook_id"]


def test_delivery_log_takes_constant_queries(de_client, germany, receiver, no_broker):
    from tracker.models import Event
    from tracker.notifications.outbox import fan_out_event

    pk = create(de_client, receiver.url()).json()["id"]
    law = make_law()
    move(
        law, "registered", "in_committee", start=datetime.date.today() - datetime.timedelta(days=9)
    )

    def queries() -> int:
        for event in Event.objects.filter(fanned_out_at__isnull=True):
            fan_out_event(event.pk)
        with CaptureQueriesContext(connection) as captured:
            assert de_client.get(f"/api/v1/webhooks/{pk}/deliveries/").status_code == 200
        return len(captured)

    few = queries()
    move(law, "first_reading", "adopted_in_principle", "second_reading")
    assert queries() == few
    assert Delivery.objects.filter(state=DeliveryState.PENDING).count() >= 5


def test_email_subscriptions(de_client, fr_client, no_broker):
    response = de_client.post(
        "/api/v1/email-subscriptions/",
        {"email": "desk@bund.example", "event_types": ["law.status_changed"], "language": "uk"},
        format="json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert fr_client.get(f"/api/v1/email-subscriptions/{pk}/").status_code == 404
    assert (
        de_client.patch(
            f"/api/v1/email-subscriptions/{pk}/", {"language": "en"}, format="json"
        ).json()["language"]
        == "en"
    )
    bad = de_client.post(
        "/api/v1/email-subscriptions/", {"email": "nope", "event_types": ["*"]}, format="json"
    )
    assert bad.status_code == 400
    assert de_client.delete(f"/api/v1/email-subscriptions/{pk}/").status_code == 204


def test_record_filter_must_name_a_record_the_partner_sees(de_client, france, receiver, no_broker):
    from tracker.models import Visibility

    hidden = make_law(visibility=Visibility.RESTRICTED, partners=[france])
    response = create(de_client, receiver.url(), record_type="law", record_id=hidden.pk)
    assert response.status_code == 400
    assert "record_id" in response.json() or "record_id" in str(response.json())
    visible = make_law()
    assert (
        create(de_client, receiver.url(), record_type="law", record_id=visible.pk).status_code
        == 201
    )
