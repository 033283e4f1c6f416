"""Creating, editing, archiving and deleting records in the admin: every write leaves a trace."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.admin.helpers import admin_url, form_data
from tests.factories import make_facility, make_law, make_partner, make_tax_measure, move
from tracker.models import DraftLaw, Event, LawDocument, PartnerCountry, Visibility

pytestmark = pytest.mark.django_db


def test_editor_edit_writes_an_updated_event_and_a_history_row(client, editor, germany):
    law = make_law(title_en="On joint production")
    client.force_login(editor)
    data = form_data(client.get(admin_url(law, "change")))
    data.update(title_en="On joint production of weapons", partners=[str(germany.pk)])

    response = client.post(admin_url(law, "change"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    law.refresh_from_db()
    assert law.title_en == "On joint production of weapons"
    assert law.partner_codes == ["DE"]
    event = Event.objects.get(type="law.updated", record_id=law.pk)
    assert event.actor == editor
    assert event.data["changed"] == ["partners", "title_en"]
    latest = law.history.filter(title_en="On joint production of weapons").earliest("history_date")
    assert latest.history_user == editor
    assert latest.prev_record.title_en == "On joint production"
    # The field-level history is visible in the admin.
    history_page = client.get(admin_url(law, "history"))
    assert history_page.status_code == 200
    assert "On joint production of weapons" in history_page.content.decode()


def test_saving_an_unchanged_form_records_nothing(client, editor):
    law = make_law()
    client.force_login(editor)

    unchanged = form_data(client.get(admin_url(law, "change")))
    response = client.post(admin_url(law, "change"), unchanged)

    assert response.status_code == 302
    assert not Event.objects.filter(type="law.updated").exists()


def test_editor_creates_a_law_with_a_document_through_the_service(client, editor):
    client.force_login(editor)
    data = form_data(client.get(admin_url(DraftLaw, "add")))
    data.update(
        title_uk="Про спільне виробництво",
        title_en="On joint production",
        visibility="public",
        initiator="cabinet",
        **{
            "documents-TOTAL_FORMS": "1",
            "documents-0-kind": "text",
            "documents-0-url": "https://rada.gov.ua/13302.pdf",
        },
    )

    response = client.post(admin_url(DraftLaw, "add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    law = DraftLaw.objects.get(title_en="On joint production")
    assert law.status == "drafting"
    assert law.documents.get().url == "https://rada.gov.ua/13302.pdf"
    created = Event.objects.get(type="law.created", record_id=law.pk)
    assert created.actor == editor
    assert law.history.get().history_user == editor


def test_invalid_values_are_form_errors(client, editor):
    make_law(registration_number="13302", registration_date=datetime.date(2025, 5, 20))
    law = make_law()
    client.force_login(editor)
    data = form_data(client.get(admin_url(law, "change")))
    data.update(registration_number="13302", registration_date="2025-05-21")

    response = client.post(admin_url(law, "change"), data)

    assert response.status_code == 200
    assert "registration number exists" in str(response.context["adminform"].form.errors)
    assert not Event.objects.filter(type="law.updated").exists()


def test_a_refusal_from_the_service_is_a_form_error_and_undoes_the_inlines(
    client, editor, monkeypatch
):
    law = make_law()
    client.force_login(editor)
    data = form_data(client.get(admin_url(law, "change")))
    data.update(
        title_en="Renamed",
        **{
            "documents-TOTAL_FORMS": "1",
            "documents-0-kind": "text",
            "documents-0-url": "https://rada.gov.ua/13302.pdf",
        },
    )

    def refuse(**kwargs):
        raise ValidationError({"title_en": "Refused by the service."})

    monkeypatch.setattr("tracker.admin.mixins.saving.record_update", refuse)
    response = client.post(admin_url(law, "change"), data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["title_en"] == ["Refused by the service."]
    assert form["title_en"].value() == "Renamed"  # what the user typed is kept
    assert not LawDocument.objects.exists()
    law.refresh_from_db()
    assert law.title_en != "Renamed"


def test_status_is_not_an_editable_field(client, editor):
    law = make_law()
    client.force_login(editor)
    page = client.get(admin_url(law, "change"))
    assert "status" not in page.context["adminform"].form.fields
    data = form_data(page)
    data["status"] = "in_force"

    client.post(admin_url(law, "change"), data)

    law.refresh_from_db()
    assert law.status == "drafting"


def test_viewer_is_read_only(client, viewer_user):
    law = make_law(title_en="Original")
    client.force_login(viewer_user)

    page = client.get(admin_url(law, "change"))
    assert page.status_code == 200
    assert not page.context["adminform"].form.fields  # every field read-only
    response = client.post(admin_url(law, "change"), {"title_en": "Changed"})
    assert response.status_code == 403
    assert client.get(admin_url(DraftLaw, "add")).status_code == 403
    assert client.post(admin_url(law, "archive")).status_code == 403
    law.refresh_from_db()
    assert (law.title_en, law.archived_at) == ("Original", None)


def test_only_superusers_delete_and_deletion_leaves_an_event(client, editor, superuser):
    law = make_law(title_en="To be deleted")
    client.force_login(editor)
    assert client.get(admin_url(law, "delete")).status_code == 403
    assert client.post(admin_url(law, "delete"), {"post": "yes"}).status_code == 403
    assert DraftLaw.objects.filter(pk=law.pk).exists()

    client.force_login(superuser)
    response = client.post(admin_url(law, "delete"), {"post": "yes"})

    assert response.status_code == 302
    assert not DraftLaw.objects.filter(pk=law.pk).exists()
    event = Event.objects.get(type="law.deleted", record_id=law.pk)
    assert event.actor == superuser
    assert event.data["label"] == "To be deleted"


def test_bulk_delete_is_offered_to_superusers_only(client, editor, superuser):
    laws = [make_law(), make_law()]
    changelist = admin_url(DraftLaw, "changelist")
    client.force_login(editor)
    actions = dict(client.get(changelist).context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions

    client.force_login(superuser)
    response = client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [law.pk for law in laws], "post": "yes"},
    )

    assert response.status_code == 302
    assert not DraftLaw.objects.exists()
    assert Event.objects.filter(type="law.deleted").count() == 2


def test_editor_archives_and_restores_with_the_button(client, editor):
    law = make_law()
    client.force_login(editor)
    assert admin_url(law, "archive") in client.get(admin_url(law, "change")).content.decode()

    assert client.post(admin_url(law, "archive")).status_code == 302
    law.refresh_from_db()
    assert law.archived_at is not None
    assert Event.objects.filter(type="law.archived", record_id=law.pk).exists()
    # An archived record offers no transition until it is restored.
    html = client.get(admin_url(law, "change")).content.decode()
    assert "?to=" not in html
    assert admin_url(law, "restore") in html

    assert client.post(admin_url(law, "restore")).status_code == 302
    law.refresh_from_db()
    assert law.archived_at is None


def test_archive_and_restore_actions(client, editor):
    laws = [make_law(), make_law()]
    client.force_login(editor)
    changelist = admin_url(DraftLaw, "changelist")

    selected = [law.pk for law in laws]
    client.post(changelist, {"action": "archive_selected", "_selected_action": selected})
    assert DraftLaw.objects.filter(archived_at__isnull=False).count() == 2
    archived = client.get(changelist + "?archived=yes")
    assert archived.context["cl"].result_count == 2
    assert client.get(changelist + "?archived=no").context["cl"].result_count == 0

    client.post(changelist, {"action": "restore_selected", "_selected_action": [laws[0].pk]})
    assert DraftLaw.objects.filter(archived_at__isnull=True).count() == 1


def test_change_page_shows_the_timeline_read_only_to_a_viewer(client, editor, viewer_user):
    law = move(make_law(), "registered", "in_committee")

    client.force_login(viewer_user)
    page = client.get(admin_url(law, "change"))
    rows = page.context["timeline_rows"]
    assert [row.entry.to_status for row in rows] == ["registered", "in_committee"]
    assert all(not row.urls for row in rows)
    html = page.content.decode()
    assert "Registered in the Rada" in html and "In committee" in html
    assert "/timeline/step/" not in html

    client.force_login(editor)
    rows = client.get(admin_url(law, "change")).context["timeline_rows"]
    assert all(set(row.urls) == {"correct", "retract"} for row in rows)


@pytest.mark.urls("tests.admin.urls")
@pytest.mark.parametrize(
    ("make", "url_name", "api_path"),
    [
        (make_law, "web:law-detail", "/api/v1/laws/{}/"),
        (make_tax_measure, "web:tax-measure-detail", "/api/v1/tax-measures/{}/"),
        (make_facility, "web:facility-detail", "/api/v1/facilities/{}/"),
        (lambda **v: make_partner("DK", **v), "web:partner-detail", "/api/v1/partners/{}/"),
    ],
)
def test_change_page_links_to_public_page_only_when_public_and_to_the_api(
    client, editor, make, url_name, api_path
):
    public = make(visibility=Visibility.PUBLIC)
    client.force_login(editor)

    html = client.get(admin_url(public, "change")).content.decode()
    assert f'href="{reverse(url_name, kwargs={"pk": public.pk})}"' in html
    assert f'href="{api_path.format(public.pk)}"' in html

    public.visibility = Visibility.RESTRICTED
    public.save()
    html = client.get(admin_url(public, "change")).content.decode()
    assert f'href="{reverse(url_name, kwargs={"pk": public.pk})}"' not in html
    assert f'href="{api_path.format(public.pk)}"' in html


def test_superuser_deletes_a_record_with_history_and_the_audit_trail_stays(client, superuser):
    law = move(make_law(title_en="With history"), "registered", "in_committee")
    client.force_login(superuser)

    confirm = client.get(admin_url(law, "delete"))
    assert not confirm.context["protected"]
    response = client.post(admin_url(law, "delete"), {"post": "yes"})

    assert response.status_code == 302
    assert not DraftLaw.objects.filter(pk=law.pk).exists()
    assert Event.objects.filter(type="law.status_changed", record_id=law.pk).count() == 2
    assert Event.objects.filter(type="law.deleted", record_id=law.pk).exists()


def test_deleting_a_law_other_records_depend_on_is_explained_not_a_crash(client, superuser):
    law = make_law()
    make_tax_measure(name_en="Depends on it", legal_basis=law)
    client.force_login(superuser)

    confirm = client.get(admin_url(law, "delete"))
    assert confirm.status_code == 200
    assert "Depends on it" in str(confirm.context["protected"])

    response = client.post(
        admin_url(DraftLaw, "changelist"),
        {"action": "delete_selected", "_selected_action": [law.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert DraftLaw.objects.filter(pk=law.pk).exists()
    assert not Event.objects.filter(type="law.deleted").exists()


def test_superuser_adds_a_partner_with_an_agreement_and_a_contact(client, superuser):
    client.force_login(superuser)
    data = form_data(client.get(admin_url(PartnerCountry, "add")))
    data.update(
        code="NO",
        name_en="Norway",
        name_uk="Норвегія",
        visibility="partners",
        **{
            "agreements-TOTAL_FORMS": "1",
            "agreements-0-title": "Memorandum on defense industry cooperation",
            "agreements-0-signed_on": "2024-11-05",
            "contacts-TOTAL_FORMS": "1",
            "contacts-0-name": "Kari Nordmann",
            "contacts-0-email": "kari@example.no",
        },
    )

    response = client.post(admin_url(PartnerCountry, "add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    norway = PartnerCountry.objects.get(code="NO")
    assert norway.agreements.get().signed_on == datetime.date(2024, 11, 5)
    assert norway.contacts.get().name == "Kari Nordmann"
    assert Event.objects.get(type="partner.created", record_id=norway.pk).actor == superuser

    # Editing only an inline still leaves an updated event naming it.
    data = form_data(client.get(admin_url(norway, "change")))
    data["contacts-0-role"] = "Head of armaments cooperation"
    assert client.post(admin_url(norway, "change"), data).status_code == 302
    updated = Event.objects.get(type="partner.updated", record_id=norway.pk)
    assert updated.data["changed"] == ["contacts"]
