"""/healthz and /readyz: each readiness check that fails turns the answer into a 503."""

from __future__ import annotations

import datetime
import socket
import time

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import make_law, make_partner
from tracker.models import Delivery, DeliveryState, Event
from tracker.ops import health, heartbeat
from tracker.services.subscriptions import webhook_subscription_create

ALL_OK = {"database": "ok", "broker": "ok", "worker": "ok", "deliveries": "ok"}


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def fresh_heartbeat():
    heartbeat.beat()


def due_delivery(*, late_by: datetime.timedelta, attempts: int = 0) -> Delivery:
    partner = make_partner("DE")
    subscription, _secret = webhook_subscription_create(
        partner=partner, url="http://127.0.0.1:65001/hook", event_types=["law.*"]
    )
    make_law()
    return Delivery.objects.create(
        event=Event.objects.latest("id"),
        subscription=subscription,
        partner=partner,
        state=DeliveryState.PENDING,
        attempts=attempts,
        next_attempt_at=timezone.now() - late_by,
    )


def test_healthz_answers_without_anything_else(client):
    response = client.get("/healthz")  # no database here: pytest-django refuses any access
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405


def test_readyz_is_200_when_every_check_passes(client, db, fresh_heartbeat):
    due_delivery(late_by=datetime.timedelta(seconds=30))  # due, but not late enough to matter
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "checks": ALL_OK}


def test_readyz_is_503_when_the_database_cannot_be_reached(
    client, db, fresh_heartbeat, monkeypatch
):
    # A connection like the real one, pointed where no database is.
    broken = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        broken["NAME"] = "/nonexistent/folder/tracker.sqlite3"
    else:
        broken.update(HOST="127.0.0.1", PORT=str(closed_port()))
    wrapper = connection.__class__(broken, alias="unreachable")
    monkeypatch.setattr(health, "database_connection", lambda: wrapper)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"status": "fail", "checks": {**ALL_OK, "database": "fail"}}
    body = response.content.decode()
    assert "nonexistent" not in body and "Error" not in body  # nothing but the verdicts


def test_readyz_is_503_when_the_broker_cannot_be_reached(client, db, fresh_heartbeat, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 2 * settings.READYZ_TIMEOUT_SECONDS + 1
    assert response.status_code == 503
    assert response.json()["checks"] == {**ALL_OK, "broker": "fail"}


def test_readyz_is_503_when_no_sweep_ever_finished(client, db):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {**ALL_OK, "worker": "fail"}


def test_readyz_is_503_when_the_heartbeat_is_older_than_two_sweep_intervals(client, db, settings):
    settings.NOTIFICATIONS_SWEEP_SECONDS = 60
    settings.READYZ_HEARTBEAT_MAX_AGE_SECONDS = 120
    heartbeat.beat(now=time.time() - 125)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {**ALL_OK, "worker": "fail"}

    heartbeat.beat(now=time.time() - 100)
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_when_a_delivery_is_due_for_too_long(client, db, fresh_heartbeat, settings):
    settings.READYZ_DUE_DELIVERY_MAX_AGE_SECONDS = 600
    delivery = due_delivery(late_by=datetime.timedelta(seconds=660), attempts=2)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {**ALL_OK, "deliveries": "fail"}

    # Delivered meanwhile: nothing is late any more.
    Delivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.SUCCEEDED, next_attempt_at=None
    )
    assert client.get("/readyz").status_code == 200


def test_a_failed_check_is_logged_with_its_reason(client, db, caplog):
    with caplog.at_level("WARNING", logger="tracker.ops.health"):
        client.get("/readyz")
    messages = [r.getMessage() for r in caplog.records if r.name == "tracker.ops.health"]
    assert messages == ["Readiness check worker failed: no sweep has finished yet"]
