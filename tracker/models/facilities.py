from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from tracker.workflows import FACILITY_WORKFLOW, FacilityStatus

from .common import MONEY, Currency, TrackedRecord


class ProductCategory(models.TextChoices):
    AMMUNITION = "ammunition", _("Ammunition")
    ARTILLERY = "artillery", _("Artillery")
    DRONES = "drones", _("Drones")
    AIR_DEFENSE = "air_defense", _("Air defense")
    ARMOR = "armor", _("Armored vehicles")
    MISSILES = "missiles", _("Missiles")
    ELECTRONIC_WARFARE = "electronic_warfare", _("Electronic warfare")
    SMALL_ARMS = "small_arms", _("Small arms")
    REPAIR = "repair", _("Repair and maintenance")
    OTHER = "other", _("Other")


class Facility(TrackedRecord):
    record_type = "facility"
    workflow = FACILITY_WORKFLOW

    name_uk = models.CharField(_("name (Ukrainian)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300)
    description_uk = models.TextField(_("description (Ukrainian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    partners = models.ManyToManyField(
        "tracker.PartnerCountry",
        blank=True,
        related_name="facilities",
        verbose_name=_("partners"),
    )
    companies = models.CharField(
        _("companies"), max_length=500, blank=True, help_text=_("Comma-separated.")
    )
    country = CountryField(_("country"))
    region = models.CharField(_("region"), max_length=200, blank=True)
    exact_site = models.TextField(
        _("exact site"), blank=True, help_text=_("Staff only; never shown to partners.")
    )
    product_category = models.CharField(
        _("product category"), max_length=32, choices=ProductCategory.choices
    )
    investment = models.DecimalField(_("investment"), **MONEY, null=True, blank=True)
    investment_currency = models.CharField(
        _("investment currency"), max_length=3, choices=Currency.choices, blank=True
    )
    planned_capacity = models.CharField(_("planned capacity"), max_length=300, blank=True)
    enabling_laws = models.ManyToManyField(
        "tracker.DraftLaw", blank=True, related_name="facilities", verbose_name=_("enabling laws")
    )
    tax_measures = models.ManyToManyField(
        "tracker.TaxMeasure", blank=True, related_name="facilities", verbose_name=_("tax measures")
    )
    status = models.CharField(
        _("status"),
        max_length=32,
        choices=FacilityStatus.choices,
        default=FACILITY_WORKFLOW.initial,
        editable=False,
        db_index=True,
    )

    history = HistoricalRecords(
        excluded_fields=["updated_at"], m2m_fields=[partners, enabling_laws, tax_measures]
    )

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["-updated_at", "-id"]
        permissions = [("transition_facility", "Can record facility status changes")]
        constraints = [
            models.CheckConstraint(
                condition=Q(investment__isnull=True)
                | (Q(investment__gte=0) & ~Q(investment_currency="")),
                name="facility_investment_non_negative_with_currency",
                violation_error_message=_(
                    "An investment must be zero or more and state its currency."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name_en
