"""List pages are rendered from rows; they must say exactly what the serializers say."""

import pytest
from rest_framework.test import APIRequestFactory

from tests.factories import make_facility, make_law, make_partner, make_tax_measure, move
from tracker import selectors
from tracker.api import serializers as s
from tracker.api.rows import ListRows
from tracker.models import DraftLaw, Facility, PartnerCountry, TaxMeasure, Visibility

CASES = [
    (DraftLaw, s.LawSerializer),
    (TaxMeasure, s.TaxMeasureSerializer),
    (Facility, s.FacilitySerializer),
    (PartnerCountry, s.PartnerSerializer),
]
VIEWERS = {
    "anon": lambda de: selectors.Viewer.public(),
    "de": lambda de: selectors.Viewer.partner(de),
    "staff": lambda de: selectors.Viewer.staff(),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "serializer_class"), CASES)
@pytest.mark.parametrize("viewer_name", list(VIEWERS))
def test_rows_render_like_the_serializer(germany, france, model, serializer_class, viewer_name):
    secret = make_partner("PL", visibility=Visibility.RESTRICTED)
    law = make_law(
        partners=[germany, secret],
        registration_number="13302",
        registration_date="2025-05-01",
        planned_next_step="Committee hearing",
        planned_next_step_on="2025-06-01",
    )
    hidden_law = make_law(partners=[france], visibility=Visibility.RESTRICTED)
    make_tax_measure(
        partners=[germany, france],
        legal_basis=law,
        rate_percent="12.50",
        amount="1000000.00",
        amount_currency="EUR",
        starts_on="2025-01-01",
        sunset_on="2030-01-01",
    )
    make_tax_measure(legal_basis=hidden_law, visibility=Visibility.PARTNERS)
    make_facility(partners=[france], investment="250000000.00", investment_currency="EUR")
    move(law, "registered")

    viewer = VIEWERS[viewer_name](germany)
    request = APIRequestFactory().get("/api/v1/")
    rows = ListRows(model=model, serializer_class=serializer_class, viewer=viewer, request=request)
    queryset = selectors.visible_records(model, viewer).order_by("id")
    fast = rows.render(rows.values(queryset))
    instances = selectors.api_records(model, viewer).order_by("id")
    slow = serializer_class(
        instances, many=True, context={"viewer": viewer, "request": request}
    ).data
    assert fast == [dict(item) for item in slow]
    assert fast  # something was compared


@pytest.mark.django_db
@pytest.mark.parametrize("viewer_name", list(VIEWERS))
def test_feed_rows_render_like_the_event_serializer(germany, editor, viewer_name):
    from tracker.api.fields import url_prefix
    from tracker.api.rows import EVENT_COLUMNS, render_events
    from tracker.api.views import RECORD_DETAIL_VIEWS
    from tracker.services.records import record_update

    law = make_law(partners=[germany])
    move(law, "registered")
    record_update(
        record=law, values={"internal_notes": "staff only", "title_en": "Renamed"}, actor=editor
    )
    make_facility(partners=[germany])

    viewer = VIEWERS[viewer_name](germany)
    request = APIRequestFactory().get("/api/v1/events/")
    prefixes = {kind: url_prefix(request, name) for kind, name in RECORD_DETAIL_VIEWS.items()}
    events = selectors.visible_events(viewer)
    fast = render_events(events.values(*EVENT_COLUMNS), viewer=viewer, record_url_prefixes=prefixes)
    context = {"viewer": viewer, "request": request, "record_url_prefixes": prefixes}
    slow = s.EventSerializer(events, many=True, context=context).data
    assert fast == [dict(item) for item in slow]
    assert any(item["type"] == "law.updated" for item in fast)
