"""Staff see every delivery, filter them and retry them."""

from __future__ import annotations

import pytest

from tests.factories import make_law, make_partner, move
from tracker.models import Delivery, DeliveryState, Event
from tracker.notifications.outbox import fan_out_event
from tracker.services.subscriptions import webhook_subscription_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_delivery(receiver, no_broker):
    subscription, _ = webhook_subscription_create(
        partner=make_partner("DE"), url=receiver.url(), event_types=["law.*"]
    )
    move(make_law(), "registered")
    for event in Event.objects.filter(fanned_out_at__isnull=True):
        fan_out_event(event.pk)
    Delivery.objects.update(
        state=DeliveryState.FAILED, last_status_code=503, last_error="The endpoint answered 503."
    )
    return Delivery.objects.filter(subscription=subscription).first()


def test_staff_filter_deliveries(client, superuser, failed_delivery):
    client.force_login(superuser)
    base = "/admin/tracker/delivery/"
    for query in ("", "?state=failed", "?code=5xx", "?error=yes", "?latency=fast",
                  f"?partner__id__exact={failed_delivery.partner_id}",
                  f"?subscription__id__exact={failed_delivery.subscription_id}"):  # fmt: skip
        response = client.get(base + query)
        assert response.status_code == 200, query
    assert failed_delivery.message_id in client.get(base + "?code=5xx").content.decode()
    assert failed_delivery.message_id not in client.get(base + "?code=2xx").content.decode()


def test_staff_retry_many(
    client, superuser, failed_delivery, no_broker, django_capture_on_commit_callbacks
):
    client.force_login(superuser)
    ids = list(Delivery.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/tracker/delivery/",
            {"action": "retry", "_selected_action": ids},
            follow=True,
        )
    assert response.status_code == 200
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.PENDING}
    assert {("notifications.deliver", pk) for pk in ids} <= {(n, i) for n, i, _c in no_broker}


def test_viewers_see_but_cannot_retry(client, viewer_user, failed_delivery):
    client.force_login(viewer_user)
    response = client.get("/admin/tracker/delivery/")
    if response.status_code == 200:
        assert 'value="retry"' not in response.content.decode()
    else:
        assert response.status_code == 403


def test_switching_a_subscription_on_in_its_form_forgets_why_it_was_off(
    client, superuser, receiver
):
    from django.utils import timezone

    from tracker.models import WebhookSubscription

    subscription, _ = webhook_subscription_create(
        partner=make_partner("DE"), url=receiver.url(), event_types=["*"]
    )
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        is_active=False,
        failing_since=timezone.now(),
        disabled_at=timezone.now(),
        disabled_reason="The endpoint answered 410 Gone.",
    )
    client.force_login(superuser)
    url = f"/admin/tracker/webhooksubscription/{subscription.pk}/change/"
    response = client.post(
        url,
        {
            "url": subscription.url,
            "event_types": '["*"]',
            "record_type": "",
            "record_id": "",
            "description": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    subscription.refresh_from_db()
    assert subscription.is_active
    assert (subscription.failing_since, subscription.disabled_at) == (None, None)
    assert subscription.disabled_reason == ""


WEBHOOK_FORM = {"event_types": '["*"]', "record_type": "", "record_id": "", "description": ""}


def test_a_webhook_url_the_service_refuses_is_a_form_error_and_nothing_is_saved(client, superuser):
    from tracker.models import WebhookSubscription

    partner = make_partner("DE")
    client.force_login(superuser)
    response = client.post(
        "/admin/tracker/webhooksubscription/add/",
        {**WEBHOOK_FORM, "partner": partner.pk, "url": "http://169.254.169.254/hook"},
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "metadata" in " ".join(form.errors.get("url", []))
    assert not WebhookSubscription.objects.exists()


def test_an_edit_the_service_refuses_is_a_form_error_and_the_stored_row_is_unchanged(
    client, superuser, receiver
):
    subscription, _ = webhook_subscription_create(
        partner=make_partner("DE"), url=receiver.url(), event_types=["*"]
    )
    client.force_login(superuser)
    response = client.post(
        f"/admin/tracker/webhooksubscription/{subscription.pk}/change/",
        {**WEBHOOK_FORM, "url": "http://169.254.169.254/hook", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "metadata" in " ".join(response.context["adminform"].form.errors.get("url", []))
    subscription.refresh_from_db()
    assert subscription.url == receiver.url()
