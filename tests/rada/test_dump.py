# ruff: noqa: RUF001 (bill cards are in Ukrainian, as the Rada publishes them)
"""Reading the dump as a stream, and what hostile input does to it."""

from __future__ import annotations

import datetime
import io
import json

import pytest

from tests.rada.dumps import card, phase
from tracker.services.rada_dump import DumpError, parse_date, read_card, read_raw_cards


def cards(data: bytes, **limits):
    return [(c.index, c.value, c.problem) for c in read_raw_cards(io.BytesIO(data), **limits)]


def test_raw_control_characters_inside_strings_are_read_as_spaces():
    data = '[{"id": 1, "name": "Про\x01 оборону\nі\tвиробництво\x00"}]'.encode()
    [(index, value, problem)] = cards(data)
    assert (index, problem) == (0, "")
    assert value["name"] == "Про  оборону і виробництво "


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "cut short"),
        (b'{"id": 1}', "not a JSON array"),
        (b'[{"id": 1}, {"id": 2, "name": "cut', "after 1 bill cards"),
        (b'[{"id": 1}] trailing', "not JSON"),
        (b"<html>Service unavailable</html>", "not JSON"),
    ],
)
def test_a_file_that_is_not_a_dump_gives_a_clear_error(data, message):
    with pytest.raises(DumpError, match=message):
        cards(data)


def test_cards_before_a_cut_are_read_then_the_error_comes():
    stream = read_raw_cards(io.BytesIO(b'[{"id": 1}, {"id": 2}, {"id": 3, "na'))
    assert next(stream).value == {"id": 1}
    assert next(stream).value == {"id": 2}
    with pytest.raises(DumpError):
        next(stream)


def test_a_card_too_deep_or_too_large_is_skipped_and_the_next_is_read():
    deep = b"[" * 5000 + b"]" * 5000
    big = b'{"id": 2, "name": "' + b"x" * 5000 + b'"}'
    data = b'[{"id": 1}, {"id": 9, "passings": ' + deep + b"}, " + big + b', {"id": 3}]'
    found = cards(data, max_depth=12, max_bytes=1000)
    assert found[0] == (0, {"id": 1}, "")
    assert found[1][1] is None and "deeper than 12" in found[1][2]
    assert found[2][1] is None and "larger than 1000" in found[2][2]
    assert found[3] == (3, {"id": 3}, "")


def test_wrong_types_and_missing_fields_are_warnings_and_the_rest_is_kept():
    raw = card(
        7,
        "1234-д",
        passings=[phase("2025-03-05", "Опрацьовується в комітеті"), "oops", {"title": 5}],
        registrationDate="tomorrow",
        alternative=[8, "x", {"id": "9"}],
        bind="not a list",
        executives={"department": "Комітет"},
        initiators=None,
        documents=[{"type": "Висновок комітету", "docFiles": [{"id": "77"}, {"id": None}]}],
    )
    del raw["name"]
    parsed, warnings = read_card(raw)
    assert parsed.id == 7 and parsed.number == "1234-д"
    assert parsed.title == "" and parsed.registration_date is None
    assert [p.title for p in parsed.phases] == ["Опрацьовується в комітеті"]
    assert parsed.alternative == [8, 9]
    assert parsed.bind == []
    assert parsed.executives[0].name == "Комітет" and parsed.executives[0].main
    assert parsed.documents[0].kind == "committee_conclusion"
    assert parsed.documents[0].url.endswith("/pubFile/77")
    assert any(w.startswith("registrationDate") for w in warnings)
    assert any(w.startswith("bind") for w in warnings)
    assert any(w.startswith("alternative") for w in warnings)


@pytest.mark.parametrize("raw", [None, 5, "x", [], {}, {"id": "abc"}, {"id": -1}, {"id": True}])
def test_a_card_without_a_usable_id_is_skipped(raw):
    parsed, warnings = read_card(raw)
    assert parsed is None and warnings


def test_the_same_card_has_the_same_digest_and_a_changed_one_another():
    one = read_card(json.loads(json.dumps(card(1, "1"))))[0]
    two = read_card(card(1, "1"))[0]
    three = read_card(card(1, "1", actNumber="1-IX"))[0]
    assert one.digest == two.digest != three.digest


def test_dates_come_as_date_times_dates_or_dotted():
    assert parse_date("2025-06-25T00:00:00") == datetime.date(2025, 6, 25)
    assert parse_date("2025-06-25") == datetime.date(2025, 6, 25)
    assert parse_date("25.06.2025") == datetime.date(2025, 6, 25)
    assert parse_date("") is None and parse_date(None) is None
    with pytest.raises(ValueError):
        parse_date(20250625)
