"""Broken object-level authorization checks: each caller sees exactly what visibility allows,
in lists, details, sub-resources, related lists and the change feed."""

from dataclasses import dataclass, field

import pytest
from rest_framework.test import APIClient

from tests.factories import make_facility, make_law, make_partner, make_tax_measure, move
from tracker.models import Visibility
from tracker.services.records import record_archive

RESOURCES = {
    "law": ("laws", make_law),
    "tax_measure": ("tax-measures", make_tax_measure),
    "facility": ("facilities", make_facility),
}
# Which of the records each caller may see, by label.
SEES = {
    "anon": {"public"},
    "de": {"public", "partners", "de", "both"},
    "fr": {"public", "partners", "fr", "both"},
    "staff": {"public", "partners", "de", "fr", "both", "nobody", "archived"},
}


@dataclass
class World:
    records: dict[str, dict[str, object]] = field(default_factory=dict)  # kind -> label -> rec
    poland: object = None

    def ids(self, kind, labels):
        return {self.records[kind][label].pk for label in labels}


@pytest.fixture
def world(germany, france, editor):
    # Poland cooperates in secret: only staff and Poland may know it is a partner.
    poland = make_partner("PL", name_en="Poland", visibility=Visibility.RESTRICTED)
    w = World(poland=poland)
    specs = {
        "public": (Visibility.PUBLIC, [germany]),
        "partners": (Visibility.PARTNERS, []),
        "de": (Visibility.RESTRICTED, [germany]),
        "fr": (Visibility.RESTRICTED, [france]),
        "both": (Visibility.RESTRICTED, [germany, france, poland]),
        "nobody": (Visibility.RESTRICTED, []),
        "archived": (Visibility.PUBLIC, [germany]),
    }
    for kind, (_, make) in RESOURCES.items():
        w.records[kind] = {}
        for label, (visibility, partners) in specs.items():
            w.records[kind][label] = make(
                visibility=visibility, partners=partners, internal_notes=f"note {label}"
            )
        record_archive(record=w.records[kind]["archived"], actor=editor)
    # Cross links: every law is the basis of / enables every tax measure / facility of the
    # same label, and the "public" ones link to all the others.
    for label, law in w.records["law"].items():
        measure = w.records["tax_measure"][label]
        measure.legal_basis = law
        measure.save()
        w.records["facility"][label].enabling_laws.add(law)
        w.records["facility"][label].tax_measures.add(measure)
    public_law = w.records["law"]["public"]
    public_facility = w.records["facility"]["public"]
    for label in specs:
        public_law.facilities.add(w.records["facility"][label])
        public_facility.enabling_laws.add(w.records["law"][label])
        public_facility.tax_measures.add(w.records["tax_measure"][label])
    move(w.records["law"]["de"], "registered")
    move(w.records["facility"]["fr"], "agreement_signed")
    return w


@pytest.fixture
def clients(anon, de_client, fr_client, editor_client):
    return {"anon": anon, "de": de_client, "fr": fr_client, "staff": editor_client}


def _list_ids(client: APIClient, url: str, **params) -> set[int]:
    response = client.get(url, {"page_size": 100, **params})
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


@pytest.mark.django_db
@pytest.mark.parametrize("caller", list(SEES))
@pytest.mark.parametrize("kind", list(RESOURCES))
def test_each_caller_sees_exactly_its_records(world, clients, caller, kind):
    client = clients[caller]
    plural = RESOURCES[kind][0]
    allowed = SEES[caller]
    assert _list_ids(client, f"/api/v1/{plural}/") == world.ids(kind, allowed)

    for label, record in world.records[kind].items():
        for suffix in ("", "history/", "transitions/"):
            response = client.get(f"/api/v1/{plural}/{record.pk}/{suffix}")
            expected = 200 if label in allowed else 404
            assert response.status_code == expected, (label, suffix, response.content)
            if expected == 404:
                assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
@pytest.mark.parametrize("caller", list(SEES))
def test_related_lists_hold_only_visible_records(world, clients, caller):
    client = clients[caller]
    allowed = SEES[caller]
    law = client.get(f"/api/v1/laws/{world.records['law']['public'].pk}/").json()
    assert {f["id"] for f in law["facilities"]} == world.ids("facility", allowed)
    assert {m["id"] for m in law["tax_measures"]} == world.ids("tax_measure", {"public"} & allowed)

    facility = client.get(f"/api/v1/facilities/{world.records['facility']['public'].pk}/").json()
    assert {x["id"] for x in facility["enabling_laws"]} == world.ids("law", allowed)
    assert {x["id"] for x in facility["tax_measures"]} == world.ids("tax_measure", allowed)


@pytest.mark.django_db
def test_a_tax_measure_does_not_reveal_a_legal_basis_the_caller_may_not_see(world, clients):
    # The "partners" tax measure rests on the "partners" law; make the law restricted to FR.
    law = world.records["law"]["partners"]
    law.visibility = Visibility.RESTRICTED
    law.save()
    law.partners.add(world.records["law"]["fr"].partners.first())
    measure = world.records["tax_measure"]["partners"]
    de_view = clients["de"].get(f"/api/v1/tax-measures/{measure.pk}/").json()
    fr_view = clients["fr"].get(f"/api/v1/tax-measures/{measure.pk}/").json()
    assert de_view["legal_basis"] is None
    assert fr_view["legal_basis"]["id"] == law.pk
    # Nor can the link be probed with a filter.
    listed = clients["de"].get("/api/v1/tax-measures/", {"legal_basis": law.pk}).json()
    assert listed["results"] == []


