import pytest
from django.core.cache import cache

from tracker.api import throttling


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    client = throttling._redis()
    if client is not None:
        for key in client.scan_iter("tracker:throttle_*"):
            client.delete(key)
    yield
    cache.clear()
