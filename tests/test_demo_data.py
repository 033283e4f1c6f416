"""The demo data: loads through the services, once, valid and consistent."""

from __future__ import annotations

import datetime
import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from tracker.models import (
    RECORD_MODELS,
    Agreement,
    Contact,
    DraftLaw,
    Event,
    Facility,
    LawDocument,
    PartnerCountry,
    StatusChange,
    TaxMeasure,
)
from tracker.selectors import Viewer, status_history, visible_records

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"
JOINT_PRODUCTION_LAW = (
    "On joint production of weapons and military equipment with international partners"
)


def _load(**options) -> str:
    out = StringIO()
    call_command("load_demo", stdout=out, **options)
    return out.getvalue()


def _counts() -> dict[str, int]:
    models = [*RECORD_MODELS.values(), StatusChange, Event, Agreement, Contact, LawDocument]
    counts = {m.__name__: m.objects.count() for m in models}
    counts.update({f"history:{m.__name__}": m.history.count() for m in RECORD_MODELS.values()})
    return counts


def _all_records():
    for model in RECORD_MODELS.values():
        yield from model.objects.all()


@pytest.fixture
def demo(db):
    return _load()


def test_loads_and_a_second_run_changes_nothing(demo):
    assert "Loaded the demo data" in demo
    first = _counts()
    assert first["PartnerCountry"] >= 5
    assert 6 <= first["Facility"] <= 10
    assert first["StatusChange"] > 0

    again = _load()

    assert "already loaded; nothing changed" in again
    assert _counts() == first


def test_every_record_is_valid(demo):
    for record in _all_records():
        record.full_clean()
    for related in (*Agreement.objects.all(), *Contact.objects.all(), *LawDocument.objects.all()):
        related.full_clean()
    for change in StatusChange.objects.all():
        change.full_clean()


def test_every_history_is_ordered_and_ends_in_the_current_status(demo):
    today = timezone.localdate()
    for record in _all_records():
        workflow = record.workflow
        history = list(status_history(record))
        expected_from = workflow.initial
        previous_day = datetime.date(2024, 1, 1)
        for change in history:
            label = f"{record}: {change}"
            assert change.from_status == expected_from, label
            assert workflow.is_allowed(change.from_status, change.to_status), label
            assert previous_day <= change.occurred_on <= today, label
            if change.is_vote:
                assert workflow.is_vote(change.from_status, change.to_status), label
            expected_from, previous_day = change.to_status, change.occurred_on
        assert record.status == expected_from, record
        events = Event.objects.filter(
            type=f"{record.record_type}.status_changed", record_id=record.pk
        )
        assert events.count() == len(history), record


def test_visibilities_are_mixed_and_restricted_records_are_linked(demo):
    visibilities = {record.visibility for record in _all_records()}
    assert visibilities == {"public", "partners", "restricted"}
    for model in (DraftLaw, TaxMeasure, Facility):
        for record in model.objects.filter(visibility="restricted"):
            assert record.partners.exists(), record
    germany = PartnerCountry.objects.get(code="DE")
    france = PartnerCountry.objects.get(code="FR")
    seen_by_germany = set(visible_records(Facility, Viewer.partner(germany)))
    seen_by_france = set(visible_records(Facility, Viewer.partner(france)))
    seen_by_public = set(visible_records(Facility, Viewer.public()))
    assert seen_by_public < seen_by_france
    assert seen_by_germany - seen_by_france  # a facility restricted to Germany


def test_the_story_of_the_founding_scenario(demo):
    law = DraftLaw.objects.get(title_en=JOINT_PRODUCTION_LAW)
    assert law.status == "stakeholder_review"
    assert law.registration_number is None
    assert law.initiator == "cabinet"
    assert law.planned_next_step == "Registration in the Verkhovna Rada"
    assert law.planned_next_step_on.replace(day=1) == datetime.date(2025, 7, 1)
    review = status_history(law).get(to_status="stakeholder_review")
    assert review.occurred_on.strftime("%A") == "Tuesday"
    assert review.occurred_on.replace(day=1) == datetime.date(2025, 7, 1)
    assert law.tax_measures.filter(kind="vat_exemption").exists()
    assert law.tax_measures.filter(kind="customs_exemption").exists()
    assert {"DE", "FR", "DK", "GB", "US"} <= set(law.partner_codes)

    kinds = set(TaxMeasure.objects.values_list("kind", flat=True))
    assert {"profit_tax_relief", "accelerated_depreciation", "special_zone"} <= kinds
    assert not TaxMeasure.objects.filter(legal_basis=None).exists()
    assert DraftLaw.objects.filter(status="in_force").exists()
    assert StatusChange.objects.filter(votes_for__isnull=False, to_status="adopted_in_principle")

    statuses = dict(PartnerCountry.objects.values_list("code", "status"))
    assert statuses["US"] == "suspended"
    assert len(set(statuses.values())) >= 4
    assert {"prospective", "active"} <= set(statuses.values())

    facilities = Facility.objects.all()
    assert {"proposed", "operational"} <= {f.status for f in facilities}
    countries = {str(f.country) for f in facilities}
    assert "UA" in countries and countries - {"UA"}
    assert {"EUR", "USD", "DKK", "GBP"} <= {f.investment_currency for f in facilities}


def test_names_are_given_in_both_languages(demo):
    cyrillic = set("абвгґдеєжзиіїйклмнопрстуфхцчшщьюя")
    for record in _all_records():
        uk = getattr(record, "title_uk", None) or record.name_uk
        en = getattr(record, "title_en", None) or record.name_en
        assert cyrillic & set(uk.lower()), record
        assert en.isascii(), record


def test_a_broken_file_writes_nothing(db, tmp_path):
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    data["facilities"][-1]["history"] = [{"to": "operational", "on": "2025-01-01"}]
    broken = tmp_path / "demo.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    before = _counts()

    with pytest.raises(CommandError) as refused:
        _load(file=broken)

    assert "nothing was written" in str(refused.value)
    assert data["facilities"][-1]["name_en"] in str(refused.value)
    assert _counts() == before
