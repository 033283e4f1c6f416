"""/metrics: off unless enabled, refused without the token or from outside the allowlist;
request and rate-limit metrics move with requests."""

from __future__ import annotations

import random

import pytest
from prometheus_client.parser import text_string_to_metric_families

from .conftest import sample

TOKEN = "scrape-me-7d1c0a"


def scraped(response) -> dict[tuple[str, tuple], float]:
    text = response.content.decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
def with_token(settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []


def test_metrics_are_off_unless_enabled(client, db, settings):
    settings.METRICS_ENABLED = False
    settings.METRICS_TOKEN = TOKEN
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404


def test_metrics_are_refused_without_the_token_and_served_with_it(client, db, with_token):
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")
    assert b"tracker_" not in refused.content
    wrong = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"})
    assert wrong.status_code == 401

    served = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert served.status_code == 200
    assert served["Content-Type"].startswith("text/plain; version=")
    values = scraped(served)
    assert values[("tracker_deliveries_due", (("attempt", "first"),))] == 0
    assert values[("tracker_oldest_due_delivery_age_seconds", ())] == 0
    assert ("tracker_events_not_fanned_out", ()) in values


def test_metrics_are_served_only_to_allowed_addresses(client, db, settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1", "10.20.0.0/16"]
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200

    # Both guards set: both must pass.
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7", headers=auth).status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4", headers=auth).status_code == 200


def test_metrics_enabled_with_no_guard_let_nobody_in(client, db, settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


def test_requests_are_counted_by_route_and_status(client, db, with_token):
    route = "api:law-detail"
    before_404 = sample("tracker_http_requests_total", method="GET", route=route, status="404")
    before_timed = sample("tracker_http_request_duration_seconds_count", method="GET", route=route)
    for pk in (999_001, 999_002, 999_003):  # three paths, one route
        assert client.get(f"/api/v1/laws/{pk}/").status_code == 404

    served = scraped(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}))
    labels = (("method", "GET"), ("route", route), ("status", "404"))
    assert served[("tracker_http_requests_total", labels)] == before_404 + 3
    assert (
        served[
            ("tracker_http_request_duration_seconds_count", (("method", "GET"), ("route", route)))
        ]
        == before_timed + 3
    )
    assert not any("999001" in str(key) for key in served)


def test_rate_limit_refusals_are_counted(client, db, settings):
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], "anon": "2/min"}
    settings.REST_FRAMEWORK = rest
    address = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
    before = sample("tracker_rate_limit_refusals_total", scope="anon")
    statuses = [client.get("/api/v1/laws/", REMOTE_ADDR=address).status_code for _ in range(4)]
    assert statuses == [200, 200, 429, 429]
    assert sample("tracker_rate_limit_refusals_total", scope="anon") == before + 2
