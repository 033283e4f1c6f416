"""Hostile request bodies: nesting, size, encoding. Each is a problem document, never a 500."""

import json

import pytest
from django.test import override_settings

from tests.factories import make_law
from tracker.api.parsers import depth
from tracker.models import WebhookSubscription

WEBHOOK = {"url": "http://127.0.0.1/tracker-hook", "event_types": ["law.*"]}


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    return body


def _post(client, url: str, text: str | bytes, **extra):
    return client.post(url, data=text, content_type="application/json", **extra)


@pytest.fixture
def law(db):
    return make_law()


@pytest.mark.django_db
@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_json_nested_two_thousand_levels_deep_is_a_400(de_client, opening):
    text = opening * 2000 + "1" + ("]" if opening == "[" else "}") * 2000
    assert len(text) < 16 * 1024
    body = _problem(_post(de_client, "/api/v1/webhooks/", text), 400)
    assert "JSON" in body["detail"] or "levels" in body["detail"]
    assert not WebhookSubscription.objects.exists()


@pytest.mark.django_db
def test_deep_bodies_are_refused_on_staff_endpoints_too(editor_client, law):
    text = "[" * 2000 + "]" * 2000
    _problem(_post(editor_client, f"/api/v1/laws/{law.pk}/transitions/", text), 400)
    _problem(_post(editor_client, f"/api/v1/laws/{law.pk}/procedural-events/", text), 400)


@pytest.mark.django_db
def test_nesting_is_held_to_the_configured_depth(de_client, settings):
    settings.API_JSON_MAX_DEPTH = 4
    nested = {**WEBHOOK, "description": [[["x"]]]}  # 4 levels: refused by the serializer
    assert _post(de_client, "/api/v1/webhooks/", json.dumps(nested)).status_code == 400
    deeper = {**WEBHOOK, "description": [[[["x"]]]]}
    body = _problem(_post(de_client, "/api/v1/webhooks/", json.dumps(deeper)), 400)
    assert "4 levels" in body["detail"]
    created = _post(de_client, "/api/v1/webhooks/", json.dumps(WEBHOOK))
    assert created.status_code == 201, created.content


def test_depth_counts_arrays_and_objects():
    assert [depth(1), depth([]), depth({"a": [1, {"b": 2}]}), depth([[[[]]]])] == [0, 1, 3, 4]
    assert depth(json.loads("[" * 900 + "]" * 900)) == 900


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [b"{", b"NaN", b'{"url": Infinity}', b"\xff\xfe", b'{"a": "\\ud800"}', b"  "],
)
def test_bodies_that_do_not_parse_are_a_400(de_client, text):
    _problem(_post(de_client, "/api/v1/webhooks/", text), 400)


@pytest.mark.django_db
def test_a_declared_charset_is_honoured(de_client):
    text = json.dumps({**WEBHOOK, "description": "Größe"}, ensure_ascii=False)
    response = de_client.post(
        "/api/v1/webhooks/",
        data=text.encode("latin-1"),
        content_type="application/json; charset=latin-1",
    )
    assert response.status_code == 201, response.content
    assert response.json()["description"] == "Größe"


@pytest.mark.django_db
@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_a_body_over_the_size_limit_is_a_413(de_client, editor_client, law):
    text = json.dumps({**WEBHOOK, "description": "x" * 4096})
    body = _problem(_post(de_client, "/api/v1/webhooks/", text), 413)
    assert "2048 bytes" in body["detail"]
    text = json.dumps({"to": "registered", "note": "x" * 4096})
    _problem(_post(editor_client, f"/api/v1/laws/{law.pk}/transitions/", text), 413)
    assert not WebhookSubscription.objects.exists()


@pytest.mark.django_db
@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_a_body_longer_than_it_declared_is_cut_at_the_limit(de_client):
    """Without a trustworthy Content-Length the parser still reads no more than the limit."""
    from io import BytesIO

    from rest_framework.test import APIRequestFactory

    from tracker.api.parsers import JSONParser, PayloadTooLarge

    request = APIRequestFactory().post("/", data=b"{}", content_type="application/json")
    request.META.pop("CONTENT_LENGTH")
    stream = BytesIO(b'{"a": "' + b"x" * 10_000 + b'"}')
    with pytest.raises(PayloadTooLarge):
        JSONParser().parse(stream, parser_context={"request": request})
    assert stream.tell() == 2049


@pytest.mark.django_db
def test_request_data_too_big_from_django_is_a_413_problem(rf):
    from django.core.exceptions import RequestDataTooBig
    from rest_framework.request import Request

    from tracker.api.problems import exception_handler

    request = Request(rf.post("/api/v1/webhooks/"))
    response = exception_handler(RequestDataTooBig("too big"), {"request": request})
    assert response.status_code == 413
    assert response.data["status"] == 413
