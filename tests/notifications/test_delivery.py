"""Fan-out and delivery against a real HTTP receiver on loopback, run in this process."""

from __future__ import annotations

import datetime
import json

from django.core import mail
from django.utils import timezone
from standardwebhooks import Webhook

from tests.factories import make_law, make_partner, move
from tests.notifications.marks import committing
from tracker.models import Delivery, DeliveryState, Event, Visibility, WebhookSubscription
from tracker.notifications import claims, config, outbox
from tracker.notifications import delivery as delivery_module
from tracker.services.subscriptions import (
    delivery_retry,
    email_subscription_create,
    webhook_secret_rotate,
    webhook_subscription_create,
    webhook_subscription_test,
)

pytestmark = committing


def subscribe(partner, url, event_types=("law.status_changed",), **extra):
    subscription, secret = webhook_subscription_create(
        partner=partner, url=url, event_types=list(event_types), **extra
    )
    return subscription, secret


def make_due(delivery: Delivery) -> None:
    """Pretend the retry's wait has passed, then let the sweep find it."""
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    outbox.sweep()


def test_status_change_reaches_receiver_once_with_a_valid_signature(receiver, inline_tasks):
    germany = make_partner("DE")
    subscription, secret = subscribe(germany, receiver.url())
    law = make_law()
    move(law, "registered")

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "law.status_changed"
    assert payload["data"]["record_id"] == law.pk
    assert payload["data"]["record_type"] == "law"
    assert payload["data"]["record_url"].endswith(f"/api/v1/laws/{law.pk}/")
    assert payload["data"]["data"]["from"] == "drafting"
    assert payload["data"]["data"]["to"] == "registered"
    assert payload["data"]["data"]["occurred_on"]
    delivery = Delivery.objects.get(subscription=subscription)
    assert request.headers["webhook-id"] == delivery.message_id
    assert delivery.state == DeliveryState.SUCCEEDED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200
    assert delivery.last_latency_ms is not None
    assert Event.objects.filter(fanned_out_at__isnull=True).count() == 0

    # Running the fan-out or the sweep again sends nothing more.
    event = delivery.event
    assert outbox.fan_out_event(event.pk) == []
    outbox.sweep()
    assert len(receiver.requests) == 1
    assert Delivery.objects.filter(event=event).count() == 1


def test_event_types_and_wildcards_select_what_is_sent(receiver, inline_tasks):
    germany = make_partner("DE")
    subscribe(germany, receiver.url("/all-law"), event_types=["law.*"])
    subscribe(germany, receiver.url("/facility"), event_types=["facility.status_changed"])
    law = make_law()
    move(law, "registered")

    assert sorted(r.path for r in receiver.requests) == ["/all-law", "/all-law"]
    assert [json.loads(r.body)["type"] for r in receiver.requests] == [
        "law.created",
        "law.status_changed",
    ]


def test_500_500_200_is_delivered_on_the_third_attempt_with_one_webhook_id(receiver, inline_tasks):
    receiver.script["/hook"] = [500, 503]
    subscription, secret = subscribe(make_partner("DE"), receiver.url())
    move(make_law(), "registered")
    delivery = Delivery.objects.get(subscription=subscription)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING
    assert delivery.attempts == 1
    assert delivery.last_status_code == 500
    wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert datetime.timedelta(seconds=4.4) <= wait <= datetime.timedelta(seconds=5.6)

    outbox.sweep()  # not due yet: nothing is sent
    assert len(receiver.requests) == 1

    make_due(delivery)
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (2, 503)
    wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert datetime.timedelta(minutes=4.5) <= wait <= datetime.timedelta(minutes=5.5)

    make_due(delivery)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED
    assert delivery.attempts == 3
    assert len(receiver.requests) == 3
    assert set(receiver.ids()) == {delivery.message_id}
    for request in receiver.requests:
        Webhook(secret).verify(request.body, request.headers)
    assert WebhookSubscription.objects.get(pk=subscription.pk).failing_since is None


def test_retry_after_is_honoured(receiver, inline_tasks):
    receiver.script["/hook"] = [429]
    receiver.extra_headers["Retry-After"] = "120"
    subscription, _ = subscribe(make_partner("DE"), receiver.url())
    move(make_law(), "registered")
    delivery = Delivery.objects.get(subscription=subscription)
    assert delivery.state == DeliveryState.PENDING
    assert delivery.next_attempt_at - delivery.last_attempt_at >= datetime.timedelta(seconds=120)


