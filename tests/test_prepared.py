"""`Prepared`: a queryset compiled once, run with new values where its marks were."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_law
from tracker.models import DraftLaw
from tracker.models.prepared import Prepared

pytestmark = pytest.mark.django_db


def test_it_finds_what_the_queryset_finds_with_each_new_value():
    laws = [make_law(title_en=f"Law {n}") for n in range(3)]
    by_title = Prepared(lambda title: DraftLaw.objects.filter(title_en=title))
    by_ids = Prepared(lambda ids: DraftLaw.objects.filter(pk__in=ids).order_by("pk"))

    for law in laws:
        assert [found.pk for found in by_title.instances(title=law.title_en)] == [law.pk]
    assert [law.pk for law in by_ids.instances(ids=[laws[2].pk, laws[0].pk])] == [
        laws[0].pk,
        laws[2].pk,
    ]
    assert list(by_title.instances(title="No such law")) == []


def test_each_list_length_is_compiled_once():
    laws = [make_law() for _ in range(3)]
    by_ids = Prepared(lambda ids: DraftLaw.objects.filter(pk__in=ids).values_list("pk"))
    for ids in ([laws[0].pk], [laws[1].pk], [laws[0].pk, laws[1].pk], [laws[2].pk, laws[1].pk]):
        with CaptureQueriesContext(connection) as queries:
            assert sorted(pk for (pk,) in by_ids.rows(ids=ids)) == sorted(ids)
        assert len(queries) == 1
    assert len(by_ids._statements) == 2  # one for one id, one for two


def test_a_value_the_sql_would_not_take_as_a_parameter_is_refused():
    # Django writes a slice's bounds into the SQL: the mark would stay there for good.
    sliced = Prepared(lambda count: DraftLaw.objects.all()[:count])
    with pytest.raises(ValueError, match="count"):
        list(sliced.instances(count=2))
