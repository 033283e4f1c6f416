"""Deliveries in batches: one claim for many rows, mixed outcomes, reused connections, and a
number of SQL statements that does not grow with the batch."""

from __future__ import annotations

import datetime
import itertools
import threading
import time
from http.server import ThreadingHTTPServer

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_law, make_partner, move
from tests.notifications.marks import committing
from tracker.models import Delivery, DeliveryState, Event, Visibility, WebhookSubscription
from tracker.notifications import claims, config, outbox, queue, sending
from tracker.notifications import delivery as delivery_module
from tracker.services.subscriptions import webhook_subscription_create

from .receiver import Receiver, handler_for, serve

pytestmark = committing


def subscribe(partner, url: str) -> WebhookSubscription:
    return webhook_subscription_create(
        partner=partner, url=url, event_types=["law.status_changed"]
    )[0]


def planned_deliveries(law) -> list[int]:
    """Move `law` one step and fan the event out without sending; the deliveries' ids."""
    move(law, "registered")
    event = Event.objects.get(type="law.status_changed", record_id=law.pk)
    outbox.fan_out_event(event.pk)
    ids = list(Delivery.objects.filter(event=event).order_by("id").values_list("pk", flat=True))
    assert ids
    return ids


def test_fan_out_queues_batches_not_one_message_per_delivery(receiver, no_broker, settings):
    settings.WEBHOOKS_BATCH_SIZE = 2
    germany = make_partner("DE")
    for n in range(5):
        subscribe(germany, receiver.url(f"/{n}"))
    ids = planned_deliveries(make_law())
    batches = [args for name, args, _ in no_broker if name == "notifications.deliver_batch"]
    assert batches == [ids[0:2], ids[2:4], ids[4:5]]
    assert not [name for name, _, _ in no_broker if name == "notifications.deliver"]


def test_the_first_part_of_a_fan_out_is_small_so_sending_starts_at_once(
    receiver, no_broker, settings
):
    settings.WEBHOOKS_BATCH_SIZE = 250
    settings.WEBHOOKS_BATCH_THREADS = 4
    germany = make_partner("DE")
    for n in range(30):
        subscribe(germany, receiver.url(f"/{n}"))
    ids = planned_deliveries(make_law())
    batches = [args for name, args, _ in no_broker if name == "notifications.deliver_batch"]
    # Two sends for each place of a batch first, then the rest as one batch.
    assert batches == [ids[:8], ids[8:]]


@committing
def test_the_first_part_is_queued_before_the_rest_is_written_and_a_cut_fan_out_is_finished(
    receiver, no_broker, settings, monkeypatch
):
    settings.WEBHOOKS_BATCH_SIZE = 2
    germany = make_partner("DE")
    subscriptions = [subscribe(germany, receiver.url(f"/{n}")) for n in range(5)]
    move(make_law(), "registered")
    event = Event.objects.get(type="law.status_changed")

    def cut(*args, **kwargs):
        raise RuntimeError("worker lost")

    # The worker dies after the first part's deliveries committed, before the rest.
    with monkeypatch.context() as patched:
        patched.setattr(outbox, "_finish_fan_out", cut)
        with pytest.raises(RuntimeError):
            outbox.fan_out_event(event.pk)
    first = list(Delivery.objects.filter(event=event).order_by("pk"))
    assert [d.subscription_id for d in first] == [s.pk for s in subscriptions[:2]]
    assert [args for name, args, _ in no_broker if name.endswith("deliver_batch")] == [
        [d.pk for d in first]
    ]
    event.refresh_from_db()
    assert event.fanned_out_at is None

    # The sweep finishes it: every subscription once, the rest queued, nothing twice.
    no_broker.clear()
    outbox.sweep()
    assert ("notifications.fan_out", event.pk, None) in no_broker
    no_broker.clear()
    outbox.fan_out_event(event.pk)
    deliveries = list(Delivery.objects.filter(event=event).order_by("pk"))
    assert sorted(d.subscription_id for d in deliveries) == sorted(s.pk for s in subscriptions)
    queued = [pk for name, args, _ in no_broker if name.endswith("deliver_batch") for pk in args]
    assert set(queued) == {d.pk for d in deliveries}  # what is pending, queued again
    event.refresh_from_db()
    assert event.fanned_out_at is not None
    assert outbox.fan_out_event(event.pk) == []  # done: a repeat is a no-op
    for _ in range(2):  # every message there was, run
        delivery_module.attempt_deliveries(queued)
    assert sorted(receiver.ids().values()) == [1] * 5