@pytest.mark.django_db
def test_secret_partner_is_hidden_from_codes_lists_and_filters(world, clients):
    both_law = world.records["law"]["both"]
    poland = world.poland
    for caller in ("de", "fr"):
        body = clients[caller].get(f"/api/v1/laws/{both_law.pk}/").json()
        assert body["partners"] == ["DE", "FR"]
        assert clients[caller].get(f"/api/v1/partners/{poland.pk}/").status_code == 404
        assert _list_ids(clients[caller], "/api/v1/laws/", partner="PL") == set()
    staff = clients["staff"].get(f"/api/v1/laws/{both_law.pk}/").json()
    assert staff["partners"] == ["DE", "FR", "PL"]
    assert _list_ids(clients["staff"], "/api/v1/laws/", partner="PL") == {both_law.pk}

    from tracker.services.api_keys import api_key_issue

    _, key = api_key_issue(partner=poland, name="PL system")
    pl = APIClient()
    pl.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert pl.get(f"/api/v1/partners/{poland.pk}/").status_code == 200
    assert pl.get(f"/api/v1/laws/{both_law.pk}/").json()["partners"] == ["DE", "FR", "PL"]


@pytest.mark.django_db
@pytest.mark.parametrize("caller", ["anon", "de", "fr"])
def test_staff_only_fields_never_reach_partners_or_the_public(world, clients, caller):
    client = clients[caller]
    facility = client.get(f"/api/v1/facilities/{world.records['facility']['public'].pk}/")
    law = client.get(f"/api/v1/laws/{world.records['law']['public'].pk}/")
    partner = client.get(f"/api/v1/partners/{world.records['law']['de'].partners.first().pk}/")
    for response in (facility, law, partner):
        assert response.status_code == 200
        body = response.content.decode()
        assert "internal_notes" not in body
        assert "note public" not in body
        assert "exact_site" not in body
        assert "contacts" not in body


@pytest.mark.django_db
def test_staff_see_staff_only_fields(world, clients):
    facility = world.records["facility"]["public"]
    facility.exact_site = "Plant 4, gate B"
    facility.save()
    body = clients["staff"].get(f"/api/v1/facilities/{facility.pk}/").json()
    assert body["exact_site"] == "Plant 4, gate B"
    assert body["internal_notes"] == "note public"


@pytest.mark.django_db
@pytest.mark.parametrize("caller", list(SEES))
def test_feed_shows_only_events_about_visible_records(world, clients, caller):
    response = clients[caller].get("/api/v1/events/", {"limit": 500})
    assert response.status_code == 200
    events = response.json()["results"]
    # Partners who could see the archived records are told they are gone, and no more.
    tombstones = {
        (e["record_type"], e["record_id"]) for e in events if e["type"].endswith(".archived")
    }
    told = {(kind, world.records[kind]["archived"].pk) for kind in RESOURCES}
    assert tombstones == (told if caller in ("de", "fr", "staff") else set())
    seen = {
        (e["record_type"], e["record_id"])
        for e in events
        if caller == "staff" or not e["type"].endswith(".archived")
    }
    allowed = SEES[caller]
    for kind in RESOURCES:
        for label, record in world.records[kind].items():
            assert ((kind, record.pk) in seen) == (label in allowed), (kind, label)
    # Filters only narrow what the caller may see.
    de_law = world.records["law"]["de"]
    narrowed = clients[caller].get(
        "/api/v1/events/", {"record_type": "law", "record_id": de_law.pk}
    )
    assert bool(narrowed.json()["results"]) == ("de" in allowed)


@pytest.mark.django_db
@pytest.mark.parametrize("caller", list(SEES))
def test_partner_country_list(world, clients, caller):
    codes = {p["code"] for p in clients[caller].get("/api/v1/partners/").json()["results"]}
    expected = {"DE", "FR"} | ({"PL"} if caller == "staff" else set())
    assert codes == expected


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(RESOURCES))
def test_who_may_be_notified_agrees_with_what_each_partner_may_read(kind):
    """`partners_who_can_see` (used to fan out and before each send) asks `visible_records`
    about all partners in one query; it must answer as `visible_records` does for each."""
    from tracker.models import RECORD_MODELS, PartnerCountry
    from tracker.selectors import Viewer, partners_who_can_see, visible_records

    de, fr, pl = make_partner("DE"), make_partner("FR"), make_partner("PL")
    make = RESOURCES[kind][1]
    records = [
        make(visibility=Visibility.PUBLIC),
        make(visibility=Visibility.PARTNERS),
        make(visibility=Visibility.RESTRICTED, partners=[de]),
        make(visibility=Visibility.RESTRICTED, partners=[de, fr]),
        make(visibility=Visibility.RESTRICTED),
        make(visibility=Visibility.PUBLIC),
    ]
    record_archive(record=records[-1], actor=None)
    partners = [de, fr, pl]
    everyone = {p.pk for p in partners}

    def readers(model, pk) -> set[int]:
        return {
            p.pk
            for p in partners
            if visible_records(model, Viewer.partner(p.pk)).filter(pk=pk).exists()
        }

    for record in records:
        notified = partners_who_can_see(record_type=kind, record_id=record.pk, partner_ids=everyone)
        assert notified == readers(RECORD_MODELS[kind], record.pk), record.visibility
    for partner in PartnerCountry.objects.all():
        notified = partners_who_can_see(
            record_type="partner", record_id=partner.pk, partner_ids=everyone
        )
        assert notified == readers(PartnerCountry, partner.pk), partner.code
