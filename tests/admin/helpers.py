"""Reading an admin change form back as POST data, the way a browser would submit it."""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import reverse


def admin_url(record_or_model, view: str, *args: Any) -> str:
    opts = record_or_model._meta
    if view in (
        "change",
        "delete",
        "history",
        "transition",
        "archive",
        "restore",
        "procedural_event",
        "timeline_correct",
        "timeline_retract",
        "move_measure",
    ):
        args = (record_or_model.pk, *args)
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def _value(value: Any) -> Any:
    if value is None:
        return None  # a browser sends nothing for an empty multiple select
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def form_data(response) -> dict[str, Any]:
    """The values a browser would post back from an admin add/change page, unchanged."""
    data: dict[str, Any] = {}
    form = response.context["adminform"].form
    for name in form.fields:
        data[name] = _value(form[name].value())
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = _value(management[name].value())
        for subform in formset.forms:
            for name in subform.fields:
                data[subform.add_prefix(name)] = _value(subform[name].value())
    return {k: v for k, v in data.items() if v not in ([], False, None)}
