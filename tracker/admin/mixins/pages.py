"""A record admin's own pages: their URL names, the record they are about, the change page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.admin.utils import unquote
from django.http import Http404
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from tracker.models import TrackedRecord

from .display import api_url, public_url


class RecordPagesMixin:
    """What the other record mixins build their pages on.

    The change page's context is assembled by `_record_context`: each mixin adds its part
    and calls `super()`; this one, last in line, starts it with the record's links.
    """

    def change_view(self, request, object_id, form_url="", extra_context=None):
        record = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if record is not None:
            context.update(self._record_context(request, record))
        return super().change_view(request, object_id, form_url, context)

    def _record_context(self, request, record: TrackedRecord) -> dict[str, Any]:
        return {"public_url": public_url(record), "api_url": api_url(record)}

    def _url(self, view: str, pk: Any = None, *more: Any) -> str:
        opts = self.model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}_{view}"
        return reverse(name, args=[pk, *more] if pk is not None else [])

    def _page(
        self, route: str, view: Callable, name: str, kwargs: dict[str, Any] | None = None
    ) -> URLPattern:
        """A URL of this admin, behind the admin's login, named `<app>_<model>_<name>`."""
        opts = self.model._meta
        return path(
            route,
            self.admin_site.admin_view(view),
            kwargs,
            name=f"{opts.app_label}_{opts.model_name}_{name}",
        )

    def _get_record(self, request, object_id: str) -> TrackedRecord:
        record = self.get_object(request, unquote(object_id))
        if record is None:
            raise Http404(_("No such record; it may have been deleted."))
        return record

    def _timeline_page_context(self, request, record: TrackedRecord, form) -> dict[str, Any]:
        """What a form page about one record (a transition, a timeline entry) shows around it."""
        return {
            **self.admin_site.each_context(request),
            "subtitle": None,
            "opts": self.model._meta,
            "original": record,
            "form": form,
            "media": self.media + form.media,
            "change_url": self._url("change", record.pk),
            "has_view_permission": self.has_view_permission(request, record),
        }
