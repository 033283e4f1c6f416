"""Status changes: the change page's next-step buttons and the form that records one
through `record_transition`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from tracker.models import TrackedRecord
from tracker.selectors import status_history
from tracker.services.errors import TransitionNotAllowed
from tracker.services.transitions import record_transition

from ..forms import TransitionForm, add_service_error
from ..timeline import date_label
from .display import status_badge, workflow_picture


class TransitionMixin:
    def transition_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        record = self._get_record(request, object_id)
        if not self.has_transition_permission(request, record):
            raise PermissionDenied
        target = request.GET.get("to")
        if request.method == "POST":
            form = TransitionForm(request.POST, record=record)
            if form.is_valid():
                try:
                    change = record_transition(
                        record=record, recorded_by=request.user, **form.transition_kwargs()
                    )
                except TransitionNotAllowed as exc:
                    form.add_error(None, exc.message)
                except ValidationError as exc:
                    add_service_error(form, exc)
                else:
                    self.message_user(
                        request,
                        _("Recorded: %(record)s is now “%(status)s” (%(date)s).")
                        % {
                            "record": record,
                            "status": record.workflow.label(record.status),
                            "date": date_label(change),
                        },
                        messages.SUCCESS,
                    )
                    self.after_transition(request, record, change)
                    return HttpResponseRedirect(self._url("change", record.pk))
        else:
            form = TransitionForm(record=record, target=target)
            if target and target not in form.targets:
                self.message_user(
                    request,
                    _("“%(to)s” cannot follow “%(current)s”; choose one of the allowed statuses.")
                    % {"to": target, "current": record.status_label},
                    messages.WARNING,
                )
        history = list(status_history(record))
        context = {
            **self._timeline_page_context(request, record, form),
            "title": (
                _("Reopen: %s") % record
                if form.reopening
                else _("Record a status change: %s") % record
            ),
            "workflow_picture": workflow_picture(record, history),
            "current_badge": status_badge(record.workflow, record.status),
        }
        return TemplateResponse(request, "admin/tracker/transition_form.html", context)

    def after_transition(self, request: HttpRequest, record: TrackedRecord, change) -> None:
        """Called after a status change was recorded through the admin."""

    def get_urls(self):
        return [
            self._page("<path:object_id>/transition/", self.transition_view, "transition"),
            *super().get_urls(),
        ]

    def _record_context(self, request, record: TrackedRecord) -> dict[str, Any]:
        context = super()._record_context(request, record)
        history = list(status_history(record))
        workflow = record.workflow
        context["workflow_picture"] = workflow_picture(record, history)
        if not (self.has_transition_permission(request, record) and not record.is_archived):
            context["transition_buttons"] = []
            return context
        transition_url = self._url("transition", record.pk)
        # From a final status, the statuses it may be reopened to (with a reason).
        reopening = workflow.is_terminal(record.status)
        targets = workflow.reopen_targets(record.status) if reopening else record.allowed_targets
        context["transition_buttons"] = [
            {
                "url": f"{transition_url}?to={target}",
                "label": workflow.label(target),
                "reopen": reopening,
            }
            for target in targets
        ]
        return context
