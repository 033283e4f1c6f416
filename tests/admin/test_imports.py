"""Importing draft laws and facilities from CSV: every row checked and shown before any is saved."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.admin.helpers import admin_url
from tests.factories import make_law
from tracker.models import DraftLaw, Event, Facility
from tracker.services.imports import LAW_SPEC, import_preview, import_records

pytestmark = pytest.mark.django_db

UK_TITLE = "Про спільне виробництво"
GOOD_LAWS = (
    "title_uk,title_en,registration_number,registration_date,visibility,partners\n"
    "Про спільне виробництво,On joint production,13302,2025-05-20,public,DE;FR\n"
    "Про оборонні парки,On defense parks,,,partners,\n"
)
BAD_LAWS = (
    "title_uk,title_en,registration_number,registration_date,partners,planned_next_step_on\n"
    "Про спільне виробництво,On joint production,13302,2025-05-20,DE,\n"
    "Без назви,,,,,\n"
    "Про податки,On taxes,13400,20.13.2025,XX,2026-01-01\n"
    "Про парки,On parks,13302,2025-06-01,,\n"
)


def _upload(client, model, text, name="laws.csv"):
    file = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return client.post(admin_url(model, "import"), {"file": file, "preview": "1"})


def test_preview_shows_each_rows_errors_and_saves_nothing(client, editor, germany):
    client.force_login(editor)

    response = _upload(client, DraftLaw, BAD_LAWS)

    assert response.status_code == 200
    preview = response.context["preview"]
    assert not preview.is_valid
    errors = {row.line: row.errors for row in preview.rows}
    assert errors[2] == {}
    assert errors[3] == {"title_en": ["Required."]}
    assert "date" in errors[4]["registration_date"][0]
    assert errors[4]["partners"] == ["No partner country XX in the tracker."]
    assert "planned next step" in errors[4][""][0]  # a date needs a described step
    assert errors[5]["registration_number"] == ["Registration number 13302 is already on line 2."]
    html = response.content.decode()
    assert "No partner country XX in the tracker." in html
    assert 'name="confirm"' not in html
    assert not DraftLaw.objects.exists()
    assert not Event.objects.filter(type="law.created").exists()


def test_a_good_file_is_previewed_then_saved_whole_on_confirm(client, editor, germany, france):
    client.force_login(editor)

    response = _upload(client, DraftLaw, "\ufeff" + GOOD_LAWS)

    assert response.context["preview"].is_valid
    assert not DraftLaw.objects.exists()  # nothing before the confirmation
    payload = response.context["payload"]
    assert 'name="confirm"' in response.content.decode()

    confirmed = client.post(admin_url(DraftLaw, "import"), {"payload": payload, "confirm": "1"})

    assert confirmed.status_code == 302
    assert DraftLaw.objects.count() == 2
    law = DraftLaw.objects.get(registration_number="13302")
    assert law.partner_codes == ["DE", "FR"]
    assert law.registration_date == datetime.date(2025, 5, 20)
    assert law.status == "drafting"
    other = DraftLaw.objects.get(title_en="On defense parks")
    assert (other.registration_number, other.visibility, other.initiator) == (
        None,
        "partners",
        "cabinet",
    )
    events = Event.objects.filter(type="law.created")
    assert events.count() == 2
    assert {e.actor for e in events} == {editor}


def test_a_tampered_confirmation_saves_nothing(client, editor, germany, france):
    client.force_login(editor)
    payload = _upload(client, DraftLaw, GOOD_LAWS).context["payload"]

    response = client.post(
        admin_url(DraftLaw, "import"), {"payload": payload[:-2] + "xx", "confirm": "1"}
    )

    assert response.status_code == 302
    assert not DraftLaw.objects.exists()


def test_import_saves_all_rows_or_none(editor, germany, france):
    content = GOOD_LAWS.encode()
    make_law(registration_number="13302", registration_date=datetime.date(2025, 1, 1))

    with pytest.raises(ValidationError):
        import_records(kind="law", content=content, actor=editor)

    assert DraftLaw.objects.count() == 1


def test_facilities_import_with_semicolons_and_enabling_laws(client, editor, germany):
    law = make_law(registration_number="13302", registration_date=datetime.date(2025, 5, 20))
    client.force_login(editor)
    text = (
        "name_uk;name_en;country;product_category;partners;investment;investment_currency;"
        "enabling_laws\n"
        "Завод;Shell plant;UA;Ammunition;de;150 000 000,50;EUR;13302\n"
        "Дрони;Drone line;DK;drones;;;;\n"
    )

    response = _upload(client, Facility, text, name="facilities.csv")

    assert response.context["preview"].is_valid, [
        r.errors for r in response.context["preview"].rows
    ]
    client.post(
        admin_url(Facility, "import"), {"payload": response.context["payload"], "confirm": "1"}
    )
    plant = Facility.objects.get(name_en="Shell plant")
    assert str(plant.investment) == "150000000.50"
    assert plant.partner_codes == ["DE"]
    assert list(plant.enabling_laws.all()) == [law]
    assert Facility.objects.get(name_en="Drone line").country == "DK"


def test_facility_errors_name_the_column(editor):
    text = (
        "name_uk,name_en,country,product_category,investment,enabling_laws\n"
        "Завод,Plant,Atlantis,lasers,-5,99999\n"
    )

    row = import_preview(kind="facility", content=text.encode()).rows[0]

    assert set(row.errors) >= {"country", "product_category", "enabling_laws"}
    assert "lasers" in row.errors["product_category"][0]
    assert not Facility.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        (f"title_uk,title_en,colour\n{UK_TITLE},b,red\n", "Unknown column(s): colour"),
        (f"title_uk\n{UK_TITLE}\n", "Missing required column(s): title_en"),
        ("title_uk,title_en\n", "no records"),
    ],
)
def test_file_level_problems_are_explained(text, message):
    preview = import_preview(kind="law", content=text.encode())

    assert not preview.is_valid
    assert message in " ".join(preview.file_errors)


def test_a_file_that_is_not_utf8_is_refused_with_a_hint():
    text = f"title_uk,title_en\n{UK_TITLE},Draft\n"
    preview = import_preview(kind="law", content=text.encode("cp1251"))

    assert "UTF-8" in preview.file_errors[0]


def test_template_is_the_documented_header_row(client, editor):
    client.force_login(editor)

    response = client.get(admin_url(DraftLaw, "import_template"))

    header = response.content.decode("utf-8-sig").strip().split(",")
    assert header == LAW_SPEC.column_names
    page = client.get(admin_url(DraftLaw, "import")).content.decode()
    for column in LAW_SPEC.columns:
        assert f"<code>{column.name}</code>" in page


def test_viewer_cannot_import(client, viewer_user):
    client.force_login(viewer_user)

    assert client.get(admin_url(DraftLaw, "import")).status_code == 403
    assert _upload(client, DraftLaw, GOOD_LAWS).status_code == 403
    assert "Import CSV" not in client.get(admin_url(DraftLaw, "changelist")).content.decode()
