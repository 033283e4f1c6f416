"""Build a benchmark data set in bulk with COPY.

    python -m bench.generate [--laws 20000] [--events 1000000] ...

Bypasses the services for speed but keeps what they guarantee: every status follows its
workflow from the initial status, every status change has its event (same data the service
writes), event ids grow with time, registration numbers are unique and dated, votes only on
votes, each at least its threshold (226 to adopt, 300 to override the President), a law in force
has its entry into force, a tax measure's legal bases hold its main one, money has its
currency, sunsets follow starts. Every step has an exact date and is active, in id order.
Historical events are marked fanned out so the notification sweep leaves them alone.
Wipes the tracker's tables first; users and API keys of other tables are kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import random
import sys
import time

import orjson

LAW_VIS = (("public", 0.4), ("partners", 0.3), ("restricted", 0.3))
_CODES = (
    "DE FR GB US PL CZ SK NL BE DK SE NO FI EE LV LT IT ES PT CA JP KR AU NZ AT CH IE LU RO BG "
    "HR SI GR HU MT CY IS TR MD GE AZ AM KZ UZ IL AE SA QA SG IN BR MX AR CL CO ZA NG KE MA PH"
)
PARTNER_CODES = _CODES.split()
DOCUMENT_KINDS = ["text", "explanatory_note", "committee_conclusion", "comparison_table"]
EPOCH = dt.datetime(2022, 1, 1, tzinfo=dt.UTC)


def _setup_django() -> None:
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()


def pick_visibility(rng: random.Random) -> str:
    x = rng.random()
    for value, share in LAW_VIS:
        if x < share:
            return value
        x -= share
    return LAW_VIS[-1][0]


def walk(workflow, steps: int, rng: random.Random, prefer_main: float = 0.8) -> list[str]:
    """A path of statuses from the initial one, `steps` transitions long or until terminal."""
    path = [workflow.initial]
    main = workflow.main_path
    for _ in range(steps):
        current = path[-1]
        targets = workflow.allowed_targets(current)
        if not targets:
            break
        nxt = None
        if current in main:
            i = main.index(current)
            if i + 1 < len(main) and main[i + 1] in targets and rng.random() < prefer_main:
                nxt = main[i + 1]
        if nxt is None:
            # Side exits that end a record's life are rarer than detours.
            going_on = [t for t in targets if not workflow.is_terminal(t)]
            nxt = rng.choice(going_on if going_on and rng.random() < 0.85 else targets)
        path.append(nxt)
    return path


def votes_for_transition(workflow, a: str, b: str, rng: random.Random):
    if not workflow.is_vote(a, b):
        return None, None, None
    # A vote into an adoption needs 226, an override of the President 300 (the service refuses
    # less); a vote without a threshold (e.g. a rejection) can have any count.
    threshold = workflow.threshold(b)
    vf = rng.randint(threshold, max(threshold, 360)) if threshold else rng.randint(150, 320)
    va = rng.randint(0, 450 - vf)
    ab = rng.randint(0, 450 - vf - va)
    return vf, va, ab


class Generator:
    def __init__(self, *, laws, tax_measures, facilities, partners, events, seed=42):
        self.n_laws, self.n_tax, self.n_fac = laws, tax_measures, facilities
        self.n_partners, self.n_events = partners, events
        self.rng = random.Random(seed)
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.span = (self.now - EPOCH).total_seconds()
        self.status_changes: list[tuple] = []
        # (when, type, record_type, record_id, status_change_id, data)
        self.events: list[tuple] = []

    # -- helpers ---------------------------------------------------------------------------
    def moments(self, n: int) -> list[dt.datetime]:
        """`n` increasing moments between a random start and now."""
        start = self.rng.uniform(0, self.span * 0.7)
        points = sorted(self.rng.uniform(start, self.span) for _ in range(n))
        return [EPOCH + dt.timedelta(seconds=p) for p in points]

    def history(self, *, workflow, record_type, ct_id, record_id, path, created):
        """Status changes and events of one record; returns (last moment, first dates)."""
        times = [created, *self.moments(len(path) - 1)]
        times = sorted(times)
        times[0] = created = min(times)
        self.events.append((created, f"{record_type}.created", record_type, record_id, None, None))
        reached: dict[str, dt.date] = {}
        for (a, b), when in zip(itertools.pairwise(path), times[1:], strict=True):
            vf, va, ab = votes_for_transition(workflow, a, b, self.rng)
            sc_id = len(self.status_changes) + 1
            occurred = when.date()
            note = f"{a} -> {b}"
            # position = id order; an exact date, active, no vote detail beyond the three
            # counts, not a reopening, not a correction or retraction.
            self.status_changes.append(
                (
                    *(sc_id, ct_id, record_id, a, b, occurred, "day", float(sc_id), when),
                    *(note, "", vf, va, ab, None, None, True, None, "", None, None, ""),
                    False,
                )
            )
            data = {
                "step_id": sc_id,
                "from": a,
                "to": b,
                "occurred_on": occurred.isoformat(),
                "date_precision": "day",
                "note": note,
                "source_url": "",
            }
            if vf is not None:
                data.update(votes_for=vf, votes_against=va, abstained=ab)
            self.events.append(
                (when, f"{record_type}.status_changed", record_type, record_id, sc_id, data)
            )
            reached.setdefault(b, occurred)
        return times[0], times[-1], reached

    def m2m(self, k_max: int, favour: float = 0.25) -> list[int]:
        """Up to `k_max` partner ids; partner 1 (the one the API is measured as) is favoured."""
        k = self.rng.randint(0, k_max)
        chosen = set(self.rng.sample(range(1, self.n_partners + 1), k))
        if self.rng.random() < favour:
            chosen.add(1)
        return sorted(chosen)

    # -- build -----------------------------------------------------------------------------
    def build(self) -> dict:
        from django.contrib.contenttypes.models import ContentType

        from tracker.models import DraftLaw, Facility, PartnerCountry, TaxMeasure
        from tracker.workflows import (
            FACILITY_WORKFLOW,
            LAW_WORKFLOW,
            PARTNER_WORKFLOW,
            TAX_MEASURE_WORKFLOW,
            LawStatus,
        )

        ct = {
            m: ContentType.objects.get_for_model(m).pk
            for m in (DraftLaw, TaxMeasure, Facility, PartnerCountry)
        }
        rng = self.rng
        rows: dict[str, list[tuple]] = {
            k: []
            for k in (
                "partner",
                "law",
                "law_p",
                "law_doc",
                "law_eif",
                "tax",
                "tax_p",
                "tax_b",
                "fac",
                "fac_p",
                "fac_l",
                "fac_t",
            )
        }

        codes = PARTNER_CODES[: self.n_partners]
        for pid, code in enumerate(codes, start=1):
            path = walk(PARTNER_WORKFLOW, rng.randint(0, 5), rng)
            created = EPOCH + dt.timedelta(seconds=rng.uniform(0, self.span * 0.2))
            c, upd, _ = self.history(
                workflow=PARTNER_WORKFLOW,
                record_type="partner",
                ct_id=ct[PartnerCountry],
                record_id=pid,
                path=path,
                created=created,
            )
            vis = "public" if pid % 3 else "partners"
            rows["partner"].append(
                (
                    pid,
                    code,
                    f"Партнер {code}",
                    f"Partner {code}",
                    path[-1],
                    "",
                    "",
                    "",
                    vis,
                    "",
                    c,
                    upd,
                    None,
                )
            )

        reg_no = 10000
        for lid in range(1, self.n_laws + 1):
            steps = max(1, int(rng.gauss(9.5, 2.5)))
            path = walk(LAW_WORKFLOW, steps, rng)
            created = EPOCH + dt.timedelta(seconds=rng.uniform(0, self.span * 0.7))
            c, upd, reached = self.history(
                workflow=LAW_WORKFLOW,
                record_type="law",
                ct_id=ct[DraftLaw],
                record_id=lid,
                path=path,
                created=created,
            )
            registered_on = reached.get(LawStatus.REGISTERED)
            number = None
            if registered_on is not None:
                reg_no += 1
                number = str(reg_no)
            initiator = (
                "cabinet"
                if LawStatus.STAKEHOLDER_REVIEW in path
                else rng.choice(("mps", "president", "cabinet"))
            )
            rows["law"].append(
                (
                    lid,
                    f"Законопроєкт {lid} про спільне виробництво",
                    f"Draft law {lid} on joint defence production",
                    number,
                    registered_on,
                    initiator,
                    9,
                    "Committee on National Security, Defence and Intelligence",
                    None,
                    False,
                    False,
                    False,
                    "",
                    None,
                    "Короткий зміст законопроєкту.",
                    f"Summary of draft law {lid}: joint "
                    "investment, special tax regime and production facilities.",
                    path[-1],
                    "",
                    None,
                    reached.get(LawStatus.IN_FORCE),
                    pick_visibility(rng),
                    "",
                    c,
                    upd,
                    None,
                )
            )
            if LawStatus.IN_FORCE in reached:
                # A law reaches in_force only with an entry into force; effective_date is the
                # first dated one.
                rows["law_eif"].append((lid, "", reached[LawStatus.IN_FORCE], ""))
            for p in self.m2m(3):
                rows["law_p"].append((lid, p))
            for kind in rng.sample(DOCUMENT_KINDS, rng.randint(0, 3)):
                rows["law_doc"].append(
                    (
                        lid,
                        kind,
                        f"{kind.replace('_', ' ').capitalize()} of draft law {lid}",
                        f"https://itd.rada.gov.ua/billInfo/Bills/Card/{lid}?doc={kind}",
                        c.date(),
                    )
                )

        for tid in range(1, self.n_tax + 1):
            path = walk(TAX_MEASURE_WORKFLOW, rng.randint(0, 4), rng)
            created = EPOCH + dt.timedelta(seconds=rng.uniform(0, self.span * 0.7))
            c, upd, _ = self.history(
                workflow=TAX_MEASURE_WORKFLOW,
                record_type="tax_measure",
                ct_id=ct[TaxMeasure],
                record_id=tid,
                path=path,
                created=created,
            )
            starts = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 700))
            basis = rng.randint(1, self.n_laws)
            rows["tax_b"].append((tid, basis))
            rows["tax"].append(
                (
                    tid,
                    f"Пільга {tid}",
                    f"Tax measure {tid}",
                    rng.choice(
                        (
                            "vat_exemption",
                            "customs_exemption",
                            "profit_tax_relief",
                            "accelerated_depreciation",
                            "land_tax_relief",
                            "special_zone",
                        )
                    ),
                    basis,
                    "[]",
                    "Defence manufacturers",
                    "",
                    "",
                    round(rng.uniform(0, 20), 2),
                    None,
                    "",
                    starts,
                    "",
                    starts + dt.timedelta(days=365 * rng.randint(1, 10)),
                    "",
                    rng.randint(1, 500) * 1_000_000,
                    "UAH",
                    path[-1],
                    pick_visibility(rng),
                    "",
                    c,
                    upd,
                    None,
                )
            )
            for p in self.m2m(2):
                rows["tax_p"].append((tid, p))

        for fid in range(1, self.n_fac + 1):
            path = walk(FACILITY_WORKFLOW, rng.randint(0, 5), rng)
            created = EPOCH + dt.timedelta(seconds=rng.uniform(0, self.span * 0.7))
            c, upd, _ = self.history(
                workflow=FACILITY_WORKFLOW,
                record_type="facility",
                ct_id=ct[Facility],
                record_id=fid,
                path=path,
                created=created,
            )
            partners = self.m2m(2) or [rng.randint(1, self.n_partners)]
            rows["fac"].append(
                (
                    fid,
                    f"Завод {fid}",
                    f"Facility {fid}",
                    "",
                    f"Joint production facility {fid}",
                    f"Company {fid} LLC",
                    rng.choice(["UA", codes[partners[0] - 1]]),
                    f"Region {fid % 24}",
                    f"Site {fid}, staff only",
                    rng.choice(
                        (
                            "ammunition",
                            "drones",
                            "air_defense",
                            "armor",
                            "missiles",
                            "electronic_warfare",
                            "repair",
                        )
                    ),
                    rng.randint(1, 900) * 1_000_000,
                    "EUR",
                    f"{rng.randint(1, 100)}k units/year",
                    path[-1],
                    pick_visibility(rng),
                    "",
                    c,
                    upd,
                    None,
                )
            )
            for p in partners:
                rows["fac_p"].append((fid, p))
            for law in {rng.randint(1, self.n_laws) for _ in range(rng.randint(1, 3))}:
                rows["fac_l"].append((fid, law))
            for tm in {rng.randint(1, self.n_tax) for _ in range(rng.randint(0, 2))}:
                rows["fac_t"].append((fid, tm))

        # Fill up the event table with edits spread over the records and the time span.
        kinds = (
            ("law", self.n_laws, 0.75),
            ("tax_measure", self.n_tax, 0.08),
            ("facility", self.n_fac, 0.15),
            ("partner", self.n_partners, 0.02),
        )
        missing = max(0, self.n_events - len(self.events))
        fields = (
            ["summary_en"],
            ["planned_next_step", "planned_next_step_on"],
            ["partners"],
            ["title_en", "title_uk"],
        )
        for _ in range(missing):
            x = rng.random()
            record_type, n = kinds[-1][:2]
            for kind, count, share in kinds:
                if x < share:
                    record_type, n = kind, count
                    break
                x -= share
            when = EPOCH + dt.timedelta(seconds=rng.uniform(0, self.span))
            self.events.append(
                (
                    when,
                    f"{record_type}.updated",
                    record_type,
                    rng.randint(1, n),
                    None,
                    {"changed": rng.choice(fields)},
                )
            )
        self.events.sort(key=lambda e: e[0])
        return rows

    # -- write -----------------------------------------------------------------------------
    def write(self, rows: dict) -> dict[str, int]:
        from django.db import connection

        from tracker.models import (
            DraftLaw,
            EntryIntoForce,
            Event,
            Facility,
            LawDocument,
            PartnerCountry,
            StatusChange,
        )
        from tracker.models import TaxMeasure as TM

        def table(model):
            return model._meta.db_table

        def through(model, field):
            return model._meta.get_field(field).remote_field.through._meta.db_table

        specs = [
            (
                "partner",
                table(PartnerCountry),
                "id, code, name_uk, name_en, status, summary_uk, summary_en, notification_emails,"
                " visibility, internal_notes, created_at, updated_at, archived_at",
            ),
            (
                "law",
                table(DraftLaw),
                "id, title_uk, title_en, registration_number, registration_date, initiator,"
                " convocation, lead_committee, lead_committee_received_on, is_urgent,"
                " shortened_procedure, needs_constitutional_majority, act_number, act_date,"
                " summary_uk, summary_en, status, planned_next_step,"
                " planned_next_step_on, effective_date, visibility, internal_notes, created_at,"
                " updated_at, archived_at",
            ),
            ("law_p", through(DraftLaw, "partners"), "draftlaw_id, partnercountry_id"),
            ("law_doc", table(LawDocument), "law_id, kind, title, url, published_on"),
            ("law_eif", table(EntryIntoForce), 'law_id, provisions, "on", condition'),
            (
                "tax",
                table(TM),
                "id, name_uk, name_en, kind, legal_basis_id, other_kinds, beneficiaries,"
                " description_uk, description_en, rate_percent, amount, amount_currency,"
                " starts_on, start_condition, sunset_on, sunset_condition,"
                " estimated_fiscal_cost, fiscal_cost_currency, status, visibility,"
                " internal_notes, created_at, updated_at, archived_at",
            ),
            ("tax_p", through(TM, "partners"), "taxmeasure_id, partnercountry_id"),
            ("tax_b", through(TM, "legal_bases"), "taxmeasure_id, draftlaw_id"),
            (
                "fac",
                table(Facility),
                "id, name_uk, name_en, description_uk, description_en, companies, country,"
                " region, exact_site, product_category, investment, investment_currency,"
                " planned_capacity, status, visibility, internal_notes, created_at, updated_at,"
                " archived_at",
            ),
            ("fac_p", through(Facility, "partners"), "facility_id, partnercountry_id"),
            ("fac_l", through(Facility, "enabling_laws"), "facility_id, draftlaw_id"),
            ("fac_t", through(Facility, "tax_measures"), "facility_id, taxmeasure_id"),
        ]
        all_tables = [t for _, t, _ in specs] + [table(StatusChange), table(Event)]
        counts: dict[str, int] = {}
        with connection.cursor() as cur:
            cur.execute("TRUNCATE " + ", ".join(all_tables) + " RESTART IDENTITY CASCADE")
            for key, tbl, cols in specs:
                with cur.copy(f"COPY {tbl} ({cols}) FROM STDIN") as copy:
                    for row in rows[key]:
                        copy.write_row(row)
                counts[tbl] = len(rows[key])
            with cur.copy(
                f"COPY {table(StatusChange)} (id, content_type_id, record_id, from_status,"
                " to_status, occurred_on, date_precision, position, recorded_at, note,"
                " source_url, votes_for, votes_against, abstained, not_voting, present,"
                " is_active, corrects_id, correction_reason, retracted_at, retracted_by_id,"
                " retraction_reason, is_reopening) FROM STDIN"
            ) as copy:
                for row in self.status_changes:
                    copy.write_row(row)
            counts[table(StatusChange)] = len(self.status_changes)
            done = self.now
            with cur.copy(
                f"COPY {table(Event)} (id, type, record_type, record_id, occurred_at,"
                " status_change_id, data, fanned_out_at) FROM STDIN"
            ) as copy:
                for i, (when, typ, rtype, rid, sc, data) in enumerate(self.events, start=1):
                    if data is None:
                        data = {"status": "initial"}
                    copy.write_row(
                        (i, typ, rtype, rid, when, sc, orjson.dumps(data).decode(), done)
                    )
            counts[table(Event)] = len(self.events)
            for tbl in all_tables:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{tbl}', 'id'),"
                    f" (SELECT COALESCE(MAX(id), 1) FROM {tbl}))"
                )
        return counts


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laws", type=int, default=20_000)
    parser.add_argument("--tax-measures", type=int, default=2_000)
    parser.add_argument("--facilities", type=int, default=5_000)
    parser.add_argument("--partners", type=int, default=60)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    _setup_django()
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark data set needs PostgreSQL: set DATABASE_URL.")
    with connection.cursor() as cur:
        # The bulk load and VACUUM take far longer than a request may (the session's
        # DATABASE_STATEMENT_TIMEOUT): no limit on this connection.
        cur.execute("SET statement_timeout = 0")
    started = time.perf_counter()
    gen = Generator(
        laws=args.laws,
        tax_measures=args.tax_measures,
        facilities=args.facilities,
        partners=min(args.partners, len(PARTNER_CODES)),
        events=args.events,
        seed=args.seed,
    )
    rows = gen.build()
    built = time.perf_counter()
    with transaction.atomic():
        counts = gen.write(rows)
    written = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    done = time.perf_counter()
    result = {
        "counts": counts,
        "status_changes_per_law": round(
            sum(1 for sc in gen.status_changes if sc[1] == gen_ct_law()) / max(args.laws, 1), 2
        ),
        "seconds": {
            "build": round(built - started, 1),
            "copy": round(written - built, 1),
            "analyze": round(done - written, 1),
            "total": round(done - started, 1),
        },
    }
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    return result


def gen_ct_law() -> int:
    from django.contrib.contenttypes.models import ContentType

    from tracker.models import DraftLaw

    return ContentType.objects.get_for_model(DraftLaw).pk


if __name__ == "__main__":
    main()
