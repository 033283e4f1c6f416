"""What the four record admins share.

Every write goes through a service: creating and editing (`record_create`/`record_update`),
status changes (`record_transition`), archiving, deleting and importing. The admin parses the
request, calls the service and shows what it refused as form errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR, IncorrectLookupParameters
from django.contrib.admin.utils import NestedObjects, unquote
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, router, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from tracker import links
from tracker.models import Event, StatusChange, TimelineEntry, TrackedRecord, Visibility
from tracker.selectors import Viewer, status_history, timeline
from tracker.services.errors import PermissionDeniedError, TransitionNotAllowed
from tracker.services.imports import (
    IMPORT_SPECS,
    import_preview,
    import_records,
    import_template,
)
from tracker.services.records import (
    record_archive,
    record_create,
    record_delete,
    record_restore,
    record_update,
)
from tracker.services.transitions import (
    correct_entry,
    record_procedural_event,
    record_transition,
    retract_entry,
)
from tracker.workflows import Workflow

from . import exports
from .forms import (
    CorrectionForm,
    ImportUploadForm,
    ProceduralEventForm,
    RecordForm,
    RetractionForm,
    ServiceForm,
    TransitionForm,
    add_service_error,
)
from .timeline import ENTRY_KINDS, date_label, describe, entry_kind, timeline_rows

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

# Links typed without a scheme are taken as https.
HTTPS_LINKS = {models.URLField: {"assume_scheme": "https"}}
IMPORT_SALT = "tracker.admin.import"
IMPORT_MAX_AGE = 60 * 60


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


class ServiceRefused(Exception):
    """A service refused a save the form had accepted; the form is shown again with it."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(str(error))
        self.error = error


class DeleteRefused(Exception):
    """`record_delete` refused; the admin says why instead of failing."""


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


