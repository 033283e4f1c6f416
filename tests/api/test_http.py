"""The HTTP contract: one problem shape for errors, ETags, throttling, pagination limits."""

import datetime

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from tests.factories import make_law
from tracker.models import Visibility

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def _assert_problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    return body


@pytest.mark.django_db
def test_errors_are_problem_documents(anon, de_client):
    law = make_law()
    _assert_problem(anon.get("/api/v1/laws/999999/"), 404)
    _assert_problem(anon.get("/api/v1/laws/99999999999999999999999/"), 404)
    _assert_problem(anon.get("/api/v1/no-such-thing/"), 404)
    _assert_problem(anon.delete(f"/api/v1/laws/{law.pk}/"), 405)
    _assert_problem(anon.options("/api/v1/laws/"), 405)
    _assert_problem(anon.get("/api/v1/laws/", {"status": "bogus"}), 400)
    _assert_problem(anon.get("/api/v1/laws/", {"ordering": "internal_notes"}), 400)
    _assert_problem(anon.get("/api/v1/laws/", {"page_size": 0}), 400)
    _assert_problem(anon.get("/api/v1/laws/", {"page_size": 101}), 400)
    _assert_problem(anon.get("/api/v1/laws/", {"cursor": "garbage"}), 400)
    _assert_problem(anon.get("/api/v1/events/", {"after": -1}), 400)
    _assert_problem(anon.get("/api/v1/events/", {"limit": 100000}), 400)
    _assert_problem(anon.get("/api/v1/laws/", HTTP_ACCEPT="text/html"), 406)


@pytest.mark.django_db
def test_unexpected_failure_is_a_500_problem(monkeypatch):
    from tracker import selectors

    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(selectors, "listed_records", boom)
    client = APIClient(raise_request_exception=False)
    body = _assert_problem(client.get("/api/v1/laws/"), 500)
    assert "simulated" not in body["detail"]


@pytest.mark.django_db
def test_etag_and_if_none_match(anon, de_client, germany):
    make_law(visibility=Visibility.PUBLIC)
    make_law(partners=[germany], visibility=Visibility.RESTRICTED)
    first = anon.get("/api/v1/laws/")
    etag = first["ETag"]
    assert etag
    assert anon.get("/api/v1/laws/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    # Another caller sees another list under the same URL: another tag.
    assert de_client.get("/api/v1/laws/")["ETag"] != etag
    assert de_client.get("/api/v1/laws/", HTTP_IF_NONE_MATCH=etag).status_code == 200
    # A change makes the old tag stale.
    make_law(visibility=Visibility.PUBLIC)
    assert anon.get("/api/v1/laws/", HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.django_db
def test_if_none_match_compares_weakly(anon, de_client, germany):
    law = make_law(partners=[germany], visibility=Visibility.RESTRICTED)
    for client, url in ((anon, "/api/v1/laws/"), (de_client, f"/api/v1/laws/{law.pk}/")):
        etag = client.get(url)["ETag"]
        assert etag.startswith('"')
        weak = client.get(url, HTTP_IF_NONE_MATCH=f"W/{etag}")
        assert weak.status_code == 304
        assert weak["ETag"] == etag
        listed = client.get(url, HTTP_IF_NONE_MATCH=f'W/"other", W/{etag}')
        assert listed.status_code == 304
        assert client.get(url, HTTP_IF_NONE_MATCH="*").status_code == 304
        assert client.get(url, HTTP_IF_NONE_MATCH='W/"other"').status_code == 200


@pytest.mark.django_db
def test_a_failed_if_match_is_a_412_problem(anon):
    make_law(visibility=Visibility.PUBLIC)
    etag = anon.get("/api/v1/laws/")["ETag"]
    assert anon.get("/api/v1/laws/", HTTP_IF_MATCH=etag).status_code == 200
    body = _assert_problem(anon.get("/api/v1/laws/", HTTP_IF_MATCH='"other"'), 412)
    assert "If-Match" in body["detail"]


@pytest.mark.django_db
def test_detail_etag(anon):
    law = make_law()
    response = anon.get(f"/api/v1/laws/{law.pk}/")
    again = anon.get(f"/api/v1/laws/{law.pk}/", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == response["ETag"]
    assert "Authorization" in response["Vary"]


def _rates(**rates):
    return override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                **rates,
            },
        }
    )


@pytest.mark.django_db
def test_anonymous_callers_are_throttled_with_retry_after(anon):
    with _rates(anon="3/min"):
        for _ in range(3):
            assert anon.get("/api/v1/laws/").status_code == 200
        response = anon.get("/api/v1/laws/")
    body = _assert_problem(response, 429)
    assert int(response["Retry-After"]) > 0
    assert body["type"].endswith("throttled")


@pytest.mark.django_db
def test_each_key_has_its_own_budget(de_client, fr_client):
    with _rates(partner="2/min"):
        assert de_client.get("/api/v1/laws/").status_code == 200
        assert de_client.get("/api/v1/laws/").status_code == 200
        assert de_client.get("/api/v1/laws/").status_code == 429
        assert fr_client.get("/api/v1/laws/").status_code == 200


