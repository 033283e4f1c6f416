"""With `Accept-Language: uk` every problem's title and every validation message the API
itself writes is Ukrainian; English stays the default."""

import base64
import re

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from tests.factories import make_law
from tracker.models import Visibility

CYRILLIC = re.compile("[\u0400-\u04ff]")  # the Cyrillic block
UK = {"HTTP_ACCEPT_LANGUAGE": "uk"}


def _ukrainian(text: str) -> bool:
    return bool(CYRILLIC.search(text))


def _messages(errors) -> list[str]:
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _messages(value)]
    if isinstance(errors, list):
        return [m for value in errors for m in _messages(value)]
    return [errors]


def _check(response, status: int, *, detail: bool = True) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert _ukrainian(body["title"]), body
    if detail:
        assert _ukrainian(body["detail"]), body
    for message in _messages(body.get("errors", {})):
        assert _ukrainian(message), body
    return body


@pytest.fixture
def law(db):
    return make_law(visibility=Visibility.PUBLIC)


def _cursor(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


@pytest.mark.django_db
def test_read_problems_are_ukrainian(anon, law):
    _check(anon.get("/api/v1/laws/999999/", **UK), 404)
    _check(anon.get("/api/v1/no-such-thing/", **UK), 404)
    _check(anon.delete(f"/api/v1/laws/{law.pk}/", **UK), 405)
    _check(anon.get("/api/v1/laws/", HTTP_ACCEPT="text/html", **UK), 406)
    etag = anon.get("/api/v1/laws/")["ETag"]
    assert etag
    _check(anon.get("/api/v1/laws/", HTTP_IF_MATCH='"other"', **UK), 412)
    for params in (
        {"status": "bogus"},
        {"ordering": "internal_notes"},
        {"page_size": 0},
        {"cursor": "garbage"},
        {"cursor": _cursor("p=abc")},
        {"updated_after": "0000-01-01T00:00:00+15:00"},
        {"urgent": "maybe"},
        {"convocation": ""},
    ):
        body = _check(anon.get("/api/v1/laws/", params, **UK), 400)
        assert body["title"] == "Некоректні дані"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header", ["Api-Key nope.nope", "Bearer nope.nope", "Basic ZGU6c2VjcmV0", "Api-Key "]
)
def test_refused_credentials_are_ukrainian(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    _check(client.get("/api/v1/laws/", **UK), 401)


@pytest.mark.django_db
def test_write_problems_are_ukrainian(editor_client, de_client, law):
    url = f"/api/v1/laws/{law.pk}/transitions/"
    for body in (
        {"to": "registered", "votes_for": "300"},
        {"to": "registered", "bogus": 1},
        {"to": "registered", "occurred_on": "July"},
        {"to": "registered", "occurred_on": "2025-07", "date_precision": "day"},
        {"to": "registered", "occurred_on": None, "date_precision": "day"},
        {"to": "registered", "reopening": "yes"},
        {"to": "registered", "after_step": 999999},
        {"to": "no_such_status"},
        {},
    ):
        _check(editor_client.post(url, body, format="json", **UK), 400)
    _check(editor_client.post(url, "[" * 2000, content_type="application/json", **UK), 400)
    _check(editor_client.post(url, "<xml/>", content_type="application/xml", **UK), 415)
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100):
        big = {"to": "registered", "note": "x" * 200}
        _check(editor_client.post(url, big, format="json", **UK), 413)
    conflict = editor_client.post(url, {"to": "in_force"}, format="json", **UK)
    _check(conflict, 409, detail=False)  # the workflow's own message comes from the service
    _check(de_client.post(url, {"to": "registered"}, format="json", **UK), 403)
    _check(
        editor_client.post(
            f"/api/v1/laws/{law.pk}/history/status_change/999999/retract/",
            {"reason": "x"},
            format="json",
            **UK,
        ),
        404,
    )


@pytest.mark.django_db
def test_throttled_is_ukrainian(anon, law, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1/min", "partner": "1/min", "staff": "1/min"},
    }
    anon.get("/api/v1/laws/")
    _check(anon.get("/api/v1/laws/", **UK), 429)


@pytest.mark.django_db
def test_english_stays_the_default(anon, editor_client, law):
    assert anon.get("/api/v1/laws/999999/").json()["title"] == "Not Found"
    body = editor_client.post(
        f"/api/v1/laws/{law.pk}/transitions/", {"to": "registered", "x": 1}, format="json"
    ).json()
    assert body["title"] == "Invalid input"
    assert body["errors"] == {"x": ["Unknown field."]}
