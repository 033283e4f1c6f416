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
from django.contrib.contenttypes.admin import GenericTabularInline
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
from tracker.models import Event, StatusChange, TrackedRecord, Visibility
from tracker.selectors import status_history
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
from tracker.services.transitions import record_transition
from tracker.workflows import Workflow

from . import exports
from .forms import ImportUploadForm, RecordForm, ServiceForm, TransitionForm, add_service_error

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


class StatusHistoryInline(GenericTabularInline):
    """The record's status changes, oldest first; read-only, they are only ever appended."""

    model = StatusChange
    ct_field = "content_type"
    ct_fk_field = "record_id"
    fields = readonly_fields = (
        "occurred_on",
        "from_badge",
        "to_badge",
        "votes",
        "note",
        "source_link",
        "recorded_by",
        "recorded_at",
    )
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = _("status change")
    verbose_name_plural = _("status history")
    ordering = ("occurred_on", "id")
    classes = ["tracker-history"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _workflow(self):
        return self.parent_model.workflow

    @admin.display(description=_("from"))
    def from_badge(self, change: StatusChange) -> str:
        return status_badge(self._workflow(), change.from_status)

    @admin.display(description=_("to"))
    def to_badge(self, change: StatusChange) -> str:
        return status_badge(self._workflow(), change.to_status)

    @admin.display(description=_("vote (for / against / abstained)"))
    def votes(self, change: StatusChange) -> str:
        if not change.is_vote:
            return "—"
        return f"{change.votes_for} / {change.votes_against} / {change.abstained}"

    @admin.display(description=_("source"))
    def source_link(self, change: StatusChange) -> str:
        if not change.source_url:
            return "—"
        return format_html(
            '<a href="{}" rel="noopener noreferrer">{}</a>', change.source_url, _("link")
        )


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

    def get_inlines(self, request, obj):
        inlines = list(super().get_inlines(request, obj))
        if obj is not None:
            inlines.append(StatusHistoryInline)
        return inlines

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
        return {
            "workflow_picture": workflow_picture(record, history),
            "transition_buttons": [
                {"url": f"{transition_url}?to={target}", "label": record.workflow.label(target)}
                for target in record.allowed_targets
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

    def _url(self, view: str, pk: Any = None) -> str:
        opts = self.model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}_{view}"
        return reverse(name, args=[pk] if pk is not None else [])

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
                        _("Recorded: %(record)s is now “%(status)s” since %(date)s.")
                        % {
                            "record": record,
                            "status": record.workflow.label(change.to_status),
                            "date": change.occurred_on.isoformat(),
                        },
                        messages.SUCCESS,
                    )
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
            **self.admin_site.each_context(request),
            "title": _("Record a status change: %s") % record,
            "subtitle": None,
            "opts": self.model._meta,
            "original": record,
            "form": form,
            "media": self.media + form.media,
            "workflow_picture": workflow_picture(record, history),
            "current_badge": status_badge(record.workflow, record.status),
            "change_url": self._url("change", record.pk),
            "has_view_permission": self.has_view_permission(request, record),
        }
        return TemplateResponse(request, "admin/tracker/transition_form.html", context)

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
