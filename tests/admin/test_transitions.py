"""Recording status changes through the admin: only what the workflow allows, only for editors."""

import datetime

import pytest
from django.utils import timezone

from tests.admin.helpers import admin_url
from tests.factories import make_facility, make_law, make_partner, make_tax_measure, move
from tracker.models import Event, StatusChange
from tracker.services.laws import add_entry_into_force

pytestmark = pytest.mark.django_db

# The service judges "the future" by the date in the project's time zone.
TODAY = timezone.localdate()


PATH_TO_PUBLISHED = (
    "registered",
    "in_committee",
    "first_reading",
    "adopted_as_whole",
    "signed_by_speaker",
    "sent_to_president",
    "signed_by_president",
    "published",
)


def _post_transition(client, record, **values):
    data = {
        "expected_status": record.status,
        "date_precision": "day",
        "occurred_on": TODAY.isoformat(),
        "note": "",
        "source_url": "",
        **values,
    }
    return client.post(admin_url(record, "transition"), data)


def test_editor_records_a_transition_through_the_form(client, editor):
    law = make_law()
    client.force_login(editor)

    page = client.get(admin_url(law, "transition") + "?to=stakeholder_review")
    assert page.status_code == 200
    assert page.context["form"]["to_status"].initial == "stakeholder_review"
    assert "votes_for" not in page.context["form"].fields

    response = _post_transition(
        client,
        law,
        to_status="stakeholder_review",
        note="Sent to the defense industry association",
        source_url="https://mod.gov.ua/news/1",
    )

    assert response.status_code == 302
    assert response.url == admin_url(law, "change")
    law.refresh_from_db()
    assert law.status == "stakeholder_review"
    change = StatusChange.objects.get(record_id=law.pk)
    assert (change.from_status, change.to_status) == ("drafting", "stakeholder_review")
    assert change.recorded_by == editor
    assert change.note == "Sent to the defense industry association"
    assert change.occurred_on == TODAY
    event = Event.objects.get(type="law.status_changed", record_id=law.pk)
    assert event.actor == editor
    assert event.status_change == change


def test_change_page_offers_a_button_for_each_allowed_target_only(client, editor):
    law = make_law()
    client.force_login(editor)

    html = client.get(admin_url(law, "change")).content.decode()

    url = admin_url(law, "transition")
    for target in (
        "stakeholder_review",
        "cabinet_approved",
        "registered",
        "withdrawn",
        "removed",
        "lapsed",
    ):
        assert f"{url}?to={target}" in html
    for forbidden in ("in_committee", "first_reading", "in_force", "drafting"):
        assert f"{url}?to={forbidden}" not in html
    # The workflow picture marks where the law stands.
    assert 'aria-current="step"' in html


def test_forbidden_transition_is_not_offered_and_posting_it_is_a_form_error(client, editor):
    law = make_law()
    client.force_login(editor)

    form = client.get(admin_url(law, "transition")).context["form"]
    assert "first_reading" not in dict(form.fields["to_status"].choices)

    response = _post_transition(client, law, to_status="first_reading")

    assert response.status_code == 200
    errors = response.context["form"].errors["to_status"]
    assert "Allowed next statuses" in errors[0]
    law.refresh_from_db()
    assert law.status == "drafting"
    assert not StatusChange.objects.exists()
    assert not Event.objects.filter(type="law.status_changed").exists()


def test_a_change_made_meanwhile_is_reported_not_overwritten(client, editor):
    law = make_law()
    client.force_login(editor)
    seen = law.status
    move(law, "registered")  # someone else, after the form was shown

    response = _post_transition(client, law, expected_status=seen, to_status="stakeholder_review")

    assert response.status_code == 200
    assert "changed meanwhile" in str(response.context["form"].non_field_errors())
    law.refresh_from_db()
    assert law.status == "registered"


def test_service_validation_errors_are_form_errors(client, editor):
    law = make_law()
    client.force_login(editor)

    tomorrow = (TODAY + datetime.timedelta(days=1)).isoformat()
    response = _post_transition(client, law, to_status="registered", occurred_on=tomorrow)

    assert response.status_code == 200
    assert "future" in response.context["form"].errors["occurred_on"][0]
    law.refresh_from_db()
    assert law.status == "drafting"


def test_first_reading_vote_asks_for_the_counts_and_stores_them(client, editor):
    law = move(make_law(), "registered", "in_committee", "first_reading")
    client.force_login(editor)

    vote_form = client.get(admin_url(law, "transition") + "?to=adopted_in_principle")
    assert {"votes_for", "votes_against", "abstained"} <= set(vote_form.context["form"].fields)
    no_vote_form = client.get(admin_url(law, "transition") + "?to=withdrawn")
    assert "votes_for" not in no_vote_form.context["form"].fields

    missing = _post_transition(client, law, to_status="adopted_in_principle")
    assert missing.status_code == 200
    assert set(missing.context["form"].errors) == {"votes_for", "votes_against", "abstained"}

    votes_on_non_vote = _post_transition(client, law, to_status="withdrawn", votes_for="10")
    assert "not a vote" in votes_on_non_vote.context["form"].errors["votes_for"][0]

    response = _post_transition(
        client,
        law,
        to_status="adopted_in_principle",
        votes_for="256",
        votes_against="12",
        abstained="30",
    )

    assert response.status_code == 302
    change = StatusChange.objects.filter(record_id=law.pk, content_type__model="draftlaw").last()
    assert (change.to_status, change.votes_for, change.votes_against, change.abstained) == (
        "adopted_in_principle",
        256,
        12,
        30,
    )


def test_viewer_sees_no_buttons_and_cannot_record_a_transition(client, viewer_user):
    law = make_law()
    client.force_login(viewer_user)

    html = client.get(admin_url(law, "change")).content.decode()
    assert admin_url(law, "transition") not in html

    assert client.get(admin_url(law, "transition")).status_code == 403
    response = _post_transition(client, law, to_status="stakeholder_review")
    assert response.status_code == 403
    law.refresh_from_db()
    assert law.status == "drafting"
    assert not StatusChange.objects.exists()


def test_final_status_offers_no_transition(client, editor):
    law = move(make_law(), *PATH_TO_PUBLISHED)
    add_entry_into_force(law=law, on=TODAY, actor=None)
    move(law, "in_force")
    client.force_login(editor)

    html = client.get(admin_url(law, "change")).content.decode()
    assert "?to=" not in html
    page = client.get(admin_url(law, "transition"))
    assert page.context["form"].targets == ()
    assert "This status is final" in page.content.decode()


@pytest.mark.parametrize(
    ("make", "target"),
    [
        (make_law, "stakeholder_review"),
        (make_tax_measure, "in_draft_law"),
        (make_facility, "agreement_signed"),
        (lambda: make_partner("DK"), "negotiating"),
    ],
)
def test_every_record_type_is_moved_through_its_own_workflow(client, editor, make, target):
    record = make()
    client.force_login(editor)
    html = client.get(admin_url(record, "change")).content.decode()
    assert f"{admin_url(record, 'transition')}?to={target}" in html

    response = _post_transition(client, record, to_status=target)

    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == target
    assert Event.objects.filter(
        type=f"{record.record_type}.status_changed", record_id=record.pk, actor=editor
    ).exists()


def test_editor_reads_partners_but_may_record_their_cooperation_steps(client, editor):
    partner = make_partner("DK", name_en="Denmark")
    client.force_login(editor)

    page = client.get(admin_url(partner, "change"))

    assert not page.context["adminform"].form.fields  # superusers manage partners
    assert f"{admin_url(partner, 'transition')}?to=negotiating" in page.content.decode()
