# ruff: noqa: RUF001 (bill cards are in Ukrainian, as the Rada publishes them)
"""The sync of bill cards into tracked laws: steps, events, fields, idempotence, staff first."""

from __future__ import annotations

import datetime
import json

import pytest

from tests.factories import make_law, make_user
from tests.rada.dumps import BUDGET, COMMITTEE, card, phase, write
from tracker.models import (
    DraftLaw,
    Event,
    LawDocument,
    ProceduralEvent,
    RadaBill,
    RadaPhase,
    RadaReview,
    ReviewKind,
    StatusChange,
    SyncRun,
)
from tracker.services.rada_dump import DumpError
from tracker.services.rada_phases import EventOf, Step, meaning_of, normalize
from tracker.services.rada_sync import sync_file
from tracker.services.transitions import correct_entry

pytestmark = pytest.mark.django_db(transaction=False)

PASSED = [
    phase("2025-03-05", "Опрацьовується в комітеті"),
    phase("2025-04-10", "Прийнято в першому читанні"),
    phase("2025-04-11", "Готується на друге читання"),
    phase("2025-05-20", "Закон прийнято"),
    phase("2025-05-22", "Готується на підпис"),
]


def steps(law):
    return list(
        StatusChange.objects.filter(record_id=law.pk, is_active=True)
        .order_by("position")
        .values_list("to_status", "occurred_on")
    )


def test_a_tracked_bill_gets_its_whole_history_and_a_second_run_changes_nothing(tmp_path):
    law = make_law(registration_number="13302")
    signed = [
        *PASSED,
        phase("2025-05-27", "Повернуто з підписом Голови Верховної Ради України"),
        phase("2025-05-28", "Передано на підпис Президенту"),
        phase("2025-06-03", "Закон підписано"),
    ]
    dump = write(
        tmp_path / "dump.json",
        [card(55001, "13302", passings=signed, actNumber="4321-IX", actDate="2025-06-03")],
    )

    run = sync_file(str(dump))

    assert run.outcome == "done" and run.bills_followed == 1
    law.refresh_from_db()
    assert law.rada_bill.rada_id == 55001
    d = datetime.date
    assert steps(law) == [
        ("registered", d(2025, 3, 3)),
        ("in_committee", d(2025, 3, 5)),
        ("first_reading", d(2025, 4, 10)),
        ("adopted_in_principle", d(2025, 4, 10)),
        ("second_reading", d(2025, 4, 11)),
        ("adopted_as_whole", d(2025, 5, 20)),
        ("signed_by_speaker", d(2025, 5, 27)),
        ("sent_to_president", d(2025, 5, 28)),
        ("signed_by_president", d(2025, 6, 3)),
    ]
    assert law.status == "signed_by_president"
    assert (law.act_number, law.act_date) == ("4321-IX", d(2025, 6, 3))
    # "Готується на підпис" restates the status: a fact on the timeline, not a step.
    assert ProceduralEvent.objects.filter(record_id=law.pk, title="Готується на підпис").exists()
    change = StatusChange.objects.get(record_id=law.pk, to_status="in_committee")
    assert change.source_url == "https://itd.rada.gov.ua/billInfo/Bills/Card/55001"
    assert change.recorded_by.username == "rada-sync"
    assert not change.recorded_by.is_active
    assert law.lead_committee == COMMITTEE
    assert list(law.other_committees.values_list("name", flat=True)) == [BUDGET]
    # Staff's record says the Cabinet; the card names MPs: staff decide.
    assert law.initiator == "cabinet"
    review = RadaReview.objects.get(law=law, key="value:initiator")
    assert (review.kind, review.rada_value, review.our_value) == ("value_differs", "mps", "cabinet")
    assert law.rada_bill.initiators == ["Костенко Роман"]
    assert LawDocument.objects.filter(law=law).count() == 2
    # The record's own history names the sync too.
    assert law.history.latest().history_user.username == "rada-sync"
    events = Event.objects.filter(record_id=law.pk, type="law.status_changed")
    assert events.count() == 9 and {e.actor.username for e in events} == {"rada-sync"}

    before = (Event.objects.count(), StatusChange.objects.count(), RadaReview.objects.count())
    again = sync_file(str(dump))
    assert again.changes == 0 and again.reviews_opened == 0
    assert (
        Event.objects.count(),
        StatusChange.objects.count(),
        RadaReview.objects.count(),
    ) == before


# --- Every phase title of the source note --------------------------------------------------

