import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tracker.api import throttling
from tracker.services.api_keys import api_key_issue


def _clear_throttle_counters():
    cache.clear()
    client = throttling._redis()
    if client is not None:
        for key in client.scan_iter("tracker:throttle_*"):
            client.delete(key)


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    _clear_throttle_counters()
    yield
    _clear_throttle_counters()


@pytest.fixture
def anon():
    return APIClient()


def client_for_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def de_client(germany):
    _, key = api_key_issue(partner=germany, name="DE system")
    return client_for_key(key)


@pytest.fixture
def fr_client(france):
    _, key = api_key_issue(partner=france, name="FR system")
    return client_for_key(key)


@pytest.fixture
def editor_client(editor):
    client = APIClient()
    client.force_login(editor)
    return client


@pytest.fixture
def viewer_client(viewer_user):
    client = APIClient()
    client.force_login(viewer_user)
    return client
