"""The transition service against the four workflow tables, transition by transition."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import make_facility, make_law, move
from tests.services.helpers import PATHS, prepare_for, record_at, votes_for_transition
from tracker.models import Event, StatusChange
from tracker.selectors import status_history
from tracker.services.errors import TransitionNotAllowed
from tracker.services.records import record_archive
from tracker.services.transitions import record_transition
from tracker.workflows import WORKFLOWS, LawStatus

# The service's notion of today: the project's time zone, not the machine's.
TODAY = timezone.localdate

ALLOWED = [
    pytest.param(name, source, target, id=f"{name}:{source}->{target}")
    for name, workflow in WORKFLOWS.items()
    for source, targets in workflow.transitions.items()
    for target in targets
]
SOURCES = [
    pytest.param(name, status, id=f"{name}:{status}")
    for name, workflow in WORKFLOWS.items()
    for status in workflow.statuses.values
]


def _snapshot(record):
    return (
        type(record).objects.values_list("status", flat=True).get(pk=record.pk),
        status_history(record).count(),
        Event.objects.filter(record_type=record.record_type, record_id=record.pk).count(),
    )


@pytest.mark.parametrize("name", list(WORKFLOWS))
def test_every_status_is_reachable_from_the_initial_one(name):
    assert set(PATHS[name]) == set(WORKFLOWS[name].statuses.values)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "source", "target"), ALLOWED)
def test_allowed_transition_writes_one_status_change_and_one_event(name, source, target, editor):
    workflow = WORKFLOWS[name]
    record = record_at(name, source)
    history_before = status_history(record).count()
    events_before = set(Event.objects.values_list("id", flat=True))
    votes = votes_for_transition(workflow, source, target)
    prepare_for(record, target, TODAY())

    change = record_transition(
        record=record,
        to_status=target,
        occurred_on=TODAY(),
        recorded_by=editor,
        note="Recorded in a test.",
        source_url="https://example.org/source",
        **votes,
    )

    assert record.status == target
    assert type(record).objects.get(pk=record.pk).status == target
    assert status_history(record).count() == history_before + 1
    assert (change.from_status, change.to_status, change.occurred_on) == (source, target, TODAY())
    assert change.recorded_by == editor
    assert change.votes_for == votes.get("votes_for")
    new_events = Event.objects.exclude(id__in=events_before)
    assert [(e.type, e.record_id, e.status_change_id) for e in new_events] == [
        (f"{name}.status_changed", record.pk, change.pk)
    ]
    assert new_events[0].data["from"] == source
    assert new_events[0].data["to"] == target
    assert new_events[0].actor == editor


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "source"), SOURCES)
def test_every_forbidden_transition_is_refused_and_writes_nothing(name, source):
    workflow = WORKFLOWS[name]
    record = record_at(name, source)
    allowed = workflow.allowed_targets(source)
    forbidden = [s for s in workflow.statuses.values if s not in allowed]
    before = _snapshot(record)

    for target in forbidden:
        with pytest.raises(TransitionNotAllowed) as refused:
            record_transition(
                record=record, to_status=target, occurred_on=TODAY(), recorded_by=None
            )
        assert refused.value.allowed == list(allowed), (source, target)
        assert refused.value.current_status == source
        for status in allowed:
            assert status in str(refused.value)
        if not allowed:
            assert "final" in str(refused.value)
        assert _snapshot(record) == before, f"{source} -> {target} wrote something"
        assert record.status == source


@pytest.mark.django_db
def test_unknown_status_is_a_validation_error():
    law = make_law()
    with pytest.raises(ValidationError) as refused:
        record_transition(record=law, to_status="approved", occurred_on=TODAY(), recorded_by=None)
    assert "to_status" in refused.value.message_dict


@pytest.mark.django_db
def test_future_date_is_refused():
    facility = make_facility()
    before = _snapshot(facility)
    with pytest.raises(ValidationError) as refused:
        record_transition(
            record=facility,
            to_status="agreement_signed",
            occurred_on=TODAY() + datetime.timedelta(days=1),
            recorded_by=None,
        )
    assert "future" in refused.value.message_dict["occurred_on"][0]
    assert _snapshot(facility) == before


@pytest.mark.django_db
def test_a_step_learned_late_takes_its_place_when_the_path_allows_it():
    facility = make_facility()
    move(facility, "agreement_signed", start=TODAY() - datetime.timedelta(days=5))
    before = _snapshot(facility)
    # Before the agreement, the facility could only have been financed: proposed -> financed
    # -> agreement_signed is a path the workflow allows, so the step goes into its place.
    inserted = record_transition(
        record=facility,
        to_status="financed",
        occurred_on=TODAY() - datetime.timedelta(days=6),
        recorded_by=None,
    )
    assert facility.status == "agreement_signed"
    steps = list(status_history(facility))
    assert [(s.from_status, s.to_status) for s in steps] == [
        ("proposed", "financed"),
        ("financed", "agreement_signed"),
    ]
    assert steps[0] == inserted
    assert _snapshot(facility)[1:] == (before[1] + 1, before[2] + 1)


@pytest.mark.django_db
def test_a_step_learned_late_is_refused_where_the_path_would_break():
    facility = make_facility()
    move(facility, "agreement_signed", start=TODAY() - datetime.timedelta(days=5))
    before = _snapshot(facility)
    # proposed -> under_construction is not a move the workflow allows.
    with pytest.raises(TransitionNotAllowed) as refused:
        record_transition(
            record=facility,
            to_status="under_construction",
            occurred_on=TODAY() - datetime.timedelta(days=6),
            recorded_by=None,
        )
    assert "cannot move from 'proposed' to 'under_construction'" in refused.value.message
    assert _snapshot(facility) == before


@pytest.mark.django_db
def test_votes_are_refused_on_a_transition_that_is_not_a_vote():
    law = make_law()
    before = _snapshot(law)
    with pytest.raises(ValidationError) as refused:
        record_transition(
            record=law, to_status="registered", occurred_on=TODAY(), recorded_by=None, votes_for=3
        )
    assert "votes_for" in refused.value.message_dict
    assert _snapshot(law) == before


@pytest.mark.django_db
def test_vote_counts_are_stored_on_a_vote():
    law = record_at("law", LawStatus.FIRST_READING)
    change = record_transition(
        record=law,
        to_status=LawStatus.ADOPTED_IN_PRINCIPLE,
        occurred_on=TODAY(),
        recorded_by=None,
        votes_for=226,
        votes_against=100,
        abstained=124,
    )
    change.refresh_from_db()
    assert (change.votes_for, change.votes_against, change.abstained) == (226, 100, 124)
    assert change.is_vote


@pytest.mark.django_db
@pytest.mark.parametrize(
    "votes",
    [
        {"votes_for": 300, "votes_against": 100, "abstained": 51},
        {"votes_for": 451},
        {"votes_for": -1},
        {"votes_for": 200, "votes_against": 251},
    ],
)
def test_votes_beyond_the_rada_seats_are_refused(votes):
    law = record_at("law", LawStatus.FIRST_READING)
    before = _snapshot(law)
    with pytest.raises(ValidationError):
        record_transition(
            record=law,
            to_status=LawStatus.ADOPTED_IN_PRINCIPLE,
            occurred_on=TODAY(),
            recorded_by=None,
            **votes,
        )
    assert _snapshot(law) == before


@pytest.mark.django_db
@pytest.mark.parametrize("votes", [{}, {"votes_for": 299, "votes_against": 10}])
def test_veto_override_needs_300_votes_for(votes):
    law = record_at("law", LawStatus.VETOED)
    before = _snapshot(law)
    with pytest.raises(ValidationError) as refused:
        record_transition(
            record=law,
            to_status=LawStatus.VETO_OVERRIDDEN,
            occurred_on=TODAY(),
            recorded_by=None,
            **votes,
        )
    assert "300" in refused.value.message_dict["votes_for"][0]
    assert _snapshot(law) == before

    record_transition(
        record=law,
        to_status=LawStatus.VETO_OVERRIDDEN,
        occurred_on=TODAY(),
        recorded_by=None,
        votes_for=300,
    )
    assert law.status == LawStatus.VETO_OVERRIDDEN


@pytest.mark.django_db
def test_nothing_persists_when_the_event_cannot_be_written():
    facility = make_facility()
    before = _snapshot(facility)
    with (
        mock.patch(
            "tracker.services.transitions.emit_event", side_effect=RuntimeError("event table down")
        ),
        pytest.raises(RuntimeError),
    ):
        record_transition(
            record=facility, to_status="agreement_signed", occurred_on=TODAY(), recorded_by=None
        )
    assert _snapshot(facility) == before
    assert not StatusChange.objects.exists()


@pytest.mark.django_db
def test_expected_status_mismatch_is_refused():
    law = make_law()
    move(law, "stakeholder_review")
    before = _snapshot(law)
    with pytest.raises(TransitionNotAllowed) as refused:
        record_transition(
            record=law,
            to_status="registered",
            occurred_on=TODAY(),
            recorded_by=None,
            expected_status="drafting",
        )
    assert "changed meanwhile" in str(refused.value)
    assert refused.value.allowed == list(WORKFLOWS["law"].allowed_targets("stakeholder_review"))
    assert _snapshot(law) == before


@pytest.mark.django_db
def test_expected_status_that_matches_is_accepted():
    law = make_law()
    record_transition(
        record=law,
        to_status="stakeholder_review",
        occurred_on=TODAY(),
        recorded_by=None,
        expected_status="drafting",
    )
    assert law.status == "stakeholder_review"


@pytest.mark.django_db
def test_a_stale_record_instance_cannot_apply_a_transition_twice():
    facility = make_facility()
    stale = type(facility).objects.get(pk=facility.pk)
    record_transition(
        record=facility, to_status="agreement_signed", occurred_on=TODAY(), recorded_by=None
    )
    with pytest.raises(TransitionNotAllowed):
        record_transition(
            record=stale, to_status="agreement_signed", occurred_on=TODAY(), recorded_by=None
        )
    assert status_history(facility).count() == 1


@pytest.mark.django_db
def test_archived_record_cannot_change_status():
    facility = make_facility()
    record_archive(record=facility, actor=None)
    before = _snapshot(facility)
    with pytest.raises(ValidationError):
        record_transition(
            record=facility, to_status="agreement_signed", occurred_on=TODAY(), recorded_by=None
        )
    assert _snapshot(facility) == before
