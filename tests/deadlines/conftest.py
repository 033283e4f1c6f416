import pytest

from tests.api.conftest import _fresh_throttle_counters, client_for_key  # noqa: F401
from tracker.services.api_keys import api_key_issue


@pytest.fixture
def api_client_for(db):
    clients = {}

    def client(partner):
        if partner.pk not in clients:
            _, key = api_key_issue(partner=partner, name=f"{partner.code} system")
            clients[partner.pk] = client_for_key(key)
        return clients[partner.pk]

    return client
