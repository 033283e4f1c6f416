"""Admins of the four record types and their inlines; the shared behaviour is in `base`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.filters import CountryFilter

from tracker.models import (
    RELATION_INVERSE_LABELS,
    Agreement,
    Contact,
    CooperationProgramme,
    DraftLaw,
    EntryIntoForce,
    Facility,
    LawCommittee,
    LawDocument,
    LawRelation,
    PartnerCountry,
    RegistrationNumber,
    StatusChange,
    TaxMeasure,
    TaxMeasureKind,
)
from tracker.selectors import status_history
from tracker.services.errors import TransitionNotAllowed
from tracker.services.laws import (
    IDENTIFIER_FIELDS,
    add_committee,
    add_entry_into_force,
    add_registration_number,
    measures_to_follow,
    number_holder,
    relate_laws,
    remove_committee,
    remove_entry_into_force,
    remove_registration_number,
    set_law_identifiers,
    sync_effective_date,
    unrelate_laws,
)
from tracker.services.transitions import record_transition
from tracker.workflows import LAW_ADOPTED, LawStatus, TaxMeasureStatus

from .base import HTTPS_LINKS, RecordAdmin
from .forms import RecordForm
from .mixins import ArchivedFilter, ReadOnlyMixin, ServiceRefused
from .rada import rada_context
from .timeline import date_label

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


class CooperationProgrammeInline(admin.TabularInline):
    formfield_overrides = HTTPS_LINKS
    model = CooperationProgramme
    fields = ("name_en", "name_uk", "kind", "status", "started_on", "url")
    extra = 0


class ContactInline(admin.TabularInline):
    formfield_overrides = HTTPS_LINKS
    model = Contact
    fields = ("name", "role", "email", "phone")
    extra = 0


class RegistrationNumberInline(admin.TabularInline):
    model = RegistrationNumber
    fields = ("number", "registered_on", "note")
    extra = 0


class LawRelationInline(admin.TabularInline):
    """Relations recorded on this bill: this bill is <kind> the other."""

    model = LawRelation
    fk_name = "law"
    fields = ("kind", "other", "note")
    autocomplete_fields = ("other",)
    extra = 0
    verbose_name = _("related bill")
    verbose_name_plural = _("related bills (this bill is …)")


class InverseLawRelationInline(ReadOnlyMixin, admin.TabularInline):
    """Relations recorded on other bills that name this one, read as they read from here."""

    model = LawRelation
    fk_name = "other"
    fields = readonly_fields = ("inverse_label", "from_bill", "note")
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = _("bill relating to this one")
    verbose_name_plural = _("related bills (recorded on the other bill)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("law")

    @admin.display(description=_("this bill is"))
    def inverse_label(self, relation: LawRelation) -> str:
        return str(RELATION_INVERSE_LABELS.get(relation.kind, relation.get_kind_display()))

    @admin.display(description=_("bill"))
    def from_bill(self, relation: LawRelation) -> str:
        url = reverse("admin:tracker_draftlaw_change", args=[relation.law_id])
        return format_html('<a href="{}">{}</a>', url, relation.law)


class LawCommitteeInline(admin.TabularInline):
    model = LawCommittee
    fields = ("name", "received_on")
    extra = 0


class EntryIntoForceInline(admin.TabularInline):
    model = EntryIntoForce
    fields = ("provisions", "on", "condition")
    extra = 0


def _refusal_in(inline_name: str, row: str, error: ValidationError) -> ValidationError:
    """A service's refusal of one inline row, told with the inline and the row it is about."""
    return ValidationError(
        [f"{inline_name} ({row}): {message}" for message in error.messages], code="invalid"
    )


def _save_registration_number(law, actor, old: RegistrationNumber | None, new):
    if old is not None:
        remove_registration_number(law=law, number=old.number, actor=actor)
    if new is not None:
        add_registration_number(
            law=law, number=new.number, registered_on=new.registered_on, note=new.note, actor=actor
        )


def _save_relation(law, actor, old: LawRelation | None, new):
    if old is not None:
        unrelate_laws(law=law, kind=old.kind, other=old.other, actor=actor)
    if new is not None:
        relate_laws(law=law, kind=new.kind, other=new.other, note=new.note, actor=actor)


def _save_committee(law, actor, old: LawCommittee | None, new):
    if old is not None:
        remove_committee(law=law, committee=old.pk, actor=actor)
    if new is not None:
        add_committee(law=law, name=new.name, received_on=new.received_on, actor=actor)


def _save_entry_into_force(law, actor, old: EntryIntoForce | None, new):
    if new is not None:  # added first, so that a law in force always keeps one
        add_entry_into_force(
            law=law, provisions=new.provisions, on=new.on, condition=new.condition, actor=actor
        )
    if old is not None:
        remove_entry_into_force(law=law, entry=old.pk, actor=actor)


# Inline rows of a law written through the law services, each a (remove, add) pair.
LAW_INLINE_SERVICES: dict[type, Callable[..., None]] = {
    RegistrationNumber: _save_registration_number,
    LawRelation: _save_relation,
    LawCommittee: _save_committee,
    EntryIntoForce: _save_entry_into_force,
}
# The steps a tax measure's suggested status follows from.
MEASURE_TRIGGERS = {
    TaxMeasureStatus.ADOPTED: LAW_ADOPTED,
    TaxMeasureStatus.IN_EFFECT: frozenset({LawStatus.IN_FORCE}),
}


