"""The OpenAPI schema: valid, free of generator warnings, and what the server actually serves."""

import io
import json

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

ERROR_CODES_EVERYWHERE = {"401", "404", "406", "429", "500"}


@pytest.fixture(scope="module")
def served():
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert yaml.safe_load(target.read_text())["openapi"].startswith("3.")


def test_served_schema_is_the_one_the_code_generates(served):
    fresh = SchemaGenerator().get_schema(request=None, public=True)
    # Round-trip through JSON so that lazy strings and tuples compare as served.
    out = io.StringIO()
    call_command("spectacular", "--format", "openapi-json", stdout=out)
    assert served == json.loads(out.getvalue())
    assert set(served["paths"]) == set(fresh["paths"])


def test_every_operation_documents_its_errors_as_problems(served):
    operations = [
        (path, method, operation)
        for path, item in served["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) >= 17
    for path, method, operation in operations:
        codes = set(operation["responses"])
        assert codes >= ERROR_CODES_EVERYWHERE, (path, method)
        for code in {c for c in codes if not c.startswith("2")} - {"304"}:
            content = operation["responses"][code]["content"]
            assert list(content) == ["application/problem+json"], (path, method, code)
        if method == "post":
            assert {"400", "403", "409"} <= codes


def test_status_enums_are_named(served):
    schemas = served["components"]["schemas"]
    for name in (
        "LawStatus",
        "TaxMeasureStatus",
        "FacilityStatus",
        "CooperationStatus",
        "Visibility",
        "Problem",
    ):
        assert name in schemas
    assert "drafting" in schemas["LawStatus"]["enum"]
    assert schemas["Law"]["properties"]["status"]["allOf"][0]["$ref"].endswith("/LawStatus")


def test_staff_only_fields_are_optional_in_the_schema(served):
    facility = served["components"]["schemas"]["FacilityDetail"]
    assert "exact_site" in facility["properties"]
    assert "exact_site" not in facility["required"]
    assert "status" in facility["required"]


def test_every_path_is_documented(served):
    paths = set(served["paths"])
    for resource in ("laws", "tax-measures", "facilities", "partners"):
        for suffix in ("", "{id}/", "{id}/history/", "{id}/transitions/"):
            assert f"/api/v1/{resource}/{suffix}" in paths
    assert "/api/v1/events/" in paths


@pytest.mark.django_db
def test_interactive_docs_are_served_without_a_cdn():
    response = APIClient().get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "jsdelivr" not in html.lower()
    assert "/api/v1/schema/" in html


INT64_ID = {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1}


def test_record_ids_are_int64_integers(served):
    schemas = served["components"]["schemas"]
    for name in ("Law", "LawDetail", "TaxMeasure", "Facility", "Partner", "LawSummary"):
        assert schemas[name]["properties"]["id"]["type"] == "integer", name
        assert schemas[name]["properties"]["id"]["format"] == "int64", name
    assert schemas["LawTimelineEntry"]["properties"]["id"]["format"] == "int64"
    assert schemas["RelationInputRequest"]["properties"]["other"]["format"] == "int64"
    for name, field in (("Event", "id"), ("Event", "record_id"), ("DeliveryOutput", "event_id")):
        assert schemas[name]["properties"][field]["format"] == "int64", (name, field)
    path_ids = [
        (path, parameter["name"], parameter["schema"])
        for path, item in served["paths"].items()
        for operation in item.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and parameter["name"] in ("id", "entry_id", "other_id")
    ]
    assert len(path_ids) > 20
    for path, name, schema in path_ids:
        assert schema == INT64_ID, (path, name)


def test_staff_calling_partner_only_endpoints_is_documented_as_403(served):
    for path in ("/api/v1/webhooks/", "/api/v1/webhooks/{id}/deliveries/"):
        assert "403" in served["paths"][path]["get"]["responses"], path
    # Reads anyone may make have no 403 to document.
    assert "403" not in served["paths"]["/api/v1/laws/"]["get"]["responses"]


@pytest.mark.django_db
def test_the_403_is_what_staff_get_there(editor_client):
    response = editor_client.get("/api/v1/webhooks/")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


def _validator(served, name: str):
    from jsonschema import Draft4Validator

    schema = {**served["components"]["schemas"][name], "components": served["components"]}

    def resolve(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(served["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]])
            return {k: resolve(v) for k, v in node.items() if k != "nullable"}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return Draft4Validator(resolve(schema))


@pytest.mark.django_db
def test_errors_of_list_fields_are_documented_as_returned(served, de_client, editor_client):
    from tests.factories import make_law

    problem = _validator(served, "Problem")
    body = {"url": "http://127.0.0.1/hook", "event_types": ["law.*", "no.such.type"]}
    refused = de_client.post("/api/v1/webhooks/", body, format="json")
    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert set(errors) == {"event_types"}
    assert list(errors["event_types"]) == ["1"] and isinstance(errors["event_types"]["1"], list)
    problem.validate(refused.json())

    law = make_law()
    # A service-side message given as a plain string comes back as a list all the same.
    month = {"to": "registered", "occurred_on": "2025-07", "date_precision": "day"}
    refused = editor_client.post(f"/api/v1/laws/{law.pk}/transitions/", month, format="json")
    assert refused.status_code == 400
    assert isinstance(refused.json()["errors"]["occurred_on"], list)
    problem.validate(refused.json())

    documented = served["components"]["schemas"]["Problem"]["properties"]["errors"]
    shapes = documented["additionalProperties"]["oneOf"]
    assert {shape["type"] for shape in shapes} == {"array", "object"}


def test_the_readme_documents_every_webhook_setting():
    import re
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.BASE_DIR)
    read = set()
    for module in (root / "config" / "settings").glob("*.py"):
        read |= set(re.findall(r'"(WEBHOOKS_[A-Z_]+)"', module.read_text()))
    rows = [
        line for line in (root / "README.md").read_text().splitlines() if line.startswith("| `")
    ]
    documented = set(re.findall(r"`(WEBHOOKS_[A-Z_]+)`", "\n".join(rows)))
    assert {"WEBHOOKS_ALLOW_PRIVATE_TARGETS", "WEBHOOKS_REQUIRE_HTTPS"} <= read
    assert read - documented == set()
