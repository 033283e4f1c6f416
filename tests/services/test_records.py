"""Creating, editing, archiving and deleting records through the services."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from tests.factories import make_facility, make_law, make_partner, make_tax_measure, move
from tracker.models import DraftLaw, Event, Facility, PartnerCountry, StatusChange
from tracker.selectors import Viewer, can_see, visible_events
from tracker.services.errors import PermissionDeniedError
from tracker.services.records import (
    record_archive,
    record_create,
    record_delete,
    record_restore,
    record_update,
)

MAKERS = {
    "law": (make_law, "title_en"),
    "tax_measure": (make_tax_measure, "name_en"),
    "facility": (make_facility, "name_en"),
    "partner": (lambda: make_partner("NL"), "name_en"),
}
RECORD_TYPES = list(MAKERS)


def _events(record, type_suffix):
    return Event.objects.filter(
        type=f"{record.record_type}.{type_suffix}", record_id=record.pk
    ).order_by("id")


@pytest.mark.django_db
@pytest.mark.parametrize("record_type", RECORD_TYPES)
def test_create_writes_a_created_event_and_a_history_row(record_type):
    record = MAKERS[record_type][0]()
    events = list(_events(record, "created"))
    assert len(events) == 1
    assert events[0].data == {"status": record.status, "visibility": record.visibility}
    assert record.status == record.workflow.initial
    assert [h.history_type for h in record.history.all()] == ["+"]


@pytest.mark.django_db
def test_create_validates_and_writes_nothing_on_bad_input():
    before = Event.objects.count()
    with pytest.raises(ValidationError) as refused:
        make_facility(product_category="lasers")
    assert "product_category" in refused.value.message_dict
    assert Event.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("record_type", RECORD_TYPES)
def test_update_writes_an_updated_event_and_a_history_row(record_type, editor):
    maker, field = MAKERS[record_type]
    record = maker()

    changed = record_update(record=record, values={field: "Renamed in a test"}, actor=editor)

    assert changed == [field]
    events = list(_events(record, "updated"))
    assert [(e.data, e.actor) for e in events] == [({"changed": [field]}, editor)]
    record.refresh_from_db()
    assert getattr(record, field) == "Renamed in a test"
    assert [h.history_type for h in record.history.all()] == ["~", "+"]
    assert getattr(record.history.first(), field) == "Renamed in a test"


@pytest.mark.django_db
def test_update_without_a_change_writes_nothing():
    law = make_law(title_en="Same")
    assert record_update(record=law, values={"title_en": "Same"}, actor=None) == []
    assert not _events(law, "updated").exists()
    assert law.history.count() == 1


@pytest.mark.django_db
def test_update_of_linked_partners_is_an_update(germany, france):
    law = make_law(partners=[germany])
    assert record_update(record=law, values={"partners": [germany, france]}, actor=None) == [
        "partners"
    ]
    assert law.partner_codes == ["DE", "FR"]
    assert _events(law, "updated").get().data == {"changed": ["partners"]}


@pytest.mark.django_db
@pytest.mark.parametrize("record_type", RECORD_TYPES)
def test_update_refuses_status(record_type):
    record = MAKERS[record_type][0]()
    target = record.allowed_targets[0]
    with pytest.raises(ValidationError) as refused:
        record_update(record=record, values={"status": target}, actor=None)
    assert "transition" in refused.value.message_dict["status"][0]
    record.refresh_from_db()
    assert record.status == record.workflow.initial
    assert not _events(record, "updated").exists()


@pytest.mark.django_db
def test_update_refuses_invalid_values_and_keeps_the_old_ones():
    measure = make_tax_measure()
    with pytest.raises(ValidationError):
        record_update(record=measure, values={"rate_percent": 120}, actor=None)
    measure.refresh_from_db()
    assert measure.rate_percent is None
    assert not _events(measure, "updated").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("record_type", RECORD_TYPES)
def test_archive_leaves_an_event_and_hides_the_record_from_partners(record_type, germany):
    record = MAKERS[record_type][0]()
    partner = Viewer.partner(germany)
    assert can_see(record, partner)

    record_archive(record=record, actor=None)

    assert record.is_archived
    tombstone = _events(record, "archived").get()
    assert tombstone.data == {} and tombstone.audience_only
    # Every partner country that could see it (all of them: it was not restricted).
    assert set(tombstone.audience.all()) == set(PartnerCountry.objects.all())
    assert germany in tombstone.audience.all()
    assert not _events(record, "updated").exists()
    assert not can_see(record, partner)
    assert not can_see(record, Viewer.public())
    assert can_see(record, Viewer.staff())
    # Partners see only the tombstone of the record, the public nothing.
    assert [
        e.type
        for e in visible_events(partner).filter(record_type=record.record_type, record_id=record.pk)
    ] == [f"{record_type}.archived"]
    assert (
        not visible_events(Viewer.public())
        .filter(record_type=record.record_type, record_id=record.pk)
        .exists()
    )

    record_archive(record=record, actor=None)  # archiving twice changes nothing
    assert _events(record, "archived").count() == 1

    record_restore(record=record, actor=None)
    assert can_see(record, partner)
    assert _events(record, "updated").get().data == {"changed": ["archived"], "archived": False}


@pytest.mark.django_db
@pytest.mark.parametrize("record_type", RECORD_TYPES)
def test_only_a_superuser_may_delete_and_the_event_remains(record_type, editor, superuser):
    record = MAKERS[record_type][0]()
    model, pk = type(record), record.pk
    for actor in (None, editor):
        with pytest.raises(PermissionDeniedError):
            record_delete(record=record, actor=actor)
        assert model.objects.filter(pk=pk).exists()

    label = str(record)
    record_delete(record=record, actor=superuser)

    assert not model.objects.filter(pk=pk).exists()
    event = Event.objects.get(type=f"{record_type}.deleted", record_id=pk)
    assert event.actor == superuser
    assert event.data["label"] == label


@pytest.mark.django_db
def test_create_cannot_set_status_or_system_fields():
    for field, value in (("status", "registered"), ("archived_at", None), ("id", 5)):
        with pytest.raises(ValidationError):
            make_law(**{field: value})
    with pytest.raises(ValidationError) as refused:
        record_create(model=type(make_law()), values={"colour": "red"}, actor=None)
    assert "colour" in refused.value.message_dict


@pytest.mark.django_db
def test_deleting_a_record_with_a_status_history_keeps_its_events(superuser):
    facility = make_facility()
    move(facility, "agreement_signed", "financed")
    pk = facility.pk

    record_delete(record=facility, actor=superuser)

    assert not Facility.objects.filter(pk=pk).exists()
    assert not StatusChange.objects.filter(record_id=pk).exists()
    types = list(
        Event.objects.filter(record_type="facility", record_id=pk).values_list("type", flat=True)
    )
    assert types == [
        "facility.created",
        "facility.status_changed",
        "facility.status_changed",
        "facility.deleted",
    ]
    moved = Event.objects.filter(type="facility.status_changed", record_id=pk).last()
    assert (moved.data["from"], moved.data["to"]) == ("agreement_signed", "financed")


@pytest.mark.django_db
def test_deleting_a_record_takes_its_corrected_timeline_and_procedural_events(superuser):
    from tracker.models import ProceduralEvent
    from tracker.services.transitions import (
        correct_entry,
        record_procedural_event,
        record_transition,
    )

    facility = make_facility()
    step = record_transition(
        record=facility, to_status="financed", occurred_on=None, recorded_by=None
    )
    correct_entry(entry=step, recorded_by=None, reason="date found", changes={"note": "x"})
    approval = record_procedural_event(
        record=facility, kind="regulatory_approval", occurred_on=None, recorded_by=None
    )
    correct_entry(entry=approval, recorded_by=None, reason="title", changes={"title": "Antitrust"})
    pk = facility.pk

    record_delete(record=facility, actor=superuser)

    assert not StatusChange.objects.filter(record_id=pk).exists()
    assert not ProceduralEvent.objects.filter(record_id=pk).exists()
    assert Event.objects.filter(record_type="facility", record_id=pk).count() == 6


@pytest.mark.django_db
def test_deleting_a_law_that_is_a_legal_basis_is_refused_with_a_message(superuser):
    law = make_law()
    make_tax_measure(legal_basis=law, name_en="Customs relief")
    with pytest.raises(ValidationError) as refused:
        record_delete(record=law, actor=superuser)
    assert "Customs relief" in refused.value.messages[0]
    assert DraftLaw.objects.filter(pk=law.pk).exists()
    assert not Event.objects.filter(type="law.deleted").exists()


@pytest.mark.django_db
def test_update_compares_validated_values():
    law = make_law(planned_next_step="Registration", planned_next_step_on="2025-07-31")
    unchanged = record_update(
        record=law,
        values={"planned_next_step_on": "2025-07-31", "registration_number": ""},
        actor=None,
    )
    assert unchanged == []
    assert not _events(law, "updated").exists()
    changed = record_update(record=law, values={"planned_next_step_on": "2025-08-01"}, actor=None)
    assert changed == ["planned_next_step_on"]
    assert law.planned_next_step_on == datetime.date(2025, 8, 1)


@pytest.mark.django_db
def test_a_tax_measure_rests_on_several_laws_its_main_basis_among_them():

    main, code = make_law(), make_law()
    measure = make_tax_measure(
        legal_basis=main,
        legal_bases=[code],
        other_kinds=["customs_exemption", "land_tax_relief"],
        start_condition="the first day of the month after the law enters into force",
        sunset_condition="or accession to the European Union, whichever comes first",
    )
    assert set(measure.legal_bases.all()) == {main, code}
    with pytest.raises(ValidationError) as refused:
        record_update(record=measure, values={"other_kinds": ["vat_exemption", "nope"]}, actor=None)
    assert "other_kinds" in refused.value.message_dict


@pytest.mark.django_db
def test_an_act_number_is_written_as_the_rada_does():

    law = make_law()
    with pytest.raises(ValidationError) as refused:
        record_update(record=law, values={"act_number": "Law 1234"}, actor=None)
    assert "1234-IX" in refused.value.message_dict["act_number"][0]
    record_update(record=law, values={"act_number": "4235-IX"}, actor=None)
    law.refresh_from_db()
    assert law.act_number == "4235-IX"
