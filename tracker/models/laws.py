from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from tracker.workflows import LAW_WORKFLOW, LawStatus

from .common import TrackedRecord

# A signed law's number: its sequence, then the convocation in Roman numerals (1234-IX).
ACT_NUMBER = re.compile(r"\d{1,5}-[IVXL]{1,6}")


class Initiator(models.TextChoices):
    CABINET = "cabinet", _("Cabinet of Ministers")
    MPS = "mps", _("Members of Parliament")
    PRESIDENT = "president", _("President")
    NOT_KNOWN = "not_known", _("Not known")


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
    convocation = models.PositiveSmallIntegerField(
        _("convocation"),
        null=True,
        blank=True,
        help_text=_("The Rada's convocation the bill was registered in, e.g. 9."),
    )
    lead_committee = models.CharField(_("main committee"), max_length=300, blank=True)
    lead_committee_received_on = models.DateField(
        _("main committee received it on"), null=True, blank=True
    )
    is_urgent = models.BooleanField(
        _("marked urgent by the President"), default=False, help_text=_("Constitution art. 93.")
    )
    shortened_procedure = models.BooleanField(_("shortened procedure"), default=False)
    needs_constitutional_majority = models.BooleanField(
        _("needs 300 votes"),
        default=False,
        help_text=_("An amendment of the Constitution: adoption needs two thirds of the Rada."),
    )
    act_number = models.CharField(
        _("act number"),
        max_length=32,
        blank=True,
        help_text=_("The number of the signed law, e.g. 1234-IX (IX: the convocation)."),
    )
    act_date = models.DateField(_("act date"), null=True, blank=True)
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
    effective_date = models.DateField(
        _("effective date"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The first dated entry into force."),
    )

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
                condition=Q(act_date__isnull=True) | ~Q(act_number=""),
                name="law_act_date_has_number",
                violation_error_message=_("Give the act number for the act date."),
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
        self.act_number = (self.act_number or "").strip()
        if self.act_number and not ACT_NUMBER.fullmatch(self.act_number):
            raise ValidationError(
                {"act_number": _("Write the act number as the Rada does, e.g. 1234-IX.")}
            )

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


class RegistrationNumber(models.Model):
    """A number the bill had before its current one (e.g. 1234 before the reworked 1234-д)."""

    law = models.ForeignKey(
        DraftLaw, on_delete=models.CASCADE, related_name="other_numbers", verbose_name=_("law")
    )
    number = models.CharField(_("number"), max_length=32, unique=True)
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("earlier registration number")
        verbose_name_plural = _("earlier registration numbers")
        ordering = ["registered_on", "id"]

    def __str__(self) -> str:
        return self.number


class RelationKind(models.TextChoices):
    ALTERNATIVE_TO = "alternative_to", _("alternative to")
    REWORKED_INTO = "reworked_into", _("reworked into")
    REREGISTERED_AS = "reregistered_as", _("re-registered as")
    PACKAGE_WITH = "package_with", _("in a package with")
    RESOLUTION_ABOUT = "resolution_about", _("resolution about")


# How a relation reads from its other end.
RELATION_INVERSE_LABELS = {
    RelationKind.ALTERNATIVE_TO: _("has the alternative"),
    RelationKind.REWORKED_INTO: _("reworked from"),
    RelationKind.REREGISTERED_AS: _("re-registered from"),
    RelationKind.PACKAGE_WITH: _("in a package with"),
    RelationKind.RESOLUTION_ABOUT: _("subject of the resolution"),
}


class LawRelation(models.Model):
    """`law` is `kind` `other` (e.g. 1234-1 is an alternative to 1234)."""

    law = models.ForeignKey(DraftLaw, on_delete=models.CASCADE, related_name="relations")
    kind = models.CharField(_("relation"), max_length=24, choices=RelationKind.choices)
    other = models.ForeignKey(
        DraftLaw, on_delete=models.CASCADE, related_name="inverse_relations", verbose_name=_("bill")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("related bill")
        verbose_name_plural = _("related bills")
        ordering = ["kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["law", "kind", "other"],
                name="law_relation_unique",
                violation_error_message=_("These bills are already related this way."),
            ),
            models.CheckConstraint(
                condition=~Q(law=F("other")),
                name="law_relation_not_to_itself",
                violation_error_message=_("A bill cannot be related to itself."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.law} {self.get_kind_display()} {self.other}"


class LawCommittee(models.Model):
    """A committee other than the main one that the bill was sent to."""

    law = models.ForeignKey(DraftLaw, on_delete=models.CASCADE, related_name="other_committees")
    name = models.CharField(_("committee"), max_length=300)
    received_on = models.DateField(_("received on"), null=True, blank=True)

    class Meta:
        verbose_name = _("other committee")
        verbose_name_plural = _("other committees")
        ordering = ["received_on", "id"]

    def __str__(self) -> str:
        return self.name


class EntryIntoForce(models.Model):
    """When (some of) a law takes effect: a date, a condition, or both (whichever first)."""

    law = models.ForeignKey(DraftLaw, on_delete=models.CASCADE, related_name="entries_into_force")
    provisions = models.CharField(
        _("provisions"),
        max_length=300,
        blank=True,
        help_text=_("Which parts, e.g. 'Articles 1-3'; empty for the whole law."),
    )
    on = models.DateField(_("date"), null=True, blank=True)
    condition = models.CharField(
        _("condition"),
        max_length=500,
        blank=True,
        help_text=_("e.g. 'the day the register starts operating'."),
    )

    class Meta:
        verbose_name = _("entry into force")
        verbose_name_plural = _("entries into force")
        ordering = [models.F("on").asc(nulls_last=True), "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(on__isnull=False) | ~Q(condition=""),
                name="entry_into_force_has_date_or_condition",
                violation_error_message=_("Give the date, the condition, or both."),
            ),
        ]

    def __str__(self) -> str:
        when = self.on.isoformat() if self.on else self.condition
        return f"{self.provisions or _('whole law')}: {when}"
