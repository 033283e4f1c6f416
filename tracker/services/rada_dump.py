"""Reading the Rada's full bill dump (`billinfo-skl9.json`) one bill at a time.

The dump is one JSON array of bill cards, about 130 MB. It is read as a stream (ijson over
the file), so memory does not grow with the file: each card is built, handed over and
dropped. Real dumps hold raw control characters inside strings: every byte below 0x20 is
read as a space (outside strings that is whitespace anyway). A card larger or deeper than
the settings allow is skipped with a warning, and so is a card without a usable id; a field
of the wrong type is dropped with a warning and the rest of the card is kept. A file that
stops being JSON (truncated, garbage) raises `DumpError` naming how far it got.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

import ijson
import orjson
from django.conf import settings

# Bytes 0x00-0x1F read as spaces: raw control characters are not JSON, and integrators
# report them inside the Rada's strings.
_CONTROL = bytes.maketrans(bytes(range(32)), b" " * 32)
CHUNK = 256 * 1024
MAX_TEXT = 500


class DumpError(Exception):
    """The dump cannot be read on (not JSON, not an array of cards, cut short)."""


class CleanReader:
    """A binary file whose control bytes read as spaces; counts what was read."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.bytes_read = 0

    def read(self, size: int = CHUNK) -> bytes:
        if size == 0:
            return b""  # ijson asks for nothing first, to learn that the file gives bytes
        data = self.raw.read(size if size and size > 0 else CHUNK)
        self.bytes_read += len(data)
        return data.translate(_CONTROL)


@dataclass
class RawCard:
    """One element of the dump's array as read, or why it could not be."""

    index: int
    value: Any = None
    problem: str = ""


def read_raw_cards(
    stream: IO[bytes], *, max_bytes: int | None = None, max_depth: int | None = None
) -> Iterator[RawCard]:
    """Yield the dump's elements one by one, each built only if within the limits."""
    max_bytes = max_bytes or settings.RADA_MAX_CARD_BYTES
    max_depth = max_depth or settings.RADA_MAX_CARD_DEPTH
    events = ijson.basic_parse(CleanReader(stream), use_float=True, buf_size=CHUNK)
    index = -1
    try:
        first = next(events, None)
        if first is None:
            raise DumpError("The file is empty: expected a JSON array of bill cards.")
        if first[0] != "start_array":
            raise DumpError("The file is not a JSON array of bill cards.")
        stack: list[Any] = []
        keys: list[str | None] = []
        depth = 0
        size = 0
        problem = ""
        for event, value in events:
            if depth == 0:
                if event == "end_array":
                    trailing = next(events, None)
                    if trailing is not None:
                        raise DumpError("The file goes on after the array of bill cards.")
                    return
                index += 1
                stack, keys, size, problem = [], [], 0, ""
            if event in ("start_map", "start_array"):
                depth += 1
                if not problem and depth > max_depth:
                    problem = f"nested deeper than {max_depth} levels"
                if not problem:
                    stack.append({} if event == "start_map" else [])
                    keys.append(None)
                if depth == 1:
                    continue
                if problem:
                    continue
                # The new container is attached to its parent when it closes.
                continue
            if event in ("end_map", "end_array"):
                depth -= 1
                if problem:
                    if depth == 0:
                        yield RawCard(index, None, problem)
                    continue
                done = stack.pop()
                keys.pop()
                if depth == 0:
                    yield RawCard(index, done)
                    continue
                _attach(stack, keys, done)
                continue
            if event == "map_key":
                if not problem:
                    keys[-1] = value
                    size += len(value) + 4
                continue
            # A scalar: string, number, boolean or null.
            if depth == 0:
                yield RawCard(index, value)
                continue
            if problem:
                continue
            size += (len(value) if isinstance(value, str) else 0) + 8
            if size > max_bytes:
                problem = f"larger than {max_bytes} bytes"
                stack, keys = [], []
                continue
            _attach(stack, keys, value)
        raise DumpError(f"The file ends inside the array, after {index} bill cards: cut short?")
    except ijson.common.IncompleteJSONError as exc:
        raise DumpError(
            f"The file is cut short or is not JSON after {max(index, 0)} bill cards: {_short(exc)}"
        ) from None
    except ijson.common.JSONError as exc:
        raise DumpError(
            f"The file is not valid JSON after {max(index, 0)} bill cards: {_short(exc)}"
        ) from None


def _attach(stack: list[Any], keys: list[str | None], value: Any) -> None:
    parent = stack[-1]
    if isinstance(parent, dict):
        parent[keys[-1]] = value
    else:
        parent.append(value)


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]


# --- One card, as the tracker reads it --------------------------------------------------


@dataclass(frozen=True)
class Phase:
    title: str
    on: datetime.date | None


@dataclass(frozen=True)
class Executive:
    name: str
    main: bool
    received_on: datetime.date | None


@dataclass(frozen=True)
class Document:
    kind: str
    title: str
    url: str
    on: datetime.date | None