def test_410_disables_the_subscription_and_tells_people(receiver, inline_tasks, settings):
    settings.STAFF_NOTIFICATION_EMAILS = ["duty@mod.example"]
    germany = make_partner("DE", notification_emails="it@bund.example\n")
    receiver.default_status = 410
    subscription, _ = subscribe(germany, receiver.url())
    law = make_law()
    move(law, "registered")

    subscription.refresh_from_db()
    assert not subscription.is_active
    assert "410" in subscription.disabled_reason
    assert Delivery.objects.get(subscription=subscription).state == DeliveryState.FAILED
    assert {tuple(m.to) for m in mail.outbox} == {("it@bund.example",), ("duty@mod.example",)}
    html = next(m for m in mail.outbox if m.to == ["duty@mod.example"]).alternatives[0][0]
    assert "Вебхук вимкнено" in html

    move(law, "in_committee")
    assert len(receiver.requests) == 1  # nothing more goes to a switched-off endpoint


def test_a_timeout_is_retried(receiver, inline_tasks, settings):
    settings.WEBHOOKS_TIMEOUT_SECONDS = 0.3
    receiver.delay = 1.0
    subscription, _ = subscribe(make_partner("DE"), receiver.url())
    move(make_law(), "registered")
    delivery = Delivery.objects.get(subscription=subscription)
    assert delivery.state == DeliveryState.PENDING
    assert delivery.last_status_code is None
    assert "No answer within 0.3 s" in delivery.last_error

    receiver.delay = 0
    make_due(delivery)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED
    assert delivery.attempts == 2


def test_redirects_are_not_followed(receiver, inline_tasks):
    receiver.script["/hook"] = [302]
    receiver.extra_headers["Location"] = receiver.url("/elsewhere")
    subscription, _ = subscribe(make_partner("DE"), receiver.url())
    move(make_law(), "registered")
    assert [r.path for r in receiver.requests] == ["/hook"]
    delivery = Delivery.objects.get(subscription=subscription)
    assert (delivery.state, delivery.last_status_code) == (DeliveryState.PENDING, 302)


def test_after_the_last_attempt_the_delivery_fails_and_people_are_told(
    receiver, inline_tasks, settings
):
    settings.STAFF_NOTIFICATION_EMAILS = ["duty@mod.example"]
    receiver.default_status = 500
    germany = make_partner("DE", notification_emails="it@bund.example")
    subscription, _ = subscribe(germany, receiver.url())
    started = timezone.now()
    move(make_law(), "registered")
    ended = timezone.now()
    delivery = Delivery.objects.get(subscription=subscription)
    # The wait runs from some moment of the attempt (between `started` and `ended`), however
    # long a loaded machine takes over it: (shortest, longest) it can have been.
    waits = []
    for _ in range(config.max_attempts() - 1):
        delivery.refresh_from_db()
        waits.append((delivery.next_attempt_at - ended, delivery.next_attempt_at - started))
        started = timezone.now()
        make_due(delivery)
        ended = timezone.now()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED
    assert delivery.attempts == 8
    assert len(receiver.requests) == 8
    for (shortest, longest), planned in zip(waits, config.retry_schedule(), strict=True):
        assert planned * 0.9 <= longest and shortest <= planned * 1.1
    assert sorted(m.to[0] for m in mail.outbox) == ["duty@mod.example", "it@bund.example"]
    assert delivery.message_id in mail.outbox[0].body


def test_a_shortened_retry_schedule_fails_a_delivery_sooner(receiver, inline_tasks, settings):
    settings.WEBHOOKS_RETRY_SCHEDULE = (2,)
    receiver.default_status = 503
    subscription, _ = subscribe(make_partner("DE"), receiver.url())
    started = timezone.now()
    move(make_law(), "registered")
    delivery = Delivery.objects.get(subscription=subscription)
    wait = (delivery.next_attempt_at - started).total_seconds()
    assert delivery.state == DeliveryState.PENDING and 1.8 <= wait <= 2.3
    make_due(delivery)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 2)
    assert len(receiver.requests) == 2


def test_a_subscription_failing_for_five_days_is_disabled(receiver, inline_tasks):
    receiver.default_status = 500
    subscription, _ = subscribe(make_partner("DE"), receiver.url())
    move(make_law(), "registered")
    subscription.refresh_from_db()
    assert subscription.failing_since is not None
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        failing_since=timezone.now() - datetime.timedelta(days=5, minutes=1)
    )
    outbox.sweep()
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert Delivery.objects.get(subscription=subscription).state == DeliveryState.CANCELLED


