"""How a record is shown in its admin: status badges, list columns, links, the workflow picture."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.urls import NoReverseMatch
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tracker import links
from tracker.models import StatusChange, TrackedRecord, Visibility
from tracker.workflows import Workflow

# Badge tone per status; the label is always written out, the colour only repeats it.
_TONES = {
    "attention": {"returned_for_revision", "public_discussion", "vetoed", "suspended"},
    "stopped": {
        "rejected",
        "withdrawn",
        "removed",
        "lapsed",
        "cancelled",
        "dropped",
        "repealed",
        "ended",
        "closed",
    },
    "done": {"in_force", "in_effect", "operational", "active"},
    "past": {"expired"},
}
STATUS_TONE = {status: tone for tone, statuses in _TONES.items() for status in statuses}


def status_badge(workflow: Workflow, status: str) -> str:
    tone = STATUS_TONE.get(status, "progress")
    return format_html(
        '<span class="tracker-badge tracker-badge--{}">{}</span>', tone, workflow.label(status)
    )


def public_url(record: TrackedRecord) -> str | None:
    """The record's page on the public dashboard, if it is public and the page exists."""
    if record.visibility != Visibility.PUBLIC or record.archived_at is not None:
        return None
    try:
        return links.public_path(record.record_type, record.pk)
    except NoReverseMatch:
        return None


def api_url(record: TrackedRecord) -> str:
    return links.api_path(record.record_type, record.pk)


def workflow_picture(record: TrackedRecord, history: list[StatusChange]) -> dict[str, Any]:
    """The main path with each step done, skipped, current, next or ahead, and the side exits."""
    workflow = record.workflow
    current = record.status
    allowed = set(workflow.allowed_targets(current))
    visited = [workflow.initial, *(change.to_status for change in history)]
    on_path = [s for s in visited if s in workflow.main_path]
    reached = workflow.main_path.index(on_path[-1]) if on_path else 0

    def state(status: str, index: int | None) -> str:
        if status == current:
            return "current"
        if status in allowed:
            return "next"
        if status in visited:
            return "done"
        if index is not None and index < reached:
            return "skipped"
        return "ahead"

    return {
        "main": [
            {"status": s, "label": workflow.label(s), "state": state(s, i)}
            for i, s in enumerate(workflow.main_path)
        ],
        "side": [
            {"status": s, "label": workflow.label(s), "state": state(s, None)}
            for s in workflow.statuses.values
            if s not in workflow.main_path
        ],
        "current_label": workflow.label(current),
        "is_terminal": workflow.is_terminal(current),
    }


class RecordColumnsMixin:
    """List columns every record admin offers."""

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, record: TrackedRecord) -> str:
        return status_badge(record.workflow, record.status)

    @admin.display(description=_("partners"))
    def partner_codes(self, record: TrackedRecord) -> str:
        return ", ".join(record.partner_codes) or "—"
