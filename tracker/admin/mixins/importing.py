"""Importing records from CSV: upload, preview with every row's errors, then confirm."""

from __future__ import annotations

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tracker.services.imports import IMPORT_SPECS, import_preview, import_records, import_template

from .. import exports
from ..forms import ImportUploadForm

IMPORT_SALT = "tracker.admin.import"
IMPORT_MAX_AGE = 60 * 60


class CSVImportMixin:
    # The `IMPORT_SPECS` key when records of this type can be imported from CSV.
    import_kind: str | None = None

    def get_urls(self):
        urls = super().get_urls()
        if not self.import_kind:
            return urls
        return [
            self._page("import/", self.import_view, "import"),
            self._page("import/template.csv", self.import_template_view, "import_template"),
            *urls,
        ]

    def changelist_view(self, request, extra_context=None):
        context = {
            "import_url": self._url("import")
            if self.import_kind and self.has_add_permission(request)
            else None,
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

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