@pytest.mark.django_db
def test_cursor_pagination_walks_every_record_once(anon):
    laws = {make_law().pk for _ in range(7)}
    seen = []
    url = "/api/v1/laws/?page_size=3"
    while url:
        body = anon.get(url).json()
        assert len(body["results"]) <= 3
        seen += [item["id"] for item in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(laws)


def _links(response) -> dict[str, str]:
    """rel -> URL of an RFC 8288 Link header."""
    links = {}
    for value in filter(None, response.get("Link", "").split(", ")):
        url, rel = value.split("; ")
        assert url.startswith("<") and url.endswith(">") and rel.startswith("rel=")
        links[rel[4:].strip('"')] = url[1:-1]
    return links


@pytest.mark.django_db
@pytest.mark.parametrize("cached", [True, False])
def test_pages_link_to_each_other_in_a_link_header(anon, settings, cached):
    settings.API_RESPONSE_CACHE_SECONDS = 300 if cached else 0
    laws = {make_law(visibility=Visibility.PUBLIC).pk for _ in range(7)}
    seen, url, pages = [], "/api/v1/laws/?page_size=3", []
    while url:
        response = anon.get(url)
        body, links = response.json(), _links(response)
        assert links.get("next") == body["next"]
        assert links.get("prev") == body["previous"]
        pages.append(response)
        seen += [item["id"] for item in body["results"]]
        url = links.get("next")
    assert sorted(seen) == sorted(laws)
    assert len(pages) == 3
    assert set(_links(pages[1])) == {"next", "prev"}
    # Walking back by the header ends on the first page, which has no `prev`.
    back = anon.get(_links(pages[1])["prev"])
    assert [item["id"] for item in back.json()["results"]] == [
        item["id"] for item in pages[0].json()["results"]
    ]
    # The same page again (from the response cache when it is on) keeps its header.
    assert anon.get("/api/v1/laws/?page_size=3")["Link"] == pages[0]["Link"]
    assert "Link" not in anon.get("/api/v1/laws/?page_size=100")


@pytest.mark.django_db
@pytest.mark.parametrize("ordering", ["", "id", "-created_at", "title_en", "status"])
@pytest.mark.parametrize(
    "raw", ["p=abc", "p=2025-13-45", "o=5&r=1&p=%00x", "p=99999999999999999999999", "o=x"]
)
def test_a_cursor_this_api_did_not_give_is_a_400(anon, ordering, raw):
    import base64

    make_law(visibility=Visibility.PUBLIC)
    params = {"cursor": base64.b64encode(raw.encode()).decode()}
    if ordering:
        params["ordering"] = ordering
    response = anon.get("/api/v1/laws/", params)
    if ordering in ("title_en", "status") and "%00" not in raw and "o=x" not in raw:
        assert response.status_code == 200  # any text is a position in a text ordering
        return
    body = _assert_problem(response, 400)
    assert list(body["errors"]) == ["cursor"]


@pytest.mark.django_db
def test_filters_and_ordering(anon, germany, france):
    a = make_law(title_en="Drone production", title_uk="Виробництво дронів", partners=[germany])
    b = make_law(
        title_en="Ammunition",
        registration_number="13302",
        registration_date="2025-05-01",
        partners=[france],
        initiator="mps",
    )
    ids = lambda **p: [x["id"] for x in anon.get("/api/v1/laws/", p).json()["results"]]  # noqa: E731
    assert ids(q="drone") == [a.pk]
    assert ids(q="дронів") == [a.pk]
    assert ids(partner="fr") == [b.pk]
    assert sorted(ids(partner="DE,FR")) == sorted([a.pk, b.pk])
    assert ids(initiator="mps") == [b.pk]
    assert ids(registration_number="13302") == [b.pk]
    assert ids(ordering="title_en") == [b.pk, a.pk]
    assert ids(ordering="-title_en") == [a.pk, b.pk]
    assert ids(updated_after="2999-01-01T00:00:00Z") == []


@pytest.mark.django_db
@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "not-a-date"])
def test_dates_the_database_cannot_hold_are_a_400(anon, moment):
    response = anon.get("/api/v1/laws/", {"updated_after": moment})
    assert response.status_code == 400
    assert "updated_after" in response.json()["errors"]


@pytest.mark.django_db
def test_offsets_beyond_what_the_database_stores_are_normalised(anon):
    response = anon.get("/api/v1/laws/", {"updated_after": "0963-01-01T21:51:12.4-18:18"})
    assert response.status_code == 200


@pytest.mark.django_db
def test_updated_after_compares_instants_across_offsets(anon):
    law = make_law()
    stamp = law.updated_at.astimezone(datetime.timezone(datetime.timedelta(hours=-9)))
    earlier = (stamp - datetime.timedelta(seconds=1)).isoformat()
    response = anon.get("/api/v1/laws/", {"updated_after": earlier})
    assert [row["id"] for row in response.json()["results"]] == [law.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_unknown_api_paths_are_problem_documents(anon, settings, debug):
    settings.DEBUG = debug
    response = anon.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404
    # Without the slash: redirected to it first, as everywhere else.
    assert anon.get("/api/v1/laws").status_code == 301
