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
    EntryIntoForce,
    Event,
    Facility,
    LawDocument,
    LawRelation,
    PartnerCountry,
    ProceduralEvent,
    RegistrationNumber,
    StatusChange,
    TaxMeasure,
)
from tracker.selectors import Viewer, status_history, timeline, visible_records

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"
JOINT_PRODUCTION_LAW = (
    "On joint production of weapons and military equipment with international partners"
)
PROCUREMENT = "On Defence Procurement"
UKROBORONPROM = "On the specifics of reforming state-owned defence-industry enterprises"
DECLARATIONS = "On restoring asset declarations of officials (bill No. 9534)"
DEFENCE_PLAN = "On amendments to the Law on the Defence of Ukraine (the defence plan)"
DEFENCE_PLAN_ALT = "On amendments to the Law on the Defence of Ukraine (alternative bill 1011-1)"
REAL_BILLS = (PROCUREMENT, UKROBORONPROM, DECLARATIONS, DEFENCE_PLAN, DEFENCE_PLAN_ALT)


def _load(**options) -> str:
    out = StringIO()
    call_command("load_demo", stdout=out, **options)
    return out.getvalue()


def _counts() -> dict[str, int]:
    models = [
        *RECORD_MODELS.values(),
        StatusChange,
        ProceduralEvent,
        Event,
        Agreement,
        Contact,
        LawDocument,
        RegistrationNumber,
        LawRelation,
        EntryIntoForce,
    ]
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
    for event in ProceduralEvent.objects.all():
        event.full_clean()


def test_every_history_is_ordered_and_ends_in_the_current_status(demo):
    today = timezone.localdate()
    for record in _all_records():
        workflow = record.workflow
        history = list(status_history(record))
        expected_from = workflow.initial
        previous_day = datetime.date(2019, 8, 29)  # the 9th convocation's first sitting
        for change in history:
            label = f"{record}: {change}"
            assert change.from_status == expected_from, label
            assert workflow.is_allowed(change.from_status, change.to_status), label
            if change.occurred_on is not None:  # steps with unknown dates keep their place
                # A month is stored as its first day: it only has to be in the same month.
                month_only = change.date_precision == "month"
                floor = previous_day.replace(day=1) if month_only else previous_day
                assert floor <= change.occurred_on <= today, label
                previous_day = max(previous_day, change.occurred_on)
            if change.is_vote:
                assert workflow.is_vote(change.from_status, change.to_status), label
            expected_from = change.to_status
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


# --- The real bills ----------------------------------------------------------------------


def _steps(law: DraftLaw) -> list[tuple[str, str]]:
    return [(s.to_status, s.date_text) for s in status_history(law)]


def test_real_bills_name_their_sources(demo):
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    real = [law for law in data["laws"] if law["title_en"] in REAL_BILLS]
    assert len(real) == len(REAL_BILLS)
    for entry in real:
        assert entry["sources"], entry["title_en"]
        assert all(url.startswith(("http://", "https://")) for url in entry["sources"])
        for item in entry["history"]:
            # A dated fact names where it comes from; an undated one says it is not known.
            assert item.get("source_url") or item["on"] is None, (entry["title_en"], item)
            if item["on"] is None:
                assert "not given" in item.get("note", "") or item.get("source_url"), item
    for title in REAL_BILLS:
        law = DraftLaw.objects.get(title_en=title)
        assert law.convocation == 9, title
        dated = StatusChange.objects.filter(record_id=law.pk, occurred_on__isnull=False)
        assert dated.filter(source_url="").filter(content_type__model="draftlaw").count() == 0, (
            title
        )


def test_steps_with_unknown_dates_have_none(demo):
    law = DraftLaw.objects.get(title_en=PROCUREMENT)
    assert _steps(law) == [
        ("registered", "2019-11-27"),
        ("in_committee", ""),
        ("first_reading", ""),
        ("adopted_in_principle", ""),
        ("second_reading", "2020-05-13"),
        ("second_reading", "2020-07-17"),
        ("adopted_as_whole", "2020-07-17"),
        ("signed_by_speaker", ""),
        ("sent_to_president", ""),
        ("signed_by_president", "2020-08-12"),
        ("published", ""),
        ("in_force", "2021-01-01"),
    ]
    unknown = status_history(law).filter(occurred_on__isnull=True)
    assert unknown.count() == 6
    assert set(unknown.values_list("date_precision", flat=True)) == {"unknown"}
    speaker = status_history(law).get(to_status="signed_by_speaker")
    assert speaker.occurred_on is None and speaker.date_text == ""