DOC_TITLES = {
    "Готується на повторне перше читання": ("step", "in_committee"),
    "Прийнято в першому читанні": ("step", "adopted_in_principle"),
    "Готується на друге читання": ("step", "second_reading"),
    "Очікує на друге читання": ("step", "second_reading"),
    "Закон прийнято": ("step", "adopted_as_whole"),
    "Готується на підпис": ("step", "adopted_as_whole"),
    "Повернуто з підписом Голови Верховної Ради України": ("step", "signed_by_speaker"),
    "Передано на підпис Президенту": ("step", "sent_to_president"),
    "Передано на підпис Президенту (10)": ("step", "sent_to_president"),
    "Готується на підпис (після вето)": ("event", "other"),
    "Повернуто з підписом від Президента України": ("step", "signed_by_president"),
    "Закон підписано": ("step", "signed_by_president"),
    "Постанову підписано": ("step", "signed_by_speaker"),
    "Передано в тираж": ("event", "other"),
    "Очікує на розгляд з вето Президента": ("step", "vetoed"),
    "Готується на розгляд з вето Президента": ("step", "vetoed"),
    "Проект відкликано": ("step", "withdrawn"),
    "Знято з розгляду": ("step", "removed"),
    "Відхилено та знято з розгляду": ("step", "rejected"),
    "Заслухано та знято з розгляду": ("step", "removed"),
    "Проект не прийнято": ("step", "rejected"),
    "В порядок денний не включено": ("event", "other"),
    "Розгляд відкладено": ("event", "postponed"),
    "Опрацьовується в комітеті": ("step", "in_committee"),
}


@pytest.mark.parametrize(("title", "expected"), sorted(DOC_TITLES.items()))
def test_every_phase_title_of_the_source_note_has_its_meaning(title, expected):
    meaning = meaning_of(title)
    if expected[0] == "step":
        assert isinstance(meaning, Step) and meaning.status == expected[1]
    else:
        assert isinstance(meaning, EventOf) and meaning.kind == expected[1]
    # Spacing, case and a final full stop do not matter.
    assert meaning_of(f"  {title.upper()}. ") == meaning


# Each title in the place of a real bill's path; (title, what the timeline gets).
PATHS = [
    # Committee, a repeated first reading, second reading, adoption, signature, President.
    [
        ("Опрацьовується в комітеті", "in_committee"),
        ("Готується на повторне перше читання", "first_reading,in_committee"),
        ("Прийнято в першому читанні", "first_reading,adopted_in_principle"),
        ("Готується на друге читання", "second_reading"),
        ("Очікує на друге читання", "event:other"),
        ("Закон прийнято", "adopted_as_whole"),
        ("Готується на підпис", "event:other"),
        ("Повернуто з підписом Голови Верховної Ради України", "signed_by_speaker"),
        ("Передано на підпис Президенту", "sent_to_president"),
        ("Повернуто з підписом від Президента України", "signed_by_president"),
        ("Закон підписано", "event:other"),
        ("Передано в тираж", "event:other"),
    ],
    # The President's proposals, the vote on them, the ten days.
    [
        ("Опрацьовується в комітеті", "in_committee"),
        ("Закон прийнято", "first_reading,adopted_as_whole"),
        ("Передано на підпис Президенту", "signed_by_speaker,sent_to_president"),
        ("Очікує на розгляд з вето Президента", "vetoed"),
        ("Готується на розгляд з вето Президента", "event:other"),
        ("Готується на підпис (після вето)", "event:other"),
    ],
    [
        ("Опрацьовується в комітеті", "in_committee"),
        ("Розгляд відкладено", "event:postponed"),
        ("В порядок денний не включено", "event:other"),
        ("Проект відкликано", "withdrawn"),
    ],
    [("Опрацьовується в комітеті", "in_committee"), ("Знято з розгляду", "removed")],
    [("Опрацьовується в комітеті", "in_committee"), ("Відхилено та знято з розгляду", "rejected")],
    [("Опрацьовується в комітеті", "in_committee"), ("Заслухано та знято з розгляду", "removed")],
    [("Опрацьовується в комітеті", "in_committee"), ("Проект не прийнято", "rejected")],
    [("Опрацьовується в комітеті", "in_committee"), ("Постанову підписано", "refused")],
]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p[-1][0])
def test_each_title_lands_on_the_timeline_in_a_real_path(tmp_path, path):
    law = make_law(registration_number="2000")
    start = datetime.date(2025, 3, 4)
    passings = [
        phase((start + datetime.timedelta(days=i)).isoformat(), title)
        for i, (title, _) in enumerate(path)
    ]
    run = sync_file(str(write(tmp_path / "d.json", [card(70, "2000", passings=passings)])))
    assert run.bills_followed == 1
    bill = RadaBill.objects.get(law=law)
    for title, expected in path:
        row = RadaPhase.objects.get(bill=bill, key=f"{normalize(title)}#0")
        if expected == "refused":
            assert row.status_change is None and row.procedural_event is None
            assert RadaReview.objects.filter(law=law, kind=ReviewKind.REFUSED).exists()
        elif expected.startswith("event:"):
            assert row.procedural_event.kind == expected.removeprefix("event:")
            assert row.procedural_event.source_url.endswith("/Card/70")
        else:
            *_implied, last = expected.split(",")
            assert row.status_change.to_status == last
            on = row.occurred_on
            same_day = StatusChange.objects.filter(record_id=law.pk, occurred_on=on, is_active=True)
            assert sorted(same_day.values_list("to_status", flat=True)) == sorted(
                expected.split(",")
            )
    # Nothing the card shows was dropped: one row per phase, the registration besides.
    assert bill.phases.count() == len(path) + 1


