import datetime
import itertools
from types import SimpleNamespace

from tracker.web.president import president_term
from tracker.web.stepper import build_stepper, statuses_ahead
from tracker.workflows import (
    FACILITY_WORKFLOW,
    LAW_WORKFLOW,
    PARTNER_WORKFLOW,
    PRESIDENT_AFTER_OVERRIDE_DAYS,
    PRESIDENT_ANSWER_DAYS,
)

DAY = datetime.date(2025, 7, 1)


def changes(*moves, **dates):
    """Steps one day apart from DAY; `dates` gives some of them (by to_status) another date
    (None: not known) or `(date, "month")`."""
    result = []
    for i, (a, b) in enumerate(moves):
        on, precision = DAY + datetime.timedelta(days=i), "day"
        if b in dates:
            value = dates[b]
            on, precision = value if isinstance(value, tuple) else (value, "day")
            precision = "unknown" if on is None else precision
        result.append(
            SimpleNamespace(
                pk=i + 1,
                from_status=a,
                to_status=b,
                occurred_on=on,
                date_precision=precision,
                is_reopening=False,
            )
        )
    return result


def path(*statuses):
    return list(itertools.pairwise(statuses))


def states(steps):
    return [(s.status, s.state) for s in steps]


VETO_THEN_OVERRIDE = path(
    "drafting",
    "registered",
    "in_committee",
    "first_reading",
    "adopted_as_whole",
    "signed_by_speaker",
    "sent_to_president",
    "vetoed",
    "veto_overridden",
    "signed_by_speaker",
    "sent_to_president",
    "signed_by_president",
)


def test_vetoed_then_overridden_law_shows_every_step_it_took_in_order_then_what_is_ahead():
    steps = build_stepper(LAW_WORKFLOW, "signed_by_president", changes(*VETO_THEN_OVERRIDE))
    assert [s.status for s in steps] == [
        "drafting",
        "registered",
        "in_committee",
        "first_reading",
        "adopted_as_whole",  # the first adoption
        "signed_by_speaker",
        "sent_to_president",
        "vetoed",  # returned with proposals
        "veto_overridden",
        "signed_by_speaker",  # the Speaker signs again after the override
        "sent_to_president",
        "signed_by_president",
        "published",
        "in_force",
    ]
    assert [s.state for s in steps].count("current") == 1
    assert steps[11].is_current and steps[11].occurred_on == DAY + datetime.timedelta(days=10)
    assert [s.state for s in steps[12:]] == ["ahead", "ahead"]
    vetoed = steps[7]
    assert vetoed.is_exit and vetoed.state == "done"
    assert vetoed.label == "Returned by the President with proposals"
    assert steps[9].is_repeat and not steps[5].is_repeat
    # Every recorded step has its own date; the starting stage and the stages ahead have none.
    assert [s.occurred_on for s in steps[1:12]] == [
        DAY + datetime.timedelta(days=i) for i in range(11)
    ]
    assert not steps[0].is_recorded and steps[0].occurred_on is None
    assert all(not s.is_recorded for s in steps[12:])


def test_vetoed_law_waits_for_the_rada_and_the_speaker_signs_again_ahead():
    history = changes(*VETO_THEN_OVERRIDE[:7])
    steps = build_stepper(LAW_WORKFLOW, "vetoed", history)
    current = [s for s in steps if s.is_current]
    assert [s.status for s in current] == ["vetoed"]
    assert current[0].is_exit and not current[0].is_end
    after = [s.status for s in steps if s.state == "ahead"]
    assert after == [
        "signed_by_speaker",
        "sent_to_president",
        "signed_by_president",
        "published",
        "in_force",
    ]


def test_mp_bill_does_not_show_the_cabinet_stages_it_never_went_through():
    history = changes(("drafting", "registered"), ("registered", "in_committee"))
    steps = build_stepper(LAW_WORKFLOW, "in_committee", history)
    assert states(steps)[:4] == [
        ("drafting", "done"),
        ("registered", "done"),
        ("in_committee", "current"),
        ("first_reading", "ahead"),
    ]
    assert "stakeholder_review" not in [s.status for s in steps]


def test_rejection_ends_the_path_with_nothing_ahead():
    history = changes(
        *path(
            "drafting",
            "registered",
            "in_committee",
            "first_reading",
            "adopted_in_principle",
            "second_reading",
            "third_reading",
            "rejected",
        )
    )
    steps = build_stepper(LAW_WORKFLOW, "rejected", history)
    assert steps[-1].status == "rejected"
    assert steps[-1].is_current and steps[-1].is_end and steps[-1].is_exit


def test_repeated_first_reading_and_reopening_appear_where_they_happened():
    history = changes(
        *path(
            "drafting",
            "registered",
            "in_committee",
            "first_reading",
            "returned_for_revision",
            "in_committee",
            "first_reading",
            "removed",
            "first_reading",
        )
    )
    history[-1].is_reopening = True
    steps = build_stepper(LAW_WORKFLOW, "first_reading", history)
    recorded = [(s.status, s.is_repeat, s.is_reopening) for s in steps if s.is_recorded]
    assert recorded == [
        ("registered", False, False),
        ("in_committee", False, False),
        ("first_reading", False, False),
        ("returned_for_revision", False, False),
        ("in_committee", True, False),
        ("first_reading", True, False),
        ("removed", False, False),
        ("first_reading", True, True),
    ]
    assert steps[-1 - len(statuses_ahead(LAW_WORKFLOW, "first_reading"))].is_current
    removed = next(s for s in steps if s.status == "removed")
    assert removed.is_end and removed.state == "done"


