import datetime

import pytest

from tests.factories import make_facility, make_law, make_user, move
from tracker.models import Event, StatusChange, Visibility


@pytest.fixture
def law(germany):
    return make_law(partners=[germany], visibility=Visibility.PUBLIC)


def _url(law):
    return f"/api/v1/laws/{law.pk}/transitions/"


@pytest.mark.django_db
def test_editor_records_a_transition_and_gets_the_new_state(editor_client, law):
    response = editor_client.post(
        _url(law),
        {
            "to": "registered",
            "occurred_on": datetime.date.today().isoformat(),
            "note": "Registered as No. 13302",
            "source_url": "https://itd.rada.gov.ua/billInfo/Bills/Card/13302",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "registered"
    assert body["status_label"] == "Registered in the Rada"
    law.refresh_from_db()
    assert law.status == "registered"
    change = StatusChange.objects.get(record_id=law.pk)
    assert change.note == "Registered as No. 13302"
    assert Event.objects.filter(type="law.status_changed", record_id=law.pk).count() == 1
    history = editor_client.get(f"/api/v1/laws/{law.pk}/history/").json()
    assert [(h["from_status"], h["to_status"]) for h in history] == [("drafting", "registered")]


@pytest.mark.django_db
def test_not_allowed_transition_is_409_with_allowed_targets(editor_client, law):
    response = editor_client.post(_url(law), {"to": "in_force"}, format="json")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 409
    assert body["allowed"] == [
        "stakeholder_review",
        "cabinet_approved",
        "registered",
        "withdrawn",
        "removed",
        "lapsed",
    ]
    law.refresh_from_db()
    assert law.status == "drafting"


@pytest.mark.django_db
def test_record_changed_meanwhile_is_409(editor_client, law):
    move(law, "registered")
    response = editor_client.post(
        _url(law), {"to": "registered", "expected_status": "drafting"}, format="json"
    )
    assert response.status_code == 409
    assert "changed meanwhile" in response.json()["detail"]
    assert response.json()["current_status"] == "registered"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": "not-a-status"}, "to"),
        ({}, "to"),
        ({"to": "registered", "occurred_on": "2999-01-01"}, "occurred_on"),
        ({"to": "registered", "occurred_on": "yesterday"}, "occurred_on"),
        ({"to": "registered", "source_url": "not a link"}, "source_url"),
        ({"to": "registered", "votes_for": 300}, "votes_for"),  # not a vote
        ({"to": "registered", "status": "in_force"}, "status"),  # unknown, not applied
        ({"to": "registered", "id": 5}, "id"),
    ],
)
def test_bad_input_is_400_naming_the_field(editor_client, law, body, field):
    response = editor_client.post(_url(law), body, format="json")
    assert response.status_code == 400, response.content
    problem = response.json()
    assert problem["type"].endswith("validation-error")
    assert field in problem["errors"]
    law.refresh_from_db()
    assert law.status == "drafting"


@pytest.mark.django_db
def test_malformed_json_is_400(editor_client, law):
    response = editor_client.post(_url(law), "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_partner_cannot_record_a_transition(de_client, law):
    response = de_client.post(_url(law), {"to": "registered"}, format="json")
    assert response.status_code == 403
    law.refresh_from_db()
    assert law.status == "drafting"
    assert de_client.get(_url(law)).json() == []


@pytest.mark.django_db
def test_partner_gets_404_not_403_for_a_record_it_may_not_see(de_client, france):
    hidden = make_law(partners=[france], visibility=Visibility.RESTRICTED)
    response = de_client.post(_url(hidden), {"to": "registered"}, format="json")
    assert response.status_code == 404


@pytest.mark.django_db
def test_anonymous_cannot_record_a_transition(anon, law):
    response = anon.post(_url(law), {"to": "registered"}, format="json")
    assert response.status_code == 401
    assert anon.get(_url(law)).json() == []


@pytest.mark.django_db
def test_staff_without_transition_permission_gets_403_and_no_targets(viewer_client, law):
    assert viewer_client.get(_url(law)).json() == []
    response = viewer_client.post(_url(law), {"to": "registered"}, format="json")
    assert response.status_code == 403


@pytest.mark.django_db
def test_editor_sees_allowed_targets_with_labels(editor_client):
    facility = make_facility()
    body = editor_client.get(f"/api/v1/facilities/{facility.pk}/transitions/").json()
    assert body == [
        {"to": "agreement_signed", "label": "Agreement signed"},
        {"to": "financed", "label": "Financed"},
        {"to": "cancelled", "label": "Cancelled"},
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_records_cannot_be_written_through_the_api(de_client, editor_client, law, method):
    facility = make_facility()
    for client in (de_client, editor_client):
        response = getattr(client, method)(f"/api/v1/facilities/{facility.pk}/", {"name_en": "x"})
        assert response.status_code == 405
        assert "GET" in response["Allow"]
    if method != "patch":  # staff PATCH a law's identifiers (tests/api/test_laws.py)
        response = getattr(editor_client, method)(f"/api/v1/laws/{law.pk}/", {"title_en": "x"})
        assert response.status_code == 405
    response = de_client.post("/api/v1/laws/", {"title_en": "x"}, format="json")
    assert response.status_code == 405


@pytest.mark.django_db
def test_session_writes_need_csrf(editor, law):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(_url(law), {"to": "registered"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


@pytest.mark.django_db
def test_superuser_may_transition_any_record(law):
    from rest_framework.test import APIClient

    root = make_user(username="root2", is_superuser=True, is_staff=True)
    client = APIClient()
    client.force_login(root)
    response = client.post(_url(law), {"to": "stakeholder_review"}, format="json")
    assert response.status_code == 201
