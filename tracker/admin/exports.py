"""Writing a list of records as CSV or XLSX, the columns named like the model fields."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import models
from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_value(record: models.Model, name: str) -> Any:
    """The value of column `name` for `record`: plain data, codes rather than labels."""
    if name == "status_label":
        return record.status_label
    if name == "archived":
        return record.archived_at is not None
    if name == "registration_numbers":
        # Every number the bill has had: the current one first, then the earlier ones.
        numbers = [record.registration_number or ""]
        numbers += [row.number for row in record.other_numbers.all()]  # prefetched
        return "; ".join(number for number in numbers if number)
    field = record._meta.get_field(name)
    if field.many_to_many:
        items = getattr(record, name).all()  # prefetched by the admin's queryset
        if field.related_model._meta.model_name == "partnercountry":
            return "; ".join(sorted(str(item.code) for item in items))
        if field.related_model._meta.model_name == "draftlaw":
            return "; ".join(item.registration_number or f"#{item.pk}" for item in items)
        return "; ".join(str(item) for item in items)
    value = getattr(record, name)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list):  # a JSON list of codes, e.g. a tax measure's further kinds
        return "; ".join(str(item) for item in value)
    return value


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, (bool, int, Decimal, datetime.date)):
        return value
    text = str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def table(records: Iterable[models.Model], columns: Sequence[str]) -> Iterable[list[Any]]:
    for record in records:
        yield [_plain(cell_value(record, name)) for name in columns]


def csv_response(*, filename: str, columns: Sequence[str], rows: Iterable[list[Any]]):
    out = io.StringIO()
    out.write("\ufeff")  # so that spreadsheets read the Ukrainian text as UTF-8
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [
                value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value
                for value in row
            ]
        )
    response = HttpResponse(out.getvalue(), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(*, filename: str, columns: Sequence[str], rows: Iterable[list[Any]]):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=filename[:31])
    sheet.append(list(columns))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
