import datetime
from types import SimpleNamespace

from tracker.web.stepper import build_stepper
from tracker.workflows import FACILITY_WORKFLOW, LAW_WORKFLOW


def changes(*moves):
    day = datetime.date(2025, 7, 1)
    return [
        SimpleNamespace(from_status=a, to_status=b, occurred_on=day + datetime.timedelta(days=i))
        for i, (a, b) in enumerate(moves)
    ]


def states(steps):
    return [(s.status, s.state) for s in steps]


def test_mp_bill_skips_the_cabinet_stages_and_marks_the_current_one():
    history = changes(("drafting", "registered"), ("registered", "in_committee"))
    steps = build_stepper(LAW_WORKFLOW, "in_committee", history)
    assert states(steps)[:6] == [
        ("drafting", "done"),
        ("stakeholder_review", "skipped"),
        ("cabinet_approved", "skipped"),
        ("registered", "done"),
        ("in_committee", "current"),
        ("first_reading", "ahead"),
    ]
    assert [s.status for s in steps if s.is_current] == ["in_committee"]
    assert steps[3].reached_on == datetime.date(2025, 7, 1)


def test_veto_is_an_exit_after_the_president_stage_and_the_rest_stays_ahead():
    history = changes(
        ("drafting", "registered"),
        ("registered", "in_committee"),
        ("in_committee", "first_reading"),
        ("first_reading", "adopted_as_whole"),
        ("adopted_as_whole", "signed_by_speaker"),
        ("signed_by_speaker", "sent_to_president"),
        ("sent_to_president", "vetoed"),
    )
    steps = build_stepper(LAW_WORKFLOW, "vetoed", history)
    statuses = [s.status for s in steps]
    vetoed = steps[statuses.index("vetoed")]
    assert statuses.index("vetoed") == statuses.index("sent_to_president") + 1
    assert vetoed.is_exit and vetoed.is_current and not vetoed.is_end
    assert steps[statuses.index("sent_to_president")].state == "done"
    assert steps[statuses.index("adopted_in_principle")].state == "skipped"
    assert steps[statuses.index("signed_by_president")].state == "ahead"
    assert len(steps) == len(LAW_WORKFLOW.main_path) + 1


def test_rejection_after_third_reading_ends_the_path_after_second_reading():
    history = changes(
        ("drafting", "registered"),
        ("registered", "in_committee"),
        ("in_committee", "first_reading"),
        ("first_reading", "adopted_in_principle"),
        ("adopted_in_principle", "second_reading"),
        ("second_reading", "third_reading"),
        ("third_reading", "rejected"),
    )
    steps = build_stepper(LAW_WORKFLOW, "rejected", history)
    statuses = [s.status for s in steps]
    assert statuses.index("rejected") == statuses.index("second_reading") + 1
    rejected = steps[statuses.index("rejected")]
    assert rejected.is_exit and rejected.is_end
    assert {s.state for s in steps[statuses.index("rejected") + 1 :]} == {"not_reached"}


def test_returned_for_revision_then_back_in_committee_is_back_on_the_path():
    history = changes(
        ("drafting", "registered"),
        ("registered", "in_committee"),
        ("in_committee", "first_reading"),
        ("first_reading", "returned_for_revision"),
        ("returned_for_revision", "in_committee"),
    )
    steps = build_stepper(LAW_WORKFLOW, "in_committee", history)
    assert not any(s.is_exit for s in steps)
    assert [s.status for s in steps if s.is_current] == ["in_committee"]
    # The first reading happened once, but it is ahead again: the repeated reading is to come.
    assert dict(states(steps))["first_reading"] == "ahead"


def test_new_record_is_current_at_the_first_stage():
    steps = build_stepper(FACILITY_WORKFLOW, "proposed", [])
    assert states(steps)[0] == ("proposed", "current")
    assert {s.state for s in steps[1:]} == {"ahead"}


def test_cancelled_straight_away_is_an_ending_exit_after_the_first_stage():
    steps = build_stepper(FACILITY_WORKFLOW, "cancelled", changes(("proposed", "cancelled")))
    assert states(steps)[:2] == [("proposed", "done"), ("cancelled", "current")]
    assert steps[1].is_end
