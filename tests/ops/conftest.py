"""Fixtures for the operations tests: a heartbeat store of the test's own, metric samples."""

from __future__ import annotations

import pytest
from django.conf import settings
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


__all__ = ["sample", "settings"]
