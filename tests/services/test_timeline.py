"""A record's timeline as it happened: dates as known, procedural events, votes, corrections."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from tests.factories import make_facility, make_law
from tests.services.helpers import record_at
from tracker.models import EntryIntoForce, Event, ProceduralEvent, StatusChange
from tracker.selectors import Viewer, status_history, timeline
from tracker.services.errors import TimelineConflict, TransitionNotAllowed
from tracker.services.transitions import (
    correct_entry,
    record_procedural_event,
    record_transition,
    retract_entry,
)
from tracker.workflows import LawStatus

D = datetime.date


def _events(record) -> list[Event]:
    return list(Event.objects.filter(record_type=record.record_type, record_id=record.pk))


def _walk(law, *steps) -> list[StatusChange]:
    """Record (status, date or None, votes) steps in order."""
    changes = []
    for to, on, *votes in steps:
        changes.append(
            record_transition(
                record=law, to_status=to, occurred_on=on, recorded_by=None, **(votes or [{}])[0]
            )
        )
    return changes


ADOPT = {"votes_for": 260, "votes_against": 20, "abstained": 10, "not_voting": 40, "present": 330}


@pytest.mark.django_db
def test_a_step_with_no_known_date_keeps_none_and_its_place():
    law = make_law()
    registered, committee, reading = _walk(
        law,
        ("registered", D(2024, 3, 1)),
        ("in_committee", None),
        ("first_reading", D(2024, 4, 2)),
    )
    committee.refresh_from_db()
    assert (committee.occurred_on, committee.date_precision, committee.date_text) == (
        None,
        "unknown",
        "",
    )
    assert list(status_history(law)) == [registered, committee, reading]
    event = Event.objects.get(status_change=committee)
    assert event.data["occurred_on"] is None
    assert event.data["date_precision"] == "unknown"


@pytest.mark.django_db
def test_a_month_is_kept_as_a_month():
    law = make_law()
    change = record_transition(
        record=law,
        to_status="registered",
        occurred_on=D(2024, 3, 17),
        date_precision="month",
        recorded_by=None,
    )
    change.refresh_from_db()
    assert change.occurred_on == D(2024, 3, 1)
    assert change.date_text == "2024-03"
    assert Event.objects.get(status_change=change).data["occurred_on"] == "2024-03"


@pytest.mark.django_db
def test_a_date_given_for_an_unknown_date_is_refused():
    law = make_law()
    with pytest.raises(ValidationError) as refused:
        record_transition(
            record=law,
            to_status="registered",
            occurred_on=D(2024, 3, 1),
            date_precision="unknown",
            recorded_by=None,
        )
    assert "occurred_on" in refused.value.message_dict
    assert not status_history(law).exists()


@pytest.mark.django_db
def test_an_unknown_date_step_is_placed_after_the_step_named():
    law = make_law()
    registered, reading = _walk(
        law, ("registered", D(2024, 3, 1)), ("first_reading", D(2024, 4, 2))
    )
    # A bill can go to first reading straight from registration, or through committee.
    committee = record_transition(
        record=law,
        to_status="in_committee",
        occurred_on=None,
        after_step=registered,
        recorded_by=None,
    )
    steps = list(status_history(law))
    assert steps == [registered, committee, reading]
    assert [(s.from_status, s.to_status) for s in steps] == [
        ("drafting", "registered"),
        ("registered", "in_committee"),
        ("in_committee", "first_reading"),
    ]
    assert law.status == "first_reading"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("votes", "field"),
    [
        ({"votes_for": 200, "votes_against": 200, "abstained": 40, "not_voting": 11}, "votes_for"),
        ({"votes_for": 230, "votes_against": 20, "present": 240}, "present"),
        ({"votes_for": 230, "present": 451}, "present"),
    ],
)
def test_votes_must_fit_the_rada_and_those_present(votes, field):
    law = record_at("law", LawStatus.FIRST_READING, on=D(2024, 4, 1))
    with pytest.raises(ValidationError) as refused:
        record_transition(
            record=law,
            to_status="adopted_in_principle",
            occurred_on=D(2024, 5, 1),
            recorded_by=None,
            **votes,
        )
    assert field in refused.value.message_dict
    assert law.status == LawStatus.FIRST_READING


@pytest.mark.django_db
def test_an_adoption_below_226_is_refused_and_the_failed_vote_is_recordable():
    law = record_at("law", LawStatus.FIRST_READING, on=D(2024, 4, 1))
    with pytest.raises(ValidationError) as refused:
        record_transition(
            record=law,
            to_status="adopted_as_whole",
            occurred_on=D(2024, 5, 1),
            recorded_by=None,
            votes_for=100,
            votes_against=200,
        )
    message = refused.value.message_dict["votes_for"][0]
    assert "226" in message and "failed vote" in message
    assert law.status == LawStatus.FIRST_READING

    failed = record_procedural_event(
        record=law,
        kind="failed_vote",
        occurred_on=D(2024, 5, 1),
        recorded_by=None,
        title="Adoption as a whole",
        votes_for=100,
        votes_against=200,
        not_voting=50,
    )
    law.refresh_from_db()
    assert law.status == LawStatus.FIRST_READING
    event = Event.objects.get(procedural_event=failed)
    assert event.type == "law.procedural_event"
    assert (event.data["kind"], event.data["votes_for"], event.data["not_voting"]) == (
        "failed_vote",
        100,
        50,
    )
    # Retaken the same day, it passes.
    change = record_transition(
        record=law,
        to_status="adopted_as_whole",
        occurred_on=D(2024, 5, 1),
        recorded_by=None,
        **ADOPT,
    )
    assert (change.not_voting, change.present) == (40, 330)
    assert [type(e) for e in timeline(law, Viewer.public())][-2:] == [ProceduralEvent, StatusChange]


@pytest.mark.django_db
def test_a_failed_vote_needs_its_count_and_other_events_carry_none():
    law = make_law()
    with pytest.raises(ValidationError):
        record_procedural_event(
            record=law, kind="failed_vote", occurred_on=D(2024, 5, 1), recorded_by=None
        )
    with pytest.raises(ValidationError):
        record_procedural_event(
            record=law,
            kind="committee_hearing",
            occurred_on=D(2024, 5, 1),
            recorded_by=None,
            votes_for=3,
        )
    assert not ProceduralEvent.objects.exists()


@pytest.mark.django_db
def test_parliament_only_events_are_refused_for_a_facility_but_approvals_are_not():
    facility = make_facility()
    with pytest.raises(ValidationError):
        record_procedural_event(
            record=facility, kind="agenda", occurred_on=D(2024, 5, 1), recorded_by=None
        )
    record_procedural_event(
        record=facility,
        kind="regulatory_approval",
        occurred_on=D(2024, 5, 1),
        title="Antitrust clearance",
        recorded_by=None,
    )
    assert facility.status == "proposed"


@pytest.mark.django_db
def test_a_constitutional_amendment_needs_300():
    law = make_law(needs_constitutional_majority=True)
    _walk(law, ("registered", D(2024, 1, 1)), ("first_reading", D(2024, 2, 1)))
    with pytest.raises(ValidationError) as refused:
        record_transition(
            record=law,
            to_status="adopted_in_principle",
            occurred_on=D(2024, 2, 1),
            recorded_by=None,
            votes_for=280,
        )
    assert "300" in refused.value.message_dict["votes_for"][0]


@pytest.mark.django_db
def test_the_presidents_proposals_then_override_then_signature_within_the_path():
    law = record_at("law", LawStatus.SENT_TO_PRESIDENT, on=D(2024, 6, 1))
    _walk(
        law,
        ("vetoed", D(2024, 6, 10)),
        ("veto_overridden", D(2024, 7, 1), {"votes_for": 310}),
        ("signed_by_speaker", None),
        ("sent_to_president", D(2024, 7, 3)),
        ("signed_by_president", D(2024, 7, 12)),
    )
    assert law.status == "signed_by_president"
    # Adoption with the proposals goes back to the President too.
    other = record_at("law", LawStatus.VETOED, on=D(2024, 6, 1))
    _walk(
        other,
        ("adopted_with_proposals", D(2024, 6, 20), {"votes_for": 240}),
        ("signed_by_speaker", None),
        ("sent_to_president", None),
    )
    with pytest.raises(TransitionNotAllowed):
        record_transition(record=other, to_status="published", occurred_on=None, recorded_by=None)


@pytest.mark.django_db
def test_in_force_needs_an_entry_into_force():
    law = record_at("law", LawStatus.PUBLISHED, on=D(2024, 6, 1))
    with pytest.raises(ValidationError) as refused:
        record_transition(
            record=law, to_status="in_force", occurred_on=D(2024, 6, 11), recorded_by=None
        )
    assert "entry into force" in refused.value.message_dict["to_status"][0]
    EntryIntoForce.objects.create(law=law, on=D(2024, 6, 11))
    record_transition(
        record=law, to_status="in_force", occurred_on=D(2024, 6, 11), recorded_by=None
    )
    assert law.status == "in_force"


@pytest.mark.django_db
def test_reopening_needs_a_reason_and_a_target_the_end_allows():
    law = make_law()
    _walk(
        law,
        ("registered", D(2024, 1, 1)),
        ("first_reading", D(2024, 2, 1)),
        ("removed", D(2024, 2, 1)),
    )
    with pytest.raises(ValidationError) as refused:
        record_transition(
            record=law,
            to_status="first_reading",
            occurred_on=D(2024, 3, 1),
            recorded_by=None,
            reopening=True,
        )
    assert "note" in refused.value.message_dict
    with pytest.raises(TransitionNotAllowed):
        record_transition(
            record=law,
            to_status="signed_by_speaker",
            occurred_on=D(2024, 3, 1),
            recorded_by=None,
            reopening=True,
            note="Back on the agenda.",
        )
    with pytest.raises(TransitionNotAllowed):  # not without saying it is a reopening
        record_transition(
            record=law, to_status="first_reading", occurred_on=D(2024, 3, 1), recorded_by=None
        )
    change = record_transition(
        record=law,
        to_status="first_reading",
        occurred_on=D(2024, 3, 1),
        recorded_by=None,
        reopening=True,
        note="Back on the agenda on 1 March.",
    )
    assert law.status == "first_reading" and change.is_reopening
    assert Event.objects.get(status_change=change).data["reopening"] is True


@pytest.mark.django_db
def test_a_correction_replaces_the_entry_and_keeps_the_original(editor):
    law = record_at("law", LawStatus.FIRST_READING, on=D(2024, 5, 1))
    wrong = record_transition(
        record=law,
        to_status="adopted_in_principle",
        occurred_on=D(2024, 5, 2),
        recorded_by=None,
        votes_for=240,
        source_url="https://example.org/a",
    )
    fixed = correct_entry(
        entry=wrong,
        recorded_by=editor,
        reason="The Rada's card says 251 for.",
        changes={"votes_for": 251, "votes_against": 3},
    )
    wrong.refresh_from_db()
    assert not wrong.is_active and wrong.votes_for == 240
    assert (fixed.corrects, fixed.votes_for, fixed.votes_against) == (wrong, 251, 3)
    assert fixed.occurred_on == D(2024, 5, 2) and fixed.source_url == "https://example.org/a"
    assert fixed.recorded_by == editor
    assert list(status_history(law))[-1] == fixed
    assert wrong in timeline(law, Viewer.staff())
    assert wrong not in timeline(law, Viewer.public())
    event = _events(law)[-1]
    assert event.type == "law.corrected"
    assert event.data["action"] == "corrected"
    assert (event.data["entry_id"], event.data["replaces"], event.data["votes_for"]) == (
        fixed.pk,
        wrong.pk,
        251,
    )
    # The original can no longer be corrected; its replacement can.
    with pytest.raises(TimelineConflict) as refused:
        correct_entry(entry=wrong, recorded_by=editor, reason="again", changes={"note": "x"})
    assert f"#{fixed.pk}" in refused.value.message


@pytest.mark.django_db
def test_a_correction_below_the_threshold_is_refused(editor):
    law = record_at("law", LawStatus.FIRST_READING, on=D(2024, 5, 1))
    step = record_transition(
        record=law,
        to_status="adopted_in_principle",
        occurred_on=D(2024, 5, 2),
        recorded_by=None,
        votes_for=240,
    )
    with pytest.raises(ValidationError):
        correct_entry(entry=step, recorded_by=editor, reason="typo", changes={"votes_for": 200})
    step.refresh_from_db()
    assert step.is_active


@pytest.mark.django_db
def test_a_correction_needs_a_reason_and_cannot_change_the_status(editor):
    law = make_law()
    (step,) = _walk(law, ("registered", D(2024, 1, 1)))
    with pytest.raises(ValidationError):
        correct_entry(entry=step, recorded_by=editor, reason=" ", changes={"note": "x"})
    with pytest.raises(ValidationError) as refused:
        correct_entry(
            entry=step, recorded_by=editor, reason="r", changes={"to_status": "in_committee"}
        )
    assert "retract" in refused.value.message_dict["to_status"][0]


@pytest.mark.django_db
def test_a_corrected_date_moves_the_step_only_where_the_path_allows(editor):
    facility = make_facility()
    _agreement, financed = _walk(
        facility, ("agreement_signed", D(2024, 1, 10)), ("financed", D(2024, 2, 1))
    )
    # Financing really came first: proposed -> financed -> agreement_signed is allowed.
    moved = correct_entry(
        entry=financed,
        recorded_by=editor,
        reason="Financing began in January.",
        changes={"occurred_on": D(2024, 1, 5)},
    )
    assert [(s.from_status, s.to_status) for s in status_history(facility)] == [
        ("proposed", "financed"),
        ("financed", "agreement_signed"),
    ]
    facility.refresh_from_db()
    assert facility.status == "agreement_signed"
    assert moved.occurred_on == D(2024, 1, 5)


@pytest.mark.django_db
def test_a_retraction_recomputes_the_status_and_tells_partners(editor):
    law = make_law()
    registered, committee = _walk(
        law, ("registered", D(2024, 1, 1)), ("in_committee", D(2024, 1, 5))
    )
    retract_entry(entry=committee, recorded_by=editor, reason="Recorded on the wrong bill.")
    law.refresh_from_db()
    assert law.status == "registered"
    committee.refresh_from_db()
    assert (committee.is_active, committee.retracted_by, committee.retraction_reason) == (
        False,
        editor,
        "Recorded on the wrong bill.",
    )
    assert list(status_history(law)) == [registered]
    event = _events(law)[-1]
    assert event.type == "law.corrected"
    assert (event.data["action"], event.data["status"], event.data["previous_status"]) == (
        "retracted",
        "registered",
        "in_committee",
    )
    with pytest.raises(TimelineConflict):
        retract_entry(entry=committee, recorded_by=editor, reason="again")


@pytest.mark.django_db
def test_a_retraction_that_would_break_the_path_is_refused(editor):
    law = make_law()
    registered, committee, reading = _walk(
        law,
        ("registered", D(2024, 1, 1)),
        ("in_committee", D(2024, 1, 5)),
        ("first_reading", D(2024, 2, 1)),
    )
    # drafting -> in_committee is not allowed: the registration cannot simply vanish.
    with pytest.raises(TimelineConflict) as refused:
        retract_entry(entry=registered, recorded_by=editor, reason="mistake")
    assert "'drafting'" in refused.value.message
    registered.refresh_from_db()
    assert registered.is_active
    # The committee step can go: registered -> first_reading is allowed.
    retract_entry(entry=committee, recorded_by=editor, reason="It never went to committee.")
    law.refresh_from_db()
    assert law.status == "first_reading"
    reading.refresh_from_db()
    assert reading.from_status == "registered"


@pytest.mark.django_db
def test_a_procedural_event_can_be_corrected_and_retracted(editor):
    law = make_law()
    hearing = record_procedural_event(
        record=law,
        kind="committee_hearing",
        occurred_on=D(2024, 3, 1),
        recorded_by=None,
        title="Hearing with industry",
    )
    fixed = correct_entry(
        entry=hearing,
        recorded_by=editor,
        reason="It was a consultation.",
        changes={"kind": "industry_consultation", "occurred_on": None, "date_precision": "unknown"},
    )
    assert (fixed.kind, fixed.occurred_on, fixed.date_precision) == (
        "industry_consultation",
        None,
        "unknown",
    )
    retract_entry(entry=fixed, recorded_by=editor, reason="Duplicate.")
    assert timeline(law, Viewer.public()) == []
    assert len(timeline(law, Viewer.staff())) == 2
    assert [e.type for e in _events(law)][-3:] == [
        "law.procedural_event",
        "law.corrected",
        "law.corrected",
    ]


@pytest.mark.django_db
def test_a_month_only_step_goes_after_what_happened_within_that_month():
    law = record_at("law", LawStatus.SENT_TO_PRESIDENT, on=D(2023, 9, 6))
    (returned,) = _walk(law, ("vetoed", D(2023, 9, 12)))
    adopted = record_transition(
        record=law,
        to_status="adopted_with_proposals",
        occurred_on=D(2023, 9, 1),
        date_precision="month",
        recorded_by=None,
        votes_for=341,
    )
    assert list(status_history(law))[-2:] == [returned, adopted]
    assert law.status == "adopted_with_proposals"
