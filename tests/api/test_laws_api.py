"""A bill's identifiers, numbers, relations, committees and entries into force in the API."""

import datetime
import json

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_law, make_tax_measure, move
from tracker.models import Event, Visibility
from tracker.services.laws import (
    add_committee,
    add_entry_into_force,
    add_registration_number,
    relate_laws,
    set_law_identifiers,
)

TODAY = datetime.date.today()
DAYS_AGO = TODAY - datetime.timedelta(days=30)


@pytest.fixture
def bills(germany, france):
    """A public bill, a restricted alternative linked to Germany only, a public package."""
    main = make_law(
        visibility=Visibility.PUBLIC,
        registration_number="1234-д",
        registration_date=DAYS_AGO,
        partners=[germany, france],
    )
    set_law_identifiers(
        law=main,
        actor=None,
        convocation=9,
        is_urgent=True,
        lead_committee="National Security Committee",
        lead_committee_received_on=DAYS_AGO,
    )
    add_registration_number(law=main, number="1234", registered_on=DAYS_AGO, actor=None)
    add_committee(law=main, name="Budget Committee", received_on=DAYS_AGO, actor=None)
    hidden = make_law(
        visibility=Visibility.RESTRICTED,
        registration_number="1234-1",
        registration_date=DAYS_AGO,
        title_en="Secret alternative",
        partners=[germany],
    )
    package = make_law(visibility=Visibility.PUBLIC, title_en="Tax Code amendment")
    relate_laws(law=hidden, kind="alternative_to", other=main, actor=None)
    relate_laws(law=main, kind="package_with", other=package, actor=None)
    return main, hidden, package


def _relations(body):
    return [(r["kind"], r["label"], r["direction"], r["law"]["id"]) for r in body["relations"]]


@pytest.mark.django_db
def test_identifiers_and_collections_in_detail_and_list(bills, de_client):
    main, _hidden, _package = bills
    body = de_client.get(f"/api/v1/laws/{main.pk}/").json()
    assert body["convocation"] == 9 and body["is_urgent"] is True
    assert body["lead_committee_received_on"] == DAYS_AGO.isoformat()
    assert body["registration_numbers"] == [
        {"number": "1234-д", "registered_on": DAYS_AGO.isoformat(), "current": True},
        {"number": "1234", "registered_on": DAYS_AGO.isoformat(), "current": False},
    ]
    assert [c["name"] for c in body["other_committees"]] == ["Budget Committee"]
    listed = {item["id"]: item for item in de_client.get("/api/v1/laws/").json()["results"]}
    assert listed[main.pk]["convocation"] == 9
    assert listed[main.pk]["act_number"] == ""
    assert listed[main.pk]["needs_constitutional_majority"] is False


@pytest.mark.django_db
def test_relations_read_from_both_ends_and_never_reveal_a_hidden_bill(
    bills, de_client, fr_client, editor_client, anon
):
    main, hidden, package = bills
    expected_de = {
        ("package_with", "in a package with", "outgoing", package.pk),
        ("alternative_to", "has the alternative", "incoming", hidden.pk),
    }
    assert set(_relations(de_client.get(f"/api/v1/laws/{main.pk}/").json())) == expected_de
    assert set(_relations(editor_client.get(f"/api/v1/laws/{main.pk}/").json())) == expected_de
    hidden_side = de_client.get(f"/api/v1/laws/{hidden.pk}/").json()
    assert _relations(hidden_side) == [("alternative_to", "alternative to", "outgoing", main.pk)]

    for client in (fr_client, anon):
        response = client.get(f"/api/v1/laws/{main.pk}/")
        assert _relations(response.json()) == [
            ("package_with", "in a package with", "outgoing", package.pk)
        ]
        text = response.content.decode()
        assert "Secret alternative" not in text and "1234-1" not in text
        assert f'"id": {hidden.pk}' not in json.dumps(response.json())
        # Nor through the filters: relating to a hidden bill matches nothing.
        for query in ({"related_to": hidden.pk}, {"relation": "alternative_to"}):
            assert client.get("/api/v1/laws/", query).json()["results"] == []

    related = de_client.get("/api/v1/laws/", {"related_to": hidden.pk}).json()["results"]
    assert [item["id"] for item in related] == [main.pk]
    both = de_client.get(
        "/api/v1/laws/", {"related_to": main.pk, "relation": "package_with"}
    ).json()["results"]
    assert [item["id"] for item in both] == [package.pk]


