"""Law identifiers, numbers, relations, committees and entries into force in the admin; tax
measure bases and conditions; cooperation programmes; the measures to move; the exports."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from tests.admin.helpers import admin_url, form_data
from tests.factories import make_law, make_tax_measure, move
from tracker.models import DraftLaw, Event, LawRelation, PartnerCountry, StatusChange, TaxMeasure
from tracker.services.laws import add_entry_into_force, add_registration_number, relate_laws

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def _csv_rows(response):
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _law_post(client, law, **values):
    data = form_data(client.get(admin_url(law, "change")))
    data.update(values)
    return client.post(admin_url(law, "change"), data)


def test_editor_keeps_a_laws_identifiers_numbers_relations_committees_and_entries(client, editor):
    law = make_law(registration_number="1234-д", registration_date=TODAY - 30 * DAY)
    alternative = make_law(title_en="Alternative bill")
    client.force_login(editor)

    response = _law_post(
        client,
        law,
        convocation="9",
        act_number="4321-IX",
        act_date=(TODAY - 2 * DAY).isoformat(),
        is_urgent="on",
        needs_constitutional_majority="on",
        lead_committee="National Security Committee",
        lead_committee_received_on=(TODAY - 25 * DAY).isoformat(),
        **{
            "other_numbers-TOTAL_FORMS": "1",
            "other_numbers-0-number": "1234",
            "other_numbers-0-registered_on": (TODAY - 60 * DAY).isoformat(),
            "relations-TOTAL_FORMS": "1",
            "relations-0-kind": "package_with",
            "relations-0-other": str(alternative.pk),
            "other_committees-TOTAL_FORMS": "1",
            "other_committees-0-name": "Budget Committee",
            "other_committees-0-received_on": (TODAY - 24 * DAY).isoformat(),
            "entries_into_force-TOTAL_FORMS": "2",
            "entries_into_force-0-provisions": "Articles 1-3",
            "entries_into_force-0-on": (TODAY + 30 * DAY).isoformat(),
            "entries_into_force-1-provisions": "Article 4",
            "entries_into_force-1-on": (TODAY + 10 * DAY).isoformat(),
        },
    )

    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    law.refresh_from_db()
    assert (law.convocation, law.act_number, law.is_urgent) == (9, "4321-IX", True)
    assert law.needs_constitutional_majority
    assert law.lead_committee_received_on == TODAY - 25 * DAY
    assert list(law.other_numbers.values_list("number", flat=True)) == ["1234"]
    assert law.relations.get().other == alternative
    assert law.other_committees.get().name == "Budget Committee"
    assert law.entries_into_force.count() == 2
    # The effective date is the first dated entry into force, written by the service.
    assert law.effective_date == TODAY + 10 * DAY
    assert Event.objects.filter(type="law.updated", record_id=alternative.pk).exists()

    # The other bill shows the relation read-only, as it reads from its end.
    page = client.get(admin_url(alternative, "change"))
    inverse = [
        inline
        for inline in page.context["inline_admin_formsets"]
        if inline.formset.fk.name == "other"
    ]
    assert len(inverse) == 1 and not inverse[0].has_add_permission
    html = page.content.decode()
    assert "in a package with" in html and "1234-д" in html

    # Removing an entry into force re-syncs the effective date.
    data = form_data(client.get(admin_url(law, "change")))
    second = law.entries_into_force.get(provisions="Article 4")
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.startswith("entries_into_force-") and key.endswith("-id") and value == str(second.pk)
    )
    data[f"entries_into_force-{index}-DELETE"] = "on"
    assert client.post(admin_url(law, "change"), data).status_code == 302
    law.refresh_from_db()
    assert law.effective_date == TODAY + 30 * DAY


def test_inverse_relations_read_with_their_inverse_label(client, editor):
    main = make_law(title_en="Main bill")
    reworked = make_law(title_en="Reworked bill")
    relate_laws(law=main, kind="reworked_into", other=reworked, actor=None)
    client.force_login(editor)

    html = client.get(admin_url(reworked, "change")).content.decode()

    assert "reworked from" in html and "Main bill" in html


def test_a_number_another_bill_had_is_a_form_error_and_nothing_is_saved(client, editor):
    holder = make_law(registration_number="5555", registration_date=TODAY - 10 * DAY)
    add_registration_number(law=holder, number="5555-old", actor=None)
    law = make_law()
    client.force_login(editor)

    response = _law_post(
        client,
        law,
        convocation="9",
        **{"other_numbers-TOTAL_FORMS": "1", "other_numbers-0-number": "5555"},
    )

    assert response.status_code == 200
    errors = str(response.context["adminform"].form.non_field_errors())
    assert "5555" in errors and "already" in errors
    law.refresh_from_db()
    assert law.convocation is None and not law.other_numbers.exists()


def test_a_bill_related_to_itself_is_refused(client, editor):
    law = make_law()
    client.force_login(editor)

    response = _law_post(
        client,
        law,
        **{
            "relations-TOTAL_FORMS": "1",
            "relations-0-kind": "alternative_to",
            "relations-0-other": str(law.pk),
        },
    )

    assert response.status_code == 200
    assert not LawRelation.objects.exists()


def test_viewer_cannot_change_a_law_or_its_rows(client, viewer_user):
    law = make_law()
    client.force_login(viewer_user)

    page = client.get(admin_url(law, "change"))
    assert page.status_code == 200
    response = client.post(
        admin_url(law, "change"),
        {"title_en": "x", "other_numbers-TOTAL_FORMS": "1", "other_numbers-0-number": "1"},
    )
    assert response.status_code == 403
    assert not law.other_numbers.exists()


def test_tax_measure_keeps_all_its_legal_bases_kinds_and_conditions(client, editor):
    main = make_law(title_en="Main law")
    tax_code = make_law(title_en="Tax Code amendment")
    measure = make_tax_measure()
    client.force_login(editor)
    data = form_data(client.get(admin_url(measure, "change")))
    data.update(
        legal_basis=str(main.pk),
        legal_bases=[str(tax_code.pk)],
        other_kinds=["customs_exemption", "vat_exemption"],
        start_condition="the first day of the month after entry into force",
        sunset_on="2030-01-01",
        sunset_condition="or accession to the EU, whichever comes first",
    )

    response = client.post(admin_url(measure, "change"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    measure.refresh_from_db()
    assert measure.legal_basis == main
    assert set(measure.legal_bases.all()) == {main, tax_code}
    # The main kind (VAT) is not repeated among the further kinds.
    assert measure.other_kinds == ["customs_exemption"]
    assert measure.sunset_condition.startswith("or accession")

    # A new main basis joins the bases even when they are left as they were.
    other = make_law(title_en="Customs Code amendment")
    data = form_data(client.get(admin_url(measure, "change")))
    data["legal_basis"] = str(other.pk)
    assert client.post(admin_url(measure, "change"), data).status_code == 302
    assert set(measure.legal_bases.all()) == {main, tax_code, other}


def test_superuser_adds_a_cooperation_programme(client, superuser, germany):
    client.force_login(superuser)
    data = form_data(client.get(admin_url(germany, "change")))
    data.update(
        {
            "programmes-TOTAL_FORMS": "1",
            "programmes-0-name_en": "Danish model financing",
            "programmes-0-name_uk": "Данська модель",
            "programmes-0-kind": "financing",
            "programmes-0-status": "financing",
        }
    )

    response = client.post(admin_url(germany, "change"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert germany.programmes.get().status == "financing"
    assert PartnerCountry.objects.get(pk=germany.pk).programmes.count() == 1


# --- measures to move ----------------------------------------------------------------------


def test_measures_to_move_after_adoption_one_click_each(client, editor, viewer_user):
    law = move(make_law(), "registered", "in_committee", "first_reading", start=TODAY - 10 * DAY)
    measure = make_tax_measure(legal_basis=law)
    other = make_tax_measure()
    other.legal_bases.add(law)
    client.force_login(editor)
    assert not client.get(admin_url(law, "change")).context["measures_to_move"]

    adoption_day = TODAY - 3 * DAY
    response = client.post(
        admin_url(law, "transition"),
        {
            "expected_status": "first_reading",
            "to_status": "adopted_as_whole",
            "date_precision": "day",
            "occurred_on": adoption_day.isoformat(),
            "votes_for": "300",
            "votes_against": "10",
            "abstained": "5",
        },
        follow=True,
    )

    messages = [str(m) for m in response.context["messages"]]
    assert any("may follow it" in m and str(measure) in m for m in messages)
    panel = response.context["measures_to_move"]
    assert [(row["measure"].pk, row["target"]) for row in panel] == [
        (measure.pk, "adopted"),
        (other.pk, "adopted"),
    ]
    # Nothing moved by itself.
    measure.refresh_from_db()
    assert measure.status == "proposed"

    # A viewer sees no panel and cannot click.
    client.force_login(viewer_user)
    assert not client.get(admin_url(law, "change")).context["measures_to_move"]
    url = admin_url(law, "move_measure", measure.pk)
    assert client.post(url, {"expected_status": "proposed"}).status_code == 403

    client.force_login(editor)
    assert client.post(url, {"expected_status": "proposed"}).status_code == 302
    measure.refresh_from_db()
    assert measure.status == "adopted"
    step = StatusChange.objects.get(record_id=measure.pk, to_status="adopted")
    assert (step.occurred_on, step.recorded_by) == (adoption_day, editor)
    panel = client.get(admin_url(law, "change")).context["measures_to_move"]
    assert [row["measure"].pk for row in panel] == [other.pk]

    # A second click on the same measure records nothing more.
    client.post(url, {"expected_status": "proposed"})
    assert (
        StatusChange.objects.filter(record_id=measure.pk, content_type__model="taxmeasure").count()
        == 1
    )


def test_a_measure_follows_the_entry_into_force_dated_as_the_step(client, editor):
    law = move(
        make_law(),
        "registered",
        "in_committee",
        "first_reading",
        "adopted_as_whole",
        "signed_by_speaker",
        "sent_to_president",
        "signed_by_president",
        "published",
        start=TODAY - 20 * DAY,
    )
    measure = move(make_tax_measure(legal_basis=law), "adopted")
    add_entry_into_force(law=law, on=TODAY - DAY, actor=None)
    client.force_login(editor)

    response = client.post(
        admin_url(law, "transition"),
        {
            "expected_status": "published",
            "to_status": "in_force",
            "date_precision": "month",
            "occurred_month": TODAY.strftime("%Y-%m"),
        },
        follow=True,
    )
    assert any("may follow it" in str(m) for m in response.context["messages"])

    client.post(admin_url(law, "move_measure", measure.pk), {"expected_status": "adopted"})

    measure.refresh_from_db()
    assert measure.status == "in_effect"
    step = StatusChange.objects.get(record_id=measure.pk, to_status="in_effect")
    assert (step.occurred_on, step.date_precision) == (TODAY.replace(day=1), "month")


# --- exports -------------------------------------------------------------------------------


def test_law_export_has_act_convocation_all_numbers_and_effective_date(client, viewer_user):
    law = make_law(
        registration_number="1234-д",
        registration_date=TODAY - 10 * DAY,
        convocation=9,
        act_number="4321-IX",
        act_date=TODAY - DAY,
    )
    add_registration_number(law=law, number="1234", actor=None)
    add_entry_into_force(law=law, on=TODAY + 5 * DAY, actor=None)
    client.force_login(viewer_user)

    rows = _csv_rows(client.get(admin_url(DraftLaw, "export", "csv")))

    row = rows[0]
    assert row["registration_numbers"] == "1234-д; 1234"
    assert (row["act_number"], row["act_date"], row["convocation"]) == (
        "4321-IX",
        (TODAY - DAY).isoformat(),
        "9",
    )
    assert row["effective_date"] == (TODAY + 5 * DAY).isoformat()


def test_tax_measure_export_has_bases_kinds_and_conditions(client, viewer_user):
    main = make_law(registration_number="1111", registration_date=TODAY)
    code = make_law(registration_number="2222", registration_date=TODAY)
    measure = make_tax_measure(
        legal_basis=main,
        other_kinds=["customs_exemption", "land_tax_relief"],
        start_condition="when the register starts",
        sunset_condition="or EU accession",
    )
    measure.legal_bases.set([main, code])
    client.force_login(viewer_user)

    row = _csv_rows(client.get(admin_url(TaxMeasure, "export", "csv")))[0]

    assert sorted(row["legal_bases"].split("; ")) == ["1111", "2222"]
    assert row["other_kinds"] == "customs_exemption; land_tax_relief"
    assert (row["start_condition"], row["sunset_condition"]) == (
        "when the register starts",
        "or EU accession",
    )


def test_a_new_law_is_added_with_its_earlier_number_and_entry_into_force(client, editor):
    client.force_login(editor)
    data = form_data(client.get(admin_url(DraftLaw, "add")))
    data.update(
        {
            "title_en": "On defense production parks",
            "title_uk": "Про оборонні індустріальні парки",
            "visibility": "public",
            "initiator": "cabinet",
            "registration_number": "7777-д",
            "registration_date": (TODAY - 5 * DAY).isoformat(),
            "other_numbers-TOTAL_FORMS": "1",
            "other_numbers-0-number": "7777",
            "entries_into_force-TOTAL_FORMS": "1",
            "entries_into_force-0-condition": "the day the register starts",
        }
    )

    response = client.post(admin_url(DraftLaw, "add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    law = DraftLaw.objects.get(registration_number="7777-д")
    assert list(law.other_numbers.values_list("number", flat=True)) == ["7777"]
    assert law.entries_into_force.get().condition == "the day the register starts"
    assert law.effective_date is None  # a condition only: no date is made up
