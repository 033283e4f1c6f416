"""Fixtures for the operations tests: a heartbeat store of the test's own, metric samples."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from tracker.ops import heartbeat


@pytest.fixture(autouse=True)
def heartbeat_store(tmp_path, settings):
    """Each test starts with no heartbeat: in a file of its own, or with the Redis key gone."""
    settings.OPS_HEARTBEAT_FILE = tmp_path / "worker-heartbeat"
    if settings.REDIS_URL:
        heartbeat._redis(settings.REDIS_URL).delete(heartbeat.KEY)
    yield
    if settings.REDIS_URL:
        heartbeat._redis(settings.REDIS_URL).delete(heartbeat.KEY)


def sample(name: str, **labels: str) -> float:
    """This process's current value of a metric sample (0 if never observed)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


# Tests that commit, so that other processes see their rows (as tests/notifications does).
committing = pytest.mark.django_db(transaction=True, serialized_rollback=True)
TOKEN = "ops-test-token"


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []


@pytest.fixture
def receiver():
    """A partner's webhook endpoint on loopback."""
    from tests.notifications.receiver import Receiver, serve

    recv = Receiver()
    server = serve(recv)
    yield recv
    server.shutdown()
    server.server_close()


def scrape(client) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics, by name and sorted labels."""
    from prometheus_client.parser import text_string_to_metric_families

    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.content.decode())
        for s in family.samples
    }
