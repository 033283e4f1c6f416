"""The counting rules on worked examples, through the services that record real bills."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from tests.factories import make_facility, make_law, make_tax_measure, make_user
from tracker import deadlines as rules
from tracker.models import Deadline, DraftLaw, Event, ManualDeadline, StatusChange
from tracker.services.deadlines import (
    manual_deadline_create,
    manual_deadline_update,
    refresh_all_deadlines,
)
from tracker.services.laws import add_entry_into_force
from tracker.services.records import record_delete, record_update
from tracker.services.transitions import correct_entry, record_transition

pytestmark = pytest.mark.django_db

D = datetime.date


def walk(law, *steps):
    """Record (status, date) steps; a date None is 'not known', (date, 'month') a month."""
    for status, on in steps:
        precision = "day"
        if isinstance(on, tuple):
            on, precision = on
        if on is None:
            precision = "unknown"
        record_transition(
            record=law,
            to_status=status,
            occurred_on=on,
            date_precision=precision,
            recorded_by=None,
            votes_for=310 if status == "veto_overridden" else None,
        )
    return law


ADOPTED = (
    ("registered", D(2025, 9, 1)),
    ("first_reading", D(2025, 9, 10)),
    ("adopted_as_whole", D(2025, 9, 10)),
    ("signed_by_speaker", D(2025, 9, 20)),
)


def deadlines_of(record):
    return {
        d.key.split(":", 2)[2]: d
        for d in Deadline.objects.filter(record_id=record.pk).filter(record_type=record.record_type)
    }


def test_counting_is_calendar_days_from_the_day_after():
    assert rules.counted(D(2025, 10, 1), 15) == D(2025, 10, 16)
    assert rules.counted(D(2025, 12, 25), 10) == D(2026, 1, 4)  # across the new year


def test_presidents_15_days_from_receipt_then_deemed_approved_without_a_status_change():
    law = walk(make_law(), *ADOPTED, ("sent_to_president", D(2025, 10, 1)))
    (term,) = [d for d in Deadline.objects.filter(record_id=law.pk) if d.kind == "president_answer"]
    assert term.due_on == D(2025, 10, 16)  # "the President must answer by 16 October"
    assert term.key == f"law:{law.pk}:president:1"
    assert term.legal_basis == "Constitution of Ukraine, art. 94, parts 2 and 3"
    assert term.counts_from == [
        {"what": "received_by_president", "date": "2025-10-01", "date_precision": "day"}
    ]
    four_left = rules.state_of(term.due_on, term.obliged, term.kind, D(2025, 10, 12))
    assert (four_left.state, four_left.days_left, four_left.deemed_approved) == (
        "running",
        4,
        False,
    )
    on_the_day = rules.state_of(term.due_on, term.obliged, term.kind, D(2025, 10, 16))
    assert on_the_day.state == "due_today" and on_the_day.days_left == 0
    after = rules.state_of(term.due_on, term.obliged, term.kind, D(2025, 10, 17))
    assert after.state == "overdue" and after.days_overdue == 1 and after.deemed_approved
    law.refresh_from_db()
    assert law.status == "sent_to_president"  # nothing changed by itself


def test_veto_and_override_the_president_then_has_10_days_from_the_new_receipt():
    law = walk(
        make_law(),
        *ADOPTED,
        ("sent_to_president", D(2025, 10, 1)),
        ("vetoed", D(2025, 10, 14)),
    )
    # Returned: the 15 days are answered, nothing runs while the Rada decides.
    assert "president:1" not in deadlines_of(law)
    walk(law, ("veto_overridden", D(2025, 11, 4)), ("signed_by_speaker", D(2025, 11, 6)))
    assert not [k for k in deadlines_of(law) if k.startswith("president")]
    walk(law, ("sent_to_president", D(2025, 11, 7)))
    term = deadlines_of(law)["president:2"]
    assert term.kind == "president_after_override"
    assert term.due_on == D(2025, 11, 17)
    assert term.legal_basis == "Constitution of Ukraine, art. 94, part 4"
    assert [c["what"] for c in term.counts_from] == ["received_by_president", "veto_overridden"]
    # Past the 10 days: overdue, but "deemed approved" is the 15-day rule only.
    late = rules.state_of(term.due_on, term.obliged, term.kind, D(2025, 11, 20))
    assert late.state == "overdue" and not late.deemed_approved
    walk(law, ("signed_by_president", D(2025, 11, 12)))
    assert not [k for k in deadlines_of(law) if k.startswith("president")]


def test_a_law_returned_and_readopted_with_the_proposals_gets_15_new_days():
    law = walk(
        make_law(),
        *ADOPTED,
        ("sent_to_president", D(2025, 10, 1)),
        ("vetoed", D(2025, 10, 10)),
        ("adopted_with_proposals", D(2025, 11, 4)),
        ("signed_by_speaker", D(2025, 11, 5)),
        ("sent_to_president", D(2025, 11, 6)),
    )
    term = deadlines_of(law)["president:2"]
    assert term.kind == "president_answer" and term.due_on == D(2025, 11, 21)


def test_a_deadline_on_a_weekend_does_not_move():
    # Received on Friday 3 October 2025: the 15th day is Saturday 18 October.
    law = walk(make_law(), *ADOPTED, ("sent_to_president", D(2025, 10, 3)))
    term = deadlines_of(law)["president:1"]
    assert term.due_on == D(2025, 10, 18) and term.due_on.weekday() == 5
    standing = rules.state_of(term.due_on, term.obliged, term.kind, D(2025, 10, 17))
    assert standing.on_weekend and standing.days_left == 1


def test_a_date_known_only_to_the_month_or_not_at_all_gives_no_date_but_says_why():
    month = walk(make_law(), *ADOPTED, ("sent_to_president", (D(2025, 10, 1), "month")))
    term = deadlines_of(month)["president:1"]
    assert term.due_on is None and term.unknown_because == "month_only"
    assert term.counts_from[0]["date"] == "2025-10"
    unknown = walk(make_law(), *ADOPTED, ("sent_to_president", None))
    term = deadlines_of(unknown)["president:1"]
    assert term.due_on is None and term.unknown_because == "date_unknown"
    assert str(rules.UNKNOWN_REASONS["date_unknown"]) == "the date it counts from is not known"


def test_a_corrected_receipt_date_moves_the_same_deadline():
    law = walk(make_law(), *ADOPTED, ("sent_to_president", D(2025, 10, 1)))
    before = deadlines_of(law)["president:1"]
    step = StatusChange.objects.get(record_id=law.pk, to_status="sent_to_president")
    correct_entry(
        entry=step,
        recorded_by=None,
        reason="Card says 2 October",
        changes={"occurred_on": D(2025, 10, 2), "date_precision": "day"},
    )
    after = deadlines_of(law)["president:1"]
    assert after.pk == before.pk and after.due_on == D(2025, 10, 17)


def test_entry_into_force_ten_days_after_publication_unless_the_law_says_otherwise():
    law = walk(
        make_law(),
        *ADOPTED,
        ("sent_to_president", D(2025, 10, 1)),
        ("signed_by_president", D(2025, 10, 8)),
        ("published", D(2025, 10, 10)),
    )
    default = deadlines_of(law)["entry_into_force:default"]
    assert default.due_on == D(2025, 10, 20) and not default.obliged
    assert default.legal_basis.startswith("Constitution of Ukraine, art. 94, part 5")
    # The law says otherwise, in stages: each stage is its own deadline, the default goes.
    add_entry_into_force(law=law, actor=None, provisions="Articles 1-3", on=D(2025, 10, 11))
    add_entry_into_force(law=law, actor=None, provisions="Article 4", on=D(2026, 1, 1))
    add_entry_into_force(
        law=law, actor=None, provisions="Article 5", condition="the day the register starts"
    )
    found = deadlines_of(law)
    assert "entry_into_force:default" not in found
    stages = sorted(
        (d.label, d.due_on, d.unknown_because)
        for k, d in found.items()
        if k.startswith("entry_into_force")
    )
    assert stages == [
        ("Article 4", D(2026, 1, 1), ""),
        ("Article 5", None, "condition"),
        ("Articles 1-3", D(2025, 10, 11), ""),
    ]
    condition = next(d for d in found.values() if d.label == "Article 5")
    assert condition.counts_from[-1]["condition"] == "the day the register starts"


def test_entry_into_force_never_before_publication():
    # Recorded before publication with an earlier date: it counts from the publication.
    law = walk(
        make_law(),
        *ADOPTED,
        ("sent_to_president", D(2025, 10, 1)),
        ("signed_by_president", D(2025, 10, 8)),
    )
    add_entry_into_force(law=law, actor=None, on=D(2025, 10, 9))
    walk(law, ("published", D(2025, 10, 12)))
    (entry,) = [d for k, d in deadlines_of(law).items() if k.startswith("entry_into_force")]
    assert entry.due_on == D(2025, 10, 12)


def test_tax_measure_start_and_sunset_and_a_planned_next_step():
    measure = make_tax_measure(
        starts_on=D(2026, 1, 1),
        sunset_on=D(2030, 12, 31),
        sunset_condition="or accession to the EU, whichever first",
    )
    found = deadlines_of(measure)
    assert found["start"].due_on == D(2026, 1, 1) and not found["start"].obliged
    assert found["sunset"].due_on == D(2030, 12, 31)
    law = make_law(planned_next_step="First reading", planned_next_step_on=D(2026, 2, 3))
    step = deadlines_of(law)["next_step"]
    assert step.obliged and step.label == "First reading" and step.due_on == D(2026, 2, 3)
    record_update(record=law, values={"planned_next_step_on": D(2026, 2, 10)}, actor=None)
    assert deadlines_of(law)["next_step"].due_on == D(2026, 2, 10)


def test_a_failed_law_has_nothing_due():
    law = walk(
        make_law(planned_next_step="Vote", planned_next_step_on=D(2026, 2, 3)),
        ("registered", D(2025, 9, 1)),
        ("withdrawn", D(2025, 9, 2)),
    )
    assert deadlines_of(law) == {}


def test_staff_add_a_deadline_with_a_source_and_mark_it_done():
    editor = make_user(role="Editors")
    facility = make_facility()
    deadline = manual_deadline_create(
        record=facility,
        actor=editor,
        title="Antitrust clearance expected",
        due_on=D(2026, 3, 1),
        legal_basis="Law on the protection of economic competition, art. 25",
        source_url="https://amcu.gov.ua/decision/1",
        responsible=editor,
    )
    row = deadlines_of(facility)[f"manual:{deadline.pk}"]
    assert row.obliged and row.responsible == editor and row.source_url.startswith("https://")
    assert Event.objects.filter(type="facility.updated", record_id=facility.pk).last().data == {
        "changed": ["deadlines"]
    }
    manual_deadline_update(deadline=deadline, actor=editor, values={"done_on": D(2025, 12, 1)})
    assert deadlines_of(facility) == {}


def test_a_manual_deadline_without_its_source_is_refused_and_nothing_written():
    law = make_law()
    with pytest.raises(ValidationError) as refused:
        manual_deadline_create(
            record=law, actor=None, title="", due_on="soon", legal_basis="", source_url="x"
        )
    assert set(refused.value.message_dict) == {"title", "due_on", "legal_basis", "source_url"}
    assert not ManualDeadline.objects.exists()
    with pytest.raises(ValidationError) as refused:
        manual_deadline_create(
            record=law,
            actor=None,
            title="Vote",
            due_on=D(2026, 1, 1),
            legal_basis="Rules",
            source_url="https://rada.gov.ua/x",
            responsible=make_user(),
        )
    assert "responsible" in refused.value.message_dict


def test_deleting_a_record_takes_its_deadlines_and_refresh_all_rebuilds_them():
    law = make_law(planned_next_step="Vote", planned_next_step_on=D(2026, 2, 3))
    Deadline.objects.all().delete()  # as after loading fixtures that bypass the services
    assert refresh_all_deadlines() == 1
    manual_deadline_create(
        record=law,
        actor=None,
        title="Vote",
        due_on=D(2026, 1, 1),
        legal_basis="Rules",
        source_url="https://rada.gov.ua/x",
    )
    record_delete(record=law, actor=make_user(is_superuser=True, is_staff=True))
    assert (
        not Deadline.objects.exists()
        and not ManualDeadline.objects.filter(
            content_type=ContentType.objects.get_for_model(DraftLaw)
        ).exists()
    )


def test_changes_that_cannot_move_a_deadline_do_not_recompute_it():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    law = make_law(planned_next_step="Vote", planned_next_step_on=D(2026, 2, 3))
    with CaptureQueriesContext(connection) as queries:
        record_update(record=law, values={"summary_en": "New summary"}, actor=None)
    assert not [q for q in queries if "tracker_deadline" in q["sql"]]
    with CaptureQueriesContext(connection) as queries:
        record_update(record=law, values={"planned_next_step": "Final vote"}, actor=None)
    assert [q for q in queries if "tracker_deadline" in q["sql"]]
    assert deadlines_of(law)["next_step"].label == "Final vote"


@pytest.mark.parametrize(
    "path",
    [
        (*ADOPTED, ("sent_to_president", D(2025, 9, 22)), ("vetoed", None)),
        (
            *ADOPTED,
            ("sent_to_president", D(2025, 9, 22)),
            ("signed_by_president", D(2025, 9, 30)),
            ("published", D(2025, 10, 2)),
        ),
    ],
    ids=["vetoed", "published"],
)
@pytest.mark.parametrize("with_entry", [True, False], ids=["entry", "no_entry"])
def test_steps_keep_the_stored_deadlines_equal_to_a_full_rebuild(path, with_entry):
    law = make_law(planned_next_step="Vote", planned_next_step_on=D(2026, 2, 3))
    manual_deadline_create(
        record=law,
        actor=None,
        title="Committee conclusion",
        due_on=D(2025, 10, 1),
        legal_basis="Rules of Procedure, art. 93",
        source_url="https://rada.gov.ua/x",
    )
    if with_entry:
        add_entry_into_force(law=law, on=D(2026, 1, 1), provisions="Art. 2", actor=None)

    def stored():
        return {
            d.key: (d.kind, d.due_on, d.unknown_because, d.counts_from, d.label, d.manual_id)
            for d in Deadline.objects.filter(record_type="law", record_id=law.pk)
        }

    kinds_seen = set()
    for status, on in path:
        walk(law, (status, on))
        after_step = stored()
        kinds_seen |= {key.split(":")[2] for key in after_step}
        refresh_all_deadlines()
        assert stored() == after_step, status
    assert kinds_seen >= {"manual", "next_step", "president"}
    assert ("entry_into_force" in kinds_seen) == (with_entry or path[-1][0] == "published")