class RecordAdmin(ServiceFormAdmin, SimpleHistoryAdmin):
    """Base admin of the four record types; subclasses set columns, filters and fieldsets."""

    form = RecordForm
    change_form_template = "admin/tracker/record_change_form.html"
    change_list_template = "admin/tracker/record_change_list.html"
    actions = ["archive_selected", "restore_selected", "export_csv", "export_xlsx"]
    list_per_page = 50
    formfield_overrides = HTTPS_LINKS
    # The field-level history also lists the status each version had.
    history_list_display = ["status", "visibility"]
    # Columns of CSV and XLSX exports, named after the model fields.
    export_columns: tuple[str, ...] = ()
    # The `IMPORT_SPECS` key when records of this type can be imported from CSV.
    import_kind: str | None = None

    class Media:
        css = {"all": ["tracker/admin/records.css"]}

    # --- permissions -----------------------------------------------------------------

    def has_delete_permission(self, request, obj=None):
        # Staff archive; only a superuser deletes for good.
        return request.user.is_active and request.user.is_superuser

    def has_transition_permission(self, request, obj=None) -> bool:
        opts = self.model._meta
        return request.user.is_active and request.user.has_perm(
            f"{opts.app_label}.transition_{opts.model_name}"
        )

    def revert_disabled(self, request, obj=None):
        # Old versions are for reading; changes go through the record form and its services.
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    # --- displays ---------------------------------------------------------------------

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, record: TrackedRecord) -> str:
        return status_badge(record.workflow, record.status)

    @admin.display(description=_("partners"))
    def partner_codes(self, record: TrackedRecord) -> str:
        return ", ".join(record.partner_codes) or "—"

    @admin.display(description=_("archived"), boolean=True, ordering="archived_at")
    def is_archived(self, record: TrackedRecord) -> bool:
        return record.archived_at is not None

    # --- saving through the services ----------------------------------------------------

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

    def delete_model(self, request, obj):
        try:
            record_delete(record=obj, actor=request.user)
        except PermissionDeniedError as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            raise DeleteRefused(" ".join(exc.messages)) from exc

    def delete_queryset(self, request, queryset):
        with transaction.atomic(using=router.db_for_write(self.model)):
            for record in queryset:
                self.delete_model(request, record)

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            collector = NestedObjects(using=router.db_for_write(self.model))
            collector.collect(objs)
            # `record_delete` unlinks the events from the status changes it deletes: the
            # audit trail stays and does not block the deletion.
            if all(isinstance(obj, Event) for obj in collector.protected):
                protected = []
        return to_delete, model_count, perms_needed, protected

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DeleteRefused as refused:
            self.message_user(request, str(refused), messages.ERROR)
            return HttpResponseRedirect(self._url("change", unquote(object_id)))

    def response_action(self, request, queryset):
        try:
            return super().response_action(request, queryset)
        except DeleteRefused as refused:
            self.message_user(request, str(refused), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # --- archive and restore ---------------------------------------------------------------

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

    # --- the change page ---------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        record = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if record is not None:
            context.update(self._record_context(request, record))
        return super().change_view(request, object_id, form_url, context)

    def _record_context(self, request, record: TrackedRecord) -> dict[str, Any]:
        history = list(status_history(record))
        can_transition = self.has_transition_permission(request, record) and not record.is_archived
        transition_url = self._url("transition", record.pk)
        workflow = record.workflow
        # From a final status, the statuses it may be reopened to (with a reason).
        reopening = workflow.is_terminal(record.status)
        targets = workflow.reopen_targets(record.status) if reopening else record.allowed_targets
        rows = timeline_rows(
            timeline(record, Viewer.staff()),
            record.workflow,
            badge=status_badge,
            action_url=(
                lambda action, entry: self._url(
                    f"timeline_{action}", record.pk, entry_kind(entry), entry.pk
                )
            )
            if can_transition
            else None,
        )
        return {
            "timeline_rows": rows,
            "procedural_event_url": self._url("procedural_event", record.pk)
            if can_transition
            else None,
            "workflow_picture": workflow_picture(record, history),
            "transition_buttons": [
                {
                    "url": f"{transition_url}?to={target}",
                    "label": record.workflow.label(target),
                    "reopen": reopening,
                }
                for target in targets
            ]
            if can_transition
            else [],
            "public_url": public_url(record),
            "api_url": api_url(record),
            "can_archive": self.has_change_permission(request, record),
            "archive_url": self._url("archive", record.pk),
            "restore_url": self._url("restore", record.pk),
            "is_archived": record.is_archived,
        }

    def _url(self, view: str, pk: Any = None, *more: Any) -> str:
        opts = self.model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}_{view}"
        return reverse(name, args=[pk, *more] if pk is not None else [])

    def _get_record(self, request, object_id: str) -> TrackedRecord:
        record = self.get_object(request, unquote(object_id))
        if record is None:
            raise Http404(_("No such record; it may have been deleted."))
        return record

    # --- URLs ------------------------------------------------------------------------------------

    def get_urls(self):
        opts = self.model._meta
        info = opts.app_label, opts.model_name
        wrap = self.admin_site.admin_view
        urls = [
            path(
                "<path:object_id>/transition/",
                wrap(self.transition_view),
                name="{}_{}_transition".format(*info),
            ),
            path(
                "<path:object_id>/procedural-event/",
                wrap(self.procedural_event_view),
                name="{}_{}_procedural_event".format(*info),
            ),
            path(
                "<path:object_id>/timeline/<str:kind>/<int:entry_id>/correct/",
                wrap(self.correct_entry_view),
                name="{}_{}_timeline_correct".format(*info),
            ),
            path(
                "<path:object_id>/timeline/<str:kind>/<int:entry_id>/retract/",
                wrap(self.retract_entry_view),
                name="{}_{}_timeline_retract".format(*info),
            ),
            path(
                "<path:object_id>/archive/",
                wrap(self.archive_view),
                {"archive": True},
                name="{}_{}_archive".format(*info),
            ),
            path(
                "<path:object_id>/restore/",
                wrap(self.archive_view),
                {"archive": False},
                name="{}_{}_restore".format(*info),
            ),
            path(
                "export/<str:file_format>/",
                wrap(self.export_view),
                name="{}_{}_export".format(*info),
            ),
        ]
        if self.import_kind:
            urls += [
                path("import/", wrap(self.import_view), name="{}_{}_import".format(*info)),
                path(
                    "import/template.csv",
                    wrap(self.import_template_view),
                    name="{}_{}_import_template".format(*info),
                ),
            ]
        return urls + super().get_urls()

    # --- transitions -------------------------------------------------------------------------

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

    def _timeline_page_context(self, request, record: TrackedRecord, form) -> dict[str, Any]:
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

    # --- the timeline: procedural events, corrections, retractions -------------------------

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

    # --- export --------------------------------------------------------------------------------

    def _export(self, request, queryset, file_format: str) -> HttpResponse:
        columns = self.export_columns
        rows = exports.table(queryset, columns)
        filename = str(self.model._meta.verbose_name_plural).replace(" ", "-")
        if file_format == "xlsx":
            return exports.xlsx_response(filename=filename, columns=columns, rows=rows)
        return exports.csv_response(filename=filename, columns=columns, rows=rows)

    @admin.action(description=_("Export selected to CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return self._export(request, self._export_queryset(queryset), "csv")

    @admin.action(description=_("Export selected to Excel (XLSX)"), permissions=["view"])
    def export_xlsx(self, request, queryset):
        return self._export(request, self._export_queryset(queryset), "xlsx")

    def _export_queryset(self, queryset):
        """The rows to export, with what the columns need fetched up front."""
        return queryset

    def export_view(self, request: HttpRequest, file_format: str) -> HttpResponse:
        """Export the changelist as filtered, searched and ordered by the query string."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        if file_format not in ("csv", "xlsx"):
            raise Http404
        request.GET = request.GET.copy()
        request.GET.pop(PAGE_VAR, None)
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(f"{self._url('changelist')}?{ERROR_FLAG}=1")
        return self._export(request, self._export_queryset(changelist.queryset), file_format)

    def changelist_view(self, request, extra_context=None):
        # Export buttons carry the list's filters, search and ordering, not its page.
        query = request.GET.copy()
        for name in (PAGE_VAR, ERROR_FLAG, IS_POPUP_VAR):
            query.pop(name, None)
        suffix = f"?{query.urlencode()}" if query else ""
        context = {
            "export_csv_url": self._url("export", "csv") + suffix,
            "export_xlsx_url": self._url("export", "xlsx") + suffix,
            "import_url": self._url("import")
            if self.import_kind and self.has_add_permission(request)
            else None,
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    # --- import --------------------------------------------------------------------------------

    def import_template_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        response = HttpResponse(
            "\ufeff" + import_template(kind=self.import_kind), content_type=exports.CSV_CONTENT_TYPE
        )
        response["Content-Disposition"] = f'attachment; filename="{self.import_kind}-import.csv"'
        return response

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload, preview with every row's errors, then confirm: nothing is saved before."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        kind = self.import_kind
        preview = None
        payload = ""
        upload_form = ImportUploadForm()
        if request.method == "POST" and "confirm" in request.POST:
            try:
                content = signing.loads(
                    request.POST.get("payload", ""), salt=IMPORT_SALT, max_age=IMPORT_MAX_AGE
                )
            except signing.BadSignature:
                self.message_user(
                    request, _("The preview has expired; upload the file again."), messages.ERROR
                )
                return HttpResponseRedirect(self._url("import"))
            try:
                records = import_records(kind=kind, content=content, actor=request.user)
            except ValidationError as exc:
                # The data changed since the preview (a number taken meanwhile, say).
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                preview = import_preview(kind=kind, content=content)
            else:
                self.message_user(
                    request,
                    ngettext(
                        "Imported %(count)d %(name)s.", "Imported %(count)d %(name)s.", len(records)
                    )
                    % {
                        "count": len(records),
                        "name": self.model._meta.verbose_name
                        if len(records) == 1
                        else self.model._meta.verbose_name_plural,
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._url("changelist"))
        elif request.method == "POST":
            upload_form = ImportUploadForm(request.POST, request.FILES)
            if upload_form.is_valid():
                content = upload_form.cleaned_data["file"].read()
                preview = import_preview(kind=kind, content=content)
                if preview.is_valid:
                    text = content.decode("utf-8-sig")
                    payload = signing.dumps(text, salt=IMPORT_SALT, compress=True)
        spec = IMPORT_SPECS[kind]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import %s from CSV") % self.model._meta.verbose_name_plural,
            "subtitle": None,
            "opts": self.model._meta,
            "upload_form": upload_form,
            "preview": preview,
            "payload": payload,
            "columns": spec.columns,
            "template_url": self._url("import_template"),
            "changelist_url": self._url("changelist"),
            "media": self.media,
        }
        return TemplateResponse(request, "admin/tracker/import_form.html", context)
