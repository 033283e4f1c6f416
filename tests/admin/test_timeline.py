"""The timeline in the admin: dates as known, late steps, reopening, votes and their thresholds,
procedural events, corrections and retractions; only for users who may record status changes."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from tests.admin.helpers import admin_url
from tests.factories import make_facility, make_law, move
from tracker.models import Event, ProceduralEvent, StatusChange
from tracker.services.transitions import correct_entry, record_procedural_event

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LAST_YEAR = TODAY.year - 1


def _post(client, record, to_status, **values):
    data = {
        "expected_status": record.status,
        "to_status": to_status,
        "date_precision": "day",
        "occurred_on": TODAY.isoformat(),
        **values,
    }
    return client.post(admin_url(record, "transition"), data)


def _steps(law):
    steps = StatusChange.objects.filter(record_id=law.pk, content_type__model="draftlaw")
    return list(steps.order_by("position", "id"))


def test_a_step_whose_date_nobody_published_is_recorded_and_shown_as_not_known(client, editor):
    law = move(make_law(), "registered", "in_committee", "first_reading", "adopted_as_whole")
    client.force_login(editor)

    response = _post(client, law, "signed_by_speaker", date_precision="unknown", occurred_on="")

    assert response.status_code == 302, response.context["form"].errors
    step = _steps(law)[-1]
    assert (step.to_status, step.occurred_on, step.date_precision) == (
        "signed_by_speaker",
        None,
        "unknown",
    )
    page = client.get(admin_url(law, "change"))
    row = page.context["timeline_rows"][-1]
    assert row.date == "date not known" and row.date_iso == ""
    assert "date not known" in page.content.decode()


def test_a_date_not_known_with_a_date_given_is_a_form_error(client, editor):
    law = make_law()
    client.force_login(editor)

    response = _post(client, law, "registered", date_precision="unknown")

    assert response.status_code == 200
    assert "not known" in response.context["form"].errors["occurred_on"][0]
    assert not StatusChange.objects.exists()


def test_a_month_is_entered_as_a_month_and_shown_as_one(client, editor):
    law = make_law()
    client.force_login(editor)

    response = _post(
        client,
        law,
        "registered",
        date_precision="month",
        occurred_on="",
        occurred_month=f"{LAST_YEAR}-07",
    )

    assert response.status_code == 302, response.context["form"].errors
    step = _steps(law)[0]
    assert (step.occurred_on, step.date_precision) == (datetime.date(LAST_YEAR, 7, 1), "month")
    html = client.get(admin_url(law, "change")).content.decode()
    assert f'<time datetime="{LAST_YEAR}-07">' in html
    assert date_format(datetime.date(LAST_YEAR, 7, 1), "YEAR_MONTH_FORMAT") in html
    # No made-up day anywhere on the page.
    assert date_format(datetime.date(LAST_YEAR, 7, 1)) not in html
    assert f"{LAST_YEAR}-07-01" not in html


def test_a_month_in_a_wrong_shape_is_a_form_error(client, editor):
    law = make_law()
    client.force_login(editor)

    response = _post(
        client, law, "registered", date_precision="month", occurred_on="", occurred_month="July"
    )

    assert "YYYY-MM" in response.context["form"].errors["occurred_month"][0]
    assert not StatusChange.objects.exists()


def test_a_step_learned_late_is_placed_after_the_step_it_followed(client, editor):
    # The first reading is known; that the committee had the bill before it is learned later.
    law = move(make_law(), "registered", "first_reading")
    registered = _steps(law)[0]
    client.force_login(editor)
    form = client.get(admin_url(law, "transition")).context["form"]
    assert registered in form.fields["after_step"].queryset

    response = _post(
        client,
        law,
        "in_committee",
        date_precision="unknown",
        occurred_on="",
        after_step=str(registered.pk),
    )

    assert response.status_code == 302, response.context["form"].errors
    active = [s.to_status for s in _steps(law) if s.is_active]
    assert active == ["registered", "in_committee", "first_reading"]
    law.refresh_from_db()
    assert law.status == "first_reading"


def test_a_vote_below_the_threshold_is_refused_with_the_services_message(client, editor):
    law = move(make_law(), "registered", "in_committee", "first_reading")
    client.force_login(editor)

    response = _post(
        client,
        law,
        "adopted_as_whole",
        votes_for="100",
        votes_against="200",
        abstained="10",
        not_voting="40",
        present="400",
    )

    assert response.status_code == 200
    error = response.context["form"].errors["votes_for"][0]
    assert "226" in error and "failed vote" in error
    law.refresh_from_db()
    assert law.status == "first_reading"
    assert len(_steps(law)) == 3


def test_a_vote_keeps_did_not_vote_and_present(client, editor):
    law = move(make_law(), "registered", "in_committee", "first_reading")
    client.force_login(editor)

    response = _post(
        client,
        law,
        "adopted_as_whole",
        votes_for="256",
        votes_against="12",
        abstained="30",
        not_voting="50",
        present="380",
    )

    assert response.status_code == 302, response.context["form"].errors
    step = _steps(law)[-1]
    assert (step.not_voting, step.present) == (50, 380)
    html = client.get(admin_url(law, "change")).content.decode()
    assert "50 did not vote" in html and "380 present" in html


def test_an_override_needs_300_votes(client, editor):
    law = move(
        make_law(),
        "registered",
        "in_committee",
        "first_reading",
        "adopted_as_whole",
        "signed_by_speaker",
        "sent_to_president",
        "vetoed",
    )
    client.force_login(editor)
    votes = {"votes_against": "20", "abstained": "5"}

    refused = _post(client, law, "veto_overridden", votes_for="250", **votes)
    assert "300" in refused.context["form"].errors["votes_for"][0]

    accepted = _post(client, law, "veto_overridden", votes_for="310", **votes)
    assert accepted.status_code == 302
    for status in ("signed_by_speaker", "sent_to_president", "signed_by_president"):
        law.refresh_from_db()
        assert _post(client, law, status).status_code == 302
    law.refresh_from_db()
    assert law.status == "signed_by_president"


def test_reopening_offers_only_the_reopen_targets_and_needs_a_reason(client, editor):
    law = move(make_law(), "registered", "removed")
    client.force_login(editor)

    html = client.get(admin_url(law, "change")).content.decode()
    assert f"{admin_url(law, 'transition')}?to=in_committee" in html
    assert "Reopen to" in html
    form = client.get(admin_url(law, "transition")).context["form"]
    assert form.reopening
    targets = dict(form.fields["to_status"].choices)
    assert "in_committee" in targets and "drafting" not in targets and "in_force" not in targets

    missing = _post(client, law, "in_committee")
    assert "reopened" in missing.context["form"].errors["note"][0]
    assert len(_steps(law)) == 2

    response = _post(client, law, "in_committee", note="Back on the agenda on the 12th")
    assert response.status_code == 302
    step = _steps(law)[-1]
    assert step.is_reopening and step.note == "Back on the agenda on the 12th"
    law.refresh_from_db()
    assert law.status == "in_committee"


# --- procedural events ------------------------------------------------------------------------


def test_editor_records_a_failed_vote_and_the_status_stays(client, editor):
    law = move(make_law(), "registered", "in_committee", "first_reading")
    client.force_login(editor)
    html = client.get(admin_url(law, "change")).content.decode()
    assert admin_url(law, "procedural_event") in html

    response = client.post(
        admin_url(law, "procedural_event"),
        {
            "kind": "failed_vote",
            "date_precision": "day",
            "occurred_on": TODAY.isoformat(),
            "title": "Vote on adoption as a whole",
            "source_url": "https://itd.rada.gov.ua/billInfo/Bills/Card/1",
            "votes_for": "198",
            "votes_against": "20",
            "abstained": "15",
        },
    )

    assert response.status_code == 302, response.context["form"].errors
    event = ProceduralEvent.objects.get(record_id=law.pk)
    assert (event.kind, event.votes_for, event.recorded_by) == ("failed_vote", 198, editor)
    law.refresh_from_db()
    assert law.status == "first_reading"
    assert Event.objects.filter(type="law.procedural_event", procedural_event=event).exists()
    page = client.get(admin_url(law, "change"))
    rows = page.context["timeline_rows"]
    assert [row.kind for row in rows] == ["step", "step", "step", "event"]
    assert "Failed vote" in page.content.decode()


def test_a_failed_vote_without_its_count_is_a_form_error(client, editor):
    law = move(make_law(), "registered")
    client.force_login(editor)

    response = client.post(
        admin_url(law, "procedural_event"),
        {"kind": "failed_vote", "date_precision": "unknown"},
    )

    assert response.status_code == 200
    assert "count" in response.context["form"].errors["votes_for"][0]
    assert not ProceduralEvent.objects.exists()


def test_a_facility_is_not_offered_the_kinds_of_a_bill(client, editor):
    facility = make_facility()
    client.force_login(editor)

    form = client.get(admin_url(facility, "procedural_event")).context["form"]

    kinds = dict(form.fields["kind"].choices)
    assert "regulatory_approval" in kinds and "failed_vote" not in kinds


def test_viewer_cannot_record_a_procedural_event(client, viewer_user):
    law = make_law()
    client.force_login(viewer_user)

    html = client.get(admin_url(law, "change")).content.decode()
    assert admin_url(law, "procedural_event") not in html
    assert client.get(admin_url(law, "procedural_event")).status_code == 403
    response = client.post(
        admin_url(law, "procedural_event"), {"kind": "other", "date_precision": "unknown"}
    )
    assert response.status_code == 403
    assert not ProceduralEvent.objects.exists()


# --- corrections and retractions ----------------------------------------------------------------


def test_a_correction_replaces_the_entry_and_the_original_stays_visible_to_staff(client, editor):
    law = move(make_law(), "registered", "in_committee", "first_reading")
    client.force_login(editor)
    _post(client, law, "adopted_as_whole", votes_for="260", votes_against="10", abstained="5")
    original = _steps(law)[-1]
    url = admin_url(law, "timeline_correct", "step", original.pk)

    form = client.get(url).context["form"]
    assert form["votes_for"].value() == 260
    assert form["date_precision"].value() == "day"

    no_reason = client.post(
        url, {"date_precision": "day", "occurred_on": TODAY.isoformat(), "votes_for": "262"}
    )
    assert "why" in no_reason.context["form"].errors["reason"][0]
    unchanged = client.post(
        url,
        {
            "date_precision": "day",
            "occurred_on": TODAY.isoformat(),
            "votes_for": "260",
            "votes_against": "10",
            "abstained": "5",
            "reason": "checked",
        },
    )
    assert "Nothing was changed" in str(unchanged.context["form"].non_field_errors())

    response = client.post(
        url,
        {
            "date_precision": "day",
            "occurred_on": TODAY.isoformat(),
            "votes_for": "262",
            "votes_against": "10",
            "abstained": "5",
            "reason": "The Rada's card gives 262 for",
        },
    )

    assert response.status_code == 302, response.context["form"].errors
    original.refresh_from_db()
    assert not original.is_active
    new = StatusChange.objects.get(corrects=original)
    assert (new.votes_for, new.is_active, new.recorded_by) == (262, True, editor)
    assert Event.objects.filter(type="law.corrected", record_id=law.pk).count() == 1

    page = client.get(admin_url(law, "change"))
    old_row = next(r for r in page.context["timeline_rows"] if r.entry.pk == original.pk)
    assert not old_row.is_active and old_row.replaced_by.pk == new.pk and not old_row.urls
    html = page.content.decode()
    assert "<del>260 for" in html
    assert "The Rada&#x27;s card gives 262 for" in html
    # The replaced entry cannot be corrected again.
    again = client.get(url)
    assert again.status_code == 302


def test_correcting_an_event_changes_its_kind_and_title(client, editor):
    law = move(make_law(), "registered")
    client.force_login(editor)
    client.post(
        admin_url(law, "procedural_event"),
        {"kind": "committee_hearing", "date_precision": "unknown", "title": "Hearing"},
    )
    event = ProceduralEvent.objects.get()

    response = client.post(
        admin_url(law, "timeline_correct", "event", event.pk),
        {
            "kind": "committee_conclusion",
            "title": "Conclusion of the committee",
            "date_precision": "month",
            "occurred_month": f"{LAST_YEAR}-03",
            "reason": "It was the conclusion, adopted in March",
        },
    )

    assert response.status_code == 302, response.context["form"].errors
    new = ProceduralEvent.objects.get(is_active=True)
    assert (new.kind, new.title, new.occurred_on, new.date_precision) == (
        "committee_conclusion",
        "Conclusion of the committee",
        datetime.date(LAST_YEAR, 3, 1),
        "month",
    )


def test_a_retraction_is_confirmed_recomputes_the_status_and_stays_visible(client, editor):
    law = move(make_law(), "registered", "in_committee")
    client.force_login(editor)
    last = _steps(law)[-1]
    url = admin_url(law, "timeline_retract", "step", last.pk)

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "In committee" in confirm.content.decode()
    assert _steps(law)[-1].is_active  # nothing happens before the confirmation

    missing = client.post(url, {"reason": ""})
    assert "retracted" in missing.context["form"].errors["reason"][0]

    response = client.post(url, {"reason": "Recorded on the wrong bill"})

    assert response.status_code == 302
    last.refresh_from_db()
    assert not last.is_active and last.retracted_by == editor
    law.refresh_from_db()
    assert law.status == "registered"
    page = client.get(admin_url(law, "change"))
    html = page.content.decode()
    assert "Retracted" in html and "Recorded on the wrong bill" in html
    assert len(page.context["timeline_rows"]) == 2


def test_a_retraction_that_breaks_the_path_is_a_form_error_and_nothing_changes(client, editor):
    law = move(make_law(), "registered", "in_committee")
    client.force_login(editor)
    first = _steps(law)[0]

    response = client.post(
        admin_url(law, "timeline_retract", "step", first.pk), {"reason": "mistake"}
    )

    assert response.status_code == 200
    assert "cannot move" in str(response.context["form"].non_field_errors())
    first.refresh_from_db()
    assert first.is_active
    law.refresh_from_db()
    assert law.status == "in_committee"
    assert not Event.objects.filter(type="law.corrected").exists()


def test_viewer_may_neither_correct_nor_retract(client, viewer_user):
    law = move(make_law(), "registered")
    step = _steps(law)[0]
    client.force_login(viewer_user)

    for view in ("timeline_correct", "timeline_retract"):
        url = admin_url(law, view, "step", step.pk)
        assert client.get(url).status_code == 403
        assert client.post(url, {"reason": "x", "date_precision": "unknown"}).status_code == 403
    step.refresh_from_db()
    assert step.is_active


def test_the_timeline_costs_the_same_queries_however_long(client, editor):
    def page_queries(law):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(admin_url(law, "change")).status_code == 200
        return len(queries)

    short = move(make_law(), "registered")
    long = move(make_law(), "registered", "in_committee", "first_reading")
    for step in _steps(long)[:2]:
        correct_entry(entry=step, recorded_by=editor, reason="source", changes={"note": "n"})
    for kind in ("committee_hearing", "agenda", "postponed"):
        record_procedural_event(record=long, kind=kind, occurred_on=None, recorded_by=editor)
    client.force_login(editor)
    page_queries(short)  # warm the caches

    assert page_queries(long) == page_queries(short)
