"""A real bill replayed through the staff API, read back by two partners, the feed and webhooks.

The history is that of bill 2398-д "On Defence Procurement" (Law 808-IX), as the demo data
records it from public sources: an earlier number, steps whose dates no source gives, a
committee conclusion, a failed vote, a repeated second reading, a correction, an alternative
bill, and staged entry into force. Germany is linked to the restricted alternative bill,
France is not.
"""

from __future__ import annotations

import json

from django.urls import reverse
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from tests.factories import make_law, make_partner
from tests.notifications.marks import committing
from tracker.models import Visibility
from tracker.services.api_keys import api_key_issue
from tracker.services.subscriptions import webhook_subscription_create

pytestmark = committing

CARD = "https://itd.rada.gov.ua/billInfo/Bills/Card/2398"


def _partner_client(partner) -> APIClient:
    _, key = api_key_issue(partner=partner, name="system")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def _ok(response, code=201):
    assert response.status_code == code, response.content
    return response.json()


def test_a_real_bill_replayed_through_the_staff_api_reads_back_the_same_everywhere(
    editor, receiver, inline_tasks, client
):
    germany, france = make_partner("DE"), make_partner("FR")
    _, de_secret = webhook_subscription_create(
        partner=germany, url=receiver.url("/de"), event_types=["law.*"]
    )
    webhook_subscription_create(partner=france, url=receiver.url("/fr"), event_types=["law.*"])
    law = make_law(
        title_en="On Defence Procurement",
        title_uk="Про оборонні закупівлі",
        visibility=Visibility.PUBLIC,
    )
    alternative = make_law(
        title_en="On Defence Procurement (alternative)",
        title_uk="Про оборонні закупівлі (альтернативний)",
        visibility=Visibility.RESTRICTED,
        partners=[germany],
    )
    staff = APIClient()
    staff.force_login(editor)
    base = f"/api/v1/laws/{law.pk}/"

    def step(to, on, **extra):
        return _ok(
            staff.post(
                f"{base}transitions/",
                {"to": to, "occurred_on": on, "source_url": CARD, **extra},
                format="json",
            )
        )

    def procedural(kind, on, **extra):
        return _ok(
            staff.post(
                f"{base}procedural-events/",
                {"kind": kind, "occurred_on": on, "source_url": CARD, **extra},
                format="json",
            )
        )

    _ok(
        staff.patch(
            base,
            {"registration_number": "2398-д", "registration_date": "2019-11-27", "convocation": 9},
            format="json",
        ),
        200,
    )
    _ok(staff.post(f"{base}registration-numbers/", {"number": "2398"}, format="json"))
    _ok(
        staff.post(
            f"/api/v1/laws/{alternative.pk}/relations/",
            {"kind": "alternative_to", "other": law.pk},
            format="json",
        )
    )
    step("registered", "2019-11-27")
    step("in_committee", None)
    step("first_reading", None)
    step("adopted_in_principle", None)
    procedural("committee_conclusion", "2020-02-21", title="Conclusion for the second reading")
    step("second_reading", "2020-05-13")
    refused = staff.post(
        f"{base}transitions/",
        {"to": "adopted_as_whole", "occurred_on": "2020-05-13", "votes_for": 220},
        format="json",
    )
    assert refused.status_code == 400
    assert "failed vote" in json.dumps(refused.json(), ensure_ascii=False)
    procedural("failed_vote", "2020-05-13", title="Adoption as a whole", votes_for=220)
    step("second_reading", "2020-07-17")
    step("adopted_as_whole", "2020-07-17", votes_for=276, votes_against=2, abstained=9)
    step("signed_by_speaker", None)
    step("sent_to_president", None)
    step("signed_by_president", "2020-08-11")
    history = _ok(staff.get(f"{base}history/"), 200)
    signed = next(e for e in history if e.get("to_status") == "signed_by_president")
    _ok(
        staff.post(
            f"{base}history/status_change/{signed['id']}/correct/",
            {"occurred_on": "2020-08-12", "reason": "The law's own page gives 12 August."},
            format="json",
        )
    )
    step("published", None)
    _ok(staff.post(f"{base}entries-into-force/", {"on": "2021-01-01"}, format="json"))
    _ok(
        staff.post(
            f"{base}entries-into-force/",
            {"provisions": "Final provisions, item 2", "condition": "as the final section says"},
            format="json",
        )
    )
    step("in_force", "2021-01-01")
    _ok(staff.patch(base, {"act_number": "808-IX", "act_date": "2020-07-17"}, format="json"), 200)

    # --- What the partners read -------------------------------------------------------
    de, fr = _partner_client(germany), _partner_client(france)
    staff_history = _ok(staff.get(f"{base}history/"), 200)
    de_history = _ok(de.get(f"{base}history/"), 200)
    fr_history = _ok(fr.get(f"{base}history/"), 200)
    assert de_history == fr_history
    # Staff also see the original of the corrected step; partners the timeline as it stands.
    assert len(staff_history) == len(de_history) + 1
    assert [e["id"] for e in de_history] == [
        e["id"] for e in staff_history if e.get("state", "active") == "active"
    ]
    assert "correction_reason" not in json.dumps(de_history)
    assert [(e.get("to_status") or e["kind"], e["occurred_on"]) for e in de_history] == [
        ("registered", "2019-11-27"),
        ("in_committee", None),
        ("first_reading", None),
        ("adopted_in_principle", None),
        ("committee_conclusion", "2020-02-21"),
        ("second_reading", "2020-05-13"),
        ("failed_vote", "2020-05-13"),
        ("second_reading", "2020-07-17"),
        ("adopted_as_whole", "2020-07-17"),
        ("signed_by_speaker", None),
        ("sent_to_president", None),
        ("signed_by_president", "2020-08-12"),
        ("published", None),
        ("in_force", "2021-01-01"),
    ]
    de_law = _ok(de.get(base), 200)
    fr_law = _ok(fr.get(base), 200)
    assert de_law["status"] == fr_law["status"] == "in_force"
    assert de_law["act_number"] == "808-IX"
    assert de_law["effective_date"] == "2021-01-01"
    assert [n["number"] for n in de_law["registration_numbers"]] == ["2398-д", "2398"]
    assert len(de_law["entries_into_force"]) == 2
    # The restricted alternative is Germany's to see, not France's: not even its id.
    assert [r["law"]["id"] for r in de_law["relations"]] == [alternative.pk]
    assert fr_law["relations"] == []
    assert str(alternative.pk) not in json.dumps(fr_law["relations"])

    # --- The feed and the webhooks tell the same story --------------------------------
    feed = _ok(de.get("/api/v1/events/", {"limit": 500}), 200)["results"]
    about_law = [e for e in feed if e["record_id"] == law.pk and e["record_type"] == "law"]
    types = [e["type"] for e in about_law]
    assert types.count("law.status_changed") == 12
    assert types.count("law.procedural_event") == 2
    assert types.count("law.corrected") == 1
    fr_feed = _ok(fr.get("/api/v1/events/", {"limit": 500}), 200)["results"]
    assert [
        e for e in fr_feed if e["record_id"] == law.pk and e["record_type"] == "law"
    ] == about_law
    assert not [
        e for e in fr_feed if e["record_id"] == alternative.pk and e["record_type"] == "law"
    ]

    delivered = {}
    for request in receiver.requests:
        if request.path == "/de":
            payload = Webhook(de_secret).verify(request.body, request.headers)
            delivered[payload["data"]["id"]] = payload
    assert {r.path for r in receiver.requests} == {"/de", "/fr"}
    timeline_events = [e for e in about_law if e["type"] not in ("law.created", "law.updated")]
    assert len(timeline_events) == 15
    # Each delivery's `data` is the feed's event object, the record's address aside (the feed
    # names it from the request's host, webhooks from TRACKER_BASE_URL).
    for event in about_law:
        payload = delivered[event["id"]]
        assert payload["type"] == event["type"]
        sent = dict(payload["data"])
        assert sent.pop("record_url").endswith(f"/api/v1/laws/{law.pk}/")
        assert sent == {k: v for k, v in event.items() if k != "record_url"}, event["type"]
    fr_records = set()
    for request in receiver.requests:
        if request.path == "/fr":
            event = json.loads(request.body)["data"]
            fr_records.add((event["record_type"], event["record_id"]))
    assert ("law", alternative.pk) not in fr_records

    # --- The public page ----------------------------------------------------------------
    page = client.get(reverse("web:law-detail", args=[law.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "808-IX" in text and "2398" in text
    assert "date not known" in text
    assert "Failed vote" in text
    assert alternative.title_en not in text
