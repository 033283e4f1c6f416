"""Deadlines in the partner API: on each record and `GET /api/v1/deadlines/`, scoped like
everything else, a constant number of queries per page."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_facility, make_law, make_tax_measure
from tracker.models import Visibility
from tracker.services.deadlines import manual_deadline_create

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def records(germany, france):
    public = make_law(
        title_en="Public", planned_next_step="Vote", planned_next_step_on=TODAY + 4 * DAY
    )
    german = make_law(
        title_en="German",
        visibility=Visibility.RESTRICTED,
        partners=[germany],
        planned_next_step="Second reading",
        planned_next_step_on=TODAY - 2 * DAY,
    )
    french = make_tax_measure(
        visibility=Visibility.RESTRICTED, partners=[france], starts_on=TODAY + 10 * DAY
    )
    return public, german, french


def test_each_record_carries_its_deadlines(api_client_for, germany, records):
    public, german, _ = records
    body = api_client_for(germany).get(f"/api/v1/laws/{german.pk}/").json()
    (deadline,) = body["deadlines"]
    assert deadline["kind"] == "next_step"
    assert deadline["title"] == "Planned next step: Second reading"
    assert deadline["due_on"] == (TODAY - 2 * DAY).isoformat()
    assert (deadline["state"], deadline["days_overdue"]) == ("overdue", 2)
    assert deadline["legal_basis"] == "Planned next step as recorded"
    listed = api_client_for(germany).get("/api/v1/laws/").json()["results"]
    by_id = {item["id"]: item["deadlines"] for item in listed}
    assert by_id[german.pk] == body["deadlines"]
    assert by_id[public.pk][0]["days_left"] == 4


def test_deadline_list_is_scoped_by_visibility_across_two_partners(
    api_client_for, germany, france, records
):
    public, german, french = records

    def seen(partner, **query):
        response = api_client_for(partner).get("/api/v1/deadlines/", query)
        assert response.status_code == 200, response.content
        return [(d["record_type"], d["record_id"]) for d in response.json()["results"]]

    assert seen(germany) == [("law", german.pk), ("law", public.pk)]
    assert seen(france) == [("law", public.pk), ("tax_measure", french.pk)]
    assert seen(france, due_before=(TODAY + 5 * DAY).isoformat()) == [("law", public.pk)]
    assert seen(germany, due_after=TODAY.isoformat(), record_type="law") == [("law", public.pk)]
    item = api_client_for(france).get("/api/v1/deadlines/").json()["results"][1]
    assert item["record_url"].endswith(f"/api/v1/tax-measures/{french.pk}/")
    bad = api_client_for(france).get("/api/v1/deadlines/", {"due_before": "soon"})
    assert bad.status_code == 400 and "due_before" in bad.content.decode()


def test_deadlines_in_ukrainian(api_client_for, germany, records):
    _, german, _ = records
    body = (
        api_client_for(germany).get(f"/api/v1/laws/{german.pk}/", HTTP_ACCEPT_LANGUAGE="uk").json()
    )
    assert body["deadlines"][0]["title"].startswith("Запланований наступний крок")


@pytest.mark.parametrize("url", ["/api/v1/laws/", "/api/v1/deadlines/", "/api/v1/facilities/"])
def test_lists_with_deadlines_run_constant_queries(api_client_for, germany, url):
    client = api_client_for(germany)

    def add(count):
        for i in range(count):
            law = make_law(planned_next_step="Vote", planned_next_step_on=TODAY + i * DAY)
            facility = make_facility()
            for record in (law, facility):
                manual_deadline_create(
                    record=record,
                    actor=None,
                    title=f"Due {i}",
                    due_on=TODAY + i * DAY,
                    legal_basis="Contract",
                    source_url="https://example.org/contract",
                )

    def count():
        client.get(url, {"page_size": 100})
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"page_size": 100})
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    add(2)
    few, shown_few = count()
    add(20)
    many, shown_many = count()
    assert shown_many > shown_few and few == many


def test_a_laws_detail_reads_its_deadlines_with_the_law(api_client_for, germany):
    client = api_client_for(germany)
    bare = make_law()
    busy = make_law(planned_next_step="Vote", planned_next_step_on=TODAY + 2 * DAY)
    manual_deadline_create(
        record=busy,
        actor=None,
        title="Committee conclusion",
        due_on=TODAY - DAY,
        legal_basis="Rules of Procedure",
        source_url="https://example.org/rules",
    )

    def count(law):
        client.get(f"/api/v1/laws/{law.pk}/")
        with CaptureQueriesContext(connection) as queries:
            body = client.get(f"/api/v1/laws/{law.pk}/").json()
        return len(queries), body["deadlines"]

    bare_queries, none = count(bare)
    busy_queries, deadlines = count(busy)
    assert none == [] and bare_queries == busy_queries
    assert [(d["state"], d["title"]) for d in deadlines] == [
        ("overdue", "Committee conclusion"),
        ("running", "Planned next step: Vote"),
    ]
    assert deadlines[0]["counts_from"][0]["what"] == "set_by_staff"


def test_deadlines_are_written_as_their_serializer_documents_them(records):
    # A deadline of each state and kind the fixture gives, and one counted from a month.
    from tracker.api.serializers import DeadlineSerializer, present_deadlines
    from tracker.deadlines import present
    from tracker.models import Deadline

    make_law(planned_next_step="Hearing", planned_next_step_on=TODAY)
    make_tax_measure(sunset_on=TODAY - DAY, starts_on=TODAY - 3 * DAY)
    rows = list(Deadline.objects.order_by("id"))
    assert len(rows) >= 5

    documented = DeadlineSerializer([present(row, TODAY) for row in rows], many=True).data
    assert present_deadlines(rows) == [dict(item) for item in documented]
    assert [list(item) for item in present_deadlines(rows)] == [
        list(item) for item in documented
    ]  # the same keys in the same order
