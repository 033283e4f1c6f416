"""A minimal iCalendar (RFC 5545) writer: text escaping, line folding and CRLF endings."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

MAX_LINE_OCTETS = 75


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 section 3.3.11)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets, never inside a UTF-8 character
    (section 3.1); continuation lines start with one space."""
    pieces: list[str] = []
    current, size = "", 0
    limit = MAX_LINE_OCTETS
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            pieces.append(current)
            current, size = " ", 1
            limit = MAX_LINE_OCTETS
        current += char
        size += width
    pieces.append(current)
    return "\r\n".join(pieces)


def format_date(value: datetime.date) -> str:
    return value.strftime("%Y%m%d")


def format_utc(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(*, name: str, events: Iterable[list[tuple[str, str]]]) -> str:
    """A VCALENDAR with the given events, each a list of (name with parameters, value)
    pairs whose values are already in iCalendar form (TEXT values escaped by the caller)."""
    lines = [
        ("BEGIN", "VCALENDAR"),
        ("VERSION", "2.0"),
        ("PRODID", "-//Co-production tracker//Public dashboard//EN"),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
        ("X-WR-CALNAME", escape_text(name)),
    ]
    for event in events:
        lines += [("BEGIN", "VEVENT"), *event, ("END", "VEVENT")]
    lines.append(("END", "VCALENDAR"))
    return "".join(fold(f"{key}:{value}") + "\r\n" for key, value in lines)
