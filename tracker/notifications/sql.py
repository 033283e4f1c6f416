"""Parameters for the statements a batch runs on many rows at once."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection


def id_list(ids: list[int]) -> tuple[str, list]:
    """`= ANY(%s)` with one array parameter on PostgreSQL (the same short statement whatever
    the number of ids, parsed once by psycopg), `IN (%s, ...)` elsewhere."""
    if connection.vendor == "postgresql":
        return "= ANY(%s::bigint[])", [int_array(ids)]
    return f"IN ({', '.join(['%s'] * len(ids))})", list(ids)


def int_array(values: Iterable[int | None]) -> str:
    """A PostgreSQL array literal of integers, for a `%s::bigint[]` (or `integer[]`)
    parameter: psycopg would look at the type of every item of a list, which costs more than
    the statement for a batch of a few hundred."""
    return "{" + ",".join("NULL" if v is None else str(int(v)) for v in values) + "}"
