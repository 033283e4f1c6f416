"""What a notification says about an event: the same facts for webhooks and e-mails."""

from __future__ import annotations

import json
from typing import Any

from tracker import links
from tracker.models import Event
from tracker.selectors import Viewer, changed_fields_seen_by

# What the record's own event says, for the events about its timeline: every field of it is
# what partners see on the timeline itself.
TIMELINE_EVENTS = (".status_changed", ".procedural_event", ".corrected")


def partner_changed_fields(event: Event) -> list[str]:
    # Notifications only ever go to partners.
    return changed_fields_seen_by(event.data, Viewer(partner_id=0))


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
        "url": links.api_url(event.record_type, event.record_id),
    }
    if event.type.endswith(TIMELINE_EVENTS):
        data.update({k: v for k, v in event.data.items() if k not in data})
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
