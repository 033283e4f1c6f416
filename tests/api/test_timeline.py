"""A record's timeline through the API: dates as known, procedural events, votes,
corrections and retractions, staff and partners."""

import datetime

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_law, move
from tracker.models import Event, ProceduralEvent, StatusChange, Visibility

TODAY = datetime.date.today()


@pytest.fixture
def law(germany):
    return make_law(partners=[germany], visibility=Visibility.PARTNERS)


def _post(client, law, path, body):
    return client.post(f"/api/v1/laws/{law.pk}/{path}", body, format="json")


def _history(client, law):
    response = client.get(f"/api/v1/laws/{law.pk}/history/")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_month_and_unknown_dates_and_a_step_placed_late(editor_client, de_client, law):
    assert (
        _post(
            client=editor_client,
            law=law,
            path="transitions/",
            body={"to": "registered", "occurred_on": "2025-07"},
        ).status_code
        == 201
    )
    unknown = _post(editor_client, law, "transitions/", {"to": "in_committee", "occurred_on": None})
    assert unknown.status_code == 201, unknown.content
    today = _post(editor_client, law, "transitions/", {"to": "first_reading"})
    assert today.status_code == 201

    history = _history(de_client, law)
    assert [(h["to_status"], h["occurred_on"], h["date_precision"]) for h in history] == [
        ("registered", "2025-07", "month"),
        ("in_committee", None, "unknown"),
        ("first_reading", TODAY.isoformat(), "day"),
    ]
    assert "state" not in history[0] and "recorded_by" not in history[0]

    bad = _post(
        editor_client, law, "transitions/", {"to": "adopted_in_principle", "occurred_on": "2025-13"}
    )
    assert bad.status_code == 400 and "occurred_on" in bad.json()["errors"]
    clash = _post(
        editor_client,
        law,
        "transitions/",
        {"to": "adopted_in_principle", "occurred_on": "2025-07", "date_precision": "day"},
    )
    assert clash.status_code == 400 and "occurred_on" in clash.json()["errors"]


@pytest.mark.django_db
def test_adoption_below_226_is_refused_and_a_failed_vote_recorded(editor_client, de_client, law):
    move(law, "registered", "in_committee", "first_reading")
    refused = _post(
        editor_client,
        law,
        "transitions/",
        {"to": "adopted_as_whole", "votes_for": 100, "votes_against": 200},
    )
    assert refused.status_code == 400
    assert refused["Content-Type"] == "application/problem+json"
    message = refused.json()["errors"]["votes_for"][0]
    assert "at least 226" in message and "failed_vote" in message
    law.refresh_from_db()
    assert law.status == "first_reading"

    failed = _post(
        editor_client,
        law,
        "procedural-events/",
        {
            "kind": "failed_vote",
            "occurred_on": TODAY.isoformat(),
            "votes_for": 100,
            "votes_against": 200,
            "abstained": 20,
            "not_voting": 30,
            "present": 400,
            "source_url": "https://itd.rada.gov.ua/billInfo/Bills/Card/1",
        },
    )
    assert failed.status_code == 201, failed.content
    assert failed.json()["entry"] == "procedural_event"
    assert failed.json()["kind_label"] == "Failed vote"
    law.refresh_from_db()
    assert law.status == "first_reading"
    entries = _history(de_client, law)
    assert entries[-1]["entry"] == "procedural_event"
    assert (entries[-1]["votes_for"], entries[-1]["not_voting"], entries[-1]["present"]) == (
        100,
        30,
        400,
    )
    assert Event.objects.filter(type="law.procedural_event", record_id=law.pk).count() == 1

    too_many = _post(
        editor_client,
        law,
        "procedural-events/",
        {"kind": "failed_vote", "votes_for": 300, "votes_against": 200},
    )
    assert too_many.status_code == 400


@pytest.mark.django_db
def test_procedural_events_are_staff_writes(de_client, anon, viewer_client, law):
    body = {"kind": "committee_hearing", "title": "Hearing"}
    assert _post(de_client, law, "procedural-events/", body).status_code == 403
    assert _post(viewer_client, law, "procedural-events/", body).status_code == 403
    public = make_law(visibility=Visibility.PUBLIC)
    assert _post(anon, public, "procedural-events/", body).status_code == 401
    assert not ProceduralEvent.objects.exists()


@pytest.mark.django_db
def test_veto_with_override_needs_300(editor_client, law):
    move(
        law,
        "registered",
        "in_committee",
        "first_reading",
        "adopted_as_whole",
        "signed_by_speaker",
        "sent_to_president",
        "vetoed",
    )
    low = _post(editor_client, law, "transitions/", {"to": "veto_overridden", "votes_for": 250})
    assert low.status_code == 400 and "300" in low.json()["errors"]["votes_for"][0]
    for body in (
        {"to": "veto_overridden", "votes_for": 310, "votes_against": 50},
        {"to": "signed_by_speaker"},
        {"to": "sent_to_president"},
        {"to": "signed_by_president"},
    ):
        response = _post(editor_client, law, "transitions/", body)
        assert response.status_code == 201, (body, response.content)
    assert response.json()["status"] == "signed_by_president"