def test_the_reworked_number_the_failed_vote_and_the_act(demo):
    law = DraftLaw.objects.get(registration_number="2398-д")
    assert law.title_en == PROCUREMENT
    assert list(law.other_numbers.values_list("number", flat=True)) == ["2398"]
    assert (law.act_number, law.act_date) == ("808-IX", datetime.date(2020, 7, 17))
    assert law.status == "in_force"

    failed = ProceduralEvent.objects.get(
        content_type__model="draftlaw", record_id=law.pk, kind="failed_vote"
    )
    assert (failed.votes_for, failed.date_text) == (220, "2020-05-13")
    assert failed.votes_for < 226
    adopted = status_history(law).get(to_status="adopted_as_whole")
    assert adopted.votes_for == 276
    # The failed vote sits between the two second readings on the timeline.
    entries = [
        getattr(e, "to_status", None) or e.kind
        for e in timeline(law, Viewer.public())
        if (e.date_text or "").startswith("2020-0")
    ]
    assert entries.index("failed_vote") < entries.index("adopted_as_whole")
    assert Event.objects.filter(type="law.procedural_event", record_id=law.pk).count() == 2


def test_entries_into_force_are_staged(demo):
    law = DraftLaw.objects.get(title_en=PROCUREMENT)
    entries = list(law.entries_into_force.all())
    assert [(e.on, bool(e.condition)) for e in entries] == [
        (datetime.date(2021, 1, 1), False),
        (None, True),
    ]
    assert law.effective_date == datetime.date(2021, 1, 1)
    parks = DraftLaw.objects.get(registration_number="DEMO-1001")
    assert parks.status == "in_force"
    assert parks.effective_date == datetime.date(2024, 10, 11)
    assert parks.entries_into_force.filter(on=None).exclude(condition="").exists()


def test_the_veto_path(demo):
    law = DraftLaw.objects.get(title_en=DECLARATIONS)
    assert _steps(law)[-3:] == [
        ("sent_to_president", "2023-09-12"),
        ("vetoed", "2023-09-12"),
        ("adopted_with_proposals", "2023-09"),
    ]
    assert law.status == "adopted_with_proposals"
    readoption = status_history(law).get(to_status="adopted_with_proposals")
    assert readoption.date_precision == "month"
    assert readoption.votes_for >= 226
    assert law.workflow.allowed_targets(law.status) == ("signed_by_speaker",)


def test_the_blocked_signature_and_the_correction_with_its_original_kept(demo):
    law = DraftLaw.objects.get(title_en=UKROBORONPROM)
    assert law.act_number == "1630-IX"
    events = ProceduralEvent.objects.filter(content_type__model="draftlaw", record_id=law.pk)
    failed = events.filter(kind="failed_vote", is_active=True).order_by("position")
    assert [e.votes_for for e in failed] == [33, 31, 34]
    blocked = events.get(kind="signature_blocked")
    assert blocked.occurred_on is None

    corrected = events.get(kind="signature_unblocked", is_active=True)
    original = corrected.corrects
    assert (original.date_text, original.is_active) == ("2021-06-20", False)
    assert corrected.date_text == "2021-07-20"
    assert "20 June" in corrected.correction_reason
    assert original.corrected_by == corrected
    assert Event.objects.filter(type="law.corrected", record_id=law.pk).count() == 1

    public = [e for e in timeline(law, Viewer.public()) if isinstance(e, ProceduralEvent)]
    assert original.pk not in {e.pk for e in public}
    staff = [e for e in timeline(law, Viewer.staff()) if isinstance(e, ProceduralEvent)]
    assert original.pk in {e.pk for e in staff}
    # The corrected unblocking follows the failed votes; the signature steps follow it.
    order = [getattr(e, "to_status", None) or e.kind for e in timeline(law, Viewer.public())]
    assert order.index("signature_blocked") < order.index("failed_vote")
    assert order.index("signature_unblocked") < order.index("signed_by_speaker")
    assert law.status == "signed_by_president"
    assert status_history(law).get(to_status="signed_by_president").date_text == "2021-10-02"


def test_the_alternative_bill_reads_from_both_ends(demo):
    main = DraftLaw.objects.get(title_en=DEFENCE_PLAN)
    alternative = DraftLaw.objects.get(title_en=DEFENCE_PLAN_ALT)
    relation = LawRelation.objects.get()
    assert (relation.law, relation.kind, relation.other) == (
        alternative,
        "alternative_to",
        main,
    )
    assert list(main.inverse_relations.values_list("law__title_en", flat=True)) == [
        DEFENCE_PLAN_ALT
    ]
    assert alternative.relations.get().other == main
    assert alternative.status == "rejected"
    assert main.status == "adopted_as_whole"
    vote = status_history(main).get(to_status="adopted_as_whole")
    assert (vote.votes_for, vote.votes_against, vote.abstained, vote.not_voting) == (
        286,
        1,
        6,
        83,
    )
