"""The timeline beside the status: procedural events, and corrections and retractions of
entries, through `record_procedural_event`, `correct_entry` and `retract_entry`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from tracker.models import TimelineEntry, TrackedRecord
from tracker.selectors import Viewer, timeline
from tracker.services.errors import TransitionNotAllowed
from tracker.services.transitions import correct_entry, record_procedural_event, retract_entry

from ..forms import CorrectionForm, ProceduralEventForm, RetractionForm, add_service_error
from ..timeline import ENTRY_KINDS, describe, entry_kind, timeline_rows
from .display import status_badge


class TimelineEntriesMixin:
    def get_urls(self):
        return [
            self._page(
                "<path:object_id>/procedural-event/",
                self.procedural_event_view,
                "procedural_event",
            ),
            self._page(
                "<path:object_id>/timeline/<str:kind>/<int:entry_id>/correct/",
                self.correct_entry_view,
                "timeline_correct",
            ),
            self._page(
                "<path:object_id>/timeline/<str:kind>/<int:entry_id>/retract/",
                self.retract_entry_view,
                "timeline_retract",
            ),
            *super().get_urls(),
        ]

    def _record_context(self, request, record: TrackedRecord) -> dict[str, Any]:
        can_record = self.has_transition_permission(request, record) and not record.is_archived
        rows = timeline_rows(
            timeline(record, Viewer.staff()),
            record.workflow,
            badge=status_badge,
            action_url=(
                lambda action, entry: self._url(
                    f"timeline_{action}", record.pk, entry_kind(entry), entry.pk
                )
            )
            if can_record
            else None,
        )
        return {
            **super()._record_context(request, record),
            "timeline_rows": rows,
            "procedural_event_url": self._url("procedural_event", record.pk)
            if can_record
            else None,
        }

    def procedural_event_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        record = self._get_record(request, object_id)
        if not self.has_transition_permission(request, record):
            raise PermissionDenied
        if request.method == "POST":
            form = ProceduralEventForm(request.POST, record=record)
            if form.is_valid():
                try:
                    event = record_procedural_event(
                        record=record, recorded_by=request.user, **form.event_kwargs()
                    )
                except TransitionNotAllowed as exc:
                    form.add_error(None, exc.message)
                except ValidationError as exc:
                    add_service_error(form, exc)
                else:
                    self.message_user(
                        request,
                        _("Recorded on the timeline: %(what)s. The status stays “%(status)s”.")
                        % {
                            "what": describe(event, record.workflow),
                            "status": record.status_label,
                        },
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(self._url("change", record.pk))
        else:
            form = ProceduralEventForm(record=record)
        context = {
            **self._timeline_page_context(request, record, form),
            "title": _("Record a procedural event: %s") % record,
            "action_label": _("Record a procedural event"),
            "submit_label": _("Record the event"),
            "description": _(
                "Something that happened without changing the status: a hearing, a committee "
                "conclusion, a consultation, inclusion in the agenda, a postponement, a failed "
                "vote (give its counts), a blocked or unblocked signature, an approval."
            ),
        }
        return TemplateResponse(request, "admin/tracker/timeline_form.html", context)

    def _get_entry(self, record: TrackedRecord, kind: str, entry_id: int) -> TimelineEntry:
        model = ENTRY_KINDS.get(kind)
        if model is None:
            raise Http404
        entry = (
            model.objects.filter(
                content_type=ContentType.objects.get_for_model(type(record)),
                record_id=record.pk,
                pk=entry_id,
            )
            .select_related("recorded_by")
            .first()
        )
        if entry is None:
            raise Http404(_("No such entry on this record's timeline."))
        return entry

    def _entry_gone(self, request, record: TrackedRecord, entry: TimelineEntry):
        self.message_user(
            request,
            _("This entry was already corrected or retracted; change what replaced it instead."),
            messages.WARNING,
        )
        return HttpResponseRedirect(self._url("change", record.pk))

    def correct_entry_view(
        self, request: HttpRequest, object_id: str, kind: str, entry_id: int
    ) -> HttpResponse:
        record = self._get_record(request, object_id)
        if not self.has_transition_permission(request, record):
            raise PermissionDenied
        entry = self._get_entry(record, kind, entry_id)
        if not entry.is_active:
            return self._entry_gone(request, record, entry)
        if request.method == "POST":
            form = CorrectionForm(request.POST, entry=entry)
            if form.is_valid():
                try:
                    new = correct_entry(
                        entry=entry,
                        recorded_by=request.user,
                        reason=form.cleaned_data["reason"],
                        changes=form.changes(),
                    )
                except TransitionNotAllowed as exc:
                    form.add_error(None, exc.message)
                except ValidationError as exc:
                    add_service_error(form, exc)
                else:
                    record.refresh_from_db()
                    self.message_user(
                        request,
                        _("Corrected: %(what)s. The original stays on the timeline for staff.")
                        % {"what": describe(new, record.workflow)},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(self._url("change", record.pk))
        else:
            form = CorrectionForm(entry=entry)
        context = {
            **self._timeline_page_context(request, record, form),
            "title": _("Correct an entry: %s") % record,
            "action_label": _("Correct an entry"),
            "submit_label": _("Record the correction"),
            "entry_label": describe(entry, record.workflow),
            "description": _(
                "The entry is not overwritten: the corrected one replaces it on the timeline, "
                "and the original stays visible to staff with who corrected it, when and why. "
                "To change the status a step moved to, retract the step and record the right one."
            ),
        }
        return TemplateResponse(request, "admin/tracker/timeline_form.html", context)

    def retract_entry_view(
        self, request: HttpRequest, object_id: str, kind: str, entry_id: int
    ) -> HttpResponse:
        record = self._get_record(request, object_id)
        if not self.has_transition_permission(request, record):
            raise PermissionDenied
        entry = self._get_entry(record, kind, entry_id)
        if not entry.is_active:
            return self._entry_gone(request, record, entry)
        if request.method == "POST":
            form = RetractionForm(request.POST)
            if form.is_valid():
                try:
                    retract_entry(
                        entry=entry, recorded_by=request.user, reason=form.cleaned_data["reason"]
                    )
                except TransitionNotAllowed as exc:
                    form.add_error(None, exc.message)
                except ValidationError as exc:
                    add_service_error(form, exc)
                else:
                    record.refresh_from_db()
                    self.message_user(
                        request,
                        _("Retracted: %(what)s. The status is now “%(status)s”.")
                        % {
                            "what": describe(entry, record.workflow),
                            "status": record.status_label,
                        },
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(self._url("change", record.pk))
        else:
            form = RetractionForm()
        context = {
            **self._timeline_page_context(request, record, form),
            "title": _("Retract an entry: %s") % record,
            "action_label": _("Retract an entry"),
            "submit_label": _("Yes, retract it"),
            "entry_label": describe(entry, record.workflow),
            "is_retraction": True,
            "description": _(
                "Retract only an entry recorded by mistake. It stays visible to staff, marked "
                "with who retracted it, when and why; partners no longer see it, and the "
                "status is recomputed from the steps that remain."
            ),
        }
        return TemplateResponse(request, "admin/tracker/timeline_form.html", context)
