"""Load the demo data (`fixtures/demo.json`) through the services, so events and history are real.

Records are matched by a natural key (partner: ISO code; draft law: registration number, or
English title while unregistered; tax measure and facility: English name). A record that is
already there is left as it is, history included, so running the command again changes
nothing. Everything loads in one transaction: on any error, nothing is written.

A record's `history` is its timeline in order: steps (`to`) and procedural events (`event`, the
kind), each with `on` as 'YYYY-MM-DD', 'YYYY-MM' (month only) or null (date not known), and
optionally a `correction` ({reason, changes}) that corrects the entry right after it is
recorded, so the original stays on the staff side.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tracker.models import (
    Agreement,
    Contact,
    DraftLaw,
    Facility,
    LawDocument,
    PartnerCountry,
    TaxMeasure,
    TrackedRecord,
)
from tracker.models.history import (
    DatePrecision,
    StatusChange,
    TimelineEntry,
    parse_date_as_known,
)
from tracker.services.errors import TimelineConflict, TransitionNotAllowed
from tracker.services.laws import (
    add_entry_into_force,
    add_registration_number,
    relate_laws,
)
from tracker.services.records import record_create
from tracker.services.transitions import (
    correct_entry,
    record_procedural_event,
    record_transition,
)

DEFAULT_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"

# Keys of a record's entry in the file that are not model fields.
NOT_FIELDS = {
    "history",
    "agreements",
    "contacts",
    "documents",
    "other_numbers",
    "relations",
    "entries_into_force",
    "sources",
}
VOTES = ("votes_for", "votes_against", "abstained", "not_voting", "present")


class Command(BaseCommand):
    help = "Load the demo data from fixtures/demo.json through the services; safe to repeat."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="Demo data file.")

    def handle(self, *args, file: Path, verbosity: int = 1, **options):
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read the demo data in {file}: {exc}") from exc
        loader = DemoLoader(report=self.stdout.write if verbosity >= 2 else None)
        try:
            with transaction.atomic():
                loader.load(data)
        except (ValidationError, TransitionNotAllowed, TimelineConflict, LookupError) as exc:
            raise CommandError(
                f"The demo data was not loaded (nothing was written): {loader.where}: {exc}"
            ) from exc

        created = loader.created
        if not created:
            self.stdout.write("The demo data is already loaded; nothing changed.")
            return
        parts = ", ".join(f"{count} {label}" for label, count in created.items() if count)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded the demo data: created {parts}; "
                f"recorded {loader.transitions} status changes and "
                f"{loader.procedural_events} procedural events."
            )
        )


class DemoLoader:
    def __init__(self, report: Callable[[str], Any] | None = None) -> None:
        self.report = report
        self.created: Counter[str] = Counter()
        self.transitions = 0
        self.procedural_events = 0
        self.where = "the file"

    def load(self, data: dict[str, Any]) -> None:
        for entry in data.get("partners", []):
            self._load_partner(entry)
        created_laws = []
        for entry in data.get("laws", []):
            law = self._load_law(entry)
            if law is not None:
                created_laws.append((law, entry))
        # Relations name other bills, which may come later in the file.
        for law, entry in created_laws:
            self._relate(law, entry.get("relations", []))
        for entry in data.get("tax_measures", []):
            self._load_tax_measure(entry)
        for entry in data.get("facilities", []):
            self._load_facility(entry)

    # --- one record type each ----------------------------------------------------------

    def _load_partner(self, entry: dict[str, Any]) -> None:
        self.where = f"partner {entry['code']}"
        if PartnerCountry.objects.filter(code=entry["code"]).exists():
            return
        partner = self._create(PartnerCountry, entry, "partner countries")
        for item in entry.get("agreements", []):
            _full_save(Agreement(partner=partner, **item))
        for item in entry.get("contacts", []):
            _full_save(Contact(partner=partner, **item))
        self._walk(partner, entry.get("history", []))

    def _load_law(self, entry: dict[str, Any]) -> DraftLaw | None:
        number = entry.get("registration_number")
        self.where = f"draft law {number or entry['title_en']!r}"
        existing = (
            DraftLaw.objects.filter(registration_number=number)
            if number
            else DraftLaw.objects.filter(title_en=entry["title_en"], registration_number=None)
        )
        if existing.exists():
            return None
        values = {**entry, "partners": _partners(entry.get("partners", []))}
        law = self._create(DraftLaw, values, "draft laws")
        for item in entry.get("documents", []):
            _full_save(LawDocument(law=law, **item))
        for item in entry.get("other_numbers", []):
            add_registration_number(
                law=law,
                number=item["number"],
                registered_on=_day(item.get("registered_on")),
                note=item.get("note", ""),
                actor=None,
            )
        # Entries into force come first: a law reaches `in_force` only with one.
        for item in entry.get("entries_into_force", []):
            add_entry_into_force(
                law=law,
                provisions=item.get("provisions", ""),
                on=_day(item.get("on")),
                condition=item.get("condition", ""),
                actor=None,
            )
        self._walk(law, entry.get("history", []))
        return law

    def _relate(self, law: DraftLaw, relations: list[dict[str, Any]]) -> None:
        self.where = f"relations of draft law {law.title_en!r}"
        for item in relations:
            relate_laws(
                law=law,
                kind=item["kind"],
                other=_law(item["other"]),
                note=item.get("note", ""),
                actor=None,
            )

    def _load_tax_measure(self, entry: dict[str, Any]) -> None:
        self.where = f"tax measure {entry['name_en']!r}"
        if TaxMeasure.objects.filter(name_en=entry["name_en"]).exists():
            return
        basis = entry.get("legal_basis")
        bases = [_law(title) for title in dict.fromkeys([basis, *entry.get("legal_bases", [])])]
        values = {
            **entry,
            "legal_basis": bases[0] if basis else None,
            "legal_bases": bases if basis else [],
            "partners": _partners(entry.get("partners", [])),
        }
        measure = self._create(TaxMeasure, values, "tax measures")
        self._walk(measure, entry.get("history", []))

    def _load_facility(self, entry: dict[str, Any]) -> None:
        self.where = f"facility {entry['name_en']!r}"
        if Facility.objects.filter(name_en=entry["name_en"]).exists():
            return
        values = {
            **entry,
            "partners": _partners(entry.get("partners", [])),
            "enabling_laws": [_law(title) for title in entry.get("enabling_laws", [])],
            "tax_measures": [_tax_measure(name) for name in entry.get("tax_measures", [])],
        }
        facility = self._create(Facility, values, "facilities")
        self._walk(facility, entry.get("history", []))

    # --- shared steps -------------------------------------------------------------------

    def _create(self, model: type[TrackedRecord], entry: dict[str, Any], label: str):
        values = {k: v for k, v in entry.items() if k not in NOT_FIELDS}
        record = record_create(model=model, values=values, actor=None)
        self.created[label] += 1
        if self.report:
            self.report(f"Created {model._meta.verbose_name} {record}")
        return record

    def _walk(self, record: TrackedRecord, history: list[dict[str, Any]]) -> None:
        last_step: StatusChange | None = None
        for item in history:
            on, precision = _known_date(item.get("on"))
            # A month is stored as its first day, which would place it before the days of that
            # month already recorded; the file's order says where it belongs.
            after = last_step if precision == DatePrecision.MONTH else None
            common = {
                "record": record,
                "occurred_on": on,
                "date_precision": precision,
                "recorded_by": None,
                "note": item.get("note", ""),
                "source_url": item.get("source_url", ""),
                **{name: item.get(name) for name in VOTES},
            }
            entry: TimelineEntry
            if "event" in item:
                entry = record_procedural_event(
                    kind=item["event"], title=item.get("title", ""), after_step=after, **common
                )
                self.procedural_events += 1
            else:
                entry = last_step = record_transition(
                    to_status=item["to"],
                    reopening=bool(item.get("reopening")),
                    after_step=after,
                    **common,
                )
                self.transitions += 1
            if "correction" in item:
                corrected = correct_entry(
                    entry=entry,
                    recorded_by=None,
                    reason=item["correction"]["reason"],
                    changes=_changes(item["correction"].get("changes", {})),
                )
                if isinstance(corrected, StatusChange):
                    last_step = corrected
        if self.report and history:
            self.report(f"  moved to {record.status} in {len(history)} entries")


def _day(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _known_date(value: str | None) -> tuple[datetime.date | None, str]:
    """'2025-07-01' (a day), '2025-07' (a month) or None (not known)."""
    return parse_date_as_known(value)


def _changes(changes: dict[str, Any]) -> dict[str, Any]:
    """A correction's changes in the file's terms (`on`) as the service takes them."""
    result = {k: v for k, v in changes.items() if k != "on"}
    if "on" in changes:
        result["occurred_on"], result["date_precision"] = _known_date(changes["on"])
    return result


def _full_save(obj) -> None:
    obj.full_clean()
    obj.save()


def _partners(codes: list[str]) -> list[PartnerCountry]:
    found = {str(p.code): p for p in PartnerCountry.objects.filter(code__in=codes)}
    missing = sorted(set(codes) - set(found))
    if missing:
        raise LookupError(f"unknown partner countries {', '.join(missing)}")
    return [found[code] for code in codes]


def _law(title_en: str) -> DraftLaw:
    laws = list(DraftLaw.objects.filter(title_en=title_en)[:2])
    if len(laws) != 1:
        raise LookupError(f"expected one draft law titled {title_en!r}, found {len(laws)}")
    return laws[0]


def _tax_measure(name_en: str) -> TaxMeasure:
    measures = list(TaxMeasure.objects.filter(name_en=name_en)[:2])
    if len(measures) != 1:
        raise LookupError(f"expected one tax measure named {name_en!r}, found {len(measures)}")
    return measures[0]