@pytest.mark.django_db
def test_law_filters(bills, de_client):
    main, hidden, package = bills
    set_law_identifiers(law=package, actor=None, act_number="4321-IX", act_date=DAYS_AGO)

    def ids(**query):
        response = de_client.get("/api/v1/laws/", query)
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["results"]}

    assert ids(number="1234") == {main.pk}  # an earlier number
    assert ids(number="1234-д") == {main.pk}
    assert ids(number="1234-1") == {hidden.pk}
    assert ids(act_number="4321-IX") == {package.pk}
    assert ids(convocation=9) == {main.pk}
    assert ids(urgent="true") == {main.pk}
    assert de_client.get("/api/v1/laws/", {"relation": "friends"}).status_code == 400
    assert de_client.get("/api/v1/laws/", {"convocation": "ix"}).status_code == 400


@pytest.mark.django_db
def test_tax_measure_shows_only_visible_legal_bases(bills, de_client, fr_client):
    main, hidden, _package = bills
    measure = make_tax_measure(
        legal_basis=main,
        legal_bases=[main, hidden],
        other_kinds=["customs_exemption"],
        sunset_condition="or EU accession, whichever comes first",
    )
    de = de_client.get(f"/api/v1/tax-measures/{measure.pk}/").json()
    fr = fr_client.get(f"/api/v1/tax-measures/{measure.pk}/").json()
    assert {law["id"] for law in de["legal_bases"]} == {main.pk, hidden.pk}
    assert [law["id"] for law in fr["legal_bases"]] == [main.pk]
    assert fr["other_kinds"] == ["customs_exemption"]
    assert fr["sunset_condition"] == "or EU accession, whichever comes first"
    listed = fr_client.get("/api/v1/tax-measures/").json()["results"]
    assert listed[0]["other_kinds"] == ["customs_exemption"]


