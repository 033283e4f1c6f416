from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from tracker.workflows import PARTNER_WORKFLOW, CooperationStatus

from .common import TrackedRecord


class PartnerCountry(TrackedRecord):
    record_type = "partner"
    workflow = PARTNER_WORKFLOW

    code = CountryField(_("country"), unique=True, help_text=_("ISO 3166-1 alpha-2 code."))
    name_uk = models.CharField(_("name (Ukrainian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    status = models.CharField(
        _("cooperation status"),
        max_length=32,
        choices=CooperationStatus.choices,
        default=PARTNER_WORKFLOW.initial,
        editable=False,
        db_index=True,
    )
    summary_uk = models.TextField(_("summary (Ukrainian)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    notification_emails = models.TextField(
        _("notification contacts"),
        blank=True,
        help_text=_("E-mail addresses, one per line, told when deliveries to this partner fail."),
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("partner country")
        verbose_name_plural = _("partner countries")
        ordering = ["name_en"]
        permissions = [("transition_partnercountry", "Can record cooperation status changes")]

    def __str__(self) -> str:
        return f"{self.name_en} ({self.code})"

    @property
    def partner_codes(self) -> list[str]:
        return [str(self.code)]


class Agreement(models.Model):
    partner = models.ForeignKey(PartnerCountry, on_delete=models.CASCADE, related_name="agreements")
    title = models.CharField(_("title"), max_length=300)
    signed_on = models.DateField(_("signed on"))
    url = models.URLField(_("link"), blank=True, max_length=500)

    class Meta:
        verbose_name = _("agreement")
        ordering = ["signed_on", "id"]

    def __str__(self) -> str:
        return self.title


class Contact(models.Model):
    """A person at a partner's ministry. Staff only."""

    partner = models.ForeignKey(PartnerCountry, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("contact")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProgrammeKind(models.TextChoices):
    FINANCING = "financing", _("Financing of production")
    JOINT_VENTURE = "joint_venture", _("Joint venture")
    PROCUREMENT = "procurement", _("Procurement agreement")
    TECHNOLOGY = "technology", _("Technology transfer")
    OTHER = "other", _("Other")


class CooperationProgramme(models.Model):
    """One line of cooperation with a partner (a financing model, a joint venture...).

    A country often runs several, each at its own stage; the country's own status is its
    overall cooperation. Seen by whoever may see the partner country.
    """

    partner = models.ForeignKey(PartnerCountry, on_delete=models.CASCADE, related_name="programmes")
    name_en = models.CharField(_("name (English)"), max_length=300)
    name_uk = models.CharField(_("name (Ukrainian)"), max_length=300)
    kind = models.CharField(_("kind"), max_length=24, choices=ProgrammeKind.choices)
    status = models.CharField(
        _("stage"), max_length=32, choices=CooperationStatus.choices, default="prospective"
    )
    started_on = models.DateField(_("started on"), null=True, blank=True)
    url = models.URLField(_("link"), blank=True, max_length=500)

    class Meta:
        verbose_name = _("cooperation programme")
        verbose_name_plural = _("cooperation programmes")
        ordering = ["started_on", "id"]

    def __str__(self) -> str:
        return self.name_en
