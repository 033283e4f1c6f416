"""CSV and XLSX exports: of the selected rows (list actions) or of the filtered list."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import IS_POPUP_VAR, IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from .. import exports


class ExportMixin:
    # Columns of CSV and XLSX exports, named after the model fields.
    export_columns: tuple[str, ...] = ()

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

    def get_urls(self):
        return [
            self._page("export/<str:file_format>/", self.export_view, "export"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        # Export buttons carry the list's filters, search and ordering, not its page.
        query = request.GET.copy()
        for name in (PAGE_VAR, ERROR_FLAG, IS_POPUP_VAR):
            query.pop(name, None)
        suffix = f"?{query.urlencode()}" if query else ""
        context = {
            "export_csv_url": self._url("export", "csv") + suffix,
            "export_xlsx_url": self._url("export", "xlsx") + suffix,
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)
