"""A batch whose database connection dies: no further send starts, the outcomes of the sends
already made are written once the database answers again, and only what was never sent is
handed back (no duplicates beyond the sends in flight at that instant)."""

from __future__ import annotations

import socket

import pytest
from celery.exceptions import Retry
from django.db import OperationalError, connection

from tests.factories import make_law, make_partner
from tests.notifications.marks import committing
from tracker.models import Delivery, DeliveryState
from tracker.notifications import config, tasks
from tracker.notifications import delivery as delivery_module

from .test_batches import planned_deliveries, subscribe

pytestmark = committing
on_postgresql = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="ends a PostgreSQL backend from outside"
)


def terminate_backend(pid: int) -> None:
    """What a crash of the server does to one connection: it is gone."""
    import psycopg

    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        dbname=params["NAME"],
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@on_postgresql
def test_a_batch_stops_sending_at_the_first_database_error_and_writes_what_it_knows(
    receiver, no_broker, settings, monkeypatch
):
    settings.WEBHOOKS_BATCH_THREADS = 2
    monkeypatch.setattr(config, "RECORD_RETRY_DELAYS", (0.2, 0.5, 1.0))
    germany = make_partner("DE")
    for n in range(12):
        subscribe(germany, receiver.url(f"/{n}"))
    ids = planned_deliveries(make_law())
    no_broker.clear()
    receiver.delay = 0.1
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    answer = receiver.answer

    def answer_and_crash(received):
        status = answer(received)
        if len(receiver.requests) == 1:
            terminate_backend(pid)  # before this first answer can be written
            return 500
        return status

    receiver.answer = answer_and_crash

    results = delivery_module.attempt_deliveries(ids)

    sent = [r.path for r in receiver.requests]
    width = settings.WEBHOOKS_BATCH_THREADS
    # The failed first answer, and at most the sends in flight when its write failed.
    assert 1 <= len(sent) <= 1 + width, sent
    rows = {d.pk: d for d in Delivery.objects.filter(pk__in=ids).select_related("subscription")}
    assert not [d for d in rows.values() if d.state == DeliveryState.SENDING]
    by_path = {d.subscription.url.rsplit("/", 1)[1]: d for d in rows.values()}
    first = by_path[sent[0].lstrip("/")]
    assert (first.state, first.attempts, first.last_status_code) == (
        DeliveryState.PENDING,
        1,
        500,
    )
    for path in sent[1:]:
        assert by_path[path.lstrip("/")].state == DeliveryState.SUCCEEDED
    never_sent = [d for path, d in by_path.items() if f"/{path}" not in sent]
    assert never_sent and all(d.state == DeliveryState.PENDING for d in never_sent)
    assert all(d.last_status_code is None for d in never_sent)
    # handed back for a later batch, which sends each of them once
    handed_back = {pk for name, args, _ in no_broker for pk in args if name.endswith("batch")}
    assert {d.pk for d in never_sent} <= handed_back
    assert results[first.pk] == DeliveryState.PENDING


@pytest.fixture
def database_away():
    """The default database cannot be reached until the test ends."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent/folder/tracker.sqlite3"
    else:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(port))
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


@pytest.mark.parametrize("name", ["fan_out", "deliver", "deliver_batch"])
def test_a_task_that_finds_the_database_away_is_retried_within_seconds(
    name, database_away, monkeypatch
):
    task = getattr(tasks, name)
    retried = []

    def retry(exc=None, countdown=None, **kwargs):
        retried.append((exc, countdown))
        raise Retry(exc=exc, when=countdown)

    monkeypatch.setattr(task, "retry", retry)
    task.push_request(retries=0, called_directly=False)
    try:
        with pytest.raises(Retry):
            task.run([1, 2] if name == "deliver_batch" else 1)
    finally:
        task.pop_request()

    [(exc, countdown)] = retried
    assert isinstance(exc, OperationalError)
    assert 0 <= countdown <= 1  # the first retry within a second, then 2, 4 ... 30 s
    assert task.max_retries == 12