@pytest.mark.django_db
def test_correction_and_retraction_staff_see_both_partners_the_result(
    editor_client, de_client, fr_client, law
):
    move(law, "registered", "in_committee", start=TODAY - datetime.timedelta(days=10))
    registered, in_committee = StatusChange.objects.filter(record_id=law.pk).order_by("position")
    hearing = _post(editor_client, law, "procedural-events/", {"kind": "committee_hearing"}).json()

    corrected = _post(
        editor_client,
        law,
        f"history/status_change/{registered.pk}/correct/",
        {"reason": "The card gives the month only", "occurred_on": "2025-07", "note": "fixed"},
    )
    assert corrected.status_code == 201, corrected.content
    new = corrected.json()
    assert (new["corrects"], new["occurred_on"], new["state"]) == (
        registered.pk,
        "2025-07",
        "active",
    )

    again = _post(
        editor_client, law, f"history/status_change/{registered.pk}/correct/", {"reason": "x"}
    )
    assert again.status_code == 409 and "already corrected" in again.json()["detail"]

    retracted = _post(
        editor_client,
        law,
        f"history/procedural_event/{hearing['id']}/retract/",
        {"reason": "Recorded on the wrong bill"},
    )
    assert retracted.status_code == 200, retracted.content
    assert retracted.json()["entry"]["state"] == "retracted"
    assert retracted.json()["status"] == "in_committee"

    # Retracting the first step would leave in_committee straight after drafting.
    broken = _post(
        editor_client, law, f"history/status_change/{new['id']}/retract/", {"reason": "test"}
    )
    assert broken.status_code == 409 and broken.json()["allowed"]

    staff = _history(editor_client, law)
    assert {(e["entry"], e["id"], e["state"]) for e in staff} == {
        ("status_change", registered.pk, "corrected"),
        ("status_change", new["id"], "active"),
        ("status_change", in_committee.pk, "active"),
        ("procedural_event", hearing["id"], "retracted"),
    }
    by_id = {(e["entry"], e["id"]): e for e in staff}
    assert by_id[("status_change", new["id"])]["correction_reason"] == (
        "The card gives the month only"
    )
    assert by_id[("status_change", new["id"])]["recorded_by"] == "editor1"
    assert by_id[("procedural_event", hearing["id"])]["retraction_reason"] == (
        "Recorded on the wrong bill"
    )

    for client in (de_client, fr_client):
        seen = _history(client, law)
        assert [(e["entry"], e["id"]) for e in seen] == [
            ("status_change", new["id"]),
            ("status_change", in_committee.pk),
        ]
        assert seen[0]["corrects"] == registered.pk
        assert not {"state", "correction_reason", "retraction_reason", "recorded_by"} & set(seen[0])
    types = [
        e["type"]
        for e in de_client.get("/api/v1/events/", {"type": "law.corrected"}).json()["results"]
    ]
    assert types == ["law.corrected", "law.corrected"]


@pytest.mark.django_db
def test_correct_and_retract_are_staff_writes_on_this_records_entries(
    editor_client, de_client, law
):
    move(law, "registered")
    step = StatusChange.objects.get(record_id=law.pk)
    path = f"history/status_change/{step.pk}/retract/"
    assert _post(de_client, law, path, {"reason": "x"}).status_code == 403
    other = make_law()
    assert _post(editor_client, other, path, {"reason": "x"}).status_code == 404
    assert _post(editor_client, law, path, {}).status_code == 400
    assert StatusChange.objects.get(pk=step.pk).is_active


@pytest.mark.django_db
@pytest.mark.parametrize("caller", ["de", "staff"])
def test_history_runs_constant_queries(editor_client, de_client, law, caller):
    client = {"de": de_client, "staff": editor_client}[caller]

    def count():
        caches["responses"].clear()
        with CaptureQueriesContext(connection) as queries:
            _history(client, law)
        return len(queries)

    move(law, "registered", start=TODAY - datetime.timedelta(days=20))
    count()
    few = count()
    move(law, "in_committee", "first_reading", start=TODAY - datetime.timedelta(days=5))
    for _ in range(5):
        _post(editor_client, law, "procedural-events/", {"kind": "agenda"})
    step = StatusChange.objects.filter(record_id=law.pk).order_by("position").first()
    _post(
        editor_client,
        law,
        f"history/status_change/{step.pk}/correct/",
        {"reason": "r", "note": "n"},
    )
    assert count() == few


@pytest.mark.django_db
def test_a_step_learned_late_goes_after_the_step_named(editor_client, de_client, law):
    move(law, "registered", "first_reading", start=TODAY - datetime.timedelta(days=10))
    registered = StatusChange.objects.get(record_id=law.pk, to_status="registered")
    # The committee stage was skipped when recorded; its date is not known.
    late = _post(
        editor_client,
        law,
        "transitions/",
        {"to": "in_committee", "occurred_on": None, "after_step": registered.pk},
    )
    assert late.status_code == 201, late.content
    assert late.json()["status"] == "first_reading"
    assert [e["to_status"] for e in _history(de_client, law)] == [
        "registered",
        "in_committee",
        "first_reading",
    ]
    elsewhere = _post(
        editor_client, law, "transitions/", {"to": "public_discussion", "after_step": 10**9}
    )
    assert elsewhere.status_code == 400 and "after_step" in elsewhere.json()["errors"]


@pytest.mark.django_db
def test_partner_detail_lists_its_programmes(de_client, germany):
    from tracker.models import CooperationProgramme

    CooperationProgramme.objects.create(
        partner=germany, name_en="Danish model", name_uk="Данська модель", kind="financing"
    )
    body = de_client.get(f"/api/v1/partners/{germany.pk}/").json()
    assert [(p["name_en"], p["kind"], p["status"]) for p in body["programmes"]] == [
        ("Danish model", "financing", "prospective")
    ]
