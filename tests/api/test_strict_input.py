"""Staff write bodies take JSON types as they are: "300" is not a vote count, 1 not true.

The subscription endpoints already refuse such values; the staff endpoints (transitions,
procedural events, corrections, a bill's identifiers and sub-resources) do the same, and a
refused body changes nothing.
"""

import pytest

from tests.factories import make_law, move
from tracker.models import DraftLaw, ProceduralEvent, StatusChange


@pytest.fixture
def law(db):
    law = make_law()
    move(law, "registered", "in_committee", "first_reading")
    return law


def _refused(response, field: str) -> None:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert list(response.json()["errors"]) == [field]


FIRST_READING_VOTE = {"to": "adopted_in_principle", "votes_against": 10, "abstained": 5}


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["votes_for", "votes_against", "abstained", "not_voting"])
@pytest.mark.parametrize("value", ["300", "3e2", 300.0, 300.5, True, [300], {"n": 300}])
def test_vote_counts_of_a_transition_are_integers(editor_client, law, field, value):
    body = {**FIRST_READING_VOTE, "votes_for": 300, field: value}
    response = editor_client.post(f"/api/v1/laws/{law.pk}/transitions/", body, format="json")
    _refused(response, field)
    law.refresh_from_db()
    assert law.status == "first_reading"


@pytest.mark.django_db
def test_the_same_transition_with_integers_is_recorded(editor_client, law):
    body = {**FIRST_READING_VOTE, "votes_for": 300}
    response = editor_client.post(f"/api/v1/laws/{law.pk}/transitions/", body, format="json")
    assert response.status_code == 201, response.content
    assert StatusChange.objects.get(to_status="adopted_in_principle").votes_for == 300


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": "adopted_in_principle", "reopening": "false"}, "reopening"),
        ({"to": "adopted_in_principle", "reopening": 0}, "reopening"),
        ({"to": "adopted_in_principle", "after_step": "1"}, "after_step"),
        ({"to": "adopted_in_principle", "note": 42}, "note"),
        ({"to": "adopted_in_principle", "present": "400"}, "present"),
    ],
)
def test_other_transition_fields_are_typed_too(editor_client, law, body, field):
    response = editor_client.post(f"/api/v1/laws/{law.pk}/transitions/", body, format="json")
    _refused(response, field)


@pytest.mark.django_db
def test_procedural_event_votes_are_integers(editor_client, law):
    url = f"/api/v1/laws/{law.pk}/procedural-events/"
    body = {"kind": "failed_vote", "votes_for": "150", "votes_against": 100}
    _refused(editor_client.post(url, body, format="json"), "votes_for")
    _refused(
        editor_client.post(url, {**body, "votes_for": 150, "title": 7}, format="json"), "title"
    )
    assert not ProceduralEvent.objects.exists()
    assert editor_client.post(url, {**body, "votes_for": 150}, format="json").status_code == 201


@pytest.mark.django_db
def test_correction_votes_are_integers(editor_client, law):
    step = StatusChange.objects.filter(to_status="first_reading").get()
    url = f"/api/v1/laws/{law.pk}/history/status_change/{step.pk}/correct/"
    body = {"reason": "The count was misread.", "votes_for": "260"}
    _refused(editor_client.post(url, body, format="json"), "votes_for")
    step.refresh_from_db()
    assert step.is_active


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"convocation": "9"}, "convocation"),
        ({"convocation": 9.0}, "convocation"),
        ({"is_urgent": "true"}, "is_urgent"),
        ({"shortened_procedure": 1}, "shortened_procedure"),
        ({"needs_constitutional_majority": "yes"}, "needs_constitutional_majority"),
        ({"registration_number": 1234}, "registration_number"),
    ],
)
def test_a_bills_identifiers_are_typed(editor_client, law, body, field):
    _refused(editor_client.patch(f"/api/v1/laws/{law.pk}/", body, format="json"), field)
    assert DraftLaw.objects.get(pk=law.pk).convocation == law.convocation


@pytest.mark.django_db
def test_a_bills_sub_resources_are_typed(editor_client, law):
    other = make_law()
    base = f"/api/v1/laws/{law.pk}"
    relation = {"kind": "package_with", "other": str(other.pk)}
    _refused(editor_client.post(f"{base}/relations/", relation, format="json"), "other")
    _refused(
        editor_client.post(f"{base}/registration-numbers/", {"number": 1234}, format="json"),
        "number",
    )
    _refused(editor_client.post(f"{base}/committees/", {"name": 5}, format="json"), "name")
    entry = {"on": "2025-01-01", "condition": 1}
    _refused(editor_client.post(f"{base}/entries-into-force/", entry, format="json"), "condition")
    relation["other"] = other.pk
    assert editor_client.post(f"{base}/relations/", relation, format="json").status_code == 201
