"""`Idempotency-Key` on staff writes: the same key and body within 24 h get the first answer
without a second change; the same key with another request is a 422; keys are per user."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import make_law, make_user
from tracker.api.problems import CONTENT_TYPE
from tracker.models import (
    Event,
    IdempotentRequest,
    ProceduralEvent,
    RegistrationNumber,
    StatusChange,
)

pytestmark = pytest.mark.django_db

KEY = "3f1c7d2e-9a4b-4c1e-8f00-5b6a7c8d9e10"


def staff_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def transition(client, law, key: str | None = KEY, **body):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(
        f"/api/v1/laws/{law.pk}/transitions/",
        {"to": "registered", "note": "No. 13302", **body},
        format="json",
        **headers,
    )


def test_the_same_key_and_body_get_the_first_answer_without_a_second_change(editor):
    law = make_law()
    client = staff_client(editor)

    first = transition(client, law)
    again = transition(client, law)

    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    assert again.status_code == 201, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert StatusChange.objects.filter(record_id=law.pk).count() == 1
    assert Event.objects.filter(type="law.status_changed", record_id=law.pk).count() == 1
    stored = IdempotentRequest.objects.get(user=editor, key=KEY)
    assert stored.status_code == 201


def test_without_a_key_the_same_request_again_is_refused_as_before(editor):
    law = make_law()
    client = staff_client(editor)
    assert transition(client, law, key=None).status_code == 201
    response = client.post(
        f"/api/v1/laws/{law.pk}/transitions/",
        {"to": "registered", "expected_status": "drafting"},
        format="json",
    )
    assert response.status_code == 409


def test_the_same_key_with_a_different_body_is_a_422(editor):
    law = make_law()
    client = staff_client(editor)
    assert transition(client, law).status_code == 201

    response = transition(client, law, note="Another note")

    assert response.status_code == 422, response.content
    assert response["Content-Type"] == CONTENT_TYPE
    body = response.json()
    assert body["status"] == 422
    assert "Idempotency-Key" in body["detail"]
    assert StatusChange.objects.filter(record_id=law.pk).count() == 1
    # ... and so is the same key on another endpoint
    other = staff_client(editor).post(
        f"/api/v1/laws/{law.pk}/procedural-events/",
        {"kind": "committee_hearing"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=KEY,
    )
    assert other.status_code == 422
    assert not ProceduralEvent.objects.filter(record_id=law.pk).exists()


def test_keys_belong_to_their_user(editor):
    law = make_law()
    colleague = make_user(role="Editors")
    path = f"/api/v1/laws/{law.pk}/procedural-events/"
    body = {"kind": "committee_hearing", "title": "Hearing"}

    mine = staff_client(editor).post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    theirs = staff_client(colleague).post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=KEY)

    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert mine.json()["id"] != theirs.json()["id"]
    assert ProceduralEvent.objects.filter(record_id=law.pk).count() == 2


def test_a_key_older_than_24_hours_is_forgotten(editor):
    law = make_law()
    client = staff_client(editor)
    path = f"/api/v1/laws/{law.pk}/procedural-events/"
    body = {"kind": "committee_hearing"}
    assert client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=KEY).status_code == 201
    IdempotentRequest.objects.filter(key=KEY).update(
        created_at=timezone.now() - datetime.timedelta(hours=24, minutes=1)
    )

    response = client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=KEY)

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert ProceduralEvent.objects.filter(record_id=law.pk).count() == 2
    assert IdempotentRequest.objects.filter(key=KEY).count() == 1


def test_keys_past_their_window_are_forgotten_hourly_whoever_made_them(editor):
    from tracker.notifications.tasks import forget_idempotency_keys

    other = make_user(username="editor2", role="Editors")
    law = make_law()
    path = f"/api/v1/laws/{law.pk}/procedural-events/"
    for user, key in ((editor, KEY), (other, "0e1d2c3b-4a59-4687-9a6b-5c4d3e2f1a00")):
        response = staff_client(user).post(
            path, {"kind": "committee_hearing"}, format="json", HTTP_IDEMPOTENCY_KEY=key
        )
        assert response.status_code == 201
    IdempotentRequest.objects.filter(user=editor).update(
        created_at=timezone.now() - datetime.timedelta(hours=24, minutes=1)
    )

    assert forget_idempotency_keys.apply().get() == 1

    assert list(IdempotentRequest.objects.values_list("user", flat=True)) == [other.pk]
    assert "idempotency.forget" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


def test_a_refused_write_is_not_kept_and_is_judged_again(editor):
    law = make_law()
    client = staff_client(editor)
    refused = transition(client, law, to="in_force")
    assert refused.status_code == 409
    assert not IdempotentRequest.objects.exists()


def test_a_delete_is_replayed_as_204(editor):
    law = make_law()
    client = staff_client(editor)
    added = client.post(
        f"/api/v1/laws/{law.pk}/registration-numbers/", {"number": "1234"}, format="json"
    )
    assert added.status_code == 201, added.content
    path = f"/api/v1/laws/{law.pk}/registration-numbers/1234/"

    first = client.delete(path, HTTP_IDEMPOTENCY_KEY=KEY)
    again = client.delete(path, HTTP_IDEMPOTENCY_KEY=KEY)

    assert (first.status_code, again.status_code) == (204, 204)
    assert again["Idempotent-Replayed"] == "true"
    assert not RegistrationNumber.objects.filter(number="1234").exists()


@pytest.mark.parametrize("key", ["", "with space", "x" * 256, "ключ"])
def test_a_malformed_key_is_a_400(editor, key):
    law = make_law()
    response = transition(staff_client(editor), law, key=key)
    assert response.status_code == 400, response.content
    assert "Idempotency-Key" in response.json()["errors"]
    assert not StatusChange.objects.filter(record_id=law.pk).exists()


def test_a_partner_sending_a_key_is_refused_as_without_it(de_client):
    law = make_law()
    response = transition(de_client, law)
    assert response.status_code == 403
    assert not IdempotentRequest.objects.exists()


def test_the_schema_documents_the_header_on_staff_writes():
    schema = APIClient().get("/api/v1/schema/", {"format": "json"}).json()
    writes = [
        ("/api/v1/laws/{id}/transitions/", "post"),
        ("/api/v1/laws/{id}/procedural-events/", "post"),
        ("/api/v1/laws/{id}/", "patch"),
        ("/api/v1/laws/{id}/registration-numbers/{number}/", "delete"),
        ("/api/v1/tax-measures/{id}/transitions/", "post"),
    ]
    for path, method in writes:
        names = [p["name"] for p in schema["paths"][path][method].get("parameters", [])]
        assert "Idempotency-Key" in names, (path, method)
    reads = schema["paths"]["/api/v1/laws/{id}/transitions/"]["get"].get("parameters", [])
    assert "Idempotency-Key" not in [p["name"] for p in reads]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_requests_racing_with_one_key_make_one_change(editor):
    import threading

    from django.db import connection

    law = make_law()
    barrier = threading.Barrier(2)
    answers = []

    def send():
        client = staff_client(editor)
        barrier.wait()
        try:
            answers.append(transition(client, law))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(a.status_code for a in answers) == [201, 201], [a.content for a in answers]
    assert sorted(a.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    assert answers[0].json() == answers[1].json()
    assert StatusChange.objects.filter(record_id=law.pk).count() == 1
