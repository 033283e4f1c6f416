"""Archiving and restoring: a list filter, a column, two list actions and the change page's
buttons, all through `record_archive` and `record_restore`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tracker.models import TrackedRecord
from tracker.services.records import record_archive, record_restore


class ArchivedFilter(admin.SimpleListFilter):
    title = _("archived")
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("no", _("Not archived")), ("yes", _("Archived"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(archived_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        return queryset


class ArchiveMixin:
    @admin.display(description=_("archived"), boolean=True, ordering="archived_at")
    def is_archived(self, record: TrackedRecord) -> bool:
        return record.archived_at is not None

    @admin.action(description=_("Archive selected records"), permissions=["change"])
    def archive_selected(self, request, queryset):
        count = 0
        for record in queryset.filter(archived_at__isnull=True):
            record_archive(record=record, actor=request.user)
            count += 1
        self.message_user(
            request, ngettext("%d record archived.", "%d records archived.", count) % count
        )

    @admin.action(description=_("Restore selected records"), permissions=["change"])
    def restore_selected(self, request, queryset):
        count = 0
        for record in queryset.filter(archived_at__isnull=False):
            record_restore(record=record, actor=request.user)
            count += 1
        self.message_user(
            request, ngettext("%d record restored.", "%d records restored.", count) % count
        )

    def archive_view(self, request: HttpRequest, object_id: str, *, archive: bool) -> HttpResponse:
        record = self._get_record(request, object_id)
        if request.method != "POST" or not self.has_change_permission(request, record):
            raise PermissionDenied
        if archive:
            record_archive(record=record, actor=request.user)
            self.message_user(
                request, _("Archived. Restore it to change it again."), messages.SUCCESS
            )
        else:
            record_restore(record=record, actor=request.user)
            self.message_user(request, _("Restored."), messages.SUCCESS)
        return HttpResponseRedirect(self._url("change", record.pk))

    def get_urls(self):
        return [
            self._page(
                "<path:object_id>/archive/", self.archive_view, "archive", {"archive": True}
            ),
            self._page(
                "<path:object_id>/restore/", self.archive_view, "restore", {"archive": False}
            ),
            *super().get_urls(),
        ]

    def _record_context(self, request, record: TrackedRecord) -> dict[str, Any]:
        return {
            **super()._record_context(request, record),
            "can_archive": self.has_change_permission(request, record),
            "archive_url": self._url("archive", record.pk),
            "restore_url": self._url("restore", record.pk),
            "is_archived": record.is_archived,
        }
