"""Rendered read pages are answered again until anything changes, and only to the same scope."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_law, move
from tracker.models import Visibility
from tracker.services.records import record_archive, record_update


def _get(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    return response, len(queries)


@pytest.fixture
def laws(germany, france):
    return {
        "public": make_law(visibility=Visibility.PUBLIC),
        "de": make_law(visibility=Visibility.RESTRICTED, partners=[germany]),
        "fr": make_law(visibility=Visibility.RESTRICTED, partners=[france]),
    }


def _ids(response):
    return {item["id"] for item in response.json()["results"]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/api/v1/laws/", "/api/v1/events/?after=0&limit=50", "/api/v1/partners/"]
)
def test_a_repeated_read_costs_one_statement_and_answers_the_same_bytes(laws, de_client, url):
    first, first_queries = _get(de_client, url)
    again, again_queries = _get(de_client, url)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    assert first_queries > 1
    assert again_queries == 1  # the key lookup, which also reads the data version


@pytest.mark.django_db
def test_a_detail_and_its_history_are_cached_too(laws, de_client):
    law = move(laws["de"], "registered")
    for url in (f"/api/v1/laws/{law.pk}/", f"/api/v1/laws/{law.pk}/history/"):
        first, _ = _get(de_client, url)
        again, queries = _get(de_client, url)
        assert again.content == first.content
        assert queries == 1


@pytest.mark.django_db
def test_partners_never_get_each_others_pages(laws, de_client, fr_client, anon):
    # Same URL, asked first by Germany: France and the public must get their own answers.
    de = de_client.get("/api/v1/laws/")
    fr = fr_client.get("/api/v1/laws/")
    public = anon.get("/api/v1/laws/")
    assert _ids(de) == {laws["public"].pk, laws["de"].pk}
    assert _ids(fr) == {laws["public"].pk, laws["fr"].pk}
    assert _ids(public) == {laws["public"].pk}
    # And the other way round, now that all three are cached.
    assert _ids(fr_client.get("/api/v1/laws/")) == {laws["public"].pk, laws["fr"].pk}
    assert fr_client.get(f"/api/v1/laws/{laws['de'].pk}/").status_code == 404
    de_client.get(f"/api/v1/laws/{laws['de'].pk}/")
    assert fr_client.get(f"/api/v1/laws/{laws['de'].pk}/").status_code == 404
    assert anon.get(f"/api/v1/laws/{laws['de'].pk}/").status_code == 404


@pytest.mark.django_db
def test_a_status_change_is_seen_on_the_next_read(laws, de_client):
    law = laws["de"]
    url = f"/api/v1/laws/{law.pk}/"
    assert de_client.get(url).json()["status"] == "drafting"
    feed = de_client.get("/api/v1/events/?after=0").json()
    move(law, "registered")
    assert de_client.get(url).json()["status"] == "registered"
    newer = de_client.get("/api/v1/events/?after=0").json()
    assert newer["last_id"] > feed["last_id"]
    assert newer["results"][-1]["type"] == "law.status_changed"


@pytest.mark.django_db
def test_taking_a_partner_off_a_record_hides_it_at_once(laws, de_client, editor, france):
    law = laws["de"]
    assert de_client.get(f"/api/v1/laws/{law.pk}/").status_code == 200
    assert law.pk in _ids(de_client.get("/api/v1/laws/"))
    record_update(record=law, values={"partners": [france]}, actor=editor)
    assert de_client.get(f"/api/v1/laws/{law.pk}/").status_code == 404
    assert law.pk not in _ids(de_client.get("/api/v1/laws/"))


@pytest.mark.django_db
def test_archiving_hides_a_cached_record(laws, anon, editor):
    law = laws["public"]
    assert anon.get(f"/api/v1/laws/{law.pk}/").status_code == 200
    record_archive(record=law, actor=editor)
    assert anon.get(f"/api/v1/laws/{law.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_revoked_key_is_refused_even_for_a_cached_page(laws, germany):
    from tests.api.conftest import client_for_key
    from tracker.services.api_keys import api_key_issue, api_key_revoke

    api_key, key = api_key_issue(partner=germany, name="soon revoked")
    client = client_for_key(key)
    assert client.get("/api/v1/laws/").status_code == 200
    api_key_revoke(api_key=api_key)
    assert client.get("/api/v1/laws/").status_code == 401


@pytest.mark.django_db
def test_staff_reads_are_never_cached(laws, editor_client):
    url = f"/api/v1/laws/{laws['public'].pk}/"
    editor_client.get("/api/v1/partners/")  # the session's first use
    _, first = _get(editor_client, url)
    _, again = _get(editor_client, url)
    assert again == first > 2


@pytest.mark.django_db
def test_language_and_host_are_part_of_the_key(laws, de_client, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "api.example.org"]
    url = f"/api/v1/laws/{laws['public'].pk}/"
    english = de_client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    ukrainian = de_client.get(url, HTTP_ACCEPT_LANGUAGE="uk").json()
    assert english["status_label"] != ukrainian["status_label"]
    assert de_client.get(url, HTTP_ACCEPT_LANGUAGE="en").json() == english
    other_host = de_client.get(url, HTTP_ACCEPT_LANGUAGE="en", HTTP_HOST="api.example.org")
    assert other_host.json()["url"].startswith("http://api.example.org/")


@pytest.mark.django_db
def test_a_cached_page_still_answers_304(laws, de_client):
    etag = de_client.get("/api/v1/laws/")["ETag"]
    response, queries = _get(de_client, "/api/v1/laws/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert queries == 1


@pytest.mark.django_db
def test_zero_seconds_turns_the_cache_off(laws, de_client, settings):
    settings.API_RESPONSE_CACHE_SECONDS = 0
    de_client.get("/api/v1/partners/")  # the key's first use is stamped once
    _, first = _get(de_client, "/api/v1/laws/")
    _, again = _get(de_client, "/api/v1/laws/")
    assert again == first > 1


@pytest.mark.django_db
def test_errors_are_not_cached(laws, de_client):
    missing = "/api/v1/laws/999999/"
    assert de_client.get(missing).status_code == 404
    response, queries = _get(de_client, missing)
    assert response.status_code == 404
    assert queries > 1


@pytest.mark.django_db
def test_big_pages_are_not_kept(laws, de_client, settings):
    settings.API_RESPONSE_CACHE_MAX_BYTES = 100
    de_client.get("/api/v1/partners/")  # the key's first use is stamped once
    first, first_queries = _get(de_client, "/api/v1/laws/")
    again, again_queries = _get(de_client, "/api/v1/laws/")
    assert len(first.content) > 100
    assert again.content == first.content
    assert again_queries == first_queries > 1