def test_dates_are_kept_as_known_unknown_and_month():
    history = changes(
        *path("drafting", "registered", "in_committee", "first_reading"),
        in_committee=None,
        first_reading=(datetime.date(2025, 8, 1), "month"),
    )
    steps = {s.status: s for s in build_stepper(LAW_WORKFLOW, "first_reading", history)}
    assert steps["registered"].occurred_on == DAY
    assert steps["registered"].date_precision == "day"
    assert steps["in_committee"].is_recorded and steps["in_committee"].occurred_on is None
    assert steps["in_committee"].date_precision == "unknown"
    assert steps["first_reading"].date_precision == "month"


def test_new_record_is_current_at_the_first_stage():
    steps = build_stepper(FACILITY_WORKFLOW, "proposed", [])
    assert states(steps)[0] == ("proposed", "current")
    assert {s.state for s in steps[1:]} == {"ahead"}


def test_cancelled_straight_away_ends_after_the_first_stage():
    steps = build_stepper(FACILITY_WORKFLOW, "cancelled", changes(("proposed", "cancelled")))
    assert states(steps) == [("proposed", "done"), ("cancelled", "current")]
    assert steps[1].is_end


def test_off_the_main_path_the_way_back_is_the_nearest_stage_the_workflow_allows():
    # A suspended plant that was operating goes back to operating, not to construction.
    assert statuses_ahead(FACILITY_WORKFLOW, "suspended", ["operational", "suspended"]) == [
        "operational"
    ]
    # Financing before any memorandum: the memorandum is still ahead.
    assert statuses_ahead(PARTNER_WORKFLOW, "financing", ["negotiating", "financing"]) == [
        "mou_signed",
        "agreement_signed",
        "active",
    ]
    assert statuses_ahead(LAW_WORKFLOW, "in_force") == []


# --- The President's term (Constitution art. 94) ----------------------------------------------


def test_president_term_runs_15_days_from_the_day_the_law_reached_the_president():
    history = changes(*VETO_THEN_OVERRIDE[:6])  # sent to the President on DAY + 5
    received = DAY + datetime.timedelta(days=5)
    term = president_term("sent_to_president", history, received + datetime.timedelta(days=3))
    assert term.days == PRESIDENT_ANSWER_DAYS == 15 and not term.after_override
    assert term.received_on == received
    assert term.due_on == received + datetime.timedelta(days=15)
    assert not term.passed and term.days_left == 12
    on_the_last_day = president_term("sent_to_president", history, term.due_on)
    assert not on_the_last_day.passed and on_the_last_day.days_left == 0


def test_president_term_passed_is_said_but_nothing_changes():
    history = changes(*VETO_THEN_OVERRIDE[:6])
    received = DAY + datetime.timedelta(days=5)
    term = president_term("sent_to_president", history, received + datetime.timedelta(days=16))
    assert term.passed and term.days_left == 0


def test_after_an_override_the_president_has_10_days_to_sign():
    history = changes(*VETO_THEN_OVERRIDE[:10])  # sent again on DAY + 9
    term = president_term("sent_to_president", history, DAY + datetime.timedelta(days=30))
    assert term.after_override and term.days == PRESIDENT_AFTER_OVERRIDE_DAYS == 10
    assert term.due_on == DAY + datetime.timedelta(days=19)
    assert term.passed
    # Overridden, on its way back: the duty is told, with no date yet.
    waiting = president_term("signed_by_speaker", history[:9], DAY)
    assert waiting.after_override and not waiting.with_president and waiting.due_on is None
    # Adopted with the President's proposals instead: a new 15-day term.
    proposals = changes(
        *VETO_THEN_OVERRIDE[:7],
        ("vetoed", "adopted_with_proposals"),
        ("adopted_with_proposals", "signed_by_speaker"),
        ("signed_by_speaker", "sent_to_president"),
    )
    again = president_term("sent_to_president", proposals, DAY)
    assert not again.after_override and again.days == 15


def test_no_term_without_a_known_day_or_away_from_the_president():
    unknown = changes(*VETO_THEN_OVERRIDE[:6], sent_to_president=None)
    term = president_term("sent_to_president", unknown, DAY)
    assert term.with_president and term.due_on is None and not term.passed
    month = changes(*VETO_THEN_OVERRIDE[:6], sent_to_president=(DAY, "month"))
    assert president_term("sent_to_president", month, DAY).due_on is None
    assert president_term("signed_by_speaker", changes(*VETO_THEN_OVERRIDE[:5]), DAY) is None
    assert president_term("signed_by_president", changes(*VETO_THEN_OVERRIDE), DAY) is None
