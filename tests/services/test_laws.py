"""A bill's identifiers, numbers, relations, committees and entries into force."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from tests.factories import make_law, make_tax_measure, move
from tests.services.helpers import record_at
from tracker.models import DraftLaw, Event, LawRelation, RegistrationNumber
from tracker.services.laws import (
    add_committee,
    add_entry_into_force,
    add_registration_number,
    measures_to_follow,
    relate_laws,
    remove_committee,
    remove_entry_into_force,
    remove_registration_number,
    set_law_identifiers,
    sync_effective_date,
    unrelate_laws,
)
from tracker.services.transitions import record_transition
from tracker.workflows import LawStatus

TODAY = datetime.date.today()
DAYS_AGO = TODAY - datetime.timedelta(days=20)


def _updates(law):
    return [
        e.data["changed"]
        for e in Event.objects.filter(type="law.updated", record_id=law.pk).order_by("id")
    ]


@pytest.mark.django_db
def test_identifiers_are_set_with_an_event(editor):
    law = make_law()
    changed = set_law_identifiers(
        law=law,
        actor=editor,
        act_number="1234-IX",
        act_date=DAYS_AGO,
        convocation=9,
        is_urgent=True,
        lead_committee="National Security Committee",
    )
    assert set(changed) == {"act_number", "act_date", "convocation", "is_urgent", "lead_committee"}
    law.refresh_from_db()
    assert (law.act_number, law.convocation, law.is_urgent) == ("1234-IX", 9, True)
    assert sorted(_updates(law)[-1]) == sorted(changed)


@pytest.mark.django_db
def test_identifiers_refuse_other_fields_and_bad_values():
    law = make_law()
    with pytest.raises(ValidationError) as refused:
        set_law_identifiers(law=law, actor=None, title_en="x")
    assert "title_en" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        set_law_identifiers(law=law, actor=None, act_date=DAYS_AGO)
    assert "act number" in str(refused.value)
    with pytest.raises(ValidationError):
        set_law_identifiers(law=law, actor=None, convocation=0)
    assert _updates(law) == []


@pytest.mark.django_db
def test_a_number_belongs_to_one_bill_across_current_and_earlier_numbers():
    holder = make_law(registration_number="1234-д", registration_date=DAYS_AGO)
    add_registration_number(law=holder, number="1234", registered_on=DAYS_AGO, actor=None)
    other = make_law()

    with pytest.raises(ValidationError) as refused:
        add_registration_number(law=other, number="1234", actor=None)
    message = refused.value.message_dict["number"][0]
    assert "earlier number" in message and f"id {holder.pk}" in message

    with pytest.raises(ValidationError) as refused:
        add_registration_number(law=other, number="1234-д", actor=None)
    assert "current number" in refused.value.message_dict["number"][0]

    with pytest.raises(ValidationError) as refused:
        set_law_identifiers(
            law=other, actor=None, registration_number="1234", registration_date=DAYS_AGO
        )
    assert f"id {holder.pk}" in refused.value.message_dict["registration_number"][0]
    assert list(other.other_numbers.all()) == []


@pytest.mark.django_db
def test_earlier_numbers_are_added_and_removed_with_events():
    law = make_law(registration_number="555-д", registration_date=DAYS_AGO)
    add_registration_number(law=law, number=" 555 ", registered_on=DAYS_AGO, actor=None)
    assert list(law.other_numbers.values_list("number", flat=True)) == ["555"]
    with pytest.raises(ValidationError):
        add_registration_number(law=law, number="555", actor=None)
    with pytest.raises(ValidationError) as refused:
        remove_registration_number(law=law, number="555-д", actor=None)
    assert "current number" in refused.value.message_dict["number"][0]
    remove_registration_number(law=law, number="555", actor=None)
    assert not RegistrationNumber.objects.filter(number="555").exists()
    assert _updates(law) == [["registration_numbers"], ["registration_numbers"]]


@pytest.mark.django_db
def test_relations_are_checked_and_reach_both_bills():
    main, alternative, reworked = make_law(), make_law(), make_law()
    relate_laws(law=alternative, kind="alternative_to", other=main, actor=None)
    assert _updates(main) == [["relations"]] and _updates(alternative) == [["relations"]]

    with pytest.raises(ValidationError, match="itself"):
        relate_laws(law=main, kind="package_with", other=main, actor=None)
    with pytest.raises(ValidationError, match="already"):
        relate_laws(law=alternative, kind="alternative_to", other=main, actor=None)
    with pytest.raises(ValidationError, match="says the same"):
        relate_laws(law=main, kind="alternative_to", other=alternative, actor=None)
    with pytest.raises(ValidationError) as refused:
        relate_laws(law=main, kind="friends_with", other=reworked, actor=None)
    assert "kind" in refused.value.message_dict

    relate_laws(law=main, kind="reworked_into", other=reworked, actor=None)
    with pytest.raises(ValidationError, match="both ways"):
        relate_laws(law=reworked, kind="reworked_into", other=main, actor=None)
    assert LawRelation.objects.count() == 2

    # A symmetric relation is found from either end.
    unrelate_laws(law=main, kind="alternative_to", other=alternative, actor=None)
    with pytest.raises(ValidationError, match="not recorded"):
        unrelate_laws(law=main, kind="alternative_to", other=alternative, actor=None)
    with pytest.raises(ValidationError, match="not recorded"):
        unrelate_laws(law=reworked, kind="reworked_into", other=main, actor=None)
    assert LawRelation.objects.count() == 1


@pytest.mark.django_db
def test_committees_other_than_the_main_one():
    law = make_law(lead_committee="Budget Committee")
    with pytest.raises(ValidationError, match="main committee"):
        add_committee(law=law, name="budget committee", actor=None)
    committee = add_committee(
        law=law, name="Committee on Finance", received_on=DAYS_AGO, actor=None
    )
    with pytest.raises(ValidationError, match="already"):
        add_committee(law=law, name="Committee on finance", actor=None)
    with pytest.raises(ValidationError):
        add_committee(law=law, name="  ", actor=None)
    remove_committee(law=law, committee=committee.pk, actor=None)
    with pytest.raises(ValidationError):
        remove_committee(law=law, committee=committee.pk, actor=None)
    assert _updates(law) == [["other_committees"], ["other_committees"]]


@pytest.mark.django_db
def test_entries_into_force_set_the_effective_date_and_never_precede_publication():
    law = record_at("law", LawStatus.SIGNED_BY_PRESIDENT)
    published_on = TODAY - datetime.timedelta(days=5)
    record_transition(
        record=law, to_status=LawStatus.PUBLISHED, occurred_on=published_on, recorded_by=None
    )

    with pytest.raises(ValidationError, match="never enters into force before its publication"):
        add_entry_into_force(law=law, on=published_on - datetime.timedelta(days=1), actor=None)
    with pytest.raises(ValidationError, match="date, the condition"):
        add_entry_into_force(law=law, actor=None)

    later = add_entry_into_force(
        law=law, provisions="Article 3", on=published_on + datetime.timedelta(days=4), actor=None
    )
    add_entry_into_force(
        law=law, provisions="Article 5", condition="the register opens", actor=None
    )
    first = add_entry_into_force(
        law=law, provisions="Articles 1-2", on=published_on + datetime.timedelta(days=1), actor=None
    )
    law.refresh_from_db()
    assert law.effective_date == published_on + datetime.timedelta(days=1)
    assert "effective_date" in _updates(law)[-1]

    remove_entry_into_force(law=law, entry=first, actor=None)
    law.refresh_from_db()
    assert law.effective_date == later.on
    assert sync_effective_date(law) == later.on


@pytest.mark.django_db
def test_a_law_in_force_keeps_at_least_one_entry():
    law = record_at("law", LawStatus.PUBLISHED)
    entry = add_entry_into_force(law=law, on=TODAY, actor=None)
    record_transition(record=law, to_status=LawStatus.IN_FORCE, occurred_on=TODAY, recorded_by=None)
    with pytest.raises(ValidationError, match="at least one"):
        remove_entry_into_force(law=law, entry=entry, actor=None)
    assert DraftLaw.objects.get(pk=law.pk).effective_date == TODAY


@pytest.mark.django_db
def test_measures_to_follow_their_law():
    law = make_law()
    proposed = make_tax_measure(legal_bases=[law])
    drafted = make_tax_measure(legal_basis=law, legal_bases=[law])
    move(drafted, "in_draft_law")
    unrelated = make_tax_measure()
    assert measures_to_follow(law) == []

    move(
        law,
        "registered",
        "in_committee",
        "first_reading",
        "adopted_as_whole",
        start=TODAY - datetime.timedelta(days=20),
    )
    assert measures_to_follow(law) == [(proposed, "adopted"), (drafted, "adopted")]

    move(proposed, "adopted")
    move(
        law,
        "signed_by_speaker",
        "sent_to_president",
        "signed_by_president",
        "published",
        start=TODAY - datetime.timedelta(days=10),
    )
    add_entry_into_force(law=law, on=TODAY, actor=None)
    move(law, "in_force", start=TODAY)
    assert measures_to_follow(law) == [(proposed, "in_effect"), (drafted, "adopted")]
    assert unrelated.pk not in [m.pk for m, _ in measures_to_follow(law)]
