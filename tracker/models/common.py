"""What every tracked record has: names in two languages, visibility, status, timestamps."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from tracker.workflows import Workflow


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    PARTNERS = "partners", _("All partners")
    RESTRICTED = "restricted", _("Restricted to linked partners")


class Currency(models.TextChoices):
    """ISO 4217 codes of the currencies co-production money is stated in."""

    EUR = "EUR", _("Euro")
    USD = "USD", _("US dollar")
    UAH = "UAH", _("Ukrainian hryvnia")
    GBP = "GBP", _("Pound sterling")
    DKK = "DKK", _("Danish krone")
    SEK = "SEK", _("Swedish krona")
    NOK = "NOK", _("Norwegian krone")
    PLN = "PLN", _("Polish złoty")
    CZK = "CZK", _("Czech koruna")
    CHF = "CHF", _("Swiss franc")
    CAD = "CAD", _("Canadian dollar")
    JPY = "JPY", _("Japanese yen")


MONEY = {"max_digits": 18, "decimal_places": 2}


class TrackedRecord(models.Model):
    """Abstract base of the four record types.

    Subclasses set `record_type` (the prefix of their event types) and `workflow`.
    `status` is only ever written by `tracker.services.transitions.record_transition`.
    """

    record_type: ClassVar[str]
    workflow: ClassVar[Workflow]

    visibility = models.CharField(
        _("visibility"),
        max_length=16,
        choices=Visibility.choices,
        default=Visibility.RESTRICTED,
        db_index=True,
    )
    internal_notes = models.TextField(
        _("internal notes"), blank=True, help_text=_("Staff only; never shown to partners.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True, editable=False)

    status_changes = GenericRelation(
        "tracker.StatusChange", content_type_field="content_type", object_id_field="record_id"
    )

    class Meta:
        abstract = True

    @property
    def status_label(self) -> str:
        return self.workflow.label(self.status)

    @property
    def allowed_targets(self) -> tuple[str, ...]:
        return self.workflow.allowed_targets(self.status)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def partner_codes(self) -> list[str]:
        return sorted(str(p.code) for p in self.partners.all())