def test_an_unknown_title_is_kept_as_an_event_and_flagged(tmp_path):
    law = make_law(registration_number="2001")
    passings = [
        phase("2025-03-04", "Надіслано на розгляд Кабінету Міністрів України"),
        phase("2025-03-05", "Опрацьовується в комітеті"),
    ]
    sync_file(str(write(tmp_path / "d.json", [card(71, "2001", passings=passings)])))
    event = ProceduralEvent.objects.get(
        record_id=law.pk, title="Надіслано на розгляд Кабінету Міністрів України"
    )
    assert event.kind == "other" and event.occurred_on == datetime.date(2025, 3, 4)
    row = RadaPhase.objects.get(procedural_event=event)
    assert row.unknown_title
    review = RadaReview.objects.get(law=law, kind=ReviewKind.UNKNOWN_PHASE)
    assert review.procedural_event == event and review.state == "open"
    assert "Кабінету" in review.subject


# --- Bad files -------------------------------------------------------------------------------


def test_a_bad_card_does_not_stop_the_others(tmp_path):
    first, second = make_law(registration_number="8000"), make_law(registration_number="8001")
    good = card(130, "8000", passings=[phase("2025-03-05", "Опрацьовується в комітеті")])
    hostile = card(
        131, "8001", current={}, passings={"deep": [[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]}
    )
    text = json.dumps(
        [hostile, {"registrationNumber": "8002"}, "junk", 17, good], ensure_ascii=False
    )
    # A raw control character inside a string, as real dumps have.
    text = text.replace("Опрацьовується", "Опрацьовується\x07", 1)
    dump = tmp_path / "d.json"
    dump.write_text(text, encoding="utf-8")
    run = sync_file(str(dump))
    assert run.outcome == "done" and run.bills_read == 5
    assert run.warnings >= 3 and "deeper than" in run.report and "no usable id" in run.report
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "in_committee"
    assert second.status == "drafting"  # its card could not be read: left as it was


def test_a_cut_file_applies_what_it_could_read_and_fails_clearly(tmp_path):
    laws = [make_law(registration_number=f"810{i}") for i in range(3)]
    cards = [
        card(140 + i, f"810{i}", passings=[phase("2025-03-05", "Опрацьовується в комітеті")])
        for i in range(3)
    ]
    text = json.dumps(cards, ensure_ascii=False)
    dump = tmp_path / "d.json"
    dump.write_text(text[: text.index('"id": 142') + 20], encoding="utf-8")
    with pytest.raises(DumpError, match="cut short"):
        sync_file(str(dump))
    statuses = [DraftLaw.objects.get(pk=law.pk).status for law in laws]
    assert statuses == ["in_committee", "in_committee", "drafting"]
    run = SyncRun.objects.get()
    assert run.outcome == "failed" and "cut short" in run.error and run.bills_read == 2


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path, settings):
    settings.RADA_MAX_DUMP_BYTES = 1000
    dump = write(tmp_path / "d.json", [card(i, str(i)) for i in range(1, 10)])
    with pytest.raises(DumpError, match="more than the 1000 allowed"):
        sync_file(str(dump))
    assert not SyncRun.objects.exists()


def test_a_phase_dated_in_the_future_is_left_for_later(tmp_path):
    law = make_law(registration_number="8200")
    later = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    passings = [phase("2025-03-05", "Опрацьовується в комітеті"), phase(later, "Закон прийнято")]
    run = sync_file(str(write(tmp_path / "d.json", [card(150, "8200", passings=passings)])))
    law.refresh_from_db()
    assert law.status == "in_committee" and "future" in run.report


def test_the_rada_changing_a_date_the_sync_wrote_is_followed_one_staff_corrected_is_not(tmp_path):
    law = make_law(registration_number="8300")
    dump = tmp_path / "d.json"
    write(dump, [card(160, "8300", passings=[phase("2025-03-05", "Опрацьовується в комітеті")])])
    sync_file(str(dump))
    write(dump, [card(160, "8300", passings=[phase("2025-03-06", "Опрацьовується в комітеті")])])
    run = sync_file(str(dump))
    step = StatusChange.objects.get(record_id=law.pk, to_status="in_committee", is_active=True)
    assert step.occurred_on == datetime.date(2025, 3, 6)
    assert step.recorded_by.username == "rada-sync" and step.corrects is not None
    assert run.reviews_opened == 0
    # Staff correct it; the Rada's next change of date is a question, not an overwrite.
    editor = make_user(role="Editors")
    correct_entry(
        entry=step,
        recorded_by=editor,
        reason="The committee's letter is dated the 4th.",
        changes={"occurred_on": datetime.date(2025, 3, 4)},
    )
    write(dump, [card(160, "8300", passings=[phase("2025-03-07", "Опрацьовується в комітеті")])])
    sync_file(str(dump))
    step = StatusChange.objects.get(record_id=law.pk, to_status="in_committee", is_active=True)
    assert step.occurred_on == datetime.date(2025, 3, 4) and step.recorded_by == editor
    review = RadaReview.objects.get(law=law, kind=ReviewKind.DATE_DIFFERS)
    assert (review.rada_value, review.our_value, review.status_change) == (
        "2025-03-07",
        "2025-03-04",
        step,
    )
