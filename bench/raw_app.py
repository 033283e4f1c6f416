"""The raw baseline: a bare WSGI app answering the partner API's hot reads by hand.

Hand-written SQL over psycopg and orjson, nothing else per request. It answers the same
JSON, byte for byte, as `/api/v1/laws/`, `/api/v1/laws/<id>/` and `/api/v1/events/` do
for a partner API key: same fields, same partner scoping, same cursor pagination, same
ETag. It is the limit our Django/DRF stack is measured against (bench/README.md).
Gunicorn: `gunicorn -w 2 bench.raw_app:application` with DATABASE_URL set.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from datetime import date, datetime
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

import orjson
import psycopg

TIME_ZONE = ZoneInfo("Europe/Kyiv")
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tracker_bench")
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25
EVENTS_DEFAULT_LIMIT = 100
EVENTS_MAX_LIMIT = 500


def _labels() -> dict[str, dict[str, str]]:
    """Status labels from the workflow tables (read once, at import)."""
    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_I18N=False)
    from tracker.workflows import WORKFLOWS

    return {
        name: {value: str(label) for value, label in wf.statuses.choices}
        for name, wf in WORKFLOWS.items()
    }


LABELS = _labels()

# --- SQL: the same conditions tracker.selectors builds for a partner viewer ---------------

VISIBLE = (
    "({t}.visibility IN ('public', 'partners') OR ({t}.visibility = 'restricted' AND EXISTS "
    "(SELECT 1 FROM {through} x WHERE x.{fk} = {t}.id AND x.partnercountry_id = %(partner)s)))"
    " AND {t}.archived_at IS NULL"
)
VISIBLE_LAW = VISIBLE.format(t="l", through="tracker_draftlaw_partners", fk="draftlaw_id")
VISIBLE_TAX = VISIBLE.format(t="m", through="tracker_taxmeasure_partners", fk="taxmeasure_id")
VISIBLE_FAC = VISIBLE.format(t="f", through="tracker_facility_partners", fk="facility_id")
VISIBLE_PARTNER = (
    "(p.visibility IN ('public', 'partners') OR (p.visibility = 'restricted' AND p.id = "
    "%(partner)s)) AND p.archived_at IS NULL"
)

SQL_KEY = (
    "SELECT k.hashed_key, k.partner_id, k.expiry_date FROM tracker_partnerapikey k"
    " JOIN tracker_partnercountry c ON c.id = k.partner_id"
    " WHERE k.prefix = %s AND NOT k.revoked AND (k.expiry_date IS NULL OR k.expiry_date > now())"
    " LIMIT 1"
)
LAW_COLUMNS = (
    "l.id, l.visibility, l.created_at, l.updated_at, l.status, l.registration_number,"
    " l.registration_date, l.title_en, l.title_uk, l.initiator, l.lead_committee,"
    " l.planned_next_step, l.planned_next_step_on, l.effective_date, l.convocation,"
    " l.lead_committee_received_on, l.is_urgent, l.shortened_procedure,"
    " l.needs_constitutional_majority, l.act_number, l.act_date"
)
SQL_LAW_PAGE = (
    f"SELECT {LAW_COLUMNS} FROM tracker_draftlaw l WHERE {VISIBLE_LAW}"
    " {after} ORDER BY l.updated_at DESC LIMIT %(limit)s"
)
SQL_LAW_ONE = (
    f"SELECT {LAW_COLUMNS}, l.summary_en, l.summary_uk FROM tracker_draftlaw l"
    f" WHERE l.id = %(id)s AND {VISIBLE_LAW}"
)
SQL_LAW_PARTNERS = (
    "SELECT x.draftlaw_id, p.code FROM tracker_draftlaw_partners x"
    " JOIN tracker_partnercountry p ON p.id = x.partnercountry_id"
    f" WHERE x.draftlaw_id = ANY(%(ids)s) AND {VISIBLE_PARTNER} ORDER BY p.code"
)
SQL_LAW_DOCUMENTS = (
    "SELECT kind, title, url, published_on FROM tracker_lawdocument"
    " WHERE law_id = %(id)s ORDER BY kind, id"
)
SQL_LAW_NUMBERS = (
    "SELECT number, registered_on FROM tracker_registrationnumber"
    " WHERE law_id = %(id)s ORDER BY registered_on, id"
)
SQL_LAW_COMMITTEES = (
    "SELECT id, name, received_on FROM tracker_lawcommittee"
    " WHERE law_id = %(id)s ORDER BY received_on, id"
)
SQL_LAW_ENTRIES = (
    'SELECT id, provisions, "on", condition FROM tracker_entryintoforce'
    ' WHERE law_id = %(id)s ORDER BY "on" ASC NULLS LAST, id'
)
SQL_LAW_RELATIONS = (
    "SELECT r.kind, r.note, l.id, l.registration_number, l.title_en, l.title_uk, l.status"
    " FROM tracker_lawrelation r JOIN tracker_draftlaw l ON l.id = r.other_id"
    f" WHERE r.law_id = %(id)s AND {VISIBLE_LAW} ORDER BY r.kind, r.id"
)
SQL_LAW_INVERSE_RELATIONS = (
    "SELECT r.kind, r.note, l.id, l.registration_number, l.title_en, l.title_uk, l.status"
    " FROM tracker_lawrelation r JOIN tracker_draftlaw l ON l.id = r.law_id"
    f" WHERE r.other_id = %(id)s AND {VISIBLE_LAW} ORDER BY r.kind, r.id"
)
# How a relation reads from each end (tracker.models.laws.RelationKind and its inverse).
RELATION_LABELS = {
    "alternative_to": ("alternative to", "has the alternative"),
    "reworked_into": ("reworked into", "reworked from"),
    "reregistered_as": ("re-registered as", "re-registered from"),
    "package_with": ("in a package with", "in a package with"),
    "resolution_about": ("resolution about", "subject of the resolution"),
}
SQL_LAW_TAX = (
    "SELECT m.id, m.name_en, m.name_uk, m.status FROM tracker_taxmeasure m"
    f" WHERE m.legal_basis_id = %(id)s AND {VISIBLE_TAX} ORDER BY m.id"
)
SQL_LAW_FAC = (
    "SELECT f.id, f.name_en, f.name_uk, f.status FROM tracker_facility f"
    " JOIN tracker_facility_enabling_laws e ON e.facility_id = f.id"
    f" WHERE e.draftlaw_id = %(id)s AND {VISIBLE_FAC} ORDER BY f.id"
)
# Visibility per event row with scalar subqueries: PostgreSQL cannot turn these into hashed
# subplans that first collect every visible record, so a page costs the same at any size.
_ROW_VISIBLE = (
    "(SELECT {t}.archived_at IS NULL AND ({t}.visibility IN ('public', 'partners') OR"
    " ({t}.visibility = 'restricted' AND (SELECT true FROM {through} x WHERE x.{fk} = {t}.id"
    " AND x.partnercountry_id = %(partner)s LIMIT 1))) FROM {table} {t} WHERE {t}.id = e.record_id)"
)
SQL_EVENTS = (
    "SELECT e.id, e.type, e.record_type, e.record_id, e.occurred_at, e.data"
    " FROM tracker_event e WHERE e.id > %(after)s AND e.type <> 'webhook.test'"
    " AND COALESCE(CASE WHEN e.audience_only THEN (SELECT true FROM tracker_event_audience a"
    " WHERE a.event_id = e.id AND a.partnercountry_id = %(partner)s LIMIT 1)"
    " ELSE CASE e.record_type"
    " WHEN 'law' THEN "
    + _ROW_VISIBLE.format(
        t="l", table="tracker_draftlaw", through="tracker_draftlaw_partners", fk="draftlaw_id"
    )
    + " WHEN 'tax_measure' THEN "
    + _ROW_VISIBLE.format(
        t="m",
        table="tracker_taxmeasure",
        through="tracker_taxmeasure_partners",
        fk="taxmeasure_id",
    )
    + " WHEN 'facility' THEN "
    + _ROW_VISIBLE.format(
        t="f", table="tracker_facility", through="tracker_facility_partners", fk="facility_id"
    )
    + " WHEN 'partner' THEN (SELECT p.archived_at IS NULL AND (p.visibility IN"
    " ('public', 'partners') OR p.id = %(partner)s) FROM tracker_partnercountry p"
    " WHERE p.id = e.record_id)"
    " END END, false) ORDER BY e.id LIMIT %(limit)s"
)
RESOURCES = {
    "law": "laws",
    "tax_measure": "tax-measures",
    "facility": "facilities",
    "partner": "partners",
}

_connection: psycopg.Connection | None = None


def db() -> psycopg.Connection:
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(DATABASE_URL, autocommit=True, prepare_threshold=0)
    return _connection


def ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    text = value.astimezone(TIME_ZONE).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- Deadlines: tracker.deadlines.present and DeadlineSerializer, in English --------------

SQL_DEADLINES = (
    "SELECT record_id, key, kind, label, due_on, obliged, unknown_because, legal_basis, "
    "counts_from, source_url FROM tracker_deadline WHERE record_type = 'law' "
    "AND record_id = ANY(%(ids)s) ORDER BY due_on ASC NULLS LAST, id ASC"
)
DEADLINE_TITLES = {
    "president_answer": "The President must sign the law or return it",
    "president_after_override": "The President must sign and publish the overridden law",
    "entry_into_force": "Enters into force",
    "tax_start": "The tax measure starts",
    "tax_sunset": "The tax measure ends",
    "next_step": "Planned next step",
}
NO_DATE_REASONS = {
    "month_only": "the date it counts from is known only to the month",
    "date_unknown": "the date it counts from is not known",
    "condition": "it depends on a condition, not a date",
}
COUNTS_FROM_LABELS = {
    "received_by_president": "received by the President",
    "published": "officially published",
    "veto_overridden": "the Rada overrode the President's proposals",
    "law_provides": "date the law sets",
    "planned": "date planned",
    "measure_provides": "date the measure sets",
    "set_by_staff": "date set by the source",
}
COUNTS_FROM_KEYS = ("what", "label", "date", "date_precision", "condition")


def deadline_item(row, today: date) -> dict:
    _, key, kind, label, due_on, obliged, unknown, basis, counts_from, source = row
    title = label if kind == "manual" else DEADLINE_TITLES.get(kind, kind)
    if label and kind in ("entry_into_force", "next_step"):
        title = f"{title}: {label}"
    state, left, overdue, deemed = "no_date", None, None, False
    if due_on is not None:
        if due_on > today:
            state, left = "running", (due_on - today).days
        elif due_on == today:
            state, left = "due_today", 0
        elif not obliged:
            state = "passed"
        else:
            state, overdue = "overdue", (today - due_on).days
            deemed = kind == "president_answer"
    counts = []
    for item in counts_from:
        item = {**item, "label": COUNTS_FROM_LABELS.get(item.get("what"), item.get("what"))}
        counts.append({name: item[name] for name in COUNTS_FROM_KEYS if name in item})
    return {
        "key": key,
        "kind": kind,
        "title": title,
        "due_on": day(due_on),
        "state": state,
        "days_left": left,
        "days_overdue": overdue,
        "deemed_approved": deemed,
        "on_weekend": due_on is not None and due_on.weekday() >= 5,
        "obliged": obliged,
        "unknown_because": unknown or None,
        "unknown_reason": NO_DATE_REASONS.get(unknown) or None,
        "legal_basis": basis,
        "counts_from": counts,
        "source_url": source or None,
    }


def deadlines(ids: list[int]) -> dict[int, list[dict]]:
    today = datetime.now(TIME_ZONE).date()
    found: dict[int, list[dict]] = {}
    for row in db().execute(SQL_DEADLINES, {"ids": ids}):
        found.setdefault(row[0], []).append(deadline_item(row, today))
    return found


class Problem(Exception):
    def __init__(self, status: int, title: str) -> None:
        self.status, self.title = status, title


def authenticate(environ) -> int:
    scheme, _, key = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "api-key" or not key.strip():
        raise Problem(401, "Authentication credentials were not provided.")
    key = key.strip()
    row = db().execute(SQL_KEY, (key.partition(".")[0],)).fetchone()
    expected = "sha512$$" + hashlib.sha512(key.encode()).hexdigest()
    if row is None or not hmac.compare_digest(row[0], expected):
        raise Problem(401, "Unknown or revoked API key.")
    return row[1]


def law_item(row, base: str, codes: list[str], due: list[dict]) -> dict:
    return {
        "id": row[0],
        "visibility": row[1],
        "created_at": ts(row[2]),
        "updated_at": ts(row[3]),
        "deadlines": due,
        "url": f"{base}/api/v1/laws/{row[0]}/",
        "status": row[4],
        "status_label": LABELS["law"][row[4]],
        "partners": codes,
        "registration_number": row[5],
        "registration_date": day(row[6]),
        "convocation": row[14],
        "title_en": row[7],
        "title_uk": row[8],
        "initiator": row[9],
        "lead_committee": row[10],
        "lead_committee_received_on": day(row[15]),
        "is_urgent": row[16],
        "shortened_procedure": row[17],
        "needs_constitutional_majority": row[18],
        "act_number": row[19],
        "act_date": day(row[20]),
        "planned_next_step": row[11],
        "planned_next_step_on": day(row[12]),
        "effective_date": day(row[13]),
    }


def partner_codes(partner: int, ids: list[int]) -> dict[int, list[str]]:
    codes: dict[int, list[str]] = {}
    for law_id, code in db().execute(SQL_LAW_PARTNERS, {"ids": ids, "partner": partner}):
        codes.setdefault(law_id, []).append(code)
    return codes


def encode_cursor(position: str, base_url: str, query: dict[str, list[str]]) -> str:
    cursor = base64.b64encode(urlencode({"p": position}).encode("ascii")).decode("ascii")
    params = {**query, "cursor": [cursor]}
    return f"{base_url}?{urlencode(sorted(params.items()), doseq=True)}"


def law_list(partner: int, base: str, path: str, query: dict[str, list[str]]) -> dict:
    size = DEFAULT_PAGE_SIZE
    if "page_size" in query:
        try:
            size = int(query["page_size"][-1])
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise Problem(400, "Invalid page size.")
    after, params = "", {"partner": partner, "limit": size + 1}
    if "cursor" in query:
        decoded = parse_qs(base64.b64decode(query["cursor"][-1]).decode("ascii"))
        after, params["position"] = "AND l.updated_at < %(position)s", decoded["p"][0]
    rows = db().execute(SQL_LAW_PAGE.format(after=after), params).fetchall()
    has_more = len(rows) > size
    rows = rows[:size]
    codes = partner_codes(partner, [r[0] for r in rows])
    due = deadlines([r[0] for r in rows])
    following = None
    if has_more:
        following = encode_cursor(str(rows[-1][3]), base + path, query)
    previous = None  # first page (or forward pages in this baseline)
    return {
        "next": following,
        "previous": previous,
        "results": [law_item(r, base, codes.get(r[0], []), due.get(r[0], [])) for r in rows],
    }


def law_detail(partner: int, base: str, law_id: int) -> dict:
    conn = db()
    params = {"id": law_id, "partner": partner}
    row = conn.execute(SQL_LAW_ONE, params).fetchone()
    if row is None:
        raise Problem(404, "Not found.")
    item = law_item(
        row,
        base,
        partner_codes(partner, [law_id]).get(law_id, []),
        deadlines([law_id]).get(law_id, []),
    )
    item["summary_en"], item["summary_uk"] = row[21], row[22]
    numbers = [{"number": row[5], "registered_on": day(row[6]), "current": True}] if row[5] else []
    numbers += [
        {"number": n, "registered_on": day(on), "current": False}
        for n, on in conn.execute(SQL_LAW_NUMBERS, params)
    ]
    item["registration_numbers"] = numbers
    item["other_committees"] = [
        {"id": i, "name": n, "received_on": day(on)}
        for i, n, on in conn.execute(SQL_LAW_COMMITTEES, params)
    ]
    relations = []
    for sql, side, direction in (
        (SQL_LAW_RELATIONS, 0, "outgoing"),
        (SQL_LAW_INVERSE_RELATIONS, 1, "incoming"),
    ):
        relations += [
            {"kind": kind, "label": RELATION_LABELS[kind][side], "direction": direction,
             "note": note, "law": {"id": i, "url": f"{base}/api/v1/laws/{i}/",
             "registration_number": number, "title_en": en, "title_uk": uk, "status": s}}
            for kind, note, i, number, en, uk, s in conn.execute(sql, params)
        ]  # fmt: skip
    item["relations"] = relations
    item["entries_into_force"] = [
        {"id": i, "provisions": p, "on": day(on), "condition": c}
        for i, p, on, c in conn.execute(SQL_LAW_ENTRIES, params)
    ]
    item["documents"] = [
        {"kind": k, "title": t, "url": u, "published_on": day(p)}
        for k, t, u, p in conn.execute(SQL_LAW_DOCUMENTS, params)
    ]
    item["tax_measures"] = [
        {"id": i, "url": f"{base}/api/v1/tax-measures/{i}/", "name_en": en, "name_uk": uk,
         "status": s}
        for i, en, uk, s in conn.execute(SQL_LAW_TAX, params)
    ]  # fmt: skip
    item["facilities"] = [
        {"id": i, "url": f"{base}/api/v1/facilities/{i}/", "name_en": en, "name_uk": uk,
         "status": s}
        for i, en, uk, s in conn.execute(SQL_LAW_FAC, params)
    ]  # fmt: skip
    return item


def event_feed(partner: int, base: str, path: str, raw_query: str) -> dict:
    query = parse_qs(raw_query, keep_blank_values=True)
    try:
        after = int(query.get("after", ["0"])[-1])
        limit = int(query.get("limit", [str(EVENTS_DEFAULT_LIMIT)])[-1])
    except ValueError:
        raise Problem(400, "Invalid after or limit.") from None
    if after < 0 or not 1 <= limit <= EVENTS_MAX_LIMIT:
        raise Problem(400, "Invalid after or limit.")
    rows = (
        db()
        .execute(SQL_EVENTS, {"after": after, "limit": limit + 1, "partner": partner})
        .fetchall()
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    last_id = rows[-1][0] if rows else after
    pairs = [(k, v) for k, vs in query.items() for v in vs]
    if "after" not in query:
        pairs.append(("after", ""))
    pairs = [(k, str(last_id) if k == "after" else v) for k, v in pairs]
    results = [
        {
            "id": r[0],
            "type": r[1],
            "record_type": r[2],
            "record_id": r[3],
            "record_url": (
                f"{base}/api/v1/{RESOURCES[r[2]]}/{r[3]}/"
                if r[2] in RESOURCES and r[3] is not None
                else None
            ),
            "occurred_at": ts(r[4]),
            "data": r[5],
        }
        for r in rows
    ]
    return {
        "results": results,
        "next": f"{base}{path}?{urlencode(pairs)}",
        "has_more": has_more,
        "last_id": last_id,
    }


LAW_DETAIL = re.compile(r"^/api/v1/laws/([0-9]+)/$")


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    raw_query = environ.get("QUERY_STRING", "")
    base = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', 'localhost')}"
    try:
        if environ.get("REQUEST_METHOD") != "GET":
            raise Problem(405, "Method not allowed.")
        partner = authenticate(environ)
        if path == "/api/v1/laws/":
            data = law_list(partner, base, path, parse_qs(raw_query, keep_blank_values=True))
        elif path == "/api/v1/events/":
            data = event_feed(partner, base, path, raw_query)
        elif match := LAW_DETAIL.match(path):
            data = law_detail(partner, base, int(match.group(1)))
        else:
            raise Problem(404, "Not found.")
        status = "200 OK"
        body = orjson.dumps(data)
        headers = [
            ("Content-Type", "application/json"),
            ("ETag", f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'),
            ("Cache-Control", "private, no-cache"),
            ("Vary", "Authorization, Cookie"),
        ]
    except Problem as problem:
        status = f"{problem.status} {problem.title}"
        body = orjson.dumps({"status": problem.status, "title": problem.title})
        headers = [("Content-Type", "application/problem+json")]
    except psycopg.OperationalError:
        global _connection
        _connection = None
        raise
    headers.append(("Content-Length", str(len(body))))
    start_response(status, headers)
    return [body]
