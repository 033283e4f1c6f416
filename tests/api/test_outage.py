"""Through a database outage: a request that fails because the database cannot be reached is
a 503 with Retry-After (a problem document under /api/, a plain page elsewhere), whether the
view, the API key lookup or the session middleware met the closed door."""

from __future__ import annotations

import socket

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import make_law
from tracker.api.problems import CONTENT_TYPE, SERVICE_UNAVAILABLE
from tracker.models import Event, ProceduralEvent, StatusChange
from tracker.services.api_keys import api_key_issue
from tracker.services.signals import event_committed

# Connections are closed and reopened: real transactions, with the staff groups the
# migrations create restored for the tests after these.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_saved: list[dict] = []


def saved_settings() -> dict:
    """The default connection's settings from before the outage."""
    return _saved[-1]


@pytest.fixture
def database_down():
    """From here on, every new connection to the default database fails as if the server
    were gone: the connection is closed and its parameters name a place with no database."""

    def cut() -> None:
        connection.close()
        if connection.vendor == "sqlite":
            connection.settings_dict["NAME"] = "/nonexistent/folder/tracker.sqlite3"
        else:
            connection.settings_dict["HOST"] = "127.0.0.1"
            connection.settings_dict["PORT"] = str(closed_port())

    saved = dict(connection.settings_dict)
    _saved.append(saved)
    yield cut
    _saved.remove(saved)
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


def assert_unavailable_problem(response, path: str) -> None:
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == CONTENT_TYPE
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["type"] == SERVICE_UNAVAILABLE
    assert body["status"] == 503
    assert body["title"] == "Service Unavailable"
    assert body["instance"] == path
    assert "database" in body["detail"]
    assert "nonexistent" not in response.content.decode()  # nothing about the cause


def test_an_api_read_is_a_503_problem_while_the_database_is_down(database_down):
    make_law()
    client = APIClient(raise_request_exception=False)
    assert client.get("/api/v1/laws/").status_code == 200
    database_down()

    assert_unavailable_problem(client.get("/api/v1/laws/"), "/api/v1/laws/")


def test_the_api_key_lookup_failing_is_a_503_too(database_down, germany):
    _, key = api_key_issue(partner=germany, name="DE system")
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    database_down()

    assert_unavailable_problem(client.get("/api/v1/events/"), "/api/v1/events/")


def test_a_staff_write_is_a_503_when_the_session_cannot_be_read(database_down, editor):
    law = make_law()
    client = APIClient(raise_request_exception=False)
    client.force_login(editor)  # a session in the database: the middleware reads it first
    database_down()

    path = f"/api/v1/laws/{law.pk}/transitions/"
    response = client.post(path, {"to": "registered"}, format="json")

    assert_unavailable_problem(response, path)


def test_a_page_is_a_plain_503_with_retry_after(database_down, editor):
    client = Client(raise_request_exception=False)
    client.force_login(editor)
    database_down()

    for path in ("/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 503, (path, response.content)
        assert response["Content-Type"].startswith("text/html")
        assert response["Retry-After"] == "5"
        assert "Service Unavailable" in response.content.decode()


def test_a_bug_is_still_a_500(monkeypatch):
    from tracker import selectors

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(selectors, "listed_records", broken)
    response = APIClient(raise_request_exception=False).get("/api/v1/laws/")
    assert response.status_code == 500
    assert "Retry-After" not in response


@pytest.fixture
def database_down_after_commit(database_down):
    """The database goes away the moment a change commits (its event is announced), before
    the view reads the record back for its answer."""

    def cut(**kwargs):
        database_down()

    def arm() -> None:
        event_committed.connect(cut, weak=False, dispatch_uid="outage-after-commit")

    yield arm
    event_committed.disconnect(dispatch_uid="outage-after-commit")


def test_a_committed_transition_is_a_201_even_if_reading_it_back_fails(
    database_down_after_commit, editor
):
    law = make_law()
    client = APIClient(raise_request_exception=False)
    client.force_login(editor)
    database_down_after_commit()

    response = client.post(
        f"/api/v1/laws/{law.pk}/transitions/", {"to": "registered"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == law.pk
    assert body["step"]["to_status"] == "registered"
    assert "read it again" in body["detail"]
    connection.close()
    connection.settings_dict.update(saved_settings())  # the database is back
    step = StatusChange.objects.get(pk=body["step"]["id"])
    assert (step.record_id, step.to_status) == (law.pk, "registered")
    law.refresh_from_db()
    assert law.status == "registered"
    assert Event.objects.filter(type="law.status_changed", record_id=law.pk).count() == 1


def test_a_committed_procedural_event_is_a_201_with_its_id(database_down_after_commit, editor):
    law = make_law()
    client = APIClient(raise_request_exception=False)
    client.force_login(editor)
    database_down_after_commit()

    response = client.post(
        f"/api/v1/laws/{law.pk}/procedural-events/",
        {"kind": "committee_hearing", "title": "Hearing"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()  # the entry is answered from what the service returned
    connection.close()
    connection.settings_dict.update(saved_settings())
    assert ProceduralEvent.objects.get(pk=body["id"]).record_id == law.pk
