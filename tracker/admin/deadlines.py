"""Deadlines in the admin: the ones staff add by hand (through the services), and one page of
everything due or overdue across all records."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tracker import deadlines as rules
from tracker.models import RECORD_MODELS, Deadline, ManualDeadline, PartnerCountry
from tracker.selectors import deadlines_linked_to_partner
from tracker.services import deadlines as services

from .base import HTTPS_LINKS
from .forms import ServiceForm
from .mixins import ReadOnlyMixin, ServiceFormAdmin

# "Due" on the staff page: within this many days.
DUE_SOON_DAYS = 14
RECORD_TYPE_CHOICES = [
    (record_type, model._meta.verbose_name) for record_type, model in RECORD_MODELS.items()
]


def _record_admin_url(record_type: str, record_id: int) -> str | None:
    model = RECORD_MODELS.get(record_type)
    if model is None:
        return None
    try:
        return reverse(f"admin:tracker_{model._meta.model_name}_change", args=[record_id])
    except NoReverseMatch:
        return None


class ManualDeadlineForm(ServiceForm):
    record_type = forms.ChoiceField(label=_("record type"), choices=RECORD_TYPE_CHOICES)
    record_id = forms.IntegerField(label=_("record id"), min_value=1)

    class Meta:
        model = ManualDeadline
        fields = ("title", "due_on", "legal_basis", "source_url", "responsible", "note", "done_on")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        if instance.pk:
            self.fields["record_type"].initial = instance.content_type.model_class().record_type
            self.fields["record_id"].initial = instance.record_id
            self.fields["record_type"].disabled = True
            self.fields["record_id"].disabled = True
        if "responsible" in self.fields:
            self.fields["responsible"].queryset = get_user_model().objects.filter(
                is_staff=True, is_active=True
            )

    def clean(self):
        cleaned = super().clean()
        model = RECORD_MODELS.get(cleaned.get("record_type"))
        record_id = cleaned.get("record_id")
        if model is not None and record_id and not self.instance.pk:
            record = model.objects.filter(pk=record_id).first()
            if record is None:
                self.add_error("record_id", _("No such record."))
            cleaned["record"] = record
        return cleaned


@admin.register(ManualDeadline)
class ManualDeadlineAdmin(ServiceFormAdmin):
    form = ManualDeadlineForm
    formfield_overrides = HTTPS_LINKS
    list_display = ("title", "due_on", "record", "legal_basis", "responsible", "done_on")
    list_filter = ("done_on", ("responsible", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title", "legal_basis", "note")
    fields = (
        ("record_type", "record_id"),
        "title",
        "due_on",
        "legal_basis",
        "source_url",
        "responsible",
        "note",
        "done_on",
    )

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("responsible", request.user.pk)
        return initial

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data.get(name) for name in ManualDeadlineForm.Meta.fields}
        with self._refusals():
            if change:
                services.manual_deadline_update(deadline=obj, actor=request.user, values=values)
            else:
                created = services.manual_deadline_create(
                    record=form.cleaned_data["record"], actor=request.user, **values
                )
                obj.pk = created.pk
                obj.content_type = created.content_type
                obj.record_id = created.record_id
                obj._state.adding = False

    def delete_model(self, request, obj):
        services.manual_deadline_delete(deadline=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for deadline in queryset:
            services.manual_deadline_delete(deadline=deadline, actor=request.user)


class StandingFilter(admin.SimpleListFilter):
    title = _("standing")
    parameter_name = "standing"

    def lookups(self, request, model_admin):
        return [
            ("due_or_overdue", _("Due in 14 days or overdue")),
            ("overdue", _("Overdue")),
            ("due", _("Due in the next 14 days")),
            ("later", _("Later")),
            ("passed", _("Passed (came by itself)")),
            ("no_date", _("No date")),
            ("all", _("All")),
        ]

    def choices(self, changelist):
        # "Due or overdue" is what the page opens on.
        for choice in super().choices(changelist):
            if choice["display"] == _("All") and self.value() is None:
                continue
            if self.value() is None and choice.get("query_string", "").endswith(
                "standing=due_or_overdue"
            ):
                choice["selected"] = True
            yield choice

    def queryset(self, request, queryset):
        today = timezone.localdate()
        soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
        overdue = Q(due_on__lt=today, obliged=True)
        due = Q(due_on__gte=today, due_on__lte=soon)
        value = self.value() or "due_or_overdue"
        condition = {
            "due_or_overdue": overdue | due,
            "overdue": overdue,
            "due": due,
            "later": Q(due_on__gt=soon),
            "passed": Q(due_on__lt=today, obliged=False),
            "no_date": Q(due_on__isnull=True),
            "all": Q(),
        }.get(value, Q())
        return queryset.filter(condition)


class RecordTypeFilter(admin.SimpleListFilter):
    title = _("record type")
    parameter_name = "record_type"

    def lookups(self, request, model_admin):
        return RECORD_TYPE_CHOICES

    def queryset(self, request, queryset):
        return queryset.filter(record_type=self.value()) if self.value() else queryset


class PartnerFilter(admin.SimpleListFilter):
    title = _("partner country")
    parameter_name = "partner"

    def lookups(self, request, model_admin):
        return [(p.pk, p.name_en) for p in PartnerCountry.objects.order_by("name_en")]

    def queryset(self, request, queryset):
        if not self.value() or not str(self.value()).isdigit():
            return queryset
        return queryset.filter(deadlines_linked_to_partner(int(self.value())))


@admin.register(Deadline)
class DeadlineAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Everything due or overdue, across all records: a read-only page of the stored
    deadlines, filterable by record type, partner country and responsible staff member."""

    list_display = (
        "due_on",
        "standing",
        "what",
        "record_link",
        "legal_basis_shown",
        "responsible",
    )
    list_filter = (
        StandingFilter,
        RecordTypeFilter,
        PartnerFilter,
        ("responsible", admin.RelatedOnlyFieldListFilter),
        "kind",
    )
    list_select_related = ("responsible",)
    search_fields = ("label", "legal_basis", "key")
    list_per_page = 100

    @admin.display(description=_("standing"))
    def standing(self, obj: Deadline) -> str:
        shown = rules.present(obj, timezone.localdate())
        if shown["state"] == rules.OVERDUE:
            if shown["deemed_approved"]:
                return _("%(days)s days overdue; deemed approved (art. 94)") % {
                    "days": shown["days_overdue"]
                }
            return _("%(days)s days overdue") % {"days": shown["days_overdue"]}
        if shown["state"] in (rules.RUNNING, rules.DUE_TODAY):
            return _("%(days)s days left") % {"days": shown["days_left"]}
        if shown["state"] == rules.NO_DATE:
            return _("no date: %(why)s") % {"why": shown["unknown_reason"]}
        return _("passed")

    @admin.display(description=_("what is due"))
    def what(self, obj: Deadline) -> str:
        return rules.title_of(obj.kind, obj.label)

    @admin.display(description=_("record"))
    def record_link(self, obj: Deadline) -> str:
        url = _record_admin_url(obj.record_type, obj.record_id)
        label = f"{obj.record_type} #{obj.record_id}"
        return format_html('<a href="{}">{}</a>', url, label) if url else label

    @admin.display(description=_("legal basis"))
    def legal_basis_shown(self, obj: Deadline) -> str:
        return rules.legal_basis_of(obj.legal_basis)
