"""Saving through the services: what a service refuses is shown on the form, nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils.translation import gettext_lazy as _

from tracker.services.records import record_create, record_update

from ..forms import ServiceForm


class ServiceRefused(Exception):
    """A service refused a save the form had accepted; the form is shown again with it."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(str(error))
        self.error = error


class ServiceFormAdmin(admin.ModelAdmin):
    """An admin whose saves go through services: what a service refuses after the form
    accepted it is shown on the form again, as form errors, with nothing written.

    Its form must be a `ServiceForm`; wrap service calls in `self._refusals()`.
    """

    form = ServiceForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "_tracker_service_refusal", None)
        if refusal is not None:
            form_class = type(form_class.__name__, (form_class,), {"service_error": refusal})
        return form_class

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            # Everything the first pass wrote was rolled back with its transaction; show the
            # submitted form again, now carrying the service's errors.
            request._tracker_service_refusal = refused.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    @contextmanager
    def _refusals(self) -> Iterator[None]:
        try:
            yield
        except ValidationError as exc:
            raise ServiceRefused(exc) from exc
        except IntegrityError as exc:
            raise ServiceRefused(
                ValidationError(
                    _("Someone saved a conflicting record meanwhile; check the values and save.")
                )
            ) from exc


class RecordSaveMixin:
    """A record is created with `record_create`; an edit, inlines included, is one
    `record_update` once the inlines are saved. Goes with `ServiceFormAdmin`."""

    def _service_values(self, form, *, only_changed: bool) -> dict[str, Any]:
        names = form.changed_data if only_changed else list(form.cleaned_data)
        model_fields = {f.name for f in self.model._meta.get_fields() if f.concrete}
        return {
            n: form.cleaned_data[n] for n in names if n in model_fields and n in form.cleaned_data
        }

    def save_model(self, request, obj, form, change):
        if change:
            return  # saved in save_related, after the inlines, as one recorded update
        with self._refusals():
            created = record_create(
                model=self.model,
                values=self._service_values(form, only_changed=False),
                actor=request.user,
            )
        # The inlines and the admin log hold `obj`; make it the saved record.
        for model_field in self.model._meta.concrete_fields:
            setattr(obj, model_field.attname, getattr(created, model_field.attname))
        obj._state.adding = False
        obj._state.db = created._state.db

    def save_related(self, request, form, formsets, change):
        related_changed = []
        with self._refusals():
            for formset in formsets:
                self.save_formset(request, form, formset, change=change)
                fk = getattr(formset, "fk", None)
                touched = formset.new_objects or formset.changed_objects or formset.deleted_objects
                if fk is not None and touched:
                    related_changed.append(fk.remote_field.get_accessor_name())
            if change:
                record_update(
                    record=form.instance,
                    values=self._service_values(form, only_changed=True),
                    actor=request.user,
                    related_changed=related_changed,
                )
