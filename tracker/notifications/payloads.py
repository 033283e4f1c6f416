"""What a notification says about an event: the same facts for webhooks and e-mails.

A webhook's body is `tracker.events.webhook_payload`: the envelope around the very event
object the change feed lists. E-mails are written from a flat view of it (`event_data`).
"""

from __future__ import annotations

import json
from typing import Any

from tracker import events, links
from tracker.models import Event
from tracker.selectors import changed_fields_seen_by

# What the record's own event says, for the events about its timeline: every field of it is
# what partners see on the timeline itself.
TIMELINE_EVENTS = (".status_changed", ".procedural_event", ".corrected")


def partner_changed_fields(event: Event) -> list[str]:
    # Notifications only ever go to partners.
    return changed_fields_seen_by(event.data, events.PARTNER_READER)


def is_partner_news(event: Event) -> bool:
    """An update that touched only staff-only fields tells partners nothing."""
    if event.type.endswith(".updated") and "changed" in event.data:
        return bool(partner_changed_fields(event))
    return True


def event_data(event: Event) -> dict[str, Any]:
    """What an e-mail about `event` tells: the record (`id`, `type`, `url`), the event's id
    (`event_id`) and the event's `data` as partners read it."""
    if event.type == events.TEST_EVENT_TYPE:
        return events.data_seen_by(event.type, event.data, events.PARTNER_READER)
    data: dict[str, Any] = {
        "event_id": event.pk,
        "id": event.record_id,
        "type": event.record_type,
        "url": links.api_url(event.record_type, event.record_id),
    }
    seen = events.data_seen_by(event.type, event.data, events.PARTNER_READER)
    data.update({k: v for k, v in seen.items() if k not in data})
    return data


def webhook_body(event: Event) -> str:
    """The exact bytes signed and sent; identical on every retry."""
    payload = events.webhook_payload(event)
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
