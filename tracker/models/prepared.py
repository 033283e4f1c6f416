"""Statements compiled once, for the queries a write runs every time with new values only.

Compiling a query to SQL costs Django more than PostgreSQL takes to run a small one by its
index. `Prepared(build)` compiles the queryset `build` returns once per database, with a
mark in place of each value it is later asked for, and then runs that SQL with the values
put where the marks were:

    STEPS = Prepared(lambda record: StatusChange.objects.filter(record_id=record))
    STEPS.instances(record=law.pk)  # model instances, as the queryset would give them

A mark is a number no table holds; compiling fails loudly if a mark does not reach the SQL
as a parameter (a value Django would write into the SQL itself), so a statement never runs
with a stale value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import connection
from django.db.models import Model, QuerySet
from django.db.models.query import RawQuerySet

M = TypeVar("M", bound=Model)

# Values no table holds: where the asked values go in a statement compiled in advance.
MARK = 8_070_450_532_247_928_831


class Prepared(Generic[M]):
    def __init__(self, build: Callable[..., QuerySet[M]]) -> None:
        self._build = build
        # The values asked for are the arguments of `build` without a default (a default can
        # bind a loop variable: `lambda record, model=model: ...`).
        asked = build.__code__.co_argcount - len(build.__defaults__ or ())
        self._names = build.__code__.co_varnames[:asked]
        self._statements: dict[str, tuple[type[M], str, tuple, tuple[tuple[int, str], ...]]] = {}

    def _statement(self, alias: str) -> tuple[type[M], str, tuple, tuple[tuple[int, str], ...]]:
        statement = self._statements.get(alias)
        if statement is None:
            marks = {name: MARK - index for index, name in enumerate(self._names)}
            queryset = self._build(**marks)
            sql, params = queryset.query.get_compiler(using=alias).as_sql()
            # A text column's filter turns the mark into its digits.
            by_mark = {key: name for name, mark in marks.items() for key in (mark, str(mark))}
            places = tuple((i, by_mark[p]) for i, p in enumerate(params) if p in by_mark)
            missing = set(self._names) - {name for _, name in places}
            if missing:
                raise ValueError(f"Not a parameter of the compiled SQL: {sorted(missing)}")
            statement = (queryset.model, sql, tuple(params), places)
            self._statements[alias] = statement
        return statement

    def _bound(self, alias: str, values: dict[str, Any]) -> tuple[type[M], str, list]:
        model, sql, params, places = self._statement(alias)
        bound = list(params)
        for index, name in places:
            bound[index] = values[name]
        return model, sql, bound

    def instances(self, **values: Any) -> RawQuerySet:
        """The queryset's rows as model instances (its `select_related` does not apply)."""
        model, sql, params = self._bound(connection.alias, values)
        return model.objects.raw(sql, params)

    def rows(self, **values: Any) -> list[tuple]:
        """The queryset's rows as tuples (for a `values_list` queryset)."""
        _, sql, params = self._bound(connection.alias, values)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