def test_batches_are_published_through_one_broker_connection(monkeypatch):
    from config.celery_app import app
    from tracker.notifications.tasks import deliver_batch

    connections, producers = [], []
    real = app.producer_or_acquire

    def counting(producer=None):
        connections.append(1)
        return real(producer)

    monkeypatch.setattr(app, "producer_or_acquire", counting)
    monkeypatch.setattr(
        deliver_batch, "apply_async", lambda args, countdown, producer: producers.append(producer)
    )
    queue.enqueue_deliveries(list(range(1, 101)))
    assert len(connections) == 1
    assert len(producers) == -(-100 // config.batch_size())
    assert len({id(p) for p in producers}) == 1


def test_two_claims_of_the_same_batch_claim_each_row_once(receiver, no_broker):
    germany = make_partner("DE")
    for n in range(6):
        subscribe(germany, receiver.url(f"/{n}"))
    ids = planned_deliveries(make_law())

    first = claims.claim_batch(ids[:4])
    second = claims.claim_batch(ids)  # overlaps the first
    assert [d.pk for d in first] == ids[:4]
    assert [d.pk for d in second] == ids[4:]
    assert all(d.attempts == 1 and d.state == DeliveryState.SENDING for d in first + second)
    assert claims.claim_batch(ids) == []
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}
    assert receiver.requests == []


def test_workers_racing_for_one_batch_claim_each_row_once(receiver, no_broker):
    germany = make_partner("DE")
    for n in range(10):
        subscribe(germany, receiver.url(f"/{n}"))
    ids = planned_deliveries(make_law())
    start = threading.Barrier(4)
    claimed: list[list[int]] = []

    def worker():
        try:
            start.wait()
            claimed.append([d.pk for d in claims.claim_batch(ids)])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    everything = [pk for mine in claimed for pk in mine]
    assert sorted(everything) == ids  # each row once, none left out
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}


