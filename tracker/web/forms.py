"""Filter forms of the public lists (GET). Each knows how to narrow its queryset."""

from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_countries.fields import Country

from tracker.models import ProductCategory, TaxMeasureKind
from tracker.workflows import CooperationStatus, FacilityStatus, LawStatus, TaxMeasureStatus

from .queries import public_facilities, public_partners


def _any(label, choices) -> list[tuple[str, str]]:
    return [("", label), *choices]


def _partner_choices() -> list[tuple[str, str]]:
    partners = public_partners().order_by("local_name").only("code")
    return _any(_("Any partner"), [(str(p.code), p.local_name) for p in partners])


class RecordFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200, strip=True)
    # Text fields searched by `q`, both languages.
    search_fields: tuple[str, ...] = ()

    def filter(self, queryset: QuerySet) -> QuerySet:
        """Apply the filters that are valid; the view reports the others."""
        data = getattr(self, "cleaned_data", {})
        if query := data.get("q"):
            condition = Q()
            for name in self.search_fields:
                condition |= Q(**{f"{name}__icontains": query})
            queryset = queryset.filter(condition)
        if status := data.get("status"):
            queryset = queryset.filter(status=status)
        if partner := data.get("partner"):
            queryset = queryset.filter(partners__code=partner)
        return queryset


class LawFilterForm(RecordFilterForm):
    status = forms.ChoiceField(
        label=_("Stage"), required=False, choices=_any(_("Any stage"), LawStatus.choices)
    )
    partner = forms.ChoiceField(label=_("Partner country"), required=False)
    search_fields = ("title_en", "title_uk", "registration_number", "summary_en", "summary_uk")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = _partner_choices()


class TaxMeasureFilterForm(RecordFilterForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_any(_("Any status"), TaxMeasureStatus.choices)
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=_any(_("Any kind"), TaxMeasureKind.choices)
    )
    partner = forms.ChoiceField(label=_("Partner country"), required=False)
    search_fields = ("name_en", "name_uk", "beneficiaries", "description_en", "description_uk")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = _partner_choices()

    def filter(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter(queryset)
        if kind := self.cleaned_data.get("kind"):
            queryset = queryset.filter(kind=kind)
        return queryset


class FacilityFilterForm(RecordFilterForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_any(_("Any status"), FacilityStatus.choices)
    )
    country = forms.ChoiceField(label=_("Located in"), required=False)
    category = forms.ChoiceField(
        label=_("Product category"),
        required=False,
        choices=_any(_("Any category"), ProductCategory.choices),
    )
    partner = forms.ChoiceField(label=_("Partner country"), required=False)
    search_fields = ("name_en", "name_uk", "companies", "region", "description_en")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = _partner_choices()
        codes = public_facilities().order_by().values_list("country", flat=True).distinct()
        countries = sorted((Country(code) for code in codes), key=lambda c: c.name)
        self.fields["country"].choices = _any(
            _("Any country"), [(c.code, c.name) for c in countries]
        )

    def filter(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter(queryset)
        if country := self.cleaned_data.get("country"):
            queryset = queryset.filter(country=country)
        if category := self.cleaned_data.get("category"):
            queryset = queryset.filter(product_category=category)
        return queryset


class PartnerFilterForm(RecordFilterForm):
    status = forms.ChoiceField(
        label=_("Cooperation status"),
        required=False,
        choices=_any(_("Any status"), CooperationStatus.choices),
    )
    search_fields = ("name_en", "name_uk", "code")
