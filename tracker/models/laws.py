from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from tracker.workflows import LAW_WORKFLOW, LawStatus

from .common import TrackedRecord


class Initiator(models.TextChoices):
    CABINET = "cabinet", _("Cabinet of Ministers")
    MPS = "mps", _("Members of Parliament")
    PRESIDENT = "president", _("President")


class DraftLaw(TrackedRecord):
    record_type = "law"
    workflow = LAW_WORKFLOW

    title_uk = models.CharField(_("title (Ukrainian)"), max_length=500)
    title_en = models.CharField(_("title (English)"), max_length=500)
    registration_number = models.CharField(
        _("Rada registration number"),
        max_length=32,
        blank=True,
        null=True,
        help_text=_("As assigned by the Verkhovna Rada, e.g. 13302 or 13302-1."),
    )
    registration_date = models.DateField(_("registration date"), null=True, blank=True)
    initiator = models.CharField(
        _("initiator"), max_length=16, choices=Initiator.choices, default=Initiator.CABINET
    )
    lead_committee = models.CharField(_("lead committee"), max_length=300, blank=True)
    summary_uk = models.TextField(_("summary (Ukrainian)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=32,
        choices=LawStatus.choices,
        default=LAW_WORKFLOW.initial,
        editable=False,
        db_index=True,
    )
    partners = models.ManyToManyField(
        "tracker.PartnerCountry", blank=True, related_name="laws", verbose_name=_("partners")
    )
    planned_next_step = models.CharField(_("planned next step"), max_length=300, blank=True)
    planned_next_step_on = models.DateField(_("planned for"), null=True, blank=True)
    effective_date = models.DateField(_("effective date"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[partners])

    class Meta:
        verbose_name = _("draft law")
        verbose_name_plural = _("draft laws")
        ordering = ["-updated_at", "-id"]
        permissions = [("transition_draftlaw", "Can record draft law status changes")]
        constraints = [
            models.UniqueConstraint(
                fields=["registration_number"],
                condition=Q(registration_number__isnull=False),
                name="law_registration_number_unique",
                violation_error_message=_("A draft law with this registration number exists."),
            ),
            models.CheckConstraint(
                condition=Q(registration_number__isnull=True) | Q(registration_date__isnull=False),
                name="law_registered_has_date",
                violation_error_message=_("A registration number needs a registration date."),
            ),
            models.CheckConstraint(
                condition=Q(planned_next_step_on__isnull=True) | ~Q(planned_next_step=""),
                name="law_next_step_date_has_step",
                violation_error_message=_("Describe the planned next step for its date."),
            ),
        ]
        indexes = [models.Index(fields=["visibility", "status"])]

    def __str__(self) -> str:
        number = f"No. {self.registration_number} " if self.registration_number else ""
        return f"{number}{self.title_en}"

    def _normalize_registration_number(self) -> None:
        # An empty number means "not registered yet"; store NULL so uniqueness ignores it.
        self.registration_number = (self.registration_number or "").strip() or None

    def clean(self) -> None:
        # Runs before the constraints are validated, so "" is checked as "not registered".
        super().clean()
        self._normalize_registration_number()

    def save(self, *args, **kwargs):
        self._normalize_registration_number()
        super().save(*args, **kwargs)


class DocumentKind(models.TextChoices):
    TEXT = "text", _("Text of the draft law")
    EXPLANATORY_NOTE = "explanatory_note", _("Explanatory note")
    COMMITTEE_CONCLUSION = "committee_conclusion", _("Committee conclusion")
    COMPARISON_TABLE = "comparison_table", _("Comparison table")
    OTHER = "other", _("Other")


class LawDocument(models.Model):
    law = models.ForeignKey(DraftLaw, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=32, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=300, blank=True)
    url = models.URLField(_("link"), max_length=500)
    published_on = models.DateField(_("published on"), null=True, blank=True)

    class Meta:
        verbose_name = _("document")
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return self.title or self.get_kind_display()