def triggering_step(law: DraftLaw, target: str) -> StatusChange | None:
    """The law's step that makes a measure resting on it due for `target`: its first adoption
    for "adopted", its entry into force for "in effect"."""
    statuses = MEASURE_TRIGGERS.get(target, frozenset())
    steps = [s for s in status_history(law) if s.to_status in statuses]
    if not steps:
        return None
    return steps[0] if target == TaxMeasureStatus.ADOPTED else steps[-1]


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
    search_fields = (
        "title_en",
        "title_uk",
        "registration_number",
        "other_numbers__number",
        "act_number",
        "lead_committee",
    )
    date_hierarchy = "registration_date"
    readonly_fields = (*STATUS_FIELDS, "effective_date")
    autocomplete_fields = ()
    filter_horizontal = ("partners",)
    inlines = [
        LawDocumentInline,
        RegistrationNumberInline,
        LawRelationInline,
        InverseLawRelationInline,
        LawCommitteeInline,
        EntryIntoForceInline,
    ]
    import_kind = "law"
    change_form_template = "admin/tracker/law_change_form.html"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("title_uk", "title_en"),
                    ("registration_number", "registration_date", "convocation"),
                    "initiator",
                    ("summary_uk", "summary_en"),
                    "partners",
                )
            },
        ),
        (
            _("Procedure"),
            {
                "fields": (
                    ("lead_committee", "lead_committee_received_on"),
                    ("is_urgent", "shortened_procedure", "needs_constitutional_majority"),
                ),
                "description": _(
                    "Other committees, earlier numbers and related bills are listed below."
                ),
            },
        ),
        (_("Signed law"), {"fields": (("act_number", "act_date"), "effective_date")}),
        STATUS_FIELDSET,
        (_("Next step"), {"fields": (("planned_next_step", "planned_next_step_on"),)}),
        INTERNAL_FIELDSET,
    )
    export_columns = (
        "id",
        "registration_number",
        "registration_numbers",
        "registration_date",
        "convocation",
        "act_number",
        "act_date",
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

    def _export_queryset(self, queryset):
        return queryset.prefetch_related("other_numbers")

    # --- saving: identifiers and inline rows through the law services ----------------------

    def save_model(self, request, obj, form, change):
        number = (form.cleaned_data.get("registration_number") or "").strip()
        if number and "registration_number" in form.changed_data:
            held = number_holder(number, exclude=obj if change else None)
            if held is not None:
                holder, which = held
                raise ServiceRefused(
                    ValidationError(
                        {
                            "registration_number": gettext(
                                "Number %(number)s is already the %(which)s number of %(law)s."
                            )
                            % {"number": number, "which": which, "law": holder}
                        }
                    )
                )
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if change:
            identifiers = {
                name: form.cleaned_data[name]
                for name in form.changed_data
                if name in IDENTIFIER_FIELDS and name in form.cleaned_data
            }
            if identifiers:
                with self._refusals():
                    set_law_identifiers(law=form.instance, actor=request.user, **identifiers)
        super().save_related(request, form, formsets, change)
        # The effective date is the first dated entry into force, whatever the rows say now.
        sync_effective_date(form.instance)

    def save_formset(self, request, form, formset, change):
        saver = LAW_INLINE_SERVICES.get(formset.model)
        if saver is None:
            return super().save_formset(request, form, formset, change)
        if formset.fk.name != "law":
            # The relations recorded on other bills are read-only here.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return None
        law = form.instance
        name = str(formset.model._meta.verbose_name_plural).capitalize()
        formset.save(commit=False)
        originals = {
            obj.pk: obj
            for obj in formset.model.objects.filter(
                pk__in=[o.pk for o in formset.deleted_objects]
                + [o.pk for o, _changed in formset.changed_objects]
            )
        }
        rows: list[tuple[Any, Any]] = [(originals[o.pk], None) for o in formset.deleted_objects]
        rows += [(originals[o.pk], o) for o, _changed in formset.changed_objects]
        rows += [(None, o) for o in formset.new_objects]
        for old, new in rows:
            try:
                saver(law, request.user, old, new)
            except ValidationError as exc:
                raise _refusal_in(name, str(new or old), exc) from exc
        # Each service call left its own `law.updated` event.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        return None

    # --- tax measures that follow the law -------------------------------------------------

    def _measures_to_move(self, request, law: DraftLaw) -> list[dict[str, Any]]:
        if not request.user.has_perm("tracker.transition_taxmeasure"):
            return []
        rows = []
        steps: dict[str, StatusChange | None] = {}
        for measure, target in measures_to_follow(law):
            if target not in steps:
                steps[target] = triggering_step(law, target)
            step = steps[target]
            rows.append(
                {
                    "measure": measure,
                    "target": target,
                    "target_label": measure.workflow.label(target),
                    "current_label": measure.status_label,
                    "date": date_label(step) if step is not None else gettext("date not known"),
                    "url": reverse(
                        "admin:tracker_draftlaw_move_measure", args=[law.pk, measure.pk]
                    ),
                    "measure_url": reverse("admin:tracker_taxmeasure_change", args=[measure.pk]),
                }
            )
        return rows

    def _record_context(self, request, record):
        context = super()._record_context(request, record)
        context["measures_to_move"] = (
            self._measures_to_move(request, record) if not record.is_archived else []
        )
        context.update(rada_context(record))
        return context

    def after_transition(self, request, record, change) -> None:
        if change.to_status not in LAW_ADOPTED:
            return
        rows = self._measures_to_move(request, record)
        if rows:
            self.message_user(
                request,
                gettext(
                    "Tax measures resting on this law may follow it: %(list)s. Nothing moves by "
                    "itself: record each from “Measures to move” on this page."
                )
                % {"list": "; ".join(f"{row['measure']} → {row['target_label']}" for row in rows)},
                messages.WARNING,
            )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/move-measure/<int:measure_id>/",
                self.admin_site.admin_view(self.move_measure_view),
                name="tracker_draftlaw_move_measure",
            ),
            *super().get_urls(),
        ]

    def move_measure_view(
        self, request: HttpRequest, object_id: str, measure_id: int
    ) -> HttpResponse:
        """Record, on one click, the status a tax measure resting on the law should follow to."""
        law = self._get_record(request, object_id)
        if request.method != "POST" or not request.user.has_perm("tracker.transition_taxmeasure"):
            raise PermissionDenied
        due = {measure.pk: (measure, target) for measure, target in measures_to_follow(law)}
        back = HttpResponseRedirect(self._url("change", law.pk))
        if measure_id not in due:
            self.message_user(
                request,
                gettext("This tax measure has nothing to follow any more; nothing was recorded."),
                messages.WARNING,
            )
            return back
        measure, target = due[measure_id]
        if request.POST.get("expected_status", measure.status) != measure.status:
            self.message_user(
                request,
                gettext("The tax measure changed meanwhile; check it and try again."),
                messages.WARNING,
            )
            return back
        step = triggering_step(law, target)
        try:
            record_transition(
                record=measure,
                to_status=target,
                occurred_on=step.occurred_on if step is not None else None,
                date_precision=step.date_precision if step is not None else None,
                recorded_by=request.user,
                note=gettext("Follows %(law)s: “%(status)s”.")
                % {"law": law, "status": law.status_label},
                source_url=step.source_url if step is not None else "",
                expected_status=measure.status,
            )
        except TransitionNotAllowed as exc:
            self.message_user(request, exc.message, messages.ERROR)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("Recorded: %(measure)s is now “%(status)s”.")
                % {"measure": measure, "status": measure.workflow.label(target)},
                messages.SUCCESS,
            )
        return back

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