@pytest.mark.django_db
def test_staff_patch_identifiers_and_partners_may_not(bills, editor_client, de_client, anon):
    main, _, _ = bills
    url = f"/api/v1/laws/{main.pk}/"
    body = {"act_number": "1234-IX", "act_date": DAYS_AGO.isoformat(), "shortened_procedure": True}
    assert de_client.patch(url, body, format="json").status_code == 403
    assert anon.patch(url, body, format="json").status_code == 401
    response = editor_client.patch(url, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["act_number"] == "1234-IX"
    event = Event.objects.filter(type="law.updated", record_id=main.pk).last()
    assert set(event.data["changed"]) == {"act_number", "act_date", "shortened_procedure"}
    feed = de_client.get("/api/v1/events/", {"type": "law.updated"}).json()["results"]
    assert feed[-1]["data"]["changed"] == event.data["changed"]

    refused = editor_client.patch(url, {"title_en": "x"}, format="json")
    assert refused.status_code == 400 and "title_en" in refused.json()["errors"]
    taken = editor_client.patch(url, {"registration_number": "1234-1"}, format="json")
    assert taken.status_code == 400
    assert "Secret alternative" in taken.json()["errors"]["registration_number"][0]


@pytest.mark.django_db
def test_staff_sub_resources(bills, editor_client, de_client):
    main, hidden, package = bills
    base = f"/api/v1/laws/{main.pk}"

    taken = editor_client.post(f"{base}/registration-numbers/", {"number": "1234-1"}, format="json")
    assert taken.status_code == 400
    assert f"id {hidden.pk}" in taken.json()["errors"]["number"][0]
    added = editor_client.post(f"{base}/registration-numbers/", {"number": "1234-0"}, format="json")
    assert added.status_code == 201
    assert "1234-0" in [n["number"] for n in added.json()["registration_numbers"]]
    assert editor_client.delete(f"{base}/registration-numbers/1234-0/").status_code == 204
    assert de_client.delete(f"{base}/registration-numbers/1234/").status_code == 403

    itself = editor_client.post(
        f"{base}/relations/", {"kind": "package_with", "other": main.pk}, format="json"
    )
    assert itself.status_code == 400 and "itself" in itself.json()["detail"]
    twice = editor_client.post(
        f"{base}/relations/", {"kind": "package_with", "other": package.pk}, format="json"
    )
    assert twice.status_code == 400
    assert editor_client.delete(f"{base}/relations/package_with/{package.pk}/").status_code == 204
    assert editor_client.delete(f"{base}/relations/package_with/{package.pk}/").status_code == 400

    committee = editor_client.post(
        f"{base}/committees/", {"name": "Committee on Finance"}, format="json"
    )
    assert committee.status_code == 201
    committee_id = committee.json()["other_committees"][-1]["id"]
    assert editor_client.delete(f"{base}/committees/{committee_id}/").status_code == 204


@pytest.mark.django_db
def test_entries_into_force_and_the_law_in_force(editor_client, de_client):
    law = make_law()
    move(
        law,
        "registered",
        "in_committee",
        "first_reading",
        "adopted_as_whole",
        "signed_by_speaker",
        "sent_to_president",
        "signed_by_president",
        "published",
    )
    published_on = TODAY - datetime.timedelta(days=1)
    base = f"/api/v1/laws/{law.pk}"
    refused = editor_client.post(f"{base}/transitions/", {"to": "in_force"}, format="json")
    assert refused.status_code == 400 and "entry into force" in refused.json()["errors"]["to"][0]

    early = editor_client.post(
        f"{base}/entries-into-force/",
        {"on": (published_on - datetime.timedelta(days=30)).isoformat()},
        format="json",
    )
    assert early.status_code == 400 and "before its publication" in early.json()["detail"]
    first = editor_client.post(
        f"{base}/entries-into-force/",
        {"provisions": "Articles 1-3", "on": TODAY.isoformat()},
        format="json",
    )
    assert first.status_code == 201, first.content
    assert first.json()["effective_date"] == TODAY.isoformat()
    staged = editor_client.post(
        f"{base}/entries-into-force/",
        {"provisions": "Article 4", "condition": "the day the register opens"},
        format="json",
    ).json()
    assert [e["provisions"] for e in staged["entries_into_force"]] == ["Articles 1-3", "Article 4"]

    assert (
        editor_client.post(f"{base}/transitions/", {"to": "in_force"}, format="json").status_code
        == 201
    )
    entries = de_client.get(f"{base}/").json()["entries_into_force"]
    assert entries[1] == {
        "id": entries[1]["id"],
        "provisions": "Article 4",
        "on": None,
        "condition": "the day the register opens",
    }
    for entry in entries[1:]:
        assert editor_client.delete(f"{base}/entries-into-force/{entry['id']}/").status_code == 204
    last = editor_client.delete(f"{base}/entries-into-force/{entries[0]['id']}/")
    assert last.status_code == 400 and "at least one" in last.json()["detail"]


@pytest.mark.django_db
def test_law_detail_queries_do_not_grow_with_relations(bills, de_client):
    main, _hidden, _package = bills

    def count():
        caches["responses"].clear()
        with CaptureQueriesContext(connection) as queries:
            assert de_client.get(f"/api/v1/laws/{main.pk}/").status_code == 200
        return len(queries)

    de_client.get(f"/api/v1/laws/{main.pk}/")
    before = count()
    for _ in range(5):
        other = make_law()
        relate_laws(law=other, kind="alternative_to", other=main, actor=None)
        add_registration_number(law=main, number=f"9{other.pk}", actor=None)
        add_entry_into_force(law=main, condition=f"stage {other.pk}", actor=None)
    assert count() == before
