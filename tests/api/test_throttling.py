"""The rate limit slides: no double burst at a window's edge, an honest Retry-After, and a
limiter that cannot take the API down with it. Counters are in Redis when REDIS_URL is set."""

import pytest
from django.conf import settings
from django.test import override_settings

from tests.factories import make_law
from tracker.api import throttling

MINUTE = 60.0
START = 1_000_000 * MINUTE  # the start of a window


@pytest.fixture
def clock(monkeypatch):
    now = [START + 1]
    monkeypatch.setattr(throttling.SlidingWindowThrottle, "timer", staticmethod(lambda: now[0]))
    return now


@pytest.fixture
def three_a_minute():
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "partner": "3/min"}
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ):
        yield


def _status(client):
    return client.get("/api/v1/partners/").status_code


@pytest.mark.django_db
def test_retry_after_is_when_the_next_request_is_let_through(de_client, clock, three_a_minute):
    assert [_status(de_client) for _ in range(3)] == [200, 200, 200]
    refused = de_client.get("/api/v1/partners/")
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    assert 60 < wait < 90  # three in this window: the next fits once it has slid a third out
    clock[0] += wait - 5
    assert _status(de_client) == 429
    clock[0] += 5
    assert _status(de_client) == 200


@pytest.mark.django_db
def test_refused_requests_do_not_use_up_the_budget(de_client, clock, three_a_minute):
    for _ in range(3):
        _status(de_client)
    wait = int(de_client.get("/api/v1/partners/")["Retry-After"])
    assert [_status(de_client) for _ in range(20)] == [429] * 20
    clock[0] += wait
    assert _status(de_client) == 200


@pytest.mark.django_db
def test_no_second_burst_right_after_the_window_turns(de_client, clock, three_a_minute):
    clock[0] = START + MINUTE - 1  # the last second of a window
    assert [_status(de_client) for _ in range(3)] == [200, 200, 200]
    clock[0] = START + MINUTE + 1  # two seconds later, in the next window
    # A fixed window would allow three more here; the sliding one allows what has slid out.
    assert [_status(de_client) for _ in range(3)] == [429, 429, 429]
    clock[0] = START + MINUTE + 21  # a third of the earlier three has slid out
    assert [_status(de_client) for _ in range(3)] == [200, 429, 429]


@pytest.mark.django_db
def test_each_key_is_counted_apart(de_client, fr_client, clock, three_a_minute):
    assert [_status(de_client) for _ in range(4)] == [200, 200, 200, 429]
    assert [_status(fr_client) for _ in range(3)] == [200, 200, 200]


@pytest.mark.django_db
def test_requests_pass_when_the_counter_store_is_down(de_client, three_a_minute, caplog):
    make_law()
    throttling._redis.cache_clear()
    try:
        with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):  # nothing listens there
            assert [_status(de_client) for _ in range(5)] == [200] * 5
    finally:
        throttling._redis.cache_clear()
    assert "Rate limit not checked" in caplog.text


def _standing(response) -> tuple[str, str]:
    return response["RateLimit-Policy"], response["RateLimit"]


@pytest.mark.django_db
def test_responses_say_where_the_caller_stands(de_client, clock, three_a_minute):
    make_law()
    answers = [de_client.get("/api/v1/laws/") for _ in range(3)]
    assert [_standing(r) for r in answers] == [
        ('"partner";q=3;w=60', f'"partner";r={remaining};t=59') for remaining in (2, 1, 0)
    ]
    refused = de_client.get("/api/v1/laws/")
    assert refused.status_code == 429
    assert _standing(refused) == ('"partner";q=3;w=60', f'"partner";r=0;t={refused["Retry-After"]}')


@pytest.mark.django_db
def test_the_fields_follow_the_sliding_window(de_client, clock, three_a_minute):
    clock[0] = START + MINUTE - 1
    for _ in range(3):
        de_client.get("/api/v1/partners/")
    clock[0] = START + MINUTE + 41  # 19/60 of the earlier window still weighs: 0.95 requests
    response = de_client.get("/api/v1/partners/")
    assert response.status_code == 200
    assert response["RateLimit"] == '"partner";r=1;t=19'  # 3 - 0.95 - 1 leaves 1.05


@pytest.mark.django_db
def test_cached_pages_304s_and_every_scope_carry_the_fields(de_client, anon, editor_client):
    make_law()
    first = de_client.get("/api/v1/laws/")
    again = de_client.get("/api/v1/laws/")  # from the response cache
    not_modified = de_client.get("/api/v1/laws/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert not_modified.status_code == 304
    limit = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["partner"].split("/")[0]
    assert [r["RateLimit"].split(";")[1] for r in (first, again, not_modified)] == [
        f"r={int(limit) - n}" for n in (1, 2, 3)
    ]
    assert de_client.get("/api/v1/webhooks/")["RateLimit-Policy"].startswith('"partner";')
    assert anon.get("/api/v1/laws/")["RateLimit-Policy"].startswith('"anon";')
    assert editor_client.get("/api/v1/laws/")["RateLimit-Policy"].startswith('"staff";')


@pytest.mark.django_db
def test_no_fields_when_the_counter_store_is_down(de_client, three_a_minute, monkeypatch):
    def unreachable(*args):
        raise ConnectionError("the counter store is down")

    monkeypatch.setattr(throttling.SlidingWindowThrottle, "_count", unreachable)
    response = de_client.get("/api/v1/partners/")
    assert response.status_code == 200
    assert "RateLimit" not in response and "RateLimit-Policy" not in response
