"""Importing draft laws and facilities from CSV: validate every row first, then save all or none.

A file is read into an `ImportPreview`: each row parsed and checked by the same model
validation `record_create` runs, plus checks across rows (a registration number twice in one
file). `import_records` saves the rows only if the whole file is valid, in one transaction,
each through `record_create`, so every record gets its `<record>.created` event.

Records start in their workflow's initial status; later steps are recorded as transitions.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django_countries import countries

from tracker.models import DraftLaw, Facility, PartnerCountry, TrackedRecord

from .records import record_create

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Column:
    name: str
    help: str
    example: str = ""
    required: bool = False


@dataclass
class ImportRow:
    line: int
    cells: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    # Column name (or "" for the row as a whole) -> messages.
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add_error(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)

    @property
    def row_errors(self) -> list[str]:
        return self.errors.get("", [])


@dataclass
class ImportPreview:
    kind: str
    columns: tuple[Column, ...]
    rows: list[ImportRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + sum(1 for row in self.rows if row.errors)

    @property
    def is_valid(self) -> bool:
        return bool(self.rows) and self.error_count == 0

    def table(self) -> list[tuple[ImportRow, list[str]]]:
        """Each row with its cells in column order, for showing the file back."""
        return [(row, [row.cells.get(c.name, "") for c in self.columns]) for row in self.rows]


@dataclass(frozen=True)
class ImportSpec:
    kind: str
    model: type[TrackedRecord]
    columns: tuple[Column, ...]
    # Columns holding a list of linked records, and how to find them: column -> resolver.
    links: dict[str, Callable[[set[str]], dict[str, models.Model]]]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _partners_by_code(codes: set[str]) -> dict[str, models.Model]:
    return {str(p.code): p for p in PartnerCountry.objects.filter(code__in=codes)}


def _laws_by_number(numbers: set[str]) -> dict[str, models.Model]:
    return {
        law.registration_number: law
        for law in DraftLaw.objects.filter(registration_number__in=numbers)
    }


_VISIBILITY_HELP = "public, partners or restricted (default: restricted)."
_PARTNERS_HELP = (
    f"ISO 3166 codes of partner countries already in the tracker, separated by '{LIST_SEPARATOR}'."
)

LAW_SPEC = ImportSpec(
    kind="law",
    model=DraftLaw,
    columns=(
        Column("title_uk", "Title in Ukrainian.", "Про спільне виробництво озброєння", True),
        Column("title_en", "Title in English.", "On joint production of weapons", True),
        Column("registration_number", "Rada registration number, if registered.", "13302"),
        Column("registration_date", "Date of registration, YYYY-MM-DD.", "2025-05-20"),
        Column("initiator", "cabinet, mps or president (default: cabinet).", "cabinet"),
        Column("lead_committee", "Lead committee of the Rada.", "National security"),
        Column("summary_uk", "Summary in Ukrainian."),
        Column("summary_en", "Summary in English."),
        Column("visibility", _VISIBILITY_HELP, "public"),
        Column("partners", _PARTNERS_HELP, "DE;FR"),
        Column("planned_next_step", "What happens next.", "First reading"),
        Column("planned_next_step_on", "When it is planned, YYYY-MM-DD.", "2026-12-10"),
        Column("effective_date", "Date it takes effect, YYYY-MM-DD."),
        Column("internal_notes", "Staff only; never shown to partners."),
    ),
    links={"partners": _partners_by_code},
)

FACILITY_SPEC = ImportSpec(
    kind="facility",
    model=Facility,
    columns=(
        Column("name_uk", "Name in Ukrainian.", "Завод боєприпасів", True),
        Column("name_en", "Name in English.", "Ammunition plant", True),
        Column("country", "ISO 3166 code of the country it is in.", "UA", True),
        Column(
            "product_category",
            "ammunition, artillery, drones, air_defense, armor, missiles, "
            "electronic_warfare, small_arms, repair or other.",
            "ammunition",
            True,
        ),
        Column("region", "Region within the country.", "Lviv oblast"),
        Column("exact_site", "Staff only; never shown to partners."),
        Column("companies", "Companies involved, comma-separated.", "Rheinmetall, Ukroboronprom"),
        Column("partners", _PARTNERS_HELP, "DE"),
        Column("description_uk", "Description in Ukrainian."),
        Column("description_en", "Description in English."),
        Column("investment", "Amount invested, e.g. 150000000.00.", "150000000"),
        Column("investment_currency", "ISO 4217 code, required with an investment.", "EUR"),
        Column("planned_capacity", "Planned capacity, in words.", "100,000 shells a year"),
        Column(
            "enabling_laws",
            f"Registration numbers of the draft laws enabling it, separated by '{LIST_SEPARATOR}'.",
            "13302",
        ),
        Column("visibility", _VISIBILITY_HELP, "partners"),
        Column("internal_notes", "Staff only; never shown to partners."),
    ),
    links={"partners": _partners_by_code, "enabling_laws": _laws_by_number},
)

IMPORT_SPECS: dict[str, ImportSpec] = {spec.kind: spec for spec in (LAW_SPEC, FACILITY_SPEC)}


def import_template(*, kind: str) -> str:
    """The header row of an import file, ready to fill in."""
    out = io.StringIO()
    csv.writer(out).writerow(IMPORT_SPECS[kind].column_names)
    return out.getvalue()


def import_preview(*, kind: str, content: bytes | str) -> ImportPreview:
    """Parse and validate a whole file without saving anything."""
    spec = IMPORT_SPECS[kind]
    preview = ImportPreview(kind=kind, columns=spec.columns)
    text = _decode(content, preview)
    if text is None:
        return preview
    rows = _read_rows(text, spec, preview)
    if preview.file_errors:
        return preview
    linked = _resolve_links(spec, rows)
    for row in rows:
        _validate_row(spec, row, linked)
    _check_across_rows(spec, rows)
    preview.rows = rows
    if not rows:
        preview.file_errors.append("The file has a header row but no records.")
    return preview


def import_records(
    *, kind: str, content: bytes | str, actor: AbstractBaseUser | None
) -> list[TrackedRecord]:
    """Validate the file again and save every row, or none if any row is wrong."""
    preview = import_preview(kind=kind, content=content)
    if not preview.is_valid:
        raise ValidationError(
            f"The file has {preview.error_count} problem(s); nothing was imported.",
            code="invalid_import",
        )
    model = IMPORT_SPECS[kind].model
    with transaction.atomic():
        return [record_create(model=model, values=row.values, actor=actor) for row in preview.rows]


def _decode(content: bytes | str, preview: ImportPreview) -> str | None:
    if isinstance(content, str):
        return content.removeprefix("\ufeff")
    if len(content) > MAX_FILE_BYTES:
        preview.file_errors.append(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it."
        )
        return None
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        preview.file_errors.append(
            "The file is not UTF-8 text. In Excel, save it as “CSV UTF-8 (comma delimited)”."
        )
        return None


def _read_rows(text: str, spec: ImportSpec, preview: ImportPreview) -> list[ImportRow]:
    first_line = text.split("\n", 1)[0]
    # Excel in many locales writes semicolons; take whichever separator the header uses.
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        preview.file_errors.append("The file is empty; start from the template.")
        return []
    except csv.Error as exc:
        preview.file_errors.append(f"Line 1 is not valid CSV: {exc}.")
        return []
    names = [h.strip().lower() for h in header]
    unknown = [n for n in names if n and n not in spec.column_names]
    missing = [c.name for c in spec.columns if c.required and c.name not in names]
    duplicated = sorted({n for n in names if n and names.count(n) > 1})
    if unknown:
        preview.file_errors.append(
            f"Unknown column(s): {', '.join(unknown)}. "
            f"Known columns: {', '.join(spec.column_names)}."
        )
    if missing:
        preview.file_errors.append(f"Missing required column(s): {', '.join(missing)}.")
    if duplicated:
        preview.file_errors.append(f"Column(s) given twice: {', '.join(duplicated)}.")
    if preview.file_errors:
        return []

    rows: list[ImportRow] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                preview.file_errors.append(f"More than {MAX_ROWS} records; split the file.")
                return []
            row = ImportRow(
                line=reader.line_num,
                cells={
                    name: cell.strip() for name, cell in zip(names, cells, strict=False) if name
                },
            )
            if len(cells) > len(names):
                row.add_error("", f"{len(cells)} cells but {len(names)} columns in the header.")
            rows.append(row)
    except csv.Error as exc:
        preview.file_errors.append(f"Line {reader.line_num} is not valid CSV: {exc}.")
        return []
    return rows


def _split_list(value: str) -> list[str]:
    return [
        item.strip()
        for item in value.replace(",", LIST_SEPARATOR).split(LIST_SEPARATOR)
        if item.strip()
    ]


def _resolve_links(
    spec: ImportSpec, rows: Iterable[ImportRow]
) -> dict[str, dict[str, models.Model]]:
    """Look up every linked record named anywhere in the file, one query per kind of link."""
    linked = {}
    for column, resolve in spec.links.items():
        wanted = {
            key.upper() if column == "partners" else key
            for row in rows
            for key in _split_list(row.cells.get(column, ""))
        }
        linked[column] = resolve(wanted) if wanted else {}
    return linked


def _validate_row(
    spec: ImportSpec, row: ImportRow, linked: dict[str, dict[str, models.Model]]
) -> None:
    model = spec.model
    plain: dict[str, Any] = {}
    for column in spec.columns:
        raw = row.cells.get(column.name, "")
        if column.name in spec.links:
            keys = _split_list(raw)
            if column.name == "partners":
                keys = [k.upper() for k in keys]
            found = linked[column.name]
            unknown = [k for k in keys if k not in found]
            if unknown:
                what = "partner country" if column.name == "partners" else "draft law numbered"
                row.add_error(column.name, f"No {what} {', '.join(unknown)} in the tracker.")
            row.values[column.name] = [found[k] for k in keys if k in found]
            continue
        model_field = model._meta.get_field(column.name)
        if raw == "":
            if column.required:
                row.add_error(column.name, "Required.")
            elif model_field.null:
                plain[column.name] = None
            elif not model_field.has_default():
                plain[column.name] = ""
            continue
        try:
            plain[column.name] = _parse(model_field, raw)
        except ValidationError as exc:
            for message in exc.messages:
                row.add_error(column.name, message)

    instance = model(**plain)
    try:
        # The same validation `record_create` runs, database constraints included.
        instance.full_clean(exclude=[name for name in row.errors if name])
    except ValidationError as exc:
        for name, errors in exc.message_dict.items():
            target = "" if name == NON_FIELD_ERRORS or name not in plain else name
            for message in errors:
                row.add_error(target, message)
    row.values.update(plain)


def _parse(model_field: models.Field, raw: str) -> Any:
    if model_field.choices and not isinstance(model_field, models.DateField):
        return _parse_choice(model_field, raw)
    if isinstance(model_field, models.DateField):
        for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return datetime.datetime.strptime(raw, fmt).date()
            except ValueError:
                continue
        raise ValidationError(f"“{raw}” is not a date; write it as YYYY-MM-DD.")
    if isinstance(model_field, models.DecimalField):
        number = raw.replace("\u00a0", "").replace(" ", "")
        if "," in number and "." not in number:
            number = number.replace(",", ".")
        try:
            return Decimal(number)
        except InvalidOperation:
            raise ValidationError(f"“{raw}” is not a number; write it like 1500000.50.") from None
    return raw


def _parse_choice(model_field: models.Field, raw: str) -> str:
    """Accept a choice by its code or its English label, in any case."""
    if model_field.name == "country":
        code = countries.alpha2(raw) or countries.by_name(raw)
        if code:
            return code
        raise ValidationError(f"“{raw}” is not an ISO 3166 country code.")
    wanted = raw.strip().lower()
    for value, label in model_field.flatchoices:
        if wanted in (str(value).lower(), str(label).lower()):
            return value
    allowed = ", ".join(str(value) for value, _ in model_field.flatchoices)
    raise ValidationError(f"“{raw}” is not one of: {allowed}.")


def _check_across_rows(spec: ImportSpec, rows: list[ImportRow]) -> None:
    if spec.model is not DraftLaw:
        return
    first_line: dict[str, int] = {}
    for row in rows:
        number = row.values.get("registration_number")
        if not number:
            continue
        if number in first_line:
            row.add_error(
                "registration_number",
                f"Registration number {number} is already on line {first_line[number]}.",
            )
        else:
            first_line[number] = row.line
