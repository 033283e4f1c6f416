"""The record admins' base: one mixin per concern (tracker/admin/mixins/), composed.

Every write goes through a service: creating and editing (`record_create`/`record_update`),
status changes (`record_transition`), the timeline's entries, archiving, deleting and
importing. The admin parses the request, calls the service and shows what it refused as form
errors.
"""

from __future__ import annotations

from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from .forms import RecordForm
from .mixins import (
    ArchiveMixin,
    CSVImportMixin,
    ExportMixin,
    ReadOnlyHistoryMixin,
    RecordColumnsMixin,
    RecordDeleteMixin,
    RecordPagesMixin,
    RecordPermissionsMixin,
    RecordSaveMixin,
    ServiceFormAdmin,
    TimelineEntriesMixin,
    TransitionMixin,
)

# Links typed without a scheme are taken as https.
HTTPS_LINKS = {models.URLField: {"assume_scheme": "https"}}


class RecordAdmin(
    # Each adds its part of the change page's context and its URLs, then calls super().
    TransitionMixin,
    TimelineEntriesMixin,
    ArchiveMixin,
    ExportMixin,
    CSVImportMixin,
    RecordSaveMixin,
    RecordDeleteMixin,
    RecordPermissionsMixin,
    RecordColumnsMixin,
    RecordPagesMixin,
    ReadOnlyHistoryMixin,
    ServiceFormAdmin,
    SimpleHistoryAdmin,
):
    """Base admin of the four record types; subclasses set columns, filters and fieldsets."""

    form = RecordForm
    change_form_template = "admin/tracker/record_change_form.html"
    change_list_template = "admin/tracker/record_change_list.html"
    actions = ["archive_selected", "restore_selected", "export_csv", "export_xlsx"]
    list_per_page = 50
    formfield_overrides = HTTPS_LINKS

    class Media:
        css = {"all": ["tracker/admin/records.css"]}
