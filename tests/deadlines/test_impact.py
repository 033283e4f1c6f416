"""Impact: what a change touches, carried in its event as `affects` (only what the reader may
see) and shown on the record page."""

import datetime

import pytest
from django.urls import reverse

from tests.factories import make_facility, make_law, make_tax_measure, move
from tracker.models import CooperationProgramme, Event, Visibility
from tracker.notifications import payloads
from tracker.services.records import record_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(germany, france):
    law = make_law(title_en="Main law", partners=[germany, france])
    measure = make_tax_measure(name_en="VAT relief", legal_basis=law, legal_bases=[law])
    public_plant = make_facility(name_en="Public plant")
    public_plant.tax_measures.add(measure)  # through the measure the law carries
    german_plant = make_facility(
        name_en="German plant", visibility=Visibility.RESTRICTED, partners=[germany]
    )
    german_plant.enabling_laws.add(law)
    programme = CooperationProgramme.objects.create(
        partner=germany,
        name_en="Shells financing",
        name_uk="Фінансування снарядів",
        kind="financing",
    )
    return law, measure, public_plant, german_plant, programme


def test_an_event_carries_what_it_touches_and_each_reader_sees_only_its_part(
    api_client_for, germany, france, world
):
    law, measure, public_plant, german_plant, programme = world
    move(law, "registered")
    event = Event.objects.filter(type="law.status_changed", record_id=law.pk).get()
    assert event.data["affects"] == [
        {"type": "tax_measure", "id": measure.pk},
        {"type": "facility", "id": public_plant.pk},
        {"type": "facility", "id": german_plant.pk},
        {"type": "programme", "id": programme.pk, "partner": germany.pk},
    ]

    def affects_in_feed(partner):
        body = api_client_for(partner).get("/api/v1/events/", {"type": "law.status_changed"})
        (item,) = body.json()["results"]
        one = api_client_for(partner).get(f"/api/v1/events/{item['id']}/").json()
        assert one["data"]["affects"] == item["data"]["affects"]
        return {(a["type"], a["id"]) for a in item["data"]["affects"]}

    assert affects_in_feed(germany) == {
        ("tax_measure", measure.pk),
        ("facility", public_plant.pk),
        ("facility", german_plant.pk),
        ("programme", programme.pk),
    }
    # France sees neither Germany's restricted plant nor, once Germany's record is
    # restricted, Germany's programme.
    record_update(record=germany, values={"visibility": Visibility.RESTRICTED}, actor=None)
    assert affects_in_feed(france) == {("tax_measure", measure.pk), ("facility", public_plant.pk)}
    assert ("programme", programme.pk) in affects_in_feed(germany)
    # Webhooks and e-mails carry one body for every partner: what any partner may see.
    webhook = payloads.webhook_body(event)
    assert f'"id":{german_plant.pk},"type":"facility"' not in webhook
    assert f'"id":{public_plant.pk},"type":"facility"' in webhook
    assert '"type":"programme"' not in webhook


def test_a_change_that_touches_nothing_carries_no_affects():
    law = make_law()
    record_update(record=law, values={"summary_en": "x"}, actor=None)
    assert "affects" not in Event.objects.filter(record_id=law.pk, type="law.updated").get().data


def test_feed_pages_cost_the_same_with_affects(api_client_for, germany, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    law = world[0]
    client = api_client_for(germany)

    def count():
        client.get("/api/v1/events/", {"limit": 500})
        with CaptureQueriesContext(connection) as queries:
            client.get("/api/v1/events/", {"limit": 500})
        return len(queries)

    today = datetime.date.today()
    move(law, "registered", start=today - datetime.timedelta(days=10))
    few = count()
    move(
        law,
        "in_committee",
        "first_reading",
        "adopted_in_principle",
        "second_reading",
        start=today - datetime.timedelta(days=5),
    )
    assert count() == few


def test_the_record_page_shows_what_a_change_touches(client, world):
    law = world[0]
    page = client.get(reverse("web:law-detail", args=[law.pk])).content.decode()
    touched = page.split('id="affects-heading"')[1].split("</section>")[0]
    assert "VAT relief" in touched and "Public plant" in touched
    assert "Germany: Shells financing" in touched
    assert "German plant" not in touched  # restricted: not on the public page


def test_a_partner_subscribes_to_anything_that_affects_its_facilities(germany, france):
    from django.core.exceptions import ValidationError

    from tracker.models import Delivery
    from tracker.notifications import outbox
    from tracker.services.subscriptions import email_subscription_create

    enabling = make_law(title_en="Enabling law")
    unrelated = make_law(title_en="Unrelated law")
    plant = make_facility(name_en="Plant in Germany", partners=[germany])
    plant.enabling_laws.add(enabling)
    for partner in (germany, france):
        email_subscription_create(
            partner=partner,
            email=f"{str(partner.code).lower()}@example.org",
            event_types=["*"],
            record_type="my_facilities",
        )
    with pytest.raises(ValidationError):
        email_subscription_create(
            partner=france,
            email="x@example.org",
            event_types=["*"],
            record_type="my_facilities",
            record_id=plant.pk,
        )

    def told(event):
        return {
            d.partner_id for d in Delivery.objects.filter(pk__in=outbox.fan_out_event(event.pk))
        }

    today = datetime.date.today()
    move(enabling, "registered", start=today - datetime.timedelta(days=3))
    move(unrelated, "registered", start=today - datetime.timedelta(days=3))
    record_update(record=plant, values={"description_en": "First workshop open"}, actor=None)
    changes = Event.objects.filter(type__in=["law.status_changed", "facility.updated"])
    by_record = {(e.record_type, e.record_id): told(e) for e in changes}
    assert by_record[("law", enabling.pk)] == {germany.pk}
    assert by_record[("law", unrelated.pk)] == set()
    assert by_record[("facility", plant.pk)] == {germany.pk}
