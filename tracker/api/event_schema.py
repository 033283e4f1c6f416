"""The event object (`tracker.events`) documented action by action, for generated clients.

The feed's `Event` says what every event has; here each action gets its own `Event<Action>`
schema with its `data` (`Event<Action>Data`), and each webhook body its `Webhook<Action>`
schema, which `webhooks_create` documents as callbacks: what your endpoint receives.
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.utils import (
    OpenApiCallback,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers

from tracker.events import EVENT_ACTIONS, TEST_EVENT_TYPE, TOMBSTONE_ACTIONS
from tracker.models import (
    RECORD_MODELS,
    DatePrecision,
    DeadlineKind,
    ProceduralEventKind,
    Visibility,
)
from tracker.models.history import TimelineEntry

from .serializers import EventSerializer, NamedChoiceField, choices_class


def _camel(action: str) -> str:
    return "".join(part.capitalize() for part in action.split("_"))


def _votes() -> dict[str, serializers.Field]:
    return {
        name: serializers.IntegerField(required=False, help_text="Given only when known.")
        for name in TimelineEntry.VOTE_FIELDS
    }


def _entry_fields(*, required: bool) -> dict[str, serializers.Field]:
    """What a timeline entry's event tells of it (`tracker.services.transitions.entry_data`)."""
    return {
        "occurred_on": serializers.CharField(
            required=required,
            allow_null=True,
            help_text="`2025-07-01`, `2025-07` when only the month is known, or null.",
        ),
        "date_precision": NamedChoiceField(DatePrecision, required=required),
        "note": serializers.CharField(required=required, allow_blank=True),
        "source_url": serializers.CharField(required=required, allow_blank=True),
        **_votes(),
    }


def _step_fields(*, required: bool) -> dict[str, serializers.Field]:
    return {
        "step_id": serializers.IntegerField(required=required),
        "from": serializers.CharField(required=required, help_text="The status before."),
        "to": serializers.CharField(required=required, help_text="The status reached."),
        "reopening": serializers.BooleanField(
            required=False, help_text="Present (true) when the step reopens a closed record."
        ),
    }


def _procedural_fields(*, required: bool) -> dict[str, serializers.Field]:
    return {
        "procedural_event_id": serializers.IntegerField(required=required),
        "kind": NamedChoiceField(ProceduralEventKind, required=required),
        "title": serializers.CharField(required=required, allow_blank=True),
    }


class AffectedItemSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["tax_measure", "facility", "programme"])
    id = serializers.IntegerField()
    partner = serializers.IntegerField(
        required=False, help_text="A programme's partner country (its id)."
    )


def _affects() -> serializers.Field:
    return AffectedItemSerializer(
        many=True,
        required=False,
        help_text="What the change touches beyond its record, as far as you may see it: the "
        "tax measures resting on a law, the facilities it enables or whose measures it "
        "carries, the programmes of the partner countries linked to the record. Absent when "
        "it touches nothing.",
    )


def _serializer(name: str, fields: dict[str, serializers.Field], doc: str) -> type:
    if name != "EventWebhookTestData":
        fields = {**fields, "affects": _affects()}
    return type(name, (serializers.Serializer,), {"__doc__": doc, "__module__": __name__, **fields})


DATA_SERIALIZERS: dict[str, type] = {
    "created": _serializer(
        "EventCreatedData",
        {
            "status": serializers.CharField(help_text="The workflow's initial status."),
            "visibility": serializers.ChoiceField(choices=Visibility.choices),
        },
        "A record was created.",
    ),
    "status_changed": _serializer(
        "EventStatusChangedData",
        {
            **_step_fields(required=True),
            **_entry_fields(required=True),
            "inserted": serializers.BooleanField(
                required=False,
                help_text="Present (true) for a step learned late, placed before later ones.",
            ),
            "status": serializers.CharField(
                required=False, help_text="With `inserted`: the record's status now."
            ),
        },
        "A step of the record's workflow, as on its timeline.",
    ),
    "procedural_event": _serializer(
        "EventProceduralEventData",
        {**_procedural_fields(required=True), **_entry_fields(required=True)},
        "A procedural event (a hearing, a failed vote...), as on the record's timeline.",
    ),
    "corrected": _serializer(
        "EventCorrectedData",
        {
            "action": serializers.ChoiceField(choices=["corrected", "retracted"]),
            "entry": serializers.ChoiceField(choices=["status_change", "procedural_event"]),
            "entry_id": serializers.IntegerField(
                help_text="The entry that now stands (corrected) or was taken back (retracted)."
            ),
            "replaces": serializers.IntegerField(
                required=False, help_text="Corrections: the entry this one replaces."
            ),
            "reason": serializers.CharField(),
            "status": serializers.CharField(help_text="The record's status now."),
            "previous_status": serializers.CharField(
                required=False, help_text="Retractions: the status before."
            ),
            **_step_fields(required=False),
            **_procedural_fields(required=False),
            **_entry_fields(required=False),
        },
        "A timeline entry was corrected (the corrected entry's fields follow) or retracted.",
    ),
    "updated": _serializer(
        "EventUpdatedData",
        {
            "changed": serializers.ListField(
                child=serializers.CharField(), help_text="The names of the fields that changed."
            ),
            "archived": serializers.BooleanField(
                required=False, help_text="Present (false) when an archived record is restored."
            ),
        },
        "Fields of the record changed.",
    ),
}

