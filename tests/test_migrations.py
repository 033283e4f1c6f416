"""The timeline migration keeps every existing row and carries its meaning into the new model."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [
    # Migrating backwards and forwards commits; serialized_rollback restores the rows data
    # migrations made (staff groups) for the tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BEFORE = [("tracker", "0004_delivery_indexes")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _counts(apps) -> dict[str, int]:
    names = ("DraftLaw", "TaxMeasure", "StatusChange", "Event", "Facility", "PartnerCountry")
    return {name: apps.get_model("tracker", name).objects.count() for name in names}


def test_old_rows_keep_their_order_bases_and_effective_date():
    old = _migrate(BEFORE)
    DraftLaw = old.get_model("tracker", "DraftLaw")
    TaxMeasure = old.get_model("tracker", "TaxMeasure")
    StatusChange = old.get_model("tracker", "StatusChange")
    Event = old.get_model("tracker", "Event")
    ContentType = old.get_model("contenttypes", "ContentType")
    law_type, _ = ContentType.objects.get_or_create(app_label="tracker", model="draftlaw")

    law = DraftLaw.objects.create(
        title_uk="Про оборонні закупівлі",
        title_en="On defence procurement",
        registration_number="2398-д",
        registration_date=datetime.date(2019, 11, 27),
        status="in_force",
        effective_date=datetime.date(2021, 1, 1),
    )
    # An old-shape history, vetoed -> adopted_as_whole included (the old table's "proposals
    # accepted"), each step with its event, recorded in order.
    path = [
        ("drafting", "registered", datetime.date(2019, 11, 27), None),
        ("registered", "in_committee", datetime.date(2019, 12, 3), None),
        ("in_committee", "first_reading", datetime.date(2020, 1, 14), None),
        ("first_reading", "adopted_as_whole", datetime.date(2020, 1, 14), 260),
        ("adopted_as_whole", "signed_by_speaker", datetime.date(2020, 1, 20), None),
        ("signed_by_speaker", "sent_to_president", datetime.date(2020, 1, 21), None),
        ("sent_to_president", "vetoed", datetime.date(2020, 2, 4), None),
        ("vetoed", "adopted_as_whole", datetime.date(2020, 3, 3), 280),
        ("adopted_as_whole", "signed_by_speaker", datetime.date(2020, 3, 4), None),
        ("signed_by_speaker", "sent_to_president", datetime.date(2020, 3, 5), None),
        ("sent_to_president", "signed_by_president", datetime.date(2020, 3, 12), None),
        ("signed_by_president", "published", datetime.date(2020, 3, 14), None),
        ("published", "in_force", datetime.date(2021, 1, 1), None),
    ]
    step_ids = []
    for before, after, on, votes in path:
        step = StatusChange.objects.create(
            content_type=law_type,
            record_id=law.pk,
            from_status=before,
            to_status=after,
            occurred_on=on,
            votes_for=votes,
        )
        Event.objects.create(
            type="law.status_changed",
            record_type="law",
            record_id=law.pk,
            status_change=step,
            data={"from": before, "to": after, "occurred_on": str(on)},
        )
        step_ids.append(step.pk)
    measure = TaxMeasure.objects.create(
        name_uk="Звільнення від ПДВ",
        name_en="VAT exemption",
        kind="vat_exemption",
        legal_basis=law,
        status="adopted",
    )
    unbased = TaxMeasure.objects.create(
        name_uk="Пільга", name_en="Relief without a basis", kind="other", status="proposed"
    )
    before = _counts(old)

    new = _migrate(_latest())

    assert _counts(new) == before
    NewStatusChange = new.get_model("tracker", "StatusChange")
    steps = list(
        NewStatusChange.objects.filter(record_id=law.pk, content_type=law_type.pk).order_by(
            "position", "id"
        )
    )
    assert [s.pk for s in steps] == step_ids
    assert [(s.from_status, s.to_status) for s in steps] == [(a, b) for a, b, _, _ in path]
    assert len({s.position for s in steps}) == len(steps)
    assert all(s.is_active and not s.is_reopening for s in steps)
    assert {s.date_precision for s in steps} == {"day"}
    assert [s.occurred_on for s in steps] == [on for _, _, on, _ in path]
    veto_answer = steps[7]
    assert (veto_answer.from_status, veto_answer.votes_for) == ("vetoed", 280)

    NewTaxMeasure = new.get_model("tracker", "TaxMeasure")
    migrated = NewTaxMeasure.objects.get(pk=measure.pk)
    assert list(migrated.legal_bases.values_list("pk", flat=True)) == [law.pk]
    assert migrated.legal_basis_id == law.pk
    assert not NewTaxMeasure.objects.get(pk=unbased.pk).legal_bases.exists()

    NewDraftLaw = new.get_model("tracker", "DraftLaw")
    migrated_law = NewDraftLaw.objects.get(pk=law.pk)
    entries = list(migrated_law.entries_into_force.values_list("on", "condition", "provisions"))
    assert entries == [(datetime.date(2021, 1, 1), "", "")]
    assert migrated_law.effective_date == datetime.date(2021, 1, 1)
    assert migrated_law.status == "in_force"
