"""What a notification says about an event: the same facts for webhooks and e-mails."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings

from tracker.models import Event

# URL segment of each record type in the partner API.
API_RESOURCES = {
    "law": "laws",
    "tax_measure": "tax-measures",
    "facility": "facilities",
    "partner": "partners",
}
# Fields whose changes are staff business; a partner hears neither their values nor names.
STAFF_ONLY_FIELDS = frozenset({"internal_notes", "exact_site", "contacts", "notification_emails"})
STATUS_CHANGE_FIELDS = ("from", "to", "occurred_on", "note", "source_url")


def record_url(record_type: str, record_id: int | None) -> str | None:
    resource = API_RESOURCES.get(record_type)
    if resource is None or record_id is None:
        return None
    return f"{settings.TRACKER_BASE_URL.rstrip('/')}/api/v1/{resource}/{record_id}/"


def partner_changed_fields(event: Event) -> list[str]:
    return [f for f in event.data.get("changed", []) if f not in STAFF_ONLY_FIELDS]


def is_partner_news(event: Event) -> bool:
    """An update that touched only staff-only fields tells partners nothing."""
    if event.type.endswith(".updated") and "changed" in event.data:
        return bool(partner_changed_fields(event))
    return True


def event_data(event: Event) -> dict[str, Any]:
    if event.type == "webhook.test":
        return {"message": "This is a test delivery.", **event.data}
    data: dict[str, Any] = {
        "event_id": event.pk,
        "id": event.record_id,
        "type": event.record_type,
        "url": record_url(event.record_type, event.record_id),
    }
    if event.type.endswith(".status_changed"):
        data.update({key: event.data.get(key) for key in STATUS_CHANGE_FIELDS})
    elif event.type.endswith(".updated"):
        data["changed"] = partner_changed_fields(event)
        if "archived" in event.data:
            data["archived"] = event.data["archived"]
    return data


def webhook_body(event: Event) -> str:
    """The exact bytes signed and sent; identical on every retry."""
    payload = {
        "type": event.type,
        "timestamp": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": event_data(event),
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
