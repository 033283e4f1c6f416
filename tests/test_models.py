"""Model constraints hold through validation and, when validation is bypassed, in the database."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.factories import make_law
from tracker.models import DraftLaw, Facility, StatusChange, TaxMeasure

DAY = datetime.date(2025, 3, 10)


def _law(**values) -> DraftLaw:
    return DraftLaw(title_en="A law", title_uk="Закон", **values)


def _measure(**values) -> TaxMeasure:
    return TaxMeasure(name_en="A measure", name_uk="Захід", kind="vat_exemption", **values)


def _facility(**values) -> Facility:
    defaults = {"name_en": "A plant", "name_uk": "Завод", "country": "UA"}
    return Facility(**{**defaults, "product_category": "drones", **values})


def _refused_by_the_database(obj) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        obj.save()


@pytest.mark.django_db
def test_registration_numbers_are_unique():
    make_law(registration_number="DEMO-1", registration_date=DAY)
    duplicate = _law(registration_number="DEMO-1", registration_date=DAY)
    with pytest.raises(ValidationError) as refused:
        duplicate.full_clean()
    assert "registration number exists" in str(refused.value)
    _refused_by_the_database(duplicate)


@pytest.mark.django_db
@pytest.mark.parametrize("blank", [None, "", "  "])
def test_many_laws_may_be_unregistered(blank):
    for _ in range(2):
        law = _law(registration_number=blank)
        law.full_clean()
        law.save()
    assert DraftLaw.objects.filter(registration_number__isnull=True).count() == 2


@pytest.mark.django_db
def test_a_registration_number_may_be_known_without_its_date():
    law = _law(registration_number="DEMO-2")
    law.full_clean()
    law.save()
    assert DraftLaw.objects.get(pk=law.pk).registration_date is None


@pytest.mark.django_db
def test_a_planned_date_needs_a_planned_step():
    law = _law(planned_next_step_on=DAY)
    with pytest.raises(ValidationError):
        law.full_clean()
    _refused_by_the_database(law)


@pytest.mark.django_db
@pytest.mark.parametrize("sunset", [DAY, DAY - datetime.timedelta(days=1)])
def test_sunset_comes_after_the_start(sunset):
    measure = _measure(starts_on=DAY, sunset_on=sunset)
    with pytest.raises(ValidationError) as refused:
        measure.full_clean()
    assert "sunset date must come after" in str(refused.value)
    _refused_by_the_database(measure)


@pytest.mark.django_db
def test_a_sunset_after_the_start_is_fine():
    measure = _measure(starts_on=DAY, sunset_on=DAY + datetime.timedelta(days=1))
    measure.full_clean()
    measure.save()


@pytest.mark.django_db
@pytest.mark.parametrize("rate", ["-0.01", "100.01"])
def test_rate_is_a_percentage(rate):
    measure = _measure(rate_percent=Decimal(rate))
    with pytest.raises(ValidationError) as refused:
        measure.full_clean()
    assert "between 0 and 100" in str(refused.value)
    _refused_by_the_database(measure)


@pytest.mark.django_db
@pytest.mark.parametrize("rate", ["0", "100"])
def test_rate_bounds_are_allowed(rate):
    measure = _measure(rate_percent=Decimal(rate))
    measure.full_clean()
    measure.save()


MONEY_CASES = [
    (_measure, "amount", "amount_currency"),
    (_measure, "estimated_fiscal_cost", "fiscal_cost_currency"),
    (_facility, "investment", "investment_currency"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("build", "amount", "currency"), MONEY_CASES)
@pytest.mark.parametrize(
    ("value", "code"), [(Decimal("-1.00"), "EUR"), (Decimal("1000.00"), "")], ids=["neg", "nocur"]
)
def test_money_is_non_negative_and_states_its_currency(build, amount, currency, value, code):
    obj = build(**{amount: value, currency: code})
    with pytest.raises(ValidationError):
        obj.full_clean()
    _refused_by_the_database(obj)


@pytest.mark.django_db
@pytest.mark.parametrize(("build", "amount", "currency"), MONEY_CASES)
def test_money_with_a_currency_is_fine(build, amount, currency):
    obj = build(**{amount: Decimal("0.00"), currency: "DKK"})
    obj.full_clean()
    obj.save()


@pytest.mark.django_db
def test_votes_cannot_exceed_the_rada_seats_in_the_database():
    law = make_law()
    change = StatusChange(
        content_type=ContentType.objects.get_for_model(DraftLaw),
        record_id=law.pk,
        from_status="first_reading",
        to_status="adopted_in_principle",
        occurred_on=DAY,
        votes_for=300,
        votes_against=100,
        abstained=51,
    )
    with pytest.raises(ValidationError):
        change.full_clean()
    _refused_by_the_database(change)
    change.abstained = 50
    change.full_clean()
    change.save()
    # Those present bound the count as well.
    change.pk, change.present = None, 440
    with pytest.raises(ValidationError):
        change.full_clean()
    _refused_by_the_database(change)


@pytest.mark.django_db
def test_unknown_country_code_is_refused():
    with pytest.raises(ValidationError) as refused:
        _facility(country="XX").full_clean()
    assert "country" in refused.value.message_dict
