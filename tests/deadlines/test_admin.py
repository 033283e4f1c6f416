"""Manual deadlines in the admin (through the service) and the staff page of what is due."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_facility, make_law, make_partner, make_tax_measure, make_user
from tracker.models import Deadline, ManualDeadline
from tracker.services.deadlines import manual_deadline_create

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
ADD = reverse("admin:tracker_manualdeadline_add")
DUE_PAGE = reverse("admin:tracker_deadline_changelist")


def test_an_editor_adds_a_deadline_with_its_source(client, editor):
    law = make_law()
    client.force_login(editor)
    response = client.post(
        ADD,
        {
            "record_type": "law",
            "record_id": law.pk,
            "title": "Committee conclusion due",
            "due_on": (TODAY + 5 * DAY).isoformat(),
            "legal_basis": "Rules of Procedure, art. 93",
            "source_url": "https://rada.gov.ua/rules",
            "responsible": editor.pk,
            "note": "",
        },
    )
    assert response.status_code == 302, response.content
    manual = ManualDeadline.objects.get()
    assert manual.record == law and manual.created_by == editor
    row = Deadline.objects.get(manual=manual)
    assert row.due_on == TODAY + 5 * DAY and row.responsible == editor


def test_a_deadline_without_a_source_or_record_is_a_form_error(client, editor):
    client.force_login(editor)
    response = client.post(
        ADD,
        {
            "record_type": "law",
            "record_id": 999999,
            "title": "Vote",
            "due_on": TODAY.isoformat(),
            "legal_basis": "Rules",
            "source_url": "",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "source_url" in errors and "record_id" in errors
    assert not ManualDeadline.objects.exists()


def test_staff_page_of_what_is_due_or_overdue_filters_by_type_partner_and_person(client, editor):
    germany, france = make_partner("DE"), make_partner("FR")
    other = make_user(username="other-editor", role="Editors")
    german_law = make_law(
        partners=[germany], planned_next_step="First reading", planned_next_step_on=TODAY - 3 * DAY
    )
    french_law = make_law(
        partners=[france], planned_next_step="Second reading", planned_next_step_on=TODAY + 4 * DAY
    )
    make_law(planned_next_step="Far away", planned_next_step_on=TODAY + 60 * DAY)
    make_tax_measure(partners=[germany], starts_on=TODAY + 2 * DAY)
    facility = make_facility(partners=[france])
    manual_deadline_create(
        record=facility,
        actor=editor,
        title="Licence renewal",
        due_on=TODAY + DAY,
        legal_basis="Licence terms",
        source_url="https://example.org/licence",
        responsible=other,
    )
    client.force_login(editor)

    def shown(**query):
        response = client.get(DUE_PAGE, query)
        assert response.status_code == 200
        return sorted(str(d.label) for d in response.context["cl"].result_list)

    assert shown() == ["", "First reading", "Licence renewal", "Second reading"]
    assert shown(standing="overdue") == ["First reading"]
    assert shown(record_type="tax_measure") == [""]
    assert shown(partner=germany.pk) == ["", "First reading"]
    assert shown(partner=france.pk) == ["Licence renewal", "Second reading"]
    assert shown(responsible__id__exact=other.pk) == ["Licence renewal"]
    page = client.get(DUE_PAGE).content.decode()
    assert "3 days overdue" in page and "4 days left" in page
    assert german_law.pk and french_law.pk