def test_a_partner_never_receives_an_event_about_a_record_it_may_not_see(receiver, inline_tasks):
    germany, france = make_partner("DE"), make_partner("FR")
    subscribe(germany, receiver.url("/de"), event_types=["*"])
    subscribe(france, receiver.url("/fr"), event_types=["*"])
    restricted = make_law(visibility=Visibility.RESTRICTED, partners=[germany])
    move(restricted, "registered")
    assert {r.path for r in receiver.requests} == {"/de"}
    assert Delivery.objects.filter(partner=france).count() == 0

    # Made visible only to staff later: nothing already planned for it leaves either.
    receiver.script["/de"] = [500]
    move(restricted, "in_committee")
    delivery = Delivery.objects.filter(partner=germany).order_by("-id").first()
    assert delivery.state == DeliveryState.PENDING
    restricted.partners.clear()
    make_due(delivery)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.CANCELLED
    assert all(r.path == "/de" for r in receiver.requests)
    assert len(receiver.requests) == 3


def test_staff_only_changes_are_not_news_for_partners(receiver, inline_tasks):
    from tracker.services.records import record_update

    subscribe(make_partner("DE"), receiver.url(), event_types=["law.updated"])
    law = make_law()
    record_update(record=law, values={"internal_notes": "ask the committee"}, actor=None)
    assert receiver.requests == []
    record_update(record=law, values={"title_en": "On joint production"}, actor=None)
    assert len(receiver.requests) == 1
    assert json.loads(receiver.requests[0].body)["data"]["data"]["changed"] == ["title_en"]