@dataclass
class Card:
    id: int
    number: str = ""
    registration_date: datetime.date | None = None
    convocation: int | None = None
    title: str = ""
    type: str = ""
    rubric: str = ""
    subject: str = ""
    initiators: list[str] = field(default_factory=list)
    initiator_kind: str = ""
    executives: list[Executive] = field(default_factory=list)
    phases: list[Phase] = field(default_factory=list)
    current_phase: str = ""
    documents: list[Document] = field(default_factory=list)
    alternative: list[int] = field(default_factory=list)
    bind: list[int] = field(default_factory=list)
    act_number: str = ""
    act_date: datetime.date | None = None
    digest: str = ""

    @property
    def main_committee(self) -> Executive | None:
        return next((e for e in self.executives if e.main), None)

    @property
    def url(self) -> str:
        return settings.RADA_CARD_URL.format(id=self.id)


def digest(raw: Any) -> str:
    """A stable fingerprint of a card as read: the same card gives the same digest."""
    return hashlib.sha256(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)).hexdigest()


_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DOTTED = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})")


def parse_date(value: Any) -> datetime.date | None:
    """'2025-06-25T00:00:00', '2025-06-25' or '25.06.2025' -> a date; '' or None -> None.

    Raises ValueError for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}"[:80])
    text = value.strip()
    match = _DATE.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _DOTTED.match(text)
        if not match:
            raise ValueError(f"not a date: {text!r}"[:80])
        day, month, year = (int(g) for g in match.groups())
    return datetime.date(year, month, day)


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | dict | list):
        raise ValueError("not text")
    if isinstance(value, float | int | Decimal):
        value = str(value)
    return " ".join(str(value).split())[:limit]


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("not a whole number")
        value = int(value)
    if isinstance(value, str):
        value = int(value.strip())
    if not isinstance(value, int) or value < 0 or value > 2**53:
        raise ValueError("not a whole number")
    return value


def _list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [value]
    raise ValueError("not a list")


def _person_name(value: Any) -> str:
    if isinstance(value, str):
        return _text(value)
    if not isinstance(value, dict):
        return ""
    for key in ("fullName", "full_name", "name", "title", "organization", "department"):
        if isinstance(value.get(key), str) and value[key].strip():
            return _text(value[key])
    parts = [value.get(k) for k in ("lastName", "firstName", "secondName", "patronymic")]
    joined = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    if joined:
        return _text(joined)
    nested = value.get("person")
    return _person_name(nested) if isinstance(nested, dict | str) else ""


def _initiator_kind(names: list[str], raw: list[Any]) -> str:
    text = " ".join(names).casefold()
    if "кабінет міністрів" in text or "cabinet" in text:
        return "cabinet"
    if "президент" in text or "president" in text:
        return "president"
    if names or raw:
        return "mps"
    return ""


_MAIN_WORDS = ("головн", "main")


def _executive(value: Any) -> Executive | None:
    if not isinstance(value, dict):
        return None
    name = value.get("department")
    if isinstance(name, dict):
        name = name.get("name") or name.get("title")
    name = _text(name, 300)
    if not name:
        return None
    main = False
    for key in ("isMain", "main"):
        if value.get(key) is True:
            main = True
    for key in ("type", "role", "kind"):
        if isinstance(value.get(key), str) and any(w in value[key].casefold() for w in _MAIN_WORDS):
            main = True
    received = None
    for key in ("date", "receivedDate", "dateReceived"):
        try:
            received = parse_date(value.get(key))
        except ValueError:
            received = None
        if received:
            break
    return Executive(name=name, main=main, received_on=received)


_DOC_KINDS = (
    ("пояснювальна записка", "explanatory_note"),
    ("висновок", "committee_conclusion"),
    ("порівняльна таблиця", "comparison_table"),
    ("текст", "text"),
    ("проект", "text"),
)


def _documents(value: Any, warnings: list[str]) -> list[Document]:
    groups: list[Any] = []
    if isinstance(value, dict):
        groups = [value.get("source"), value.get("workflow")]
    elif isinstance(value, list):
        groups = [value]
    elif value not in (None, ""):
        warnings.append("documents: not a list, skipped")
    result: list[Document] = []
    seen: set[str] = set()
    for group in groups:
        try:
            items = _list(group)
        except ValueError:
            warnings.append("documents: a group is not a list, skipped")
            continue
        for item in items:
            if not isinstance(item, dict):
                continue
            try:
                title = _text(item.get("type") or item.get("name") or item.get("title"), 300)
            except ValueError:
                title = ""
            try:
                on = parse_date(item.get("date"))
            except ValueError:
                on = None
            kind = next((k for word, k in _DOC_KINDS if word in title.casefold()), "other")
            files = item.get("docFiles")
            file_ids: list[int] = []
            for entry in files if isinstance(files, list) else []:
                try:
                    number = _int(entry.get("id")) if isinstance(entry, dict) else None
                except ValueError:
                    number = None
                if number is not None:
                    file_ids.append(number)
            urls = [settings.RADA_FILE_URL.format(id=number) for number in file_ids]
            url = item.get("url") if isinstance(item.get("url"), str) else ""
            if url.startswith(("http://", "https://")):
                urls.insert(0, url.strip())
            for link in urls[:5]:
                if link in seen or len(link) > 500:
                    continue
                seen.add(link)
                result.append(Document(kind=kind, title=title, url=link, on=on))
    return result


def _ids(value: Any, name: str, warnings: list[str]) -> list[int]:
    try:
        items = _list(value)
    except ValueError:
        warnings.append(f"{name}: not a list, skipped")
        return []
    ids: list[int] = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("id")
        try:
            number = _int(item)
        except (ValueError, TypeError):
            warnings.append(f"{name}: {str(item)[:40]!r} is not a bill id, skipped")
            continue
        if number is not None and number not in ids:
            ids.append(number)
    return ids


def _phase(value: Any) -> Phase | None:
    if not isinstance(value, dict):
        return None
    title = value.get("title")
    if not isinstance(title, str) or not title.strip():
        title = value.get("status")
    try:
        title = _text(title, 300)
    except ValueError:
        return None
    if not title:
        return None
    return Phase(title=title, on=parse_date(value.get("date")))


def read_card(raw: Any) -> tuple[Card | None, list[str]]:
    """The card as the tracker uses it, and what was wrong with it.

    Returns no card (only warnings) when it has no usable id."""
    warnings: list[str] = []
    if not isinstance(raw, dict):
        return None, ["not an object: skipped"]
    try:
        rada_id = _int(raw.get("id"))
    except (ValueError, TypeError):
        rada_id = None
    if rada_id is None:
        return None, ["no usable id: skipped"]
    card = Card(id=rada_id)

    def take(name: str, reader, attribute: str) -> None:
        try:
            setattr(card, attribute, reader(raw.get(name)))
        except (ValueError, TypeError, OverflowError) as exc:
            warnings.append(f"{name}: {exc}; ignored")

    take("registrationNumber", lambda v: _text(v, 32), "number")
    take("registrationDate", parse_date, "registration_date")
    take("registrationConvocation", _int, "convocation")
    take("name", _text, "title")
    take("type", lambda v: _text(v, 300), "type")
    take("rubric", lambda v: _text(v, 300), "rubric")
    take("subject", lambda v: _text(v, 300), "subject")
    take("actNumber", lambda v: _text(v, 32), "act_number")
    take("actDate", parse_date, "act_date")
    if card.convocation is not None and not 1 <= card.convocation <= 99:
        warnings.append("registrationConvocation: out of range; ignored")
        card.convocation = None

    try:
        initiators = _list(raw.get("initiators"))
    except ValueError:
        warnings.append("initiators: not a list; ignored")
        initiators = []
    names = [n for n in (_person_name(i) for i in initiators) if n]
    card.initiators = list(dict.fromkeys(names))[:50]
    card.initiator_kind = _initiator_kind(card.initiators, initiators)

    try:
        executives = _list(raw.get("executives"))
    except ValueError:
        warnings.append("executives: not a list; ignored")
        executives = []
    found = [e for e in (_executive(v) for v in executives) if e is not None]
    if found and not any(e.main for e in found):
        first = found[0]
        found[0] = Executive(first.name, True, first.received_on)
    seen_main = False
    for executive in found:
        if executive.main and seen_main:
            executive = Executive(executive.name, False, executive.received_on)
        seen_main = seen_main or executive.main
        card.executives.append(executive)

    try:
        passings = _list(raw.get("passings"))
    except ValueError:
        warnings.append("passings: not a list; ignored")
        passings = []
    for value in passings:
        try:
            phase = _phase(value)
        except ValueError as exc:
            warnings.append(f"passings: {exc}; that phase ignored")
            continue
        if phase is not None:
            card.phases.append(phase)
    current = raw.get("currentPhase")
    if isinstance(current, dict):
        try:
            phase = _phase(current)
        except ValueError as exc:
            warnings.append(f"currentPhase: {exc}; ignored")
            phase = None
        if phase is not None:
            card.current_phase = phase.title
            if not any(p.title == phase.title and p.on == phase.on for p in card.phases):
                card.phases.append(phase)
    elif current not in (None, ""):
        warnings.append("currentPhase: not an object; ignored")
    # Oldest first; phases of one day keep the card's order; undated ones go last.
    card.phases.sort(key=lambda p: (p.on is None, p.on or datetime.date.min))

    card.documents = _documents(raw.get("documents"), warnings)
    card.alternative = [i for i in _ids(raw.get("alternative"), "alternative", warnings)]
    card.bind = [i for i in _ids(raw.get("bind"), "bind", warnings)]
    card.alternative = [i for i in card.alternative if i != rada_id]
    card.bind = [i for i in card.bind if i != rada_id and i not in card.alternative]
    card.digest = digest(raw)
    return card, warnings
