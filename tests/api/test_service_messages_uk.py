"""The messages the services write (refused transitions, vote thresholds, bad sources) reach
API clients in Ukrainian with `Accept-Language: uk`, and stay English otherwise."""

import re

import pytest

from tests.factories import make_law, move
from tracker.models import Visibility

CYRILLIC = re.compile("[\u0400-\u04ff]")
UK = {"HTTP_ACCEPT_LANGUAGE": "uk"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def law(germany):
    return make_law(partners=[germany], visibility=Visibility.PUBLIC)


def _url(law):
    return f"/api/v1/laws/{law.pk}/transitions/"


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def _message(errors, field: str) -> str:
    value = errors[field]
    return value[0] if isinstance(value, list) else value


@pytest.mark.django_db
def test_refused_transition_is_explained_in_ukrainian(editor_client, law):
    body = _problem(editor_client.post(_url(law), {"to": "in_force"}, format="json", **UK), 409)
    assert CYRILLIC.search(body["title"]), body
    assert body["detail"].startswith(
        "Запис типу law не може перейти зі статусу «drafting» до «in_force». "
        "Дозволені наступні статуси: stakeholder_review, "
    ), body
    law.refresh_from_db()
    assert law.status == "drafting"


@pytest.mark.django_db
def test_refused_transition_stays_english_by_default(editor_client, law):
    body = _problem(editor_client.post(_url(law), {"to": "in_force"}, format="json", **EN), 409)
    assert body["detail"].startswith(
        "A law cannot move from 'drafting' to 'in_force'. "
        "Allowed next statuses: stakeholder_review, "
    ), body
    assert not CYRILLIC.search(body["detail"] + body["title"]), body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            UK,
            "Для ухвалення потрібно щонайменше 226 голосів «за»; вказано 200. "
            "Голосування нижче порогу не вдалося",
        ),
        (
            EN,
            "Adoption needs at least 226 votes for; 200 were given. "
            "A vote below its threshold failed",
        ),
    ],
)
def test_adoption_below_the_threshold(editor_client, law, headers, expected):
    move(law, "registered", "in_committee", "first_reading")
    response = editor_client.post(
        _url(law), {"to": "adopted_as_whole", "votes_for": 200}, format="json", **headers
    )
    body = _problem(response, 400)
    assert _message(body["errors"], "votes_for").startswith(expected), body
    law.refresh_from_db()
    assert law.status == "first_reading"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (UK, "Укажіть джерело як повне посилання http(s)."),
        (EN, "Give the source as a full http(s) link."),
    ],
)
def test_bad_source_url(editor_client, law, headers, expected):
    response = editor_client.post(
        _url(law),
        {"to": "registered", "source_url": "ftp://example.org/bill.pdf"},
        format="json",
        **headers,
    )
    body = _problem(response, 400)
    assert _message(body["errors"], "source_url") == expected, body
    assert bool(CYRILLIC.search(body["title"])) == (headers is UK), body
    law.refresh_from_db()
    assert law.status == "drafting"