def test_rotated_secret_signs_with_old_and_new_during_grace(receiver, inline_tasks):
    subscription, old = subscribe(make_partner("DE"), receiver.url())
    new = webhook_secret_rotate(subscription=subscription)
    assert new != old and new.startswith("whsec_")
    move(make_law(), "registered")
    request = receiver.requests[0]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(request.body, request.headers)
    Webhook(new).verify(request.body, request.headers)

    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        previous_secret_expires_at=timezone.now()
    )
    webhook_subscription_test(subscription=subscription)
    request = receiver.requests[1]
    assert json.loads(request.body)["type"] == "webhook.test"
    assert len(request.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(request.body, request.headers)


def test_retry_sends_a_failed_delivery_again_with_the_same_id(receiver, inline_tasks):
    receiver.script["/hook"] = [500] * 8
    subscription, _ = subscribe(make_partner("DE"), receiver.url())
    move(make_law(), "registered")
    delivery = Delivery.objects.get(subscription=subscription)
    Delivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.FAILED)
    receiver.script["/hook"] = []
    delivery.refresh_from_db()
    delivery_retry(delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED
    assert set(receiver.ids()) == {delivery.message_id}


def test_two_claims_of_one_attempt_send_once(receiver, no_broker):
    _subscription, _ = subscribe(make_partner("DE"), receiver.url())
    move(make_law(), "registered")
    event = Event.objects.get(type="law.status_changed")
    (delivery_id,) = outbox.fan_out_event(event.pk)
    first = claims.claim(delivery_id)
    second = claims.claim(delivery_id)
    assert first is not None and second is None


def test_email_subscribers_get_english_or_ukrainian_mail(inline_tasks):
    germany = make_partner("DE")
    email_subscription_create(
        partner=germany, email="desk@bund.example", event_types=["law.status_changed"]
    )
    email_subscription_create(
        partner=germany, email="desk@mod.example", event_types=["law.*"], language="uk"
    )
    law = make_law()
    move(law, "registered")
    by_address = {m.to[0]: m for m in mail.outbox if "status" in m.body or "Статус" in m.body}
    assert "Drafting" in by_address["desk@bund.example"].subject
    assert "Статус змінено" in by_address["desk@mod.example"].body
    assert "<h1" in by_address["desk@mod.example"].alternatives[0][0]
    assert Delivery.objects.filter(state=DeliveryState.SUCCEEDED).count() == 3


def test_workers_racing_for_one_attempt_send_it_once(receiver, no_broker):
    import threading

    from django.db import connection

    subscribe(make_partner("DE"), receiver.url())
    move(make_law(), "registered")
    event = Event.objects.get(type="law.status_changed")
    (delivery_id,) = outbox.fan_out_event(event.pk)
    start = threading.Barrier(6)
    results = []

    def worker():
        try:
            start.wait()
            results.append(delivery_module.attempt_delivery(delivery_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results.count(DeliveryState.SUCCEEDED) == 1
    assert results.count(None) == 5
    assert len(receiver.requests) == 1


def test_a_mail_server_that_never_answers_costs_one_timeout_and_a_retry(no_broker, settings):
    import socket
    import time

    # Accepts the connection, then says nothing: no SMTP greeting ever comes.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
    settings.EMAIL_TIMEOUT = 0.5
    try:
        email_subscription_create(
            partner=make_partner("DE"), email="desk@bund.example", event_types=["law.*"]
        )
        move(make_law(), "registered")
        event = Event.objects.get(type="law.status_changed")
        (delivery_id,) = outbox.fan_out_event(event.pk)
        started = time.monotonic()
        state = delivery_module.attempt_delivery(delivery_id)
        took = time.monotonic() - started
    finally:
        silent.close()
    delivery = Delivery.objects.get(pk=delivery_id)
    assert state == DeliveryState.PENDING
    assert took < 5
    assert "Mail server" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now()


def test_mail_waits_no_longer_than_a_webhook():
    from django.conf import settings

    assert settings.EMAIL_TIMEOUT == settings.WEBHOOKS_TIMEOUT_SECONDS


def test_procedural_events_and_corrections_reach_partners_signed_and_scoped(receiver, inline_tasks):
    from tracker.services.transitions import (
        correct_entry,
        record_procedural_event,
        record_transition,
        retract_entry,
    )

    germany, france = make_partner("DE"), make_partner("FR")
    _, secret = subscribe(germany, receiver.url("/de"), event_types=["law.*"])
    subscribe(france, receiver.url("/fr"), event_types=["*"])
    law = make_law(visibility=Visibility.RESTRICTED, partners=[germany])
    step = record_transition(record=law, to_status="registered", occurred_on=None, recorded_by=None)
    hearing = record_procedural_event(
        record=law,
        kind="committee_hearing",
        occurred_on=datetime.date(2024, 3, 1),
        date_precision="month",
        title="Hearing with industry",
        recorded_by=None,
    )
    correct_entry(
        entry=step,
        recorded_by=None,
        reason="The registration date is on the bill card.",
        changes={"occurred_on": datetime.date(2024, 2, 12)},
    )
    retract_entry(entry=hearing, recorded_by=None, reason="Recorded on the wrong bill.")

    assert {r.path for r in receiver.requests} == {"/de"}
    payloads = [Webhook(secret).verify(r.body, r.headers) for r in receiver.requests]
    by_type = {}
    for payload in payloads:
        # The event object names its record; what changed is in its `data`.
        event_object = payload["data"]
        by_type.setdefault(payload["type"], []).append(
            {
                **event_object["data"],
                "id": event_object["record_id"],
                "type": event_object["record_type"],
            }
        )
    (changed,) = by_type["law.status_changed"]
    assert (changed["to"], changed["occurred_on"], changed["date_precision"]) == (
        "registered",
        None,
        "unknown",
    )
    (event,) = by_type["law.procedural_event"]
    assert (event["id"], event["kind"], event["occurred_on"]) == (
        law.pk,
        "committee_hearing",
        "2024-03",
    )
    corrected, retracted = by_type["law.corrected"]
    assert corrected["id"] == law.pk and corrected["type"] == "law"
    assert (corrected["action"], corrected["replaces"], corrected["occurred_on"]) == (
        "corrected",
        step.pk,
        "2024-02-12",
    )
    assert (retracted["action"], retracted["entry_id"], retracted["entry"]) == (
        "retracted",
        hearing.pk,
        "procedural_event",
    )


def test_mail_about_an_unknown_date_and_a_correction_says_so(inline_tasks):
    from tracker.services.transitions import correct_entry, record_transition

    germany = make_partner("DE")
    email_subscription_create(partner=germany, email="desk@bund.example", event_types=["law.*"])
    email_subscription_create(
        partner=germany, email="desk@mod.example", event_types=["law.*"], language="uk"
    )
    law = make_law()
    step = record_transition(record=law, to_status="registered", occurred_on=None, recorded_by=None)
    correct_entry(
        entry=step,
        recorded_by=None,
        reason="Date from the bill card.",
        changes={"occurred_on": datetime.date(2024, 2, 12)},
    )
    english = [m for m in mail.outbox if m.to == ["desk@bund.example"]]
    ukrainian = [m for m in mail.outbox if m.to == ["desk@mod.example"]]
    assert "date not known" in english[1].body and "None" not in english[1].body
    assert "was corrected: Date from the bill card." in english[2].body
    assert "2024-02-12" in english[2].body
    assert "law.corrected" in english[2].subject
    assert "виправлено" in ukrainian[2].body