_DEADLINE_FIELDS = {
    "deadline": serializers.CharField(
        help_text="The deadline's key (e.g. `law:7:president:2`), as in the record's "
        "`deadlines` and `GET /api/v1/deadlines/`."
    ),
    "kind": NamedChoiceField(DeadlineKind),
    "title": serializers.CharField(help_text="What is due, in English."),
    "title_uk": serializers.CharField(help_text="What is due, in Ukrainian."),
    "due_on": serializers.DateField(),
    "legal_basis": serializers.CharField(allow_blank=True),
    "counts_from": serializers.ListField(
        child=serializers.DictField(), help_text="The dates the deadline counts from."
    ),
    "source_url": serializers.CharField(allow_blank=True),
    "days_left": serializers.IntegerField(allow_null=True),
    "days_overdue": serializers.IntegerField(allow_null=True),
    "deemed_approved": serializers.BooleanField(
        help_text="The President's 15 days passed with no answer: deemed approved (art. 94)."
    ),
}
DATA_SERIALIZERS["deadline_approaching"] = _serializer(
    "EventDeadlineApproachingData",
    dict(_DEADLINE_FIELDS),
    "A deadline of the record is near (or due today); sent once per deadline and date.",
)
DATA_SERIALIZERS["deadline_missed"] = _serializer(
    "EventDeadlineMissedData",
    dict(_DEADLINE_FIELDS),
    "A deadline someone had to meet has passed with nothing recorded; sent once.",
)


@extend_schema_field(
    {
        "type": "object",
        "description": "Empty (`{}`) for partners: a tombstone names the record by "
        "`record_type` and `record_id` only. Staff reading the feed also see what a deletion "
        "removed (`label`, `status`).",
    }
)
class TombstoneDataField(serializers.DictField):
    pass


DATA_SERIALIZERS.update(dict.fromkeys(TOMBSTONE_ACTIONS, TombstoneDataField))
TEST_DATA = _serializer(
    "EventWebhookTestData",
    {
        "message": serializers.CharField(),
        "subscription_id": serializers.IntegerField(help_text="The subscription tested."),
    },
    "A test delivery asked for with `POST /api/v1/webhooks/<id>/test/`.",
)

ACTION_DESCRIPTIONS = {
    "created": "A record you may see was created.",
    "status_changed": "A record moved to another status.",
    "procedural_event": "A procedural event was recorded on a record's timeline.",
    "corrected": "An entry of a record's timeline was corrected or retracted.",
    "updated": "A record's fields changed (staff-only field names are left out).",
    "deadline_approaching": "A deadline of a record you may see is near: configurable days "
    "before (default 7), once per deadline and date; again only if the deadline moves.",
    "deadline_missed": "A deadline someone had to meet passed with nothing recorded: once per "
    "deadline and date. Nothing changes a status by itself.",
    "archived": "Tombstone: a record you could see was archived; you no longer see it.",
    "deleted": "Tombstone: a record you could see was deleted.",
    "hidden": "Tombstone: a record you could see is no longer visible to you (its "
    "visibility changed, or your country was unlinked from it).",
}


def _event_serializer(name: str, types: list[str], data: type, doc: str) -> type:
    """`EventSerializer` with `type` narrowed to `types` and `data` documented as `data`."""
    type_field = NamedChoiceField(choices_class(f"{name}Type", types), read_only=True)
    if name == "EventWebhookTest":
        record_fields = {
            "record_type": serializers.CharField(read_only=True, help_text="Empty."),
            "record_id": serializers.IntegerField(read_only=True, allow_null=True),
        }
    else:
        record_fields = {}
    return type(
        name,
        (EventSerializer,),
        {
            "__doc__": doc,
            "__module__": __name__,
            "type": type_field,
            "data": data(read_only=True),
            **record_fields,
        },
    )


EVENT_SERIALIZERS: dict[str, type] = {
    action: _event_serializer(
        f"Event{_camel(action)}",
        [f"{record}.{action}" for record in RECORD_MODELS],
        DATA_SERIALIZERS[action],
        ACTION_DESCRIPTIONS[action],
    )
    for action in EVENT_ACTIONS
}
TEST_EVENT = _event_serializer(
    "EventWebhookTest", [TEST_EVENT_TYPE], TEST_DATA, "A test delivery: `webhook.test`."
)


def _webhook_serializer(name: str, event: type) -> type:
    return type(
        name,
        (serializers.Serializer,),
        {
            "__doc__": f"The body of a webhook delivery: {event.__doc__}",
            "__module__": __name__,
            "type": NamedChoiceField(event._declared_fields["type"].choices_class),
            "timestamp": serializers.DateTimeField(help_text="When it occurred, in UTC."),
            "data": event(help_text="The event, exactly as the change feed lists it."),
        },
    )


WEBHOOK_SERIALIZERS: dict[str, type] = {
    action: _webhook_serializer(f"Webhook{_camel(action)}", event)
    for action, event in EVENT_SERIALIZERS.items()
}
WEBHOOK_SERIALIZERS[TEST_EVENT_TYPE] = _webhook_serializer("WebhookTest", TEST_EVENT)


class ReceiverSchema(openapi.AutoSchema):
    """The partner's endpoint, as a callback: none of this API's own error answers."""


def _receiving(body: type, description: str):
    def decorate(view_class):
        view_class.schema = ReceiverSchema()
        return extend_schema(
            request=body,
            responses={
                "2XX": OpenApiResponse(description="Received: any 2xx within the timeout."),
                "410": OpenApiResponse(description="Gone: switches the subscription off."),
            },
            summary=description,
            description="Any other answer, a redirect or a timeout is retried with the same "
            "`webhook-id`.",
        )(view_class)

    return decorate


CALLBACKS = [
    OpenApiCallback(
        action if action == TEST_EVENT_TYPE else f"<record>.{action}",
        "{$request.body#/url}",
        _receiving(body, ACTION_DESCRIPTIONS.get(action, "A test delivery you asked for.")),
    )
    for action, body in WEBHOOK_SERIALIZERS.items()
]
