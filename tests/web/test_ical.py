from tracker.web.ical import calendar, escape_text, fold


def test_text_is_escaped_per_rfc5545():
    assert escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"


def test_long_lines_fold_at_75_octets_without_splitting_characters():
    line = "SUMMARY:" + "Друге читання законопроєкту " * 6
    folded = fold(line)
    pieces = folded.split("\r\n")
    assert len(pieces) > 1
    assert all(len(p.encode()) <= 75 for p in pieces)
    assert all(p.startswith(" ") for p in pieces[1:])
    # Unfolding (drop CRLF + one space) gives the line back.
    assert folded.replace("\r\n ", "") == line


def test_calendar_uses_crlf_and_wraps_events():
    body = calendar(name="x", events=[[("UID", "a@b"), ("SUMMARY", "s")]])
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert "BEGIN:VEVENT\r\nUID:a@b\r\nSUMMARY:s\r\nEND:VEVENT\r\n" in body
    assert body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")
