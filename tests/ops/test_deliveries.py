"""Metric values and log lines move when deliveries happen: in this process, and summed over
two processes in multiprocess mode."""

from __future__ import annotations

import json
import logging

from django.utils import timezone

from config.celery_app import app as celery_app
from tests.factories import make_law, make_partner
from tracker.models import Delivery, DeliveryState, Event
from tracker.services.subscriptions import webhook_subscription_create

from .conftest import committing, sample, scrape
from .processes import deliver_in_subprocess, environment


def due_deliveries(receiver, count: int) -> list[Delivery]:
    """`count` deliveries of one event to `receiver` (paths /hook-0, /hook-1...), due now;
    written directly: the fan-out is the notification package's business, not measured here."""
    partner = make_partner("DE")
    make_law()
    event = Event.objects.latest("id")
    deliveries = []
    for n in range(count):
        subscription, _secret = webhook_subscription_create(
            partner=partner, url=receiver.url(f"/hook-{n}"), event_types=["law.*"]
        )
        deliveries.append(
            Delivery.objects.create(
                event=event,
                subscription=subscription,
                partner=partner,
                state=DeliveryState.PENDING,
                next_attempt_at=timezone.now(),
            )
        )
    Event.objects.filter(pk=event.pk).update(fanned_out_at=timezone.now())
    return deliveries


def deliver(ids: list[int]) -> None:
    """The batch task, run here as a worker runs it."""
    import tracker.notifications.tasks  # noqa: F401 (registers the tasks)

    celery_app.tasks["notifications.deliver_batch"].apply(args=[ids])


def test_attempts_are_counted_timed_and_logged_with_their_ids(db, receiver, caplog):
    receiver.script["/hook-1"] = [500]
    first, second = due_deliveries(receiver, 2)
    labels = {"channel": "webhook"}
    before = {
        outcome: sample("tracker_delivery_attempts_total", **labels, outcome=outcome)
        for outcome in ("succeeded", "retrying")
    }
    timed_before = sample("tracker_delivery_latency_seconds_count", **labels)

    with caplog.at_level(logging.INFO, logger="tracker.deliveries"):
        deliver([first.pk, second.pk])

    assert sample("tracker_delivery_attempts_total", **labels, outcome="succeeded") == (
        before["succeeded"] + 1
    )
    assert sample("tracker_delivery_attempts_total", **labels, outcome="retrying") == (
        before["retrying"] + 1
    )
    assert sample("tracker_delivery_latency_seconds_count", **labels) == timed_before + 1
    lines = {r.delivery_id: r for r in caplog.records if r.name == "tracker.deliveries"}
    assert set(lines) == {first.pk, second.pk}
    sent = {r.headers["webhook-id"] for r in receiver.requests}
    for delivery in (first, second):
        delivery.refresh_from_db()
        line = lines[delivery.pk]
        assert (line.event_id, line.webhook_id, line.attempt) == (
            delivery.event_id,
            delivery.message_id,
            1,
        )
        assert line.webhook_id in sent
    assert (lines[first.pk].outcome, lines[first.pk].status_code) == ("succeeded", 200)
    assert (lines[second.pk].outcome, lines[second.pk].status_code) == ("retrying", 500)


@committing
def test_two_processes_count_into_one_scrape_and_log_json_lines(
    receiver, client, metrics_on, tmp_path, monkeypatch
):
    folder = tmp_path / "metrics"
    folder.mkdir()
    deliveries = due_deliveries(receiver, 4)
    ids = [d.pk for d in deliveries]
    env = environment(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(folder), LOG_FORMAT="json")

    processes = [deliver_in_subprocess(ids[:2], env), deliver_in_subprocess(ids[2:], env)]
    outputs = [process.communicate(timeout=120) for process in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err

    assert len(receiver.requests) == 4
    assert len(list(folder.glob("counter_*.db"))) == 2  # one file per process
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    values = scrape(client)
    key = ("tracker_delivery_attempts_total", (("channel", "webhook"), ("outcome", "succeeded")))
    assert values[key] == 4
    assert values[("tracker_delivery_latency_seconds_count", (("channel", "webhook"),))] == 4
    assert values[("tracker_deliveries_due", (("attempt", "first"),))] == 0

    # Each process wrote one JSON line per attempt, with the ids to follow the notification.
    lines = [
        json.loads(line)
        for _out, err in outputs
        for line in err.splitlines()
        if line.startswith("{")
    ]
    attempts = {
        line["delivery_id"]: line for line in lines if line["logger"] == "tracker.deliveries"
    }
    assert set(attempts) == set(ids)
    by_webhook_id = {r.headers["webhook-id"] for r in receiver.requests}
    for delivery in deliveries:
        line = attempts[delivery.pk]
        assert line["event_id"] == delivery.event_id
        assert line["webhook_id"] == delivery.message_id
        assert line["outcome"] == "succeeded" and line["status_code"] == 200
        assert line["level"] == "INFO" and line["time"]
    assert {line["webhook_id"] for line in attempts.values()} == by_webhook_id
