"""Nothing committed is lost and nothing is sent twice under another id: real Redis, real workers.

Each test starts its own redis-server (so it can stop it) and Celery workers as subprocesses
on the test database; the receiver is an HTTP server on loopback in this process.
"""

from __future__ import annotations

import datetime
import time
from collections import Counter

import pytest
from django.conf import settings

from config.celery_app import app as celery_app
from config.settings.base import filesystem_broker_options
from tests.factories import make_law, make_partner
from tests.notifications.marks import committing
from tracker.models import Delivery, DeliveryState
from tracker.services.subscriptions import webhook_subscription_create
from tracker.services.transitions import record_transition

from .workers import RedisServer, Worker, point_celery_at, wait_until

pytestmark = [committing, pytest.mark.redis, pytest.mark.slow]

LAW_PATH = ["registered", "in_committee", "first_reading", "adopted_in_principle",
            "second_reading", "adopted_as_whole"]  # fmt: skip


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    point_celery_at(server.url)
    yield server
    server.stop()
    point_celery_at(settings.CELERY_BROKER_URL)
    celery_app.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS


@pytest.fixture
def workers(tmp_path):
    started: list[Worker] = []

    def start(broker_url: str, env: dict[str, str] | None = None) -> Worker:
        worker = Worker(broker_url, tmp_path).start(env or {})
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def advance(law, status: str, day: int) -> None:
    record_transition(
        record=law,
        to_status=status,
        occurred_on=datetime.date(2026, 1, 1) + datetime.timedelta(days=day),
        recorded_by=None,
    )


def all_delivered(expected: int):
    def check() -> bool:
        states = Counter(Delivery.objects.values_list("state", flat=True))
        return states.get(DeliveryState.SUCCEEDED, 0) == expected and sum(states.values()) == (
            expected
        )

    return check


def test_redis_down_while_status_changes_are_recorded(redis_server, workers, receiver):
    subscription, _ = webhook_subscription_create(
        partner=make_partner("DE"), url=receiver.url(), event_types=["law.status_changed"]
    )
    law = make_law()
    worker = workers(redis_server.url)
    advance(law, LAW_PATH[0], 0)
    wait_until(all_delivered(1), 30, f"the first delivery\n{worker.output()}")

    redis_server.stop()
    started = time.monotonic()
    for day, status in enumerate(LAW_PATH[1:4], start=1):
        advance(law, status, day)  # succeeds: the event is in the database
    assert time.monotonic() - started < 10, "recording must not hang on the broker"
    law.refresh_from_db()
    assert law.status == LAW_PATH[3]
    time.sleep(1.5)  # the worker notices the broker is gone
    assert len(receiver.requests) == 1

    redis_server.start()
    wait_until(all_delivered(4), 60, f"every delivery after Redis came back\n{worker.output()}")
    time.sleep(2)  # a duplicate, if any, would arrive now

    ids = receiver.ids()
    deliveries = Delivery.objects.filter(subscription=subscription)
    assert set(ids) == {d.message_id for d in deliveries}
    assert all(count == 1 for count in ids.values()), ids
    sent_statuses = [r.body for r in receiver.requests]
    for status in LAW_PATH[:4]:
        assert sum(f'"to":"{status}"' in body for body in sent_statuses) == 1, status


def test_worker_killed_mid_batch(redis_server, workers, receiver):
    germany = make_partner("DE")
    subscriptions = [
        webhook_subscription_create(
            partner=germany, url=receiver.url(f"/hook/{n}"), event_types=["law.status_changed"]
        )[0]
        for n in range(8)
    ]
    receiver.delay = 0.5
    law = make_law()
    # One batch of 8, sent two at a time: the kill comes after some were sent, before others.
    first = workers(redis_server.url, env={"WEBHOOKS_BATCH_THREADS": "2"})
    advance(law, LAW_PATH[0], 0)
    receiver.wait_for(3, timeout=30)
    first.kill()  # mid-batch, most likely in the middle of a request
    time.sleep(0.2)  # let the receiver finish recording what reached it
    states = Counter(Delivery.objects.values_list("state", flat=True))
    # The batch's claimed rows wait for the lease to run out; none was lost.
    assert states[DeliveryState.SENDING] >= 1, states
    assert states[DeliveryState.SUCCEEDED] < len(subscriptions)
    assert sum(states.values()) == len(subscriptions)
    interrupted = set(
        Delivery.objects.filter(state=DeliveryState.SENDING).values_list("subscription", flat=True)
    )
    reached = {request.path for request in receiver.requests}
    assert len(reached) < len(subscriptions), "the kill came too late to be mid-batch"

    second = workers(redis_server.url)
    wait_until(
        all_delivered(len(subscriptions)), 60, f"every delivery after a restart\n{second.output()}"
    )
    time.sleep(1)

    by_path: dict[str, set[str]] = {}
    for request in receiver.requests:
        by_path.setdefault(request.path, set()).add(request.headers["webhook-id"])
    assert set(by_path) == {f"/hook/{n}" for n in range(8)}
    for n, subscription in enumerate(subscriptions):
        delivery = Delivery.objects.get(subscription=subscription)
        # Every copy a receiver got carries the delivery's one webhook-id.
        assert by_path[f"/hook/{n}"] == {delivery.message_id}
    # Every interrupted attempt was made again (same id): those that had reached their
    # receiver before the kill arrived twice, the others once.
    assert Delivery.objects.filter(attempts=2).count() == len(interrupted)
    twice = {f"/hook/{n}" for n, s in enumerate(subscriptions) if s.pk in interrupted} & reached
    assert len(receiver.requests) == len(subscriptions) + len(twice)


def test_embedded_file_broker_delivers_without_redis(workers, receiver, tmp_path):
    """What `make run` does for a newcomer: a worker and beat on the file broker."""
    folder = tmp_path / "broker"
    options = filesystem_broker_options(folder)
    point_celery_at("filesystem://")
    celery_app.conf.broker_transport_options = options
    try:
        webhook_subscription_create(
            partner=make_partner("DE"), url=receiver.url(), event_types=["law.status_changed"]
        )
        law = make_law()
        worker = workers("", env={"CELERY_BROKER_DIR": str(folder)})
        advance(law, LAW_PATH[0], 0)
        wait_until(all_delivered(1), 30, f"the delivery\n{worker.output()}")
        assert len(receiver.requests) == 1
    finally:
        point_celery_at(settings.CELERY_BROKER_URL)
        celery_app.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
