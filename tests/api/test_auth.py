import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import make_law
from tracker.models import PartnerAPIKey, Visibility
from tracker.services.api_keys import api_key_issue, api_key_revoke


def _client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.mark.django_db
def test_valid_key_reads_partner_records(germany):
    law = make_law(partners=[germany], visibility=Visibility.RESTRICTED)
    _, key = api_key_issue(partner=germany, name="sync")
    response = _client(key).get("/api/v1/laws/")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [law.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Api-Key nope.nope", "Api-Key ", "Api-Key garbage"])
def test_unknown_key_is_401(germany, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/laws/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key, Bearer"
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_a_partner_key_is_accepted_as_a_bearer_token(germany, france):
    de_law = make_law(partners=[germany], visibility=Visibility.RESTRICTED)
    make_law(partners=[france], visibility=Visibility.RESTRICTED)
    _, key = api_key_issue(partner=germany, name="generated client")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.get("/api/v1/laws/")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [de_law.pk]
    assert client.get("/api/v1/webhooks/").status_code == 200  # a partner-only endpoint


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    [
        "Bearer {key}x",  # a wrong secret
        "Bearer nope.nope",
        "Bearer ",
        "Basic ZGU6c2VjcmV0",
        "Token {key}",
        "{key}",  # no scheme at all
        "",
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/laws/", "/api/v1/events/", "/api/v1/webhooks/"])
def test_an_authorization_header_that_does_not_authenticate_is_401(germany, header, path):
    make_law(visibility=Visibility.PUBLIC)
    _, key = api_key_issue(partner=germany, name="sync")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.format(key=key))
    response = client.get(path)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == "Api-Key, Bearer"
    assert response.json()["status"] == 401


@pytest.mark.django_db
def test_a_bad_authorization_header_is_401_even_with_a_staff_session(editor):
    client = APIClient()
    client.force_login(editor)
    assert client.get("/api/v1/laws/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Basic ZWRpdG9yOnNlY3JldA==")
    assert client.get("/api/v1/laws/").status_code == 401


@pytest.mark.django_db
def test_both_key_schemes_are_documented():
    schema = APIClient().get("/api/v1/schema/", {"format": "json"}).json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["PartnerApiKey"]["type"] == "apiKey"
    assert schemes["PartnerApiKey"]["name"] == "Authorization"
    assert schemes["PartnerBearer"] == {
        **schemes["PartnerBearer"],
        "type": "http",
        "scheme": "bearer",
    }
    laws = schema["paths"]["/api/v1/laws/"]["get"]["security"]
    assert {"PartnerApiKey": []} in laws and {"PartnerBearer": []} in laws


@pytest.mark.django_db
def test_revoked_key_is_401(germany):
    api_key, key = api_key_issue(partner=germany, name="sync")
    client = _client(key)
    assert client.get("/api/v1/laws/").status_code == 200
    api_key_revoke(api_key=api_key)
    assert client.get("/api/v1/laws/").status_code == 401


@pytest.mark.django_db
def test_expired_key_is_401(germany):
    api_key, key = api_key_issue(
        partner=germany, name="sync", expires_at=timezone.now() + datetime.timedelta(hours=1)
    )
    PartnerAPIKey.objects.filter(pk=api_key.pk).update(
        expiry_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = _client(key).get("/api/v1/laws/")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


@pytest.mark.django_db
def test_anonymous_reads_public_records_only(anon, germany):
    public = make_law(visibility=Visibility.PUBLIC)
    make_law(visibility=Visibility.PARTNERS)
    make_law(partners=[germany], visibility=Visibility.RESTRICTED)
    ids = [item["id"] for item in anon.get("/api/v1/laws/").json()["results"]]
    assert ids == [public.pk]


@pytest.mark.django_db
def test_issue_api_key_command_prints_a_working_key_once(germany):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "issue_api_key",
        "de",
        "--name",
        "BMVg sync",
        "--expires",
        "2999-12-31",
        stdout=out,
        stderr=err,
    )
    key = out.getvalue().strip()
    api_key = PartnerAPIKey.objects.get(name="BMVg sync")
    assert api_key.partner == germany
    assert timezone.localtime(api_key.expiry_date).date() == datetime.date(3000, 1, 1)
    assert key not in api_key.hashed_key and key.startswith(api_key.prefix)
    assert _client(key).get("/api/v1/laws/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["XX"], "No partner country"),
        (["DE", "--expires", "2001-01-01"], "future"),
        (["DE", "--expires", "soon"], "YYYY-MM-DD"),
        (["DE", "--name", " "], "Name the key"),
    ],
)
def test_issue_api_key_command_refuses_bad_input(germany, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("issue_api_key", *args, stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db
def test_demo_key_from_make_run_works(germany, db):
    out = io.StringIO()
    call_command("ensure_demo_accounts", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if "Api-Key" in line)
    key = line.split("Api-Key ")[1].split("'")[0]
    assert _client(key).get("/api/v1/laws/").status_code == 200


@pytest.mark.django_db
def test_admin_issues_key_once_and_revokes(superuser, germany):
    from django.test import Client

    client = Client()
    client.force_login(superuser)
    response = client.post(
        reverse("admin:tracker_partnerapikey_add"),
        {
            "partner": germany.pk,
            "name": "Bundeswehr feed",
            "expiry_date_0": "",
            "expiry_date_1": "",
        },
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    key = next(m for m in messages if "API key" in m).split(" is: ")[1].split(".")[0:2]
    key = ".".join(key)
    assert _client(key).get("/api/v1/laws/").status_code == 200

    api_key = PartnerAPIKey.objects.get(name="Bundeswehr feed")
    client.post(
        reverse("admin:tracker_partnerapikey_changelist"),
        {"action": "revoke_keys", "_selected_action": [api_key.pk]},
    )
    api_key.refresh_from_db()
    assert api_key.revoked
    assert _client(key).get("/api/v1/laws/").status_code == 401


@pytest.mark.django_db
def test_only_superusers_reach_the_key_admin(editor):
    from django.test import Client

    client = Client()
    client.force_login(editor)
    assert client.get(reverse("admin:tracker_partnerapikey_changelist")).status_code == 403
    assert client.get(reverse("admin:tracker_partnerapikey_add")).status_code == 403


@pytest.mark.django_db
def test_a_key_is_stamped_when_used_at_most_every_five_minutes(germany):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.api.conftest import client_for_key

    api_key, key = api_key_issue(partner=germany, name="stamped")
    client = client_for_key(key)
    assert client.get("/api/v1/partners/").status_code == 200
    api_key.refresh_from_db()
    first_use = api_key.last_used_at
    assert first_use is not None
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/laws/").status_code == 200
    assert not any("UPDATE" in q["sql"] and "apikey" in q["sql"] for q in queries)
    api_key.refresh_from_db()
    assert api_key.last_used_at == first_use
    PartnerAPIKey.objects.filter(pk=api_key.pk).update(
        last_used_at=first_use - datetime.timedelta(minutes=6)
    )
    assert client.get("/api/v1/laws/").status_code == 200
    api_key.refresh_from_db()
    assert api_key.last_used_at > first_use
