"""The one representation of an event: an item of the change feed and a webhook's `data`.

An event object reads

    {"id": 42, "type": "law.status_changed", "record_type": "law", "record_id": 7,
     "record_url": "https://tracker.example/api/v1/laws/7/",
     "occurred_at": "2025-07-01T12:00:00.123456+03:00", "data": {...}}

- `GET /api/v1/events/` lists these objects and `GET /api/v1/events/<id>/` returns one;
- a webhook delivery's body is `{"type": <the event's type>, "timestamp": <when it occurred,
  UTC>, "data": <this object>}`, signed as Standard Webhooks says (`webhook_payload`).

What `data` holds depends on the action (the part of `type` after the dot):

- `created`: `status`, `visibility`;
- `status_changed`: the step: `step_id`, `from`, `to`, `occurred_on`, `date_precision`,
  `note`, `source_url`, the vote counts given, `reopening`; `inserted` and `status` for a step
  learned late;
- `procedural_event`: the entry: `procedural_event_id`, `kind`, `title`, `occurred_on`,
  `date_precision`, `note`, `source_url`, the vote counts given;
- `corrected`: `action` (`corrected` or `retracted`), `entry`, `entry_id`, `replaces`,
  `reason`, `status`, `previous_status`, and the entry as it now reads;
- `updated`: `changed`, the names of the fields that changed; `archived: false` on a restore;
- `deadline_approaching`, `deadline_missed`: the deadline (docs/deadlines.md): `deadline`
  (its key), `kind`, `title`, `due_on`, `legal_basis`, `counts_from`, `source_url`,
  `days_left`, `days_overdue`, `deemed_approved`; sent once per deadline and date;
- `archived`, `deleted`, `hidden`: nothing (`{}`), tombstones (below).

Every other event also carries `affects` when the change touches something beyond its record
(`tracker.selectors.affected_by`): the tax measures resting on a law, the facilities a law
enables or whose measures it carries, the programmes of the partner countries the record is
linked to, as `{"type", "id"}` items (a programme also names its `partner`). Each reader is
given only the items it may see; the event stores all of them.

A tombstone tells a partner that a record it could see just before is gone for it: archived,
deleted, or made invisible to it (its visibility changed or the partner was unlinked). It
names the record by type and id only; its `record_url` is null. It goes only to the partner
countries that could see the record (`Event.audience`), and to staff, who also read what a
deletion removed (`label`, `status`).

Staff-only field names never leave the staff side: partners' `changed` lists leave them out.
The feed builds `record_url` from the request's host, webhooks from `TRACKER_BASE_URL`;
everything else is the same for the same reader.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from tracker import links
from tracker.models import RECORD_MODELS, Event
from tracker.selectors import Viewer, affects_for, affects_seen_by, event_data_seen_by

TOMBSTONE_ACTIONS = ("archived", "deleted", "hidden")
EVENT_ACTIONS = (
    "created",
    "status_changed",
    "procedural_event",
    "corrected",
    "updated",
    "deadline_approaching",
    "deadline_missed",
    *TOMBSTONE_ACTIONS,
)
# Every type the feed can show; `webhook.test` goes only to the endpoint being tested.
EVENT_TYPES = tuple(f"{r}.{a}" for r in RECORD_MODELS for a in EVENT_ACTIONS)
TEST_EVENT_TYPE = "webhook.test"
TEST_MESSAGE = "This is a test delivery."

# Webhooks and e-mails only ever go to partners: what any partner may read of an event.
PARTNER_READER = Viewer(partner_id=0)


def is_tombstone(event_type: str) -> bool:
    record_type, _, action = event_type.rpartition(".")
    return record_type in RECORD_MODELS and action in TOMBSTONE_ACTIONS


def format_datetime(value: datetime.datetime) -> str:
    """ISO 8601 in the current time zone, `Z` for UTC: what the API writes for every time."""
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def data_seen_by(
    event_type: str,
    data: dict[str, Any],
    viewer: Viewer,
    seen: set[tuple[str, int]] | None = None,
) -> dict[str, Any]:
    """An event's `data` as `viewer` may read it. `seen`: the `affects` items `viewer` may
    see, when the caller found them for a whole page of events (else found here)."""
    if event_type == TEST_EVENT_TYPE:
        return {"message": TEST_MESSAGE, **data}
    if is_tombstone(event_type) and not viewer.is_staff:
        return {}
    data = event_data_seen_by(data, viewer)
    if data.get("affects") and not viewer.is_staff:
        if seen is None:
            seen = affects_seen_by(viewer, [data["affects"]])
        data = {**data, "affects": affects_for(data["affects"], seen)}
    return data


def event_object(
    *,
    id: int,
    type: str,
    record_type: str,
    record_id: int | None,
    occurred_at: datetime.datetime,
    data: dict[str, Any],
    viewer: Viewer,
    record_url: str | None,
    seen: set[tuple[str, int]] | None = None,
) -> dict[str, Any]:
    """The event as `viewer` reads it; `record_url` is where its record lives for them."""
    if is_tombstone(type) and not viewer.is_staff:
        record_url = None  # the record is gone for them
    return {
        "id": id,
        "type": type,
        "record_type": record_type,
        "record_id": record_id,
        "record_url": record_url,
        "occurred_at": format_datetime(occurred_at),
        "data": data_seen_by(type, data, viewer, seen),
    }


def webhook_payload(event: Event) -> dict[str, Any]:
    """The body of a webhook delivery of `event`: the envelope around the event object."""
    return {
        "type": event.type,
        "timestamp": event.occurred_at.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z"),
        "data": event_object(
            id=event.pk,
            type=event.type,
            record_type=event.record_type,
            record_id=event.record_id,
            occurred_at=event.occurred_at,
            data=event.data,
            viewer=PARTNER_READER,
            record_url=links.api_url(event.record_type, event.record_id),
        ),
    }
