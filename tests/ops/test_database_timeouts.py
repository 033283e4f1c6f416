"""Every wait for PostgreSQL is bounded: connecting (DATABASE_CONNECT_TIMEOUT), each
statement (DATABASE_STATEMENT_TIMEOUT) and a network that stops answering
(DATABASE_NETWORK_TIMEOUT); a statement cancelled by it is a 503. `migrate` and the benchmark
generator run without the statement limit. (Dropped packets themselves: the slow
tests/ops/test_database_fault.py.)"""

from __future__ import annotations

import socket
import time

import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
from django.db.models.signals import post_migrate
from rest_framework.test import APIClient

from config.settings.base import postgresql_timeouts
from tests.factories import make_law
from tracker.api.problems import CONTENT_TYPE, SERVICE_UNAVAILABLE
from tracker.models import DraftLaw

from .conftest import committing

on_postgresql = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="libpq's timeouts: PostgreSQL only"
)


def test_the_timeouts_become_libpq_options():
    assert postgresql_timeouts(5, 30) == {
        "connect_timeout": 5,
        "options": "-c statement_timeout=30000",
    }
    assert postgresql_timeouts(0.4, 0.25) == {
        "connect_timeout": 1,
        "options": "-c statement_timeout=250",
    }
    assert postgresql_timeouts(0, 0) == {}  # 0: no limit
    assert postgresql_timeouts(0, 0, 0) == {}


def test_the_network_timeout_becomes_tcp_options():
    # Unacknowledged data is given up after the limit; so is a silent peer, by keepalive
    # probes from half the limit on, one a second, until the limit.
    assert postgresql_timeouts(5, 30, 10) == {
        "connect_timeout": 5,
        "options": "-c statement_timeout=30000",
        "tcp_user_timeout": 10000,
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 1,
        "keepalives_count": 5,
    }
    three = postgresql_timeouts(0, 0, 3)
    assert three["tcp_user_timeout"] == 3000
    assert three["keepalives_idle"] + three["keepalives_count"] * 1 == 3
    tiny = postgresql_timeouts(0, 0, 0.2)  # libpq counts in whole seconds: at least one
    assert tiny["tcp_user_timeout"] == 1000
    assert tiny["keepalives_idle"] == tiny["keepalives_count"] == 1


def wrapper_with(**changes) -> object:
    """A connection like the default one, with some of its settings changed."""
    settings_dict = {**connection.settings_dict, **changes}
    return connections[DEFAULT_DB_ALIAS].__class__(settings_dict, alias="timeouts")


@on_postgresql
def test_connections_are_opened_with_the_default_timeouts(db):
    assert connection.get_connection_params()["connect_timeout"] == 5
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "30s"
    # What libpq opened the connection with (DATABASE_NETWORK_TIMEOUT's default, 10 s).
    opened = {
        option.keyword.decode(): (option.val or b"").decode()
        for option in connection.connection.pgconn.info
    }
    assert opened["tcp_user_timeout"] == "10000"
    assert opened["keepalives"] == "1"
    assert (opened["keepalives_idle"], opened["keepalives_interval"]) == ("5", "1")
    assert opened["keepalives_count"] == "5"


@on_postgresql
def test_a_statement_run_again_and_again_is_prepared_once_on_its_connection(db):
    law = make_law()
    for _ in range(6):
        assert DraftLaw.objects.filter(pk=law.pk).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "tracker_draftlaw"' in statement for statement in prepared)


@on_postgresql
def test_a_statement_over_the_timeout_fails_fast(db):
    short = wrapper_with(OPTIONS={**connection.settings_dict["OPTIONS"], "options": ""})
    short.settings_dict["OPTIONS"].update(postgresql_timeouts(5, 0.2))
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="statement timeout"), short.cursor() as cur:
            cur.execute("SELECT pg_sleep(5)")
        assert time.monotonic() - started < 2
    finally:
        short.close()


@on_postgresql
def test_a_server_that_never_answers_is_given_up_after_the_connect_timeout(db):
    # The kernel accepts the TCP connection; nothing ever answers the startup message, as
    # when packets to a live address are dropped after the handshake.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        unreachable = wrapper_with(
            HOST="127.0.0.1",
            PORT=str(port),
            OPTIONS={**connection.settings_dict["OPTIONS"], "connect_timeout": 2},
        )
        started = time.monotonic()
        with pytest.raises(OperationalError):
            unreachable.ensure_connection()
        waited = time.monotonic() - started
    assert 1.5 < waited < 5


@on_postgresql
@committing
def test_a_write_waiting_past_the_statement_timeout_is_a_503(editor):
    law = make_law()
    client = APIClient(raise_request_exception=False)
    client.force_login(editor)
    # Another session holds the law's row, as a long transaction would.
    holder = wrapper_with()
    holder.ensure_connection()
    holder.connection.autocommit = False
    table = DraftLaw._meta.db_table
    holder.connection.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [law.pk])
    saved_options = dict(connection.settings_dict["OPTIONS"])
    connection.close()
    connection.settings_dict["OPTIONS"].update(postgresql_timeouts(5, 0.3))
    try:
        path = f"/api/v1/laws/{law.pk}/transitions/"
        started = time.monotonic()
        response = client.post(path, {"to": "registered"}, format="json")
        assert time.monotonic() - started < 3
    finally:
        holder.connection.rollback()
        holder.close()
        connection.close()
        connection.settings_dict["OPTIONS"] = saved_options

    assert response.status_code == 503, response.content
    assert response["Content-Type"] == CONTENT_TYPE
    assert response["Retry-After"] == "5"
    assert response.json()["type"] == SERVICE_UNAVAILABLE
    law.refresh_from_db()
    assert law.status == "drafting"  # nothing half-written


@on_postgresql
def test_migrate_runs_without_the_statement_timeout(db):
    seen = []

    def during(sender, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            seen.append(cursor.fetchone()[0])

    post_migrate.connect(during, weak=False, dispatch_uid="timeouts-test")
    try:
        call_command("migrate", verbosity=0)
    finally:
        post_migrate.disconnect(dispatch_uid="timeouts-test")

    assert seen and set(seen) == {"0"}
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "30s"  # the connection is back to the settings' limit