def test_a_batch_fails_a_row_whose_last_attempt_was_interrupted(receiver, no_broker):
    germany = make_partner("DE")
    subscribe(germany, receiver.url("/a"))
    subscribe(germany, receiver.url("/b"))
    first, second = planned_deliveries(make_law())
    # The worker of the last attempt died: the row stayed `sending` past its lease.
    Delivery.objects.filter(pk=first).update(
        state=DeliveryState.SENDING,
        attempts=config.max_attempts(),
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    results = delivery_module.attempt_deliveries([first, second])
    assert results == {first: None, second: DeliveryState.SUCCEEDED}
    failed = Delivery.objects.get(pk=first)
    assert failed.state == DeliveryState.FAILED
    assert failed.last_error == "The last attempt was interrupted."
    assert [r.path for r in receiver.requests] == ["/b"]


def test_a_batch_with_every_kind_of_outcome(receiver, no_broker, settings):
    settings.STAFF_NOTIFICATION_EMAILS = ["duty@mod.example"]
    germany, france = make_partner("DE"), make_partner("FR")
    ok = subscribe(germany, receiver.url("/ok"))
    error = subscribe(germany, receiver.url("/error"))
    gone = subscribe(germany, receiver.url("/gone"))
    unseen = subscribe(france, receiver.url("/france"))
    receiver.script.update({"/error": [500], "/gone": [410]})
    law = make_law(visibility=Visibility.RESTRICTED, partners=[germany, france])
    ids = planned_deliveries(law)
    law.partners.remove(france)  # France may no longer see the law
    no_broker.clear()

    started = timezone.now()
    results = delivery_module.attempt_deliveries(ids)
    by_subscription = {d.subscription_id: d for d in Delivery.objects.filter(pk__in=ids)}

    assert results == {
        by_subscription[ok.pk].pk: DeliveryState.SUCCEEDED,
        by_subscription[error.pk].pk: DeliveryState.PENDING,
        by_subscription[gone.pk].pk: DeliveryState.FAILED,
        by_subscription[unseen.pk].pk: DeliveryState.CANCELLED,
    }
    succeeded = by_subscription[ok.pk]
    assert (succeeded.last_status_code, succeeded.delivered_at is not None) == (200, True)
    assert succeeded.last_latency_ms is not None and succeeded.next_attempt_at is None
    retry = by_subscription[error.pk]
    assert (retry.attempts, retry.last_status_code) == (1, 500)
    wait = retry.next_attempt_at - started
    assert datetime.timedelta(seconds=4.4) <= wait <= datetime.timedelta(seconds=6)
    queued = [(name, args) for name, args, countdown in no_broker if countdown]
    assert queued == [("notifications.deliver_batch", [retry.pk])]
    assert by_subscription[gone.pk].last_status_code == 410
    assert by_subscription[unseen.pk].last_error == "The partner may no longer see this."

    for subscription in (ok, error, gone, unseen):
        subscription.refresh_from_db()
    assert not gone.is_active and "410" in gone.disabled_reason
    assert error.failing_since is not None
    assert ok.failing_since is None and ok.is_active and unseen.is_active
    assert sorted(r.path for r in receiver.requests) == ["/error", "/gone", "/ok"]

    # The retry goes out with the same webhook-id, and its success clears failing_since.
    Delivery.objects.filter(pk=retry.pk).update(next_attempt_at=timezone.now())
    assert delivery_module.attempt_deliveries([retry.pk]) == {retry.pk: DeliveryState.SUCCEEDED}
    ids_sent = [r.headers["webhook-id"] for r in receiver.requests if r.path == "/error"]
    assert ids_sent == [retry.message_id, retry.message_id]
    error.refresh_from_db()
    assert error.failing_since is None


def test_a_lost_claim_is_not_overwritten_by_the_batch(receiver, no_broker, monkeypatch, settings):
    germany = make_partner("DE")
    subscribe(germany, receiver.url("/a"))
    subscribe(germany, receiver.url("/b"))
    first, second = planned_deliveries(make_law())
    real_record = delivery_module.record_successes

    def lose_the_claim_then_record(attempts):
        # Sent, but the lease ran out and someone else claimed the first one again.
        Delivery.objects.filter(pk=first).update(attempts=2)
        return real_record(attempts)

    monkeypatch.setattr(delivery_module, "record_successes", lose_the_claim_then_record)
    settings.WEBHOOKS_BATCH_THREADS = 1
    results = delivery_module.attempt_deliveries([first, second])
    assert results == {first: None, second: DeliveryState.SUCCEEDED}
    lost = Delivery.objects.get(pk=first)
    assert (lost.state, lost.attempts) == (DeliveryState.SENDING, 2)


@pytest.fixture
def two_addresses():
    """Two receivers on one port, at 127.0.0.1 and 127.0.0.2, keeping connections open."""
    first = Receiver(keep_alive=True)
    first_server = serve(first)
    second = Receiver(keep_alive=True)
    try:
        second_server = ThreadingHTTPServer(("127.0.0.2", first.port), handler_for(second))
    except OSError as exc:
        first_server.shutdown()
        first_server.server_close()
        pytest.skip(f"cannot listen on 127.0.0.2: {exc}")
    serve(second, second_server)
    yield first, second
    for server in (first_server, second_server):
        server.shutdown()
        server.server_close()


def test_a_batch_reuses_connections_per_endpoint(two_addresses, fake_dns, no_broker, settings):
    first, second = two_addresses
    fake_dns("hooks.bund.example", "127.0.0.1")
    fake_dns("hooks.gouv.example", "127.0.0.2")
    germany = make_partner("DE")
    for n in range(6):
        name = "hooks.bund.example" if n % 2 == 0 else "hooks.gouv.example"
        subscribe(germany, f"http://{name}:{first.port}/{n}")
    ids = planned_deliveries(make_law())
    settings.WEBHOOKS_BATCH_THREADS = 1  # in id order, on one curl handle

    results = delivery_module.attempt_deliveries(ids)

    assert set(results.values()) == {DeliveryState.SUCCEEDED}
    assert [r.path for r in first.requests] == ["/0", "/2", "/4"]
    assert [r.path for r in second.requests] == ["/1", "/3", "/5"]
    # One connection per endpoint, kept for its next POSTs.
    assert first.connections == second.connections == 1
    for request in first.requests:
        assert request.headers["host"] == f"hooks.bund.example:{first.port}"
    for request in second.requests:
        assert request.headers["host"] == f"hooks.gouv.example:{first.port}"


def batch_queries(receiver, partners, count: int) -> int:
    """SQL statements of one batch of `count` deliveries about a restricted law."""
    for n in range(count):
        subscribe(partners[n % len(partners)], receiver.url(f"/{count}/{n}"))
    law = make_law(visibility=Visibility.RESTRICTED, partners=partners)
    ids = planned_deliveries(law)
    assert len(ids) == count
    with CaptureQueriesContext(connection) as queries:
        results = delivery_module.attempt_deliveries(ids)
    assert set(results.values()) == {DeliveryState.SUCCEEDED}
    WebhookSubscription.objects.update(is_active=False)  # out of the next law's way
    return len(queries.captured_queries)


def test_the_statements_of_a_batch_do_not_grow_with_its_size(
    receiver, no_broker, settings, monkeypatch
):
    settings.WEBHOOKS_BATCH_SIZE = 40
    # A batch slower than this writes its successes so far; not what is counted here.
    monkeypatch.setattr(config, "SUCCESS_FLUSH_SECONDS", 60.0)
    partners = [make_partner(code) for code in ("DE", "FR", "PL")]
    small = batch_queries(receiver, partners, 2)
    large = batch_queries(receiver, partners, 30)
    # Claim, load with subscriptions, the event (once), visibility (one or two queries),
    # successes.
    assert small == large <= 6


def test_a_big_batch_of_hanging_endpoints_sends_what_fits_its_time_and_hands_back_the_rest(
    receiver, no_broker, settings
):
    # Two rounds of two sends fit the task's time; each send hangs until the timeout. The
    # last round may start up to 0.5 s late (half the lease beyond one timeout).
    settings.WEBHOOKS_BATCH_THREADS = 2
    settings.WEBHOOKS_TIMEOUT_SECONDS = 0.5
    settings.WEBHOOKS_CLAIM_LEASE_SECONDS = 1.5
    settings.CELERY_TASK_SOFT_TIME_LIMIT = config.BATCH_TIME_RESERVE_SECONDS + 1.0
    settings.WEBHOOKS_BATCH_SIZE = 10
    receiver.delay = 2.0
    germany = make_partner("DE")
    for n in range(10):
        subscribe(germany, receiver.url(f"/{n}"))
    ids = planned_deliveries(make_law())
    no_broker.clear()

    started = time.monotonic()
    results = delivery_module.attempt_deliveries(ids)

    assert time.monotonic() - started < 2.5  # not ten hanging sends, five rounds deep
    tried = [pk for pk in ids if results[pk] == DeliveryState.PENDING]
    rows = {d.pk: d for d in Delivery.objects.filter(pk__in=ids)}
    timed_out = [pk for pk in tried if rows[pk].attempts == 1]
    handed_back = [pk for pk in tried if rows[pk].attempts == 0]
    assert len(timed_out) == 4 and len(handed_back) == 6
    assert all("No answer within" in rows[pk].last_error for pk in timed_out)
    # What was handed back is due at once and queued again; the lease had covered it.
    assert all(rows[pk].next_attempt_at <= timezone.now() for pk in handed_back)
    queued = [pk for name, argument, _ in no_broker for pk in argument]
    assert sorted(handed_back) == sorted(pk for pk in queued if pk in handed_back)


def test_sends_that_would_start_too_late_are_handed_back(receiver, no_broker, monkeypatch):
    germany = make_partner("DE")
    for n in range(3):
        subscribe(germany, receiver.url(f"/{n}"))
    ids = planned_deliveries(make_law())
    ticks = itertools.chain([0.0], itertools.repeat(1e9))

    class LateClock:
        """The claim is made, then every send would start long after the lease allows."""

        @staticmethod
        def monotonic() -> float:
            return next(ticks)

    no_broker.clear()
    monkeypatch.setattr(delivery_module, "time", LateClock)
    monkeypatch.setattr(sending, "time", LateClock)
    results = delivery_module.attempt_deliveries(ids)
    assert set(results.values()) == {DeliveryState.PENDING}
    assert receiver.requests == []
    rows = Delivery.objects.filter(pk__in=ids)
    assert {(d.state, d.attempts) for d in rows} == {(DeliveryState.PENDING, 0)}
    assert all(d.next_attempt_at <= timezone.now() for d in rows)
    assert {name for name, _, _ in no_broker} == {"notifications.deliver_batch"}
    assert sorted(pk for _, argument, _ in no_broker for pk in argument) == ids

    monkeypatch.undo()
    delivery_module.attempt_deliveries(ids)
    assert sorted(receiver.ids().values()) == [1, 1, 1]
    assert {d.state for d in Delivery.objects.filter(pk__in=ids)} == {DeliveryState.SUCCEEDED}


def cancelled_batch_queries(receiver, partners, count: int) -> int:
    """SQL statements of one batch of `count` deliveries whose partners lost sight of the law."""
    for n in range(count):
        subscribe(partners[n % len(partners)], receiver.url(f"/gone/{count}/{n}"))
    law = make_law(visibility=Visibility.RESTRICTED, partners=partners)
    ids = planned_deliveries(law)
    law.partners.clear()
    with CaptureQueriesContext(connection) as queries:
        results = delivery_module.attempt_deliveries(ids)
    assert set(results.values()) == {DeliveryState.CANCELLED}
    assert receiver.requests == []
    WebhookSubscription.objects.update(is_active=False)  # out of the next law's way
    return len(queries.captured_queries)


def test_cancelling_a_batch_costs_the_same_statements_whatever_its_size(receiver, no_broker):
    partners = [make_partner(code) for code in ("DE", "FR", "PL")]
    assert cancelled_batch_queries(receiver, partners, 2) == cancelled_batch_queries(
        receiver, partners, 12
    )
