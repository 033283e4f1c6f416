"""Staff API tokens: a superuser issues one in the admin for a named staff member; a ministry
system then writes through the API as that person, without a session or a CSRF token."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import make_law, make_user
from tracker.models import Event, ProceduralEvent, StaffAPIToken, StatusChange
from tracker.services.staff_tokens import staff_token_issue, staff_token_revoke

TOKEN = re.compile(r"tst_[A-Za-z0-9]+\.[A-Za-z0-9]+")
ADD_URL = "/admin/tracker/staffapitoken/add/"


def in_days(days: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


def token_client(key: str) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def issued(editor, superuser):
    return staff_token_issue(
        user=editor, name="Ministry registry sync", expires_at=in_days(30), created_by=superuser
    )


def transition(client: APIClient, law, to: str = "registered"):
    return client.post(
        f"/api/v1/laws/{law.pk}/transitions/",
        {"to": to, "occurred_on": timezone.localdate().isoformat(), "note": "By the sync"},
        format="json",
    )


@pytest.mark.django_db
def test_a_superuser_issues_a_token_in_the_admin_shown_once_and_stored_hashed(
    client, superuser, editor
):
    client.force_login(superuser)
    form = {
        "user": editor.pk,
        "name": "Ministry registry sync",
        "expiry_date_0": in_days(30).strftime("%Y-%m-%d"),
        "expiry_date_1": "12:00:00",
    }
    response = client.post(ADD_URL, form, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    keys = [match.group(0) for text in shown for match in [TOKEN.search(text)] if match]
    assert len(keys) == 1, shown
    key = keys[0]
    token = StaffAPIToken.objects.get()
    assert token.user == editor and token.created_by == superuser
    assert key not in token.hashed_key and key not in token.pk
    assert token.is_valid(key)
    # Never shown again: not on the token's page, not in the list.
    detail = reverse("admin:tracker_staffapitoken_change", args=[quote(token.pk)])
    for url in ("/admin/tracker/staffapitoken/", detail):
        page = client.get(url)
        assert page.status_code == 200
        assert key not in page.content.decode()
    assert token_client(key).get("/api/v1/laws/").status_code == 200


@pytest.mark.django_db
def test_only_superusers_issue_tokens_and_only_for_active_staff(client, editor, superuser):
    client.force_login(editor)
    assert client.get(ADD_URL).status_code == 403
    with pytest.raises(PermissionDenied):
        staff_token_issue(user=editor, name="x", expires_at=in_days(1), created_by=editor)
    outsider = make_user(username="outsider")
    with pytest.raises(ValidationError) as info:
        staff_token_issue(user=outsider, name="x", expires_at=in_days(1), created_by=superuser)
    assert "user" in info.value.message_dict
    client.force_login(superuser)
    form = {"user": editor.pk, "name": "Sync", "expiry_date_0": "", "expiry_date_1": ""}
    refused = client.post(ADD_URL, form)
    assert refused.status_code == 200 and "expiry_date" in refused.context["adminform"].form.errors
    assert not StaffAPIToken.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days", "field"), [(-1, "expiry_date"), (10_000, "expiry_date"), (30, None)]
)
def test_a_token_must_expire_within_the_limit(editor, superuser, days, field):
    if field is None:
        token, _ = staff_token_issue(
            user=editor, name="Sync", expires_at=in_days(days), created_by=superuser
        )
        assert token.expiry_date is not None
        return
    with pytest.raises(ValidationError) as info:
        staff_token_issue(user=editor, name="Sync", expires_at=in_days(days), created_by=superuser)
    assert field in info.value.message_dict


@pytest.mark.django_db
def test_a_token_writes_as_its_user_without_csrf_and_records_its_use(issued, editor, germany):
    token, key = issued
    law = make_law(partners=[germany])
    assert token.last_used_at is None

    response = transition(token_client(key), law)

    assert response.status_code == 201, response.content
    change = StatusChange.objects.get(record_id=law.pk)
    assert change.recorded_by == editor
    assert Event.objects.get(type="law.status_changed", record_id=law.pk).actor == editor
    assert law.history.latest().history_user == editor
    token.refresh_from_db()
    assert token.last_used_at is not None
    history = token_client(key).get(f"/api/v1/laws/{law.pk}/history/").json()
    assert history[-1]["to_status"] == "registered"


@pytest.mark.django_db
def test_a_token_reaches_every_staff_write(issued, editor, germany):
    _, key = issued
    law = make_law(partners=[germany])
    api = token_client(key)
    assert transition(api, law).status_code == 201
    event = api.post(
        f"/api/v1/laws/{law.pk}/procedural-events/",
        {"kind": "committee_hearing", "occurred_on": timezone.localdate().isoformat()},
        format="json",
    )
    assert event.status_code == 201, event.content
    assert ProceduralEvent.objects.get(record_id=law.pk).recorded_by == editor
    patched = api.patch(f"/api/v1/laws/{law.pk}/", {"act_number": "1234-IX"}, format="json")
    assert patched.status_code == 200, patched.content
    assert Event.objects.filter(type="law.updated", record_id=law.pk).last().actor == editor
    committee = api.post(
        f"/api/v1/laws/{law.pk}/registration-numbers/", {"number": "13302-1"}, format="json"
    )
    assert committee.status_code == 201, committee.content


@pytest.mark.django_db
def test_a_session_write_still_needs_csrf(editor, germany):
    """The token path is the only one without CSRF: a logged-in browser session still needs it."""
    law = make_law(partners=[germany])
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(editor)
    assert transition(browser, law).status_code == 403
    assert not StatusChange.objects.filter(record_id=law.pk).exists()


@pytest.mark.django_db
def test_a_token_may_do_no_more_than_its_user(superuser, germany):
    reader = make_user(username="reader", role="Viewers")
    _, key = staff_token_issue(
        user=reader, name="Read-only", expires_at=in_days(5), created_by=superuser
    )
    law = make_law(partners=[germany])
    response = transition(token_client(key), law)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


def _refused(key: str, law) -> None:
    response = transition(token_client(key), law)
    assert response.status_code == 401, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert not StatusChange.objects.filter(record_id=law.pk).exists()


@pytest.mark.django_db
def test_revoked_expired_wrong_and_deactivated_tokens_are_401(issued, editor, germany):
    token, key = issued
    law = make_law(partners=[germany])
    prefix, _, secret = key.partition(".")
    _refused(f"{prefix}.{'x' * len(secret)}", law)
    _refused("tst_nothing.here", law)

    editor.is_active = False
    editor.save(update_fields=["is_active"])
    _refused(key, law)
    editor.is_active = True
    editor.save(update_fields=["is_active"])

    StaffAPIToken.objects.filter(pk=token.pk).update(expiry_date=in_days(-1))
    _refused(key, law)
    StaffAPIToken.objects.filter(pk=token.pk).update(expiry_date=in_days(1))
    assert transition(token_client(key), law).status_code == 201

    assert staff_token_revoke(token=token)
    _refused(key, make_law(partners=[germany]))


@pytest.mark.django_db
def test_superusers_revoke_tokens_in_the_admin(client, issued, superuser):
    token, key = issued
    client.force_login(superuser)
    response = client.post(
        "/admin/tracker/staffapitoken/",
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
        follow=True,
    )
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked
    assert token_client(key).get("/api/v1/laws/").status_code == 401


@pytest.mark.django_db
def test_a_partner_key_is_not_taken_for_a_staff_token(germany):
    from tracker.services.api_keys import api_key_issue

    _, key = api_key_issue(partner=germany, name="DE system")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert client.get("/api/v1/laws/").status_code == 200
    law = make_law(partners=[germany])
    assert transition(client, law).status_code == 403


@pytest.mark.django_db
def test_the_schema_documents_the_staff_token(anon_schema):
    schemes = anon_schema["components"]["securitySchemes"]
    assert schemes["StaffToken"]["type"] == "http"
    assert schemes["StaffToken"]["scheme"] == "bearer"
    assert "tst_" in schemes["StaffToken"]["description"]
    operation = anon_schema["paths"]["/api/v1/laws/{id}/transitions/"]["post"]
    assert {"StaffToken": []} in operation["security"]


@pytest.fixture
def anon_schema(db):
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()
