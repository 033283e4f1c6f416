"""Builders for test data. They go through the services, so events and history are real."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tracker.models import DraftLaw, Facility, PartnerCountry, TaxMeasure, Visibility
from tracker.services.records import record_create
from tracker.services.transitions import record_transition

_seq = itertools.count(1)


def make_user(*, username: str | None = None, role: str | None = None, **extra: Any):
    user = get_user_model().objects.create_user(
        username=username or f"user{next(_seq)}", password="pw-for-tests-only", **extra
    )
    if role:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(Group.objects.get(name=role))
    return user


def make_partner(code: str = "DE", **values: Any) -> PartnerCountry:
    existing = PartnerCountry.objects.filter(code=code).first()
    if existing:
        return existing
    defaults = {
        "code": code,
        "name_en": f"Partner {code}",
        "name_uk": f"Партнер {code}",
        "visibility": Visibility.PUBLIC,
    }
    return record_create(model=PartnerCountry, values={**defaults, **values}, actor=None)


def make_law(*, partners: list[PartnerCountry] = (), **values: Any) -> DraftLaw:
    n = next(_seq)
    defaults = {
        "title_en": f"On joint defense production No. {n}",
        "title_uk": f"Про спільне оборонне виробництво № {n}",
        "visibility": Visibility.PUBLIC,
    }
    return record_create(
        model=DraftLaw, values={**defaults, **values, "partners": list(partners)}, actor=None
    )


def make_tax_measure(*, partners: list[PartnerCountry] = (), **values: Any) -> TaxMeasure:
    n = next(_seq)
    defaults = {
        "name_en": f"VAT exemption on components No. {n}",
        "name_uk": f"Звільнення від ПДВ № {n}",
        "kind": "vat_exemption",
        "visibility": Visibility.PUBLIC,
    }
    return record_create(
        model=TaxMeasure, values={**defaults, **values, "partners": list(partners)}, actor=None
    )


def make_facility(*, partners: list[PartnerCountry] = (), **values: Any) -> Facility:
    n = next(_seq)
    defaults = {
        "name_en": f"Ammunition plant No. {n}",
        "name_uk": f"Завод боєприпасів № {n}",
        "country": "UA",
        "product_category": "ammunition",
        "visibility": Visibility.PUBLIC,
    }
    return record_create(
        model=Facility, values={**defaults, **values, "partners": list(partners)}, actor=None
    )


def move(record, *path: str, start: datetime.date | None = None, user=None):
    """Walk `record` along `path`, one day apart, ending no later than today."""
    day = start or datetime.date.today() - datetime.timedelta(days=len(path) + 1)
    for status in path:
        record_transition(record=record, to_status=status, occurred_on=day, recorded_by=user)
        day += datetime.timedelta(days=1)
    return record
