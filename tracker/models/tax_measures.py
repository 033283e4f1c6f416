from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from tracker.workflows import TAX_MEASURE_WORKFLOW, TaxMeasureStatus

from .common import MONEY, Currency, TrackedRecord


class TaxMeasureKind(models.TextChoices):
    VAT_EXEMPTION = "vat_exemption", _("VAT exemption")
    CUSTOMS_EXEMPTION = "customs_exemption", _("Customs duty exemption")
    PROFIT_TAX_RELIEF = "profit_tax_relief", _("Profit tax relief")
    ACCELERATED_DEPRECIATION = "accelerated_depreciation", _("Accelerated depreciation")
    LAND_TAX_RELIEF = "land_tax_relief", _("Land tax relief")
    SPECIAL_ZONE = "special_zone", _("Special legal regime zone")
    OTHER = "other", _("Other")


class TaxMeasure(TrackedRecord):
    record_type = "tax_measure"
    workflow = TAX_MEASURE_WORKFLOW

    name_uk = models.CharField(_("name (Ukrainian)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300)
    kind = models.CharField(_("kind"), max_length=32, choices=TaxMeasureKind.choices)
    legal_basis = models.ForeignKey(
        "tracker.DraftLaw",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tax_measures",
        verbose_name=_("main legal basis"),
    )
    legal_bases = models.ManyToManyField(
        "tracker.DraftLaw",
        blank=True,
        related_name="based_tax_measures",
        verbose_name=_("legal bases"),
        help_text=_("Every law the measure rests on, the main one included."),
    )
    other_kinds = models.JSONField(
        _("further kinds"),
        default=list,
        blank=True,
        help_text=_("Other kinds of tax the measure covers beside its main kind."),
    )
    beneficiaries = models.CharField(_("who benefits"), max_length=500, blank=True)
    description_uk = models.TextField(_("description (Ukrainian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    rate_percent = models.DecimalField(
        _("rate (%)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    amount = models.DecimalField(_("amount"), **MONEY, null=True, blank=True)
    amount_currency = models.CharField(
        _("amount currency"), max_length=3, choices=Currency.choices, blank=True
    )
    starts_on = models.DateField(_("start date"), null=True, blank=True)
    start_condition = models.CharField(
        _("start condition"),
        max_length=500,
        blank=True,
        help_text=_("e.g. 'from the first day of the month after the law enters into force'."),
    )
    sunset_on = models.DateField(_("sunset date"), null=True, blank=True)
    sunset_condition = models.CharField(
        _("sunset condition"),
        max_length=500,
        blank=True,
        help_text=_("e.g. 'or Ukraine's accession to the EU, whichever comes first'."),
    )
    estimated_fiscal_cost = models.DecimalField(
        _("estimated fiscal cost per year"), **MONEY, null=True, blank=True
    )
    fiscal_cost_currency = models.CharField(
        _("fiscal cost currency"), max_length=3, choices=Currency.choices, blank=True
    )
    status = models.CharField(
        _("status"),
        max_length=32,
        choices=TaxMeasureStatus.choices,
        default=TAX_MEASURE_WORKFLOW.initial,
        editable=False,
        db_index=True,
    )
    partners = models.ManyToManyField(
        "tracker.PartnerCountry",
        blank=True,
        related_name="tax_measures",
        verbose_name=_("partners"),
    )

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[partners, legal_bases])

    class Meta:
        verbose_name = _("tax measure")
        verbose_name_plural = _("tax measures")
        ordering = ["-updated_at", "-id"]
        permissions = [("transition_taxmeasure", "Can record tax measure status changes")]
        constraints = [
            models.CheckConstraint(
                condition=Q(sunset_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(sunset_on__gt=F("starts_on")),
                name="tax_measure_sunset_after_start",
                violation_error_message=_("The sunset date must come after the start date."),
            ),
            models.CheckConstraint(
                condition=Q(rate_percent__isnull=True)
                | Q(rate_percent__gte=0, rate_percent__lte=100),
                name="tax_measure_rate_is_percentage",
                violation_error_message=_("The rate is a percentage between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | (Q(amount__gte=0) & ~Q(amount_currency="")),
                name="tax_measure_amount_non_negative_with_currency",
                violation_error_message=_("An amount must be zero or more and state its currency."),
            ),
            models.CheckConstraint(
                condition=Q(estimated_fiscal_cost__isnull=True)
                | (Q(estimated_fiscal_cost__gte=0) & ~Q(fiscal_cost_currency="")),
                name="tax_measure_cost_non_negative_with_currency",
                violation_error_message=_(
                    "A fiscal cost must be zero or more and state its currency."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name_en

    def clean(self) -> None:
        super().clean()
        kinds = self.other_kinds
        if not isinstance(kinds, list) or any(k not in TaxMeasureKind.values for k in kinds):
            raise ValidationError(
                {
                    "other_kinds": _("List further kinds from: %(kinds)s.")
                    % {"kinds": ", ".join(TaxMeasureKind.values)}
                }
            )
        if len(set(kinds)) != len(kinds) or self.kind in kinds:
            raise ValidationError(
                {"other_kinds": _("Name each further kind once, and not the main kind.")}
            )
