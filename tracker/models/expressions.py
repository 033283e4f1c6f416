"""Related rows as one column: a record's small collections read with the record itself.

`JSONRows(queryset, name=expression, ...)` is a subquery that returns the rows of `queryset`,
in its order, as a JSON array of objects with the given keys in the given order. A record's
detail page annotates its numbers, committees, documents and the like this way: one query
for the record and all of them, instead of one query and one set of model instances each.

PostgreSQL builds the array with `JSON_AGG(JSON_BUILD_OBJECT(...))` (`json`, which keeps
the keys in order); SQLite with `JSON_GROUP_ARRAY(JSON_OBJECT(...))`. Both aggregate the
rows of an ordered derived table, which keeps their order. Dates come back as ISO 8601
strings, as the API writes them; a boolean on SQLite as 0 or 1 (so none is selected here).
"""

from __future__ import annotations

import json
from typing import Any

from django.db import NotSupportedError
from django.db.models import Func, JSONField, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Cast


class JSONRow(Func):
    """One row as a JSON object of `fields` (key -> expression or column name), keys in order."""

    output_field = JSONField()

    def __init__(self, **fields: Any) -> None:
        expressions = []
        for key, value in fields.items():
            expressions.extend((Value(key), value))
        super().__init__(*expressions)

    def as_postgresql(self, compiler, connection, **extra_context):
        copy = self.copy()
        copy.set_source_expressions(
            [
                Cast(expression, TextField()) if index % 2 == 0 else expression
                for index, expression in enumerate(copy.get_source_expressions())
            ]
        )
        return super(JSONRow, copy).as_sql(
            compiler, connection, function="JSON_BUILD_OBJECT", **extra_context
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="JSON_OBJECT", **extra_context)

    def as_sql(self, compiler, connection, **extra_context):
        if "function" not in extra_context:
            raise NotSupportedError("JSONRow() is written for PostgreSQL and SQLite.")
        return super().as_sql(compiler, connection, **extra_context)


class JSONList(JSONField):
    """A JSON array read back: decoded by the driver (PostgreSQL's `json`) or here."""

    def from_db_value(self, value, expression, connection):
        if value is None or isinstance(value, list):
            return value
        return json.loads(value)


AGGREGATE = {
    "postgresql": "COALESCE(JSON_AGG(rows.row), '[]'::json)",
    "sqlite": "JSON_GROUP_ARRAY(JSON(rows.row))",
}


class JSONRows(Subquery):
    """The rows of `queryset`, in its order, as a list of dicts with the keys of `fields`."""

    output_field = JSONList()

    def __init__(self, queryset: QuerySet, **fields: Any) -> None:
        super().__init__(queryset.values(row=JSONRow(**fields)), output_field=JSONList())

    def as_sql(self, compiler, connection, template=None, **extra_context):
        if connection.vendor not in AGGREGATE:
            raise NotSupportedError("JSONRows() is written for PostgreSQL and SQLite.")
        inner, params = super().as_sql(compiler, connection, **extra_context)
        return f"(SELECT {AGGREGATE[connection.vendor]} FROM {inner} rows)", params
