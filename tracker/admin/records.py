"""Admins of the four record types and their inlines; the shared behaviour is in `base`."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_countries.filters import CountryFilter

from tracker.models import (
    Agreement,
    Contact,
    DraftLaw,
    Facility,
    LawDocument,
    PartnerCountry,
    TaxMeasure,
)

from .base import HTTPS_LINKS, ArchivedFilter, RecordAdmin

STATUS_FIELDS = ("status_badge", "created_at", "updated_at", "archived_at")
STATUS_FIELDSET = (
    _("Status and visibility"),
    {
        "fields": (("status_badge", "visibility"), ("created_at", "updated_at", "archived_at")),
        "description": _(
            "The status changes only by recording a transition (the buttons above), so each "
            "step keeps its date, source and vote."
        ),
    },
)
INTERNAL_FIELDSET = (_("Staff only"), {"fields": ("internal_notes",)})


class LawDocumentInline(admin.TabularInline):
    formfield_overrides = HTTPS_LINKS
    model = LawDocument
    fields = ("kind", "title", "url", "published_on")
    extra = 0


class AgreementInline(admin.TabularInline):
    formfield_overrides = HTTPS_LINKS
    model = Agreement
    fields = ("title", "signed_on", "url")
    extra = 0


class ContactInline(admin.TabularInline):
    formfield_overrides = HTTPS_LINKS
    model = Contact
    fields = ("name", "role", "email", "phone")
    extra = 0


@admin.register(DraftLaw)
class DraftLawAdmin(RecordAdmin):
    list_display = (
        "title_en",
        "registration_number",
        "status_badge",
        "visibility",
        "partner_codes",
        "next_step",
        "updated_at",
        "is_archived",
    )
    list_display_links = ("title_en",)
    list_filter = ("status", "visibility", "partners", "initiator", ArchivedFilter)
    search_fields = ("title_en", "title_uk", "registration_number", "lead_committee")
    date_hierarchy = "registration_date"
    readonly_fields = STATUS_FIELDS
    autocomplete_fields = ()
    filter_horizontal = ("partners",)
    inlines = [LawDocumentInline]
    import_kind = "law"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("title_uk", "title_en"),
                    ("registration_number", "registration_date"),
                    ("initiator", "lead_committee"),
                    ("summary_uk", "summary_en"),
                    "partners",
                )
            },
        ),
        STATUS_FIELDSET,
        (
            _("Next step"),
            {"fields": (("planned_next_step", "planned_next_step_on"), "effective_date")},
        ),
        INTERNAL_FIELDSET,
    )
    export_columns = (
        "id",
        "registration_number",
        "registration_date",
        "title_uk",
        "title_en",
        "status",
        "status_label",
        "visibility",
        "initiator",
        "lead_committee",
        "partners",
        "planned_next_step",
        "planned_next_step_on",
        "effective_date",
        "created_at",
        "updated_at",
        "archived",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("partners")

    @admin.display(description=_("planned next step"), ordering="planned_next_step_on")
    def next_step(self, law: DraftLaw) -> str:
        if not law.planned_next_step:
            return "—"
        if law.planned_next_step_on is None:
            return law.planned_next_step
        overdue = law.planned_next_step_on < timezone.localdate() and not law.workflow.is_terminal(
            law.status
        )
        return format_html(
            '{} <span class="tracker-date{}">({}{})</span>',
            law.planned_next_step,
            " tracker-date--overdue" if overdue else "",
            date_format(law.planned_next_step_on),
            format_html(", <strong>{}</strong>", _("overdue")) if overdue else "",
        )


@admin.register(TaxMeasure)
class TaxMeasureAdmin(RecordAdmin):
    list_display = (
        "name_en",
        "kind",
        "legal_basis",
        "status_badge",
        "visibility",
        "partner_codes",
        "starts_on",
        "sunset_on",
        "is_archived",
    )
    list_select_related = ("legal_basis",)
    list_filter = ("status", "kind", "visibility", "partners", ArchivedFilter)
    search_fields = ("name_en", "name_uk", "beneficiaries", "legal_basis__registration_number")
    date_hierarchy = "starts_on"
    readonly_fields = STATUS_FIELDS
    filter_horizontal = ("partners",)
    raw_id_fields = ("legal_basis",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("name_uk", "name_en"),
                    ("kind", "legal_basis"),
                    "beneficiaries",
                    ("description_uk", "description_en"),
                    "partners",
                )
            },
        ),
        STATUS_FIELDSET,
        (
            _("Rate, dates and cost"),
            {
                "fields": (
                    ("rate_percent", "amount", "amount_currency"),
                    ("starts_on", "sunset_on"),
                    ("estimated_fiscal_cost", "fiscal_cost_currency"),
                )
            },
        ),
        INTERNAL_FIELDSET,
    )
    export_columns = (
        "id",
        "name_uk",
        "name_en",
        "kind",
        "legal_basis",
        "status",
        "status_label",
        "visibility",
        "beneficiaries",
        "rate_percent",
        "amount",
        "amount_currency",
        "starts_on",
        "sunset_on",
        "estimated_fiscal_cost",
        "fiscal_cost_currency",
        "partners",
        "created_at",
        "updated_at",
        "archived",
    )

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("legal_basis").prefetch_related("partners")
        )


@admin.register(Facility)
class FacilityAdmin(RecordAdmin):
    list_display = (
        "name_en",
        "country",
        "region",
        "product_category",
        "status_badge",
        "visibility",
        "partner_codes",
        "updated_at",
        "is_archived",
    )
    list_filter = (
        "status",
        "product_category",
        "visibility",
        "partners",
        ("country", CountryFilter),
        ArchivedFilter,
    )
    search_fields = ("name_en", "name_uk", "companies", "region")
    date_hierarchy = "created_at"
    readonly_fields = STATUS_FIELDS
    filter_horizontal = ("partners", "enabling_laws", "tax_measures")
    import_kind = "facility"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("name_uk", "name_en"),
                    ("country", "region"),
                    "product_category",
                    ("description_uk", "description_en"),
                    "partners",
                    "companies",
                )
            },
        ),
        STATUS_FIELDSET,
        (
            _("Investment and capacity"),
            {"fields": (("investment", "investment_currency"), "planned_capacity")},
        ),
        (_("Legal basis"), {"fields": ("enabling_laws", "tax_measures")}),
        (_("Staff only"), {"fields": ("exact_site", "internal_notes")}),
    )
    export_columns = (
        "id",
        "name_uk",
        "name_en",
        "country",
        "region",
        "product_category",
        "status",
        "status_label",
        "visibility",
        "partners",
        "companies",
        "investment",
        "investment_currency",
        "planned_capacity",
        "enabling_laws",
        "created_at",
        "updated_at",
        "archived",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("partners")

    def _export_queryset(self, queryset):
        return queryset.prefetch_related("enabling_laws")


@admin.register(PartnerCountry)
class PartnerCountryAdmin(RecordAdmin):
    list_display = (
        "name_en",
        "name_uk",
        "code",
        "status_badge",
        "visibility",
        "agreement_count",
        "updated_at",
        "is_archived",
    )
    list_filter = ("status", "visibility", ArchivedFilter)
    search_fields = ("name_en", "name_uk", "code")
    date_hierarchy = "created_at"
    readonly_fields = STATUS_FIELDS
    inlines = [AgreementInline, ContactInline]
    fieldsets = (
        (None, {"fields": (("code", "name_uk", "name_en"), ("summary_uk", "summary_en"))}),
        STATUS_FIELDSET,
        (_("Notifications"), {"fields": ("notification_emails",)}),
        INTERNAL_FIELDSET,
    )
    export_columns = (
        "id",
        "code",
        "name_uk",
        "name_en",
        "status",
        "status_label",
        "visibility",
        "created_at",
        "updated_at",
        "archived",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(agreement_total=Count("agreements"))

    @admin.display(description=_("agreements"), ordering="agreement_total")
    def agreement_count(self, partner: PartnerCountry) -> int:
        return partner.agreement_total
