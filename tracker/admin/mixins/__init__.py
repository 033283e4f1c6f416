"""The record admins' concerns, one mixin each; `tracker.admin.base.RecordAdmin` composes them.

| mixin | concern |
|---|---|
| `RecordPagesMixin` | URL names, the record a page is about, the change page's context |
| `RecordPermissionsMixin` | who deletes for good, who records status changes |
| `ReadOnlyMixin` | what the system writes and staff only read |
| `ServiceFormAdmin`, `RecordSaveMixin` | saving through the services, refusals shown on the form |
| `RecordDeleteMixin` | deleting through `record_delete` |
| `ArchiveMixin` | archiving and restoring |
| `TransitionMixin` | recording status changes |
| `TimelineEntriesMixin` | procedural events, corrections and retractions |
| `ExportMixin`, `CSVImportMixin` | CSV and XLSX exports, CSV imports |
| `ReadOnlyHistoryMixin` | the field-level history, read-only |
| `RecordColumnsMixin` | list columns |
"""

from .archiving import ArchivedFilter, ArchiveMixin
from .deleting import DeleteRefused, RecordDeleteMixin
from .display import RecordColumnsMixin, status_badge, workflow_picture
from .entries import TimelineEntriesMixin
from .exporting import ExportMixin
from .history import ReadOnlyHistoryMixin
from .importing import CSVImportMixin
from .pages import RecordPagesMixin
from .permissions import ReadOnlyMixin, RecordPermissionsMixin
from .saving import RecordSaveMixin, ServiceFormAdmin, ServiceRefused
from .transitions import TransitionMixin

__all__ = [
    "ArchiveMixin",
    "ArchivedFilter",
    "CSVImportMixin",
    "DeleteRefused",
    "ExportMixin",
    "ReadOnlyHistoryMixin",
    "ReadOnlyMixin",
    "RecordColumnsMixin",
    "RecordDeleteMixin",
    "RecordPagesMixin",
    "RecordPermissionsMixin",
    "RecordSaveMixin",
    "ServiceFormAdmin",
    "ServiceRefused",
    "TimelineEntriesMixin",
    "TransitionMixin",
    "status_badge",
    "workflow_picture",
]
