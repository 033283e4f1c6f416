"""The record lists: constant queries, badges, filters, and exports that follow the filters."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tests.admin.helpers import admin_url
from tests.factories import make_facility, make_law, make_partner, make_tax_measure, move
from tracker.models import DraftLaw, Facility, PartnerCountry, TaxMeasure, Visibility

pytestmark = pytest.mark.django_db


MAKERS = {
    DraftLaw: lambda partners: move(make_law(partners=partners), "registered"),
    TaxMeasure: lambda partners: make_tax_measure(partners=partners, legal_basis=make_law()),
    Facility: lambda partners: make_facility(partners=partners, enabling_laws=[make_law()]),
    PartnerCountry: None,
}


def _changelist_queries(client, model) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("model", [DraftLaw, TaxMeasure, Facility, PartnerCountry])
def test_changelist_runs_the_same_number_of_queries_for_one_or_many_rows(
    client, editor, germany, france, model
):
    client.force_login(editor)
    codes = iter(["DK", "GB", "US", "PL", "CZ", "SE", "NO"])

    def add_one():
        if model is PartnerCountry:
            make_partner(next(codes))
        else:
            MAKERS[model]([germany, france])

    if model is not PartnerCountry:
        add_one()
    one = _changelist_queries(client, model)
    for _ in range(6):
        add_one()
    many = _changelist_queries(client, model)

    assert model.objects.count() >= 7
    assert many == one


def test_status_is_a_labelled_badge_and_filters_work(client, viewer_user, germany):
    move(make_law(title_en="Registered law", partners=[germany]), "registered")
    make_law(title_en="Drafting law", visibility=Visibility.RESTRICTED)
    client.force_login(viewer_user)
    url = admin_url(DraftLaw, "changelist")

    html = client.get(url).content.decode()
    assert (
        '<span class="tracker-badge tracker-badge--progress">Registered in the Rada</span>' in html
    )

    def titles(query):
        return {law.title_en for law in client.get(url + query).context["cl"].result_list}

    assert titles("?status__exact=registered") == {"Registered law"}
    assert titles(f"?partners__id__exact={germany.pk}") == {"Registered law"}
    assert titles("?visibility__exact=restricted") == {"Drafting law"}
    assert titles("?q=Drafting") == {"Drafting law"}


def _csv_rows(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_export_follows_the_list_filters(client, viewer_user, germany):
    registered = move(
        make_law(title_en="Registered law", title_uk="Зареєстрований", partners=[germany]),
        "registered",
    )
    make_law(title_en="Drafting law")
    client.force_login(viewer_user)

    changelist = client.get(admin_url(DraftLaw, "changelist") + "?status__exact=registered")
    export_url = changelist.context["export_csv_url"]
    assert export_url.endswith("?status__exact=registered")
    rows = _csv_rows(client.get(export_url))

    assert [row["id"] for row in rows] == [str(registered.pk)]
    assert rows[0]["title_uk"] == "Зареєстрований"
    assert rows[0]["status"] == "registered"
    assert rows[0]["status_label"] == "Registered in the Rada"
    assert rows[0]["partners"] == "DE"

    everything = _csv_rows(client.get(admin_url(DraftLaw, "export", "csv")))
    assert len(everything) == 2
    searched = _csv_rows(client.get(admin_url(DraftLaw, "export", "csv") + "?q=Drafting"))
    assert [row["title_en"] for row in searched] == ["Drafting law"]


def test_xlsx_export_follows_the_list_filters(client, viewer_user):
    make_facility(
        name_en="Public plant",
        visibility=Visibility.PUBLIC,
        investment=1000,
        investment_currency="EUR",
    )
    make_facility(name_en="Secret plant", visibility=Visibility.RESTRICTED)
    client.force_login(viewer_user)

    response = client.get(admin_url(Facility, "export", "xlsx") + "?visibility__exact=public")

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert [r["name_en"] for r in records] == ["Public plant"]
    assert records[0]["investment"] == 1000
    assert records[0]["country"] == "UA"


def test_export_action_exports_the_selected_rows(client, editor):
    chosen = make_tax_measure(name_en="Chosen")
    make_tax_measure(name_en="Other")
    client.force_login(editor)

    response = client.post(
        admin_url(TaxMeasure, "changelist"),
        {"action": "export_csv", "_selected_action": [chosen.pk]},
    )

    assert [row["name_en"] for row in _csv_rows(response)] == ["Chosen"]


def test_exported_text_cannot_run_as_a_spreadsheet_formula(client, editor):
    make_law(title_en='=HYPERLINK("http://evil.example","x")')
    client.force_login(editor)

    rows = _csv_rows(client.get(admin_url(DraftLaw, "export", "csv")))

    assert rows[0]["title_en"].startswith("'=")


def test_facilities_filter_by_the_countries_they_are_in(client, viewer_user):
    make_facility(name_en="Plant in Ukraine", country="UA")
    make_facility(name_en="Plant in Denmark", country="DK")
    client.force_login(viewer_user)

    response = client.get(admin_url(Facility, "changelist") + "?country=DK")

    assert [f.name_en for f in response.context["cl"].result_list] == ["Plant in Denmark"]
    country_filter = next(
        spec for spec in response.context["cl"].filter_specs if spec.title.lower() == "country"
    )
    offered = {choice["display"] for choice in country_filter.choices(response.context["cl"])}
    assert offered == {"All", "Denmark", "Ukraine"}


def test_law_list_marks_an_overdue_next_step_in_words(client, viewer_user):
    make_law(
        title_en="Late law",
        planned_next_step="First reading",
        planned_next_step_on=datetime.date(2025, 7, 31),
    )
    client.force_login(viewer_user)

    html = client.get(admin_url(DraftLaw, "changelist")).content.decode()

    assert "First reading" in html
    assert "<strong>overdue</strong>" in html
