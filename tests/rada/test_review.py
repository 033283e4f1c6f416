"""Staff stay in charge: differences go to the review queue; numbers and relations follow."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from tests.factories import make_law, make_user, move
from tests.rada.dumps import card, phase, write
from tracker.models import (
    DraftLaw,
    Event,
    LawRelation,
    ProceduralEvent,
    RadaBill,
    RadaReview,
    RadaSuggestionRule,
    ReviewKind,
    StatusChange,
    SuggestedBill,
    Visibility,
)
from tracker.selectors import Viewer, visible_events, visible_laws
from tracker.services.rada_review import (
    accept_review,
    accept_suggestion,
    add_bill_by_number,
    dismiss_suggestion,
    edit_review,
    keep_ours,
)
from tracker.services.rada_sync import sync_file
from tracker.services.transitions import correct_entry, record_transition

pytestmark = pytest.mark.django_db

D = datetime.date
COMMITTEE_PHASE = phase("2025-03-05", "Опрацьовується в комітеті")


@pytest.fixture
def staff(db):
    return make_user(username="staff1", role="Editors")


def _in_committee(law):
    return StatusChange.objects.get(record_id=law.pk, to_status="in_committee", is_active=True)


def _staff_law_in_committee(staff, on=None):
    on = on or D(2025, 3, 7)
    law = make_law(registration_number="3000", initiator="mps")
    record_transition(
        record=law, to_status="registered", occurred_on=D(2025, 3, 3), recorded_by=staff
    )
    record_transition(record=law, to_status="in_committee", occurred_on=on, recorded_by=staff)
    return law


def test_a_different_date_goes_to_review_and_ours_stays(tmp_path, staff):
    law = _staff_law_in_committee(staff)
    dump = write(tmp_path / "d.json", [card(80, "3000", passings=[COMMITTEE_PHASE])])
    run = sync_file(str(dump))
    assert _in_committee(law).occurred_on == D(2025, 3, 7)
    review = RadaReview.objects.get(law=law, kind=ReviewKind.DATE_DIFFERS)
    assert (review.rada_value, review.our_value) == ("2025-03-05", "2025-03-07")
    assert review.status_change == _in_committee(law)
    assert run.reviews_opened >= 1
    # The staff step was matched, not doubled; nothing else is written on a second run.
    assert StatusChange.objects.filter(record_id=law.pk, to_status="in_committee").count() == 1
    again = sync_file(str(dump))
    assert again.changes == 0 and again.reviews_opened == 0


def test_accepting_the_rada_s_date_corrects_the_step_as_the_person_deciding(tmp_path, staff):
    law = _staff_law_in_committee(staff)
    sync_file(str(write(tmp_path / "d.json", [card(80, "3000", passings=[COMMITTEE_PHASE])])))
    review = RadaReview.objects.get(law=law, kind=ReviewKind.DATE_DIFFERS)
    accept_review(review=review, user=staff)
    step = _in_committee(law)
    assert step.occurred_on == D(2025, 3, 5) and step.recorded_by == staff
    assert step.corrects.occurred_on == D(2025, 3, 7)
    assert Event.objects.filter(record_id=law.pk, type="law.corrected").count() == 1
    review.refresh_from_db()
    assert review.state == "accepted" and review.resolved_by == staff
    with pytest.raises(ValidationError, match="already settled"):
        keep_ours(review=review, user=staff)
    # The difference is gone: a later run finds nothing to review.
    assert sync_file(str(tmp_path / "d.json")).reviews_opened == 0


def test_keeping_ours_holds_until_the_rada_says_something_else(tmp_path, staff):
    law = _staff_law_in_committee(staff)
    dump = write(tmp_path / "d.json", [card(80, "3000", passings=[COMMITTEE_PHASE])])
    sync_file(str(dump))
    review = RadaReview.objects.get(law=law, kind=ReviewKind.DATE_DIFFERS)
    keep_ours(review=review, user=staff, note="The committee's own site says the 7th.")
    assert _in_committee(law).occurred_on == D(2025, 3, 7)
    sync_file(str(dump))
    review.refresh_from_db()
    assert review.state == "kept"
    # The Rada changes its date: the question is asked again.
    write(
        tmp_path / "d.json",
        [card(80, "3000", passings=[phase("2025-03-06", COMMITTEE_PHASE["title"])])],
    )
    sync_file(str(dump))
    review.refresh_from_db()
    assert review.state == "open" and review.rada_value == "2025-03-06"


def test_editing_sets_the_date_staff_give(tmp_path, staff):
    law = _staff_law_in_committee(staff)
    sync_file(str(write(tmp_path / "d.json", [card(80, "3000", passings=[COMMITTEE_PHASE])])))
    review = RadaReview.objects.get(law=law, kind=ReviewKind.DATE_DIFFERS)
    with pytest.raises(ValidationError):
        edit_review(review=review, user=staff, value="the sixth")
    edit_review(review=review, user=staff, value="2025-03", note="Only the month is sure.")
    step = _in_committee(law)
    assert (step.occurred_on, step.date_precision) == (D(2025, 3, 1), "month")
    review.refresh_from_db()
    assert review.state == "edited"


def test_a_staff_step_the_rada_does_not_show_is_reviewed_and_can_be_retracted(tmp_path, staff):
    law = _staff_law_in_committee(staff)
    record_transition(
        record=law, to_status="public_discussion", occurred_on=D(2025, 3, 8), recorded_by=staff
    )
    record_transition(
        record=law, to_status="first_reading", occurred_on=D(2025, 3, 9), recorded_by=staff
    )
    record_transition(
        record=law, to_status="returned_for_revision", occurred_on=D(2025, 3, 10), recorded_by=staff
    )
    sync_file(str(write(tmp_path / "d.json", [card(80, "3000", passings=[COMMITTEE_PHASE])])))
    review = RadaReview.objects.get(law=law, kind=ReviewKind.NOT_IN_RADA)
    # Public discussion and the first reading are not phases of a card: not asked about.
    assert review.status_change.to_status == "returned_for_revision"
    accept_review(review=review, user=staff)
    law.refresh_from_db()
    assert law.status == "first_reading"
    assert (
        review.status_change.__class__.objects.get(pk=review.status_change_id).retracted_by == staff
    )


def test_a_step_the_workflow_refuses_goes_to_review_and_accepting_retries_it(tmp_path, staff):
    law = make_law(registration_number="3001")
    move(law, "registered", "in_committee", start=D(2025, 3, 3), user=staff)
    law.refresh_from_db()
    passings = [COMMITTEE_PHASE, phase("2025-03-20", "Повернуто з підписом від Президента України")]
    sync_file(str(write(tmp_path / "d.json", [card(81, "3001", passings=passings)])))
    review = RadaReview.objects.get(law=law, kind=ReviewKind.REFUSED)
    assert "Signed by the President" in review.rada_value
    assert "cannot move" in review.our_value
    law.refresh_from_db()
    assert law.status == "in_committee"
    with pytest.raises(Exception, match="cannot move"):
        accept_review(review=review, user=staff)
    review.refresh_from_db()
    assert review.state == "open"
    # Staff record the missing steps; accepting now records the Rada's.
    move(
        law,
        "first_reading",
        "adopted_as_whole",
        "signed_by_speaker",
        "sent_to_president",
        start=D(2025, 3, 10),
        user=staff,
    )
    accept_review(review=review, user=staff)
    law.refresh_from_db()
    assert law.status == "signed_by_president"


def test_a_field_staff_wrote_is_not_overwritten_and_accepting_takes_the_rada_s(tmp_path, staff):
    law = make_law(registration_number="3002", title_uk="Про оборону (коротко)", initiator="mps")
    sync_file(str(write(tmp_path / "d.json", [card(82, "3002", name="Про оборону повністю")])))
    law.refresh_from_db()
    assert law.title_uk == "Про оборону (коротко)"
    review = RadaReview.objects.get(law=law, key="value:title_uk")
    accept_review(review=review, user=staff)
    law.refresh_from_db()
    assert law.title_uk == "Про оборону повністю"
    # The title is now the Rada's: its next change is followed without asking.
    sync_file(str(write(tmp_path / "d.json", [card(82, "3002", name="Про оборону, нова назва")])))
    law.refresh_from_db()
    assert law.title_uk == "Про оборону, нова назва"


def test_numbers_and_relations_that_change_between_two_dumps(tmp_path, germany, france):
    law = make_law(registration_number="4000", partners=[germany], visibility=Visibility.RESTRICTED)
    first = [
        card(90, "4000", alternative=[91], bind=[92]),
        card(91, "4000-1", name="Альтернативний проект"),
        card(
            92, "4001", name="Про внесення змін до Податкового кодексу", passings=[COMMITTEE_PHASE]
        ),
    ]
    sync_file(str(write(tmp_path / "d1.json", first)))
    alternative = DraftLaw.objects.get(registration_number="4000-1")
    package = DraftLaw.objects.get(registration_number="4001")
    assert LawRelation.objects.filter(law=law, kind="alternative_to", other=alternative).exists()
    assert LawRelation.objects.filter(law=law, kind="package_with", other=package).exists()
    # Created for staff, hidden from partners until staff publish them.
    for created in (alternative, package):
        assert created.visibility == Visibility.RESTRICTED and not created.partners.exists()
        assert created.rada_bill.rada_id in (91, 92)
        for partner in (germany, france):
            assert not visible_laws(Viewer.partner(partner)).filter(pk=created.pk).exists()
            assert (
                not visible_events(Viewer.partner(partner))
                .filter(record_id=created.pk, record_type="law")
                .exists()
            )
        assert visible_laws(Viewer.staff()).filter(pk=created.pk).exists()
    # The sync's own defaults are not differences with the Rada.
    assert not RadaReview.objects.filter(law__in=[alternative, package]).exists()
    # The related bill's whole history came in the same run.
    package.refresh_from_db()
    assert package.status == "in_committee"
    # Germany sees the law's imported steps; France, not linked, does not.
    assert (
        visible_events(Viewer.partner(germany))
        .filter(record_id=law.pk, type="law.status_changed")
        .exists()
    )
    assert (
        not visible_events(Viewer.partner(france))
        .filter(record_id=law.pk, record_type="law")
        .exists()
    )

    second = [
        card(90, "4000-д", alternative=[], bind=[92, 93]),
        card(91, "4000-1", name="Альтернативний проект"),
        card(
            92, "4001", name="Про внесення змін до Податкового кодексу", passings=[COMMITTEE_PHASE]
        ),
        card(93, "4002", name="Про внесення змін до Митного кодексу"),
    ]
    sync_file(str(write(tmp_path / "d2.json", second)))
    law.refresh_from_db()
    assert law.registration_number == "4000-д"
    assert list(law.other_numbers.values_list("number", flat=True)) == ["4000"]
    customs = DraftLaw.objects.get(registration_number="4002")
    assert LawRelation.objects.filter(law=law, kind="package_with", other=customs).exists()
    # The alternative the Rada no longer shows: staff decide.
    review = RadaReview.objects.get(law=law, kind=ReviewKind.NOT_IN_RADA)
    assert review.rada == {"action": "unrelate", "kind": "alternative_to", "other": alternative.pk}
    assert LawRelation.objects.filter(law=law, kind="alternative_to").exists()
    accept_review(review=review, user=make_user(role="Editors"))
    assert not LawRelation.objects.filter(law=law, kind="alternative_to").exists()
    again = sync_file(str(tmp_path / "d2.json"))
    assert again.changes == 0 and again.reviews_opened == 0


def test_suggestions_by_committee_and_word_accepted_or_dismissed(tmp_path, staff):
    RadaSuggestionRule.objects.create(kind="committee", value="національної безпеки")
    RadaSuggestionRule.objects.create(kind="word", value="виробництв")
    cards = [
        card(100, "5000", name="Про спільне виробництво озброєння", passings=[COMMITTEE_PHASE]),
        card(101, "5001", name="Про оборонне виробництво з партнерами"),
        card(102, "5002", name="Про освіту"),
    ]
    run = sync_file(str(write(tmp_path / "d.json", cards)))
    assert run.suggestions == 2
    assert set(SuggestedBill.objects.values_list("rada_id", flat=True)) == {100, 101}
    assert not DraftLaw.objects.exists()  # nothing tracked without a person accepting it
    law = accept_suggestion(suggestion=SuggestedBill.objects.get(rada_id=100), user=staff)
    assert law.visibility == Visibility.RESTRICTED
    assert law.registration_number == "5000" and law.status == "in_committee"
    assert not RadaReview.objects.filter(law=law).exists()
    dismissed = dismiss_suggestion(suggestion=SuggestedBill.objects.get(rada_id=101), user=staff)
    assert dismissed.state == "dismissed" and dismissed.decided_by == staff
    sync_file(str(tmp_path / "d.json"))
    assert SuggestedBill.objects.get(rada_id=101).state == "dismissed"
    assert sync_file(str(tmp_path / "d.json")).changes == 0


def test_a_bill_added_by_its_number_is_filled_in_by_the_next_sync(tmp_path, staff):
    law = add_bill_by_number(number="6000", user=staff)
    assert law.rada_bill.rada_id is None
    with pytest.raises(ValidationError, match="already followed"):
        add_bill_by_number(number="6000", user=staff)
    sync_file(
        str(
            write(
                tmp_path / "d.json",
                [card(110, "6000", name="Про оборонні закупівлі", passings=[COMMITTEE_PHASE])],
            )
        )
    )
    law.refresh_from_db()
    assert law.rada_bill.rada_id == 110
    assert law.title_uk == "Про оборонні закупівлі" and law.status == "in_committee"
    assert not RadaReview.objects.filter(law=law).exclude(key="value:initiator").exists()


def test_a_dry_run_changes_nothing(tmp_path):
    law = make_law(registration_number="7000")
    events = Event.objects.count()
    report = sync_file(
        str(write(tmp_path / "d.json", [card(120, "7000", passings=[COMMITTEE_PHASE])])),
        dry_run=True,
    )
    assert report.changes > 0 and any("In committee" in line for line in report.lines)
    assert Event.objects.count() == events
    assert (
        not RadaBill.objects.exists() and not StatusChange.objects.filter(record_id=law.pk).exists()
    )
    assert not ProceduralEvent.objects.exists()


def test_accepting_the_rada_s_number_keeps_ours_as_an_earlier_one(tmp_path, staff):
    law = make_law(registration_number="3100", initiator="mps")
    # The same bill, matched by the Rada's id after staff typed another number.
    RadaBill.objects.create(law=law, rada_id=83, registration_number="3100")
    sync_file(str(write(tmp_path / "d.json", [card(83, "3100-д")])))
    review = RadaReview.objects.get(law=law, key="value:registration_number")
    assert (review.rada_value, review.our_value) == ("3100-д", "3100")
    accept_review(review=review, user=staff)
    law.refresh_from_db()
    assert law.registration_number == "3100-д"
    assert list(law.other_numbers.values_list("number", flat=True)) == ["3100"]


def test_imported_steps_are_planned_for_the_partners_who_may_see_them(tmp_path, germany, france):
    from tracker.notifications import outbox
    from tracker.services.subscriptions import email_subscription_create

    for partner in (germany, france):
        email_subscription_create(
            partner=partner,
            email=f"desk@{str(partner.code).lower()}.example",
            event_types=["law.*"],
        )
    law = make_law(
        registration_number="16000", partners=[germany], visibility=Visibility.RESTRICTED
    )
    sync_file(str(write(tmp_path / "d.json", [card(160, "16000", passings=[COMMITTEE_PHASE])])))
    step_events = Event.objects.filter(record_id=law.pk, type="law.status_changed")
    assert step_events.count() == 2  # registered, in committee
    for event in step_events:
        partners = {s.partner_id for s in outbox.matching_subscribers(event)}
        assert partners == {germany.pk}


def test_a_difference_fixed_by_hand_leaves_the_queue(tmp_path, staff):
    law = _staff_law_in_committee(staff)
    dump = write(tmp_path / "d.json", [card(80, "3000", passings=[COMMITTEE_PHASE])])
    sync_file(str(dump))
    assert RadaReview.objects.filter(law=law, kind=ReviewKind.DATE_DIFFERS).exists()
    correct_entry(
        entry=_in_committee(law),
        recorded_by=staff,
        reason="Checked the card.",
        changes={"occurred_on": D(2025, 3, 5)},
    )
    sync_file(str(dump))
    assert not RadaReview.objects.filter(law=law, kind=ReviewKind.DATE_DIFFERS).exists()
    # A decided one stays: keeping ours is remembered.
    kept = RadaReview.objects.get(law=law, key="value:title_uk")
    keep_ours(review=kept, user=staff)
    sync_file(str(dump))
    kept.refresh_from_db()
    assert kept.state == "kept"
