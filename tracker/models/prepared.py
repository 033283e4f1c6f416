"""Statements compiled once, for queries run on every request with new values only.

Compiling a query to SQL costs Django more than PostgreSQL takes to run a small one by its
index. `Prepared(build)` compiles the queryset `build` returns once per database, with a
mark in place of each value it is later asked for, and then runs that SQL with the values
put where the marks were:

    STEPS = Prepared(lambda record: StatusChange.objects.filter(record_id=record))
    STEPS.instances(record=law.pk)  # model instances, as the queryset would give them

A list value (`pk__in=ids`) is compiled for its length, so a page of 25 and a page of 50 are
two statements, each compiled once.

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
    """A queryset compiled once per database (and per length of each list asked for)."""

    def __init__(self, build: Callable[..., QuerySet[M]]) -> None:
        self._build = build
        # The values asked for are the arguments of `build` without a default (a default can
        # bind a loop variable: `lambda record, model=model: ...`).
        asked = build.__code__.co_argcount - len(build.__defaults__ or ())
        self._names = build.__code__.co_varnames[:asked]
        self._statements: dict[tuple, tuple[type[M], str, tuple, tuple]] = {}

    def _statement(self, alias: str, values: dict[str, Any]) -> tuple[type[M], str, tuple, tuple]:
        # A list (`pk__in=ids`) is compiled for its length: a page of 25 and one of 50 are
        # two statements, each compiled once.
        shape = tuple(
            len(values[name]) if isinstance(values[name], list | tuple) else None
            for name in self._names
        )
        statement = self._statements.get((alias, shape))
        if statement is None:
            marks: dict[str, Any] = {}
            by_mark: dict[Any, tuple[str, int | None]] = {}
            taken = iter(range(MARK, 0, -1))
            for name, length in zip(self._names, shape, strict=True):
                items = [None] if length is None else list(range(length))
                numbers = [next(taken) for _ in items]
                for mark, item in zip(numbers, items, strict=True):
                    # A text column's filter turns the mark into its digits.
                    by_mark[mark] = by_mark[str(mark)] = (name, item)
                marks[name] = numbers[0] if length is None else numbers
            queryset = self._build(**marks)
            sql, params = queryset.query.get_compiler(using=alias).as_sql()
            places = tuple((i, *by_mark[p]) for i, p in enumerate(params) if p in by_mark)
            missing = set(self._names) - {name for _, name, _ in places}
            if missing:
                raise ValueError(f"Not a parameter of the compiled SQL: {sorted(missing)}")
            statement = (queryset.model, sql, tuple(params), places)
            self._statements[(alias, shape)] = statement
        return statement

    def _bound(self, alias: str, values: dict[str, Any]) -> tuple[type[M], str, list]:
        model, sql, params, places = self._statement(alias, values)
        bound = list(params)
        for index, name, item in places:
            bound[index] = values[name] if item is None else values[name][item]
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
