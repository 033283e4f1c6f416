"""The schema documents the event object, every event type's webhook body and the enums."""

import pytest
from rest_framework.test import APIClient

from tracker.events import EVENT_ACTIONS, EVENT_TYPES
from tracker.models import RECORD_MODELS


@pytest.fixture(scope="module")
def schema():
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _resolve(schema, node):
    while "$ref" in node or "allOf" in node:
        node = node["allOf"][0] if "allOf" in node else node
        if "$ref" in node:
            node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_event_type_and_event_types_are_enums(schema):
    schemas = schema["components"]["schemas"]
    assert set(_resolve(schema, schemas["Event"]["properties"]["type"])["enum"]) == set(EVENT_TYPES)
    assert {"law.archived", "facility.deleted", "partner.hidden"} <= set(EVENT_TYPES)
    patterns = set(EVENT_TYPES) | {f"{r}.*" for r in RECORD_MODELS} | {"*"}
    for name in ("WebhookInputRequest", "WebhookOutput", "EmailSubscriptionOutput"):
        items = schemas[name]["properties"]["event_types"]["items"]
        assert set(_resolve(schema, items)["enum"]) == patterns, name


def test_every_event_type_has_its_documented_webhook_body(schema):
    schemas = schema["components"]["schemas"]
    create = schema["paths"]["/api/v1/webhooks/"]["post"]
    callbacks = create["callbacks"]
    assert set(callbacks) == {f"<record>.{a}" for a in EVENT_ACTIONS} | {"webhook.test"}
    documented = set()
    for name, callback in callbacks.items():
        (operation,) = callback["{$request.body#/url}"].values()
        body = _resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
        assert set(body["properties"]) == {"type", "timestamp", "data"}, name
        types = set(_resolve(schema, body["properties"]["type"])["enum"])
        documented |= types
        event = _resolve(schema, body["properties"]["data"])
        assert set(event["properties"]) == set(schemas["Event"]["properties"]), name
        assert types == set(_resolve(schema, event["properties"]["type"])["enum"]), name
    assert documented == set(EVENT_TYPES) | {"webhook.test"}
    step = _resolve(schema, schemas["EventStatusChanged"]["properties"]["data"])
    assert {"from", "to", "occurred_on", "step_id"} <= set(step["required"])


def test_one_event_is_documented(schema):
    operation = schema["paths"]["/api/v1/events/{id}/"]["get"]
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/Event"}
    assert "404" in operation["responses"]
