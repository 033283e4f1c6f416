"""Webhook URLs name port 443 or 80 unless WEBHOOKS_ALLOWED_PORTS allows more: checked when a
subscription is created or changed (the send-time check is in tests/notifications/test_ssrf)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from rest_framework.test import APIClient

from tests.factories import make_partner
from tracker.notifications import ssrf
from tracker.services.api_keys import api_key_issue
from tracker.services.subscriptions import (
    webhook_subscription_create,
    webhook_subscription_update,
)

PUBLIC_ADDRESS = "93.184.215.14"


@pytest.fixture
def production_ports(settings, monkeypatch):
    settings.WEBHOOKS_ALLOWED_PORTS = ["443", "80"]
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    settings.WEBHOOKS_REQUIRE_HTTPS = False
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: [PUBLIC_ADDRESS])
    return settings


def subscribe(url: str):
    return webhook_subscription_create(partner=make_partner("DE"), url=url, event_types=["law.*"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.bund.example/in",
        "https://hooks.bund.example:443/in",
        "http://hooks.bund.example/in",
        "http://hooks.bund.example:80/in",
    ],
)
def test_the_default_ports_are_allowed(production_ports, url):
    subscription, _ = subscribe(url)
    assert subscription.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.bund.example:22/in",
        "https://hooks.bund.example:8443/in",
        "http://hooks.bund.example:6379/",
    ],
)
def test_other_ports_are_refused_by_default(production_ports, url):
    with pytest.raises(ValidationError) as info:
        subscribe(url)
    message = info.value.message_dict["url"][0]
    assert "port 443 or 80 only" in message


@pytest.mark.django_db
def test_the_setting_allows_more_ports_and_ranges(production_ports):
    production_ports.WEBHOOKS_ALLOWED_PORTS = ["443", "80", "8443", "9000-9100"]
    for url in (
        "https://hooks.bund.example:8443/in",
        "https://hooks.bund.example:9000/in",
        "https://hooks.bund.example:9100/in",
    ):
        assert subscribe(url)[0].pk
    with pytest.raises(ValidationError):
        subscribe("https://hooks.bund.example:9101/in")


@pytest.mark.django_db
def test_a_change_to_another_port_is_refused(production_ports):
    subscription, _ = subscribe("https://hooks.bund.example/in")
    with pytest.raises(ValidationError) as info:
        webhook_subscription_update(
            subscription=subscription, values={"url": "https://hooks.bund.example:25/in"}
        )
    assert "url" in info.value.message_dict
    subscription.refresh_from_db()
    assert subscription.url == "https://hooks.bund.example/in"


@pytest.mark.django_db
def test_a_partner_is_told_in_a_problem_document(production_ports):
    _, key = api_key_issue(partner=make_partner("DE"), name="DE system")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    body = {"url": "https://hooks.bund.example:3306/in", "event_types": ["law.*"]}
    response = client.post("/api/v1/webhooks/", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "port 443 or 80 only, not 3306" in response.json()["errors"]["url"][0]
    created = client.post(
        "/api/v1/webhooks/", {**body, "url": "https://hooks.bund.example/in"}, format="json"
    )
    assert created.status_code == 201, created.content
    changed = client.patch(
        f"/api/v1/webhooks/{created.json()['id']}/",
        {"url": "https://hooks.bund.example:8080/in"},
        format="json",
    )
    assert changed.status_code == 400
    assert "url" in changed.json()["errors"]


def test_a_refused_address_is_described_without_the_address():
    problem = ssrf.address_problem(ssrf.ipaddress.ip_address("10.1.2.3"), allow_private=False)
    assert problem == "a private or non-routable address"
    assert "10.1.2.3" not in problem


def test_a_malformed_setting_is_a_configuration_error(settings):
    settings.WEBHOOKS_ALLOWED_PORTS = ["443", "https"]
    with pytest.raises(ImproperlyConfigured, match="WEBHOOKS_ALLOWED_PORTS"):
        ssrf.port_problem(8443)