class TaxMeasureForm(RecordForm):
    other_kinds = forms.MultipleChoiceField(
        label=_("further kinds"),
        choices=TaxMeasureKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Other kinds of tax the measure covers beside its main kind."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        # The main kind is not a further one; kept in the order of the choices.
        chosen = set(cleaned.get("other_kinds") or ())
        cleaned["other_kinds"] = [k for k in TaxMeasureKind.values if k in chosen and k != kind]
        main = cleaned.get("legal_basis")
        bases = list(cleaned.get("legal_bases") or ())
        if main is not None and main not in bases:
            bases.insert(0, main)
        cleaned["legal_bases"] = bases
        return cleaned


@admin.register(TaxMeasure)
class TaxMeasureAdmin(RecordAdmin):
    form = TaxMeasureForm
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
    autocomplete_fields = ("legal_bases",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("name_uk", "name_en"),
                    ("kind", "other_kinds"),
                    "legal_basis",
                    "legal_bases",
                    "beneficiaries",
                    ("description_uk", "description_en"),
                    "partners",
                ),
                "description": _(
                    "The main legal basis is always among the legal bases; give the others "
                    "(a Tax Code or Customs Code amendment, say) beside it."
                ),
            },
        ),
        STATUS_FIELDSET,
        (
            _("Rate, dates and cost"),
            {
                "fields": (
                    ("rate_percent", "amount", "amount_currency"),
                    ("starts_on", "start_condition"),
                    ("sunset_on", "sunset_condition"),
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
        "other_kinds",
        "legal_basis",
        "legal_bases",
        "status",
        "status_label",
        "visibility",
        "beneficiaries",
        "rate_percent",
        "amount",
        "amount_currency",
        "starts_on",
        "start_condition",
        "sunset_on",
        "sunset_condition",
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

    def _export_queryset(self, queryset):
        return queryset.prefetch_related("legal_bases")

    def _service_values(self, form, *, only_changed: bool) -> dict[str, Any]:
        values = super()._service_values(form, only_changed=only_changed)
        # A new main legal basis joins the legal bases even when those were left as they were.
        if "legal_basis" in values or "legal_bases" in values:
            values["legal_bases"] = form.cleaned_data["legal_bases"]
        return values


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
    inlines = [CooperationProgrammeInline, AgreementInline, ContactInline]
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
