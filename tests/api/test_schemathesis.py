"""Schema-driven fuzzing: generated requests against the served schema, through the WSGI app.

Bounded (examples, coverage and fuzzing phases, a few examples each) so that it runs in
`make test`. Every response must be a non-5xx that conforms to the schema.
"""

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.factories import make_facility, make_law, make_partner, make_tax_measure, move
from tracker.models import Visibility
from tracker.services.api_keys import api_key_issue

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": 8, "deterministic": True, "no-shrink": True},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "operations": [
            {
                # Subscribing checks what no schema can say: the URL must resolve to a public
                # address, a record filter must name a record the partner may see.
                "include-path-regex": "^/api/v1/(webhooks|email-subscriptions)/",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]
                    }
                },
            }
        ],
    }
)


@pytest.fixture
def api_data(db, germany, france, settings):
    settings.REST_FRAMEWORK = {
        **django_settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/min", "partner": "100000/min", "staff": "1/min"},
    }
    poland = make_partner("PL", visibility=Visibility.RESTRICTED)
    law = make_law(
        partners=[germany],
        visibility=Visibility.RESTRICTED,
        registration_number="1",
        registration_date="2025-01-01",
    )
    make_law(partners=[france], visibility=Visibility.PUBLIC)
    measure = make_tax_measure(
        partners=[germany, poland], legal_basis=law, amount="10.00", amount_currency="EUR"
    )
    facility = make_facility(
        partners=[germany], exact_site="secret", investment="5.5", investment_currency="EUR"
    )
    facility.enabling_laws.add(law)
    facility.tax_measures.add(measure)
    move(law, "registered", "in_committee", "first_reading")
    _, key = api_key_issue(partner=germany, name="fuzz")
    # Requests go through the real WSGI handler, which closes the connection after each
    # request; keep it (and the test's transaction) open, as Django's test client does.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield key
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _load_schema():
    # Loaded at collection: generating the schema reads code, not the database.
    from config.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application, config=CONFIG)


schema = _load_schema()


def _call_and_validate(case, **kwargs):
    # A cursor is opaque: only one the API gave is accepted, which no schema can say, so a
    # generated one is a 400 (tests/api/test_http.py). Every other check still applies.
    if (case.query or {}).get("cursor") is not None:
        kwargs["excluded_checks"] = [positive_data_acceptance]
    case.call_and_validate(**kwargs)


@pytest.mark.slow
@schema.parametrize()
@hypothesis_settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_api_as_anonymous_caller(case, api_data):
    _call_and_validate(case)


@pytest.mark.slow
@schema.parametrize()
@hypothesis_settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_api_as_partner(case, api_data):
    _call_and_validate(case, headers={"Authorization": f"Api-Key {api_data}"})
