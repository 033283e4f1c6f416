"""Who sees what: public, partners-only and restricted records, for two partners."""

from __future__ import annotations

import pytest

from tests.factories import make_facility, make_law, make_partner, make_tax_measure
from tracker.models import Event
from tracker.selectors import (
    Viewer,
    can_see,
    partners_who_can_see,
    visible_events,
    visible_facilities,
    visible_laws,
    visible_partners,
    visible_records,
    visible_tax_measures,
)
from tracker.services.records import record_update
from tracker.services.transitions import record_transition

MAKERS = {"law": make_law, "tax_measure": make_tax_measure, "facility": make_facility}


@pytest.fixture
def world(germany, france):
    """Per record type: one record of each visibility, restricted ones linked or not."""
    records = {}
    for record_type, make in MAKERS.items():
        records[record_type] = {
            "public": make(visibility="public"),
            "partners": make(visibility="partners"),
            "restricted_de": make(visibility="restricted", partners=[germany]),
            "restricted_both": make(visibility="restricted", partners=[germany, france]),
            "restricted_none": make(visibility="restricted"),
        }
    records["partner"] = {
        "public": make_partner("NL", visibility="public"),
        "partners": make_partner("PL", visibility="partners"),
        "restricted_de": germany,
        "restricted_fr": france,
    }
    for partner in (germany, france):
        record_update(record=partner, values={"visibility": "restricted"}, actor=None)
    return records


EXPECTED = {
    # viewer -> keys of the records it sees, per record type
    "de": {
        "law": {"public", "partners", "restricted_de", "restricted_both"},
        "partner": {"public", "partners", "restricted_de"},
    },
    "fr": {
        "law": {"public", "partners", "restricted_both"},
        "partner": {"public", "partners", "restricted_fr"},
    },
    "public": {"law": {"public"}, "partner": {"public"}},
}


def _viewer(name, germany, france):
    return {
        "de": Viewer.partner(germany),
        "fr": Viewer.partner(france),
        "public": Viewer.public(),
        "staff": Viewer.staff(),
    }[name]


def _expected(viewer_name, record_type, records):
    if viewer_name == "staff":
        return set(records)
    key = "partner" if record_type == "partner" else "law"
    return EXPECTED[viewer_name][key]


@pytest.mark.django_db
@pytest.mark.parametrize("viewer_name", ["de", "fr", "public", "staff"])
@pytest.mark.parametrize("record_type", ["law", "tax_measure", "facility", "partner"])
def test_visible_records(world, germany, france, viewer_name, record_type):
    viewer = _viewer(viewer_name, germany, france)
    records = world[record_type]
    model = type(records["public"])
    visible_ids = set(visible_records(model, viewer).values_list("pk", flat=True))
    seen = {key for key, record in records.items() if record.pk in visible_ids}
    assert seen == _expected(viewer_name, record_type, records)
    for key, record in records.items():
        assert can_see(record, viewer) == (key in seen)


@pytest.mark.django_db
def test_typed_selectors_use_the_same_rule(world, germany):
    viewer = Viewer.partner(germany)
    for selector, record_type in (
        (visible_laws, "law"),
        (visible_tax_measures, "tax_measure"),
        (visible_facilities, "facility"),
        (visible_partners, "partner"),
    ):
        expected = {r.pk for r in world[record_type].values() if can_see(r, viewer)}
        assert set(selector(viewer).values_list("pk", flat=True)) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("viewer_name", ["de", "fr", "public", "staff"])
def test_visible_events_follow_record_visibility(world, germany, france, viewer_name):
    viewer = _viewer(viewer_name, germany, france)
    for records in world.values():
        for record in records.values():
            if record.allowed_targets:
                record_transition(
                    record=record,
                    to_status=record.allowed_targets[0],
                    occurred_on=record.created_at.date(),
                    recorded_by=None,
                )
    Event.objects.create(type="webhook.test", record_type="", data={})

    expected = {
        (record.record_type, record.pk)
        for record_type, records in world.items()
        for key, record in records.items()
        if key in _expected(viewer_name, record_type, records)
    }
    events = list(visible_events(viewer))
    # Germany and France made themselves restricted: each was told the other is hidden now.
    tombstones = {(e.type, e.record_id) for e in events if e.audience_only}
    if viewer_name != "staff":
        hidden = {"de": {("partner.hidden", france.pk)}, "fr": {("partner.hidden", germany.pk)}}
        assert tombstones == hidden.get(viewer_name, set())
        events = [e for e in events if not e.audience_only]
    assert {(e.record_type, e.record_id) for e in events} == expected
    assert all(e.type != "webhook.test" for e in events)
    assert [e.id for e in events] == sorted(e.id for e in events)
    # Each visible record's whole story is there: created, status changed (and updates).
    kinds = {e.type.split(".")[1] for e in events}
    assert {"created", "status_changed"} <= kinds


@pytest.mark.django_db
def test_events_of_a_record_made_public_become_visible(france):
    law = make_law(visibility="restricted")
    viewer = Viewer.partner(france)
    assert not visible_events(viewer).filter(record_type="law", record_id=law.pk).exists()
    record_update(record=law, values={"visibility": "public"}, actor=None)
    types = list(
        visible_events(viewer)
        .filter(record_type="law", record_id=law.pk)
        .values_list("type", flat=True)
    )
    assert types == ["law.created", "law.updated"]


OTHER_CODES = ["AT", "BE", "CZ", "DK", "EE", "ES", "FI", "IT", "LT", "SE"]


@pytest.mark.django_db
@pytest.mark.parametrize("record_type", ["law", "tax_measure", "facility"])
def test_who_can_see_a_record_is_one_query_however_many_partners(
    world, germany, france, record_type, django_assert_num_queries
):
    """Fan-out asks about every subscribed partner at once: one query for 2 or 12 partners."""
    others = [make_partner(code) for code in OTHER_CODES[:10]]
    linked = MAKERS[record_type](visibility="restricted", partners=[france, *others[:5]])
    few = {germany.pk, france.pk}
    many = few | {p.pk for p in others}
    cases = [
        (world[record_type]["restricted_de"], few, {germany.pk}),
        (linked, few, {france.pk}),
        (linked, many, {france.pk} | {p.pk for p in others[:5]}),
        (world[record_type]["partners"], many, many),
        (world[record_type]["restricted_none"], many, set()),
    ]
    for record, partner_ids, expected in cases:
        with django_assert_num_queries(1):
            seeing = partners_who_can_see(
                record_type=record_type, record_id=record.pk, partner_ids=partner_ids
            )
        assert seeing == expected, record.visibility


@pytest.mark.django_db
def test_who_can_see_a_partner_country_is_one_query(
    world, germany, france, django_assert_num_queries
):
    partner_ids = {germany.pk, france.pk} | {make_partner(code).pk for code in OTHER_CODES[:6]}
    for key, expected in [
        ("restricted_de", {germany.pk}),
        ("restricted_fr", {france.pk}),
        ("partners", partner_ids),
    ]:
        with django_assert_num_queries(1):
            seeing = partners_who_can_see(
                record_type="partner", record_id=world["partner"][key].pk, partner_ids=partner_ids
            )
        assert seeing == expected, key
    # Unknown record types and records that are gone ask nothing.
    with django_assert_num_queries(0):
        assert (
            partners_who_can_see(record_type="nope", record_id=1, partner_ids=partner_ids) == set()
        )
    with django_assert_num_queries(1):
        assert (
            partners_who_can_see(record_type="law", record_id=0, partner_ids=partner_ids) == set()
        )
