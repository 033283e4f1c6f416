"""The field-level history (django-simple-history): for reading, never for reverting."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class ReadOnlyHistoryMixin:
    """Goes before `SimpleHistoryAdmin`."""

    # The field-level history also lists the status each version had.
    history_list_display = ["status", "visibility"]

    def revert_disabled(self, request, obj=None):
        # Old versions are for reading; changes go through the record form and its services.
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
