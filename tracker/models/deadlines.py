"""Deadlines: the ones staff add by hand, every deadline as computed from the record, and the
alerts already sent about them.

`Deadline` rows are derived data: `tracker.services.deadlines.refresh_deadlines` recomputes a
record's rows (with the counting rules of `tracker.deadlines`) whenever the record changes,
so that lists, the calendar feed and the alert job read them with one query. They are never
edited by hand; `ManualDeadline` is what staff write.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeadlineKind(models.TextChoices):
    PRESIDENT_ANSWER = "president_answer", _("The President's answer")
    PRESIDENT_AFTER_OVERRIDE = "president_after_override", _("Signature after an override")
    ENTRY_INTO_FORCE = "entry_into_force", _("Entry into force")
    TAX_START = "tax_start", _("Tax measure starts")
    TAX_SUNSET = "tax_sunset", _("Tax measure ends")
    NEXT_STEP = "next_step", _("Planned next step")
    MANUAL = "manual", _("Added by staff")


class ManualDeadline(models.Model):
    """A deadline staff add by hand to any record, with the source that sets it."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    record_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "record_id")
    title = models.CharField(_("what is due"), max_length=300)
    due_on = models.DateField(_("due on"))
    legal_basis = models.CharField(
        _("legal basis"),
        max_length=300,
        help_text=_("What sets the deadline, e.g. 'Cabinet resolution No. 123, item 4'."),
    )
    source_url = models.URLField(_("source"), max_length=500)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible staff member"),
    )
    note = models.TextField(_("note"), blank=True)
    done_on = models.DateField(
        _("done on"), null=True, blank=True, help_text=_("Set once what was due has happened.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("manual deadline")
        verbose_name_plural = _("manual deadlines")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["content_type", "record_id"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.due_on.isoformat()})"


class Deadline(models.Model):
    """One deadline of one record as the counting rules give it now (derived; see above).

    `key` names the deadline across recomputations (`law:7:president:2` is the President's
    term of the law's second round with the President), so the calendar's UID and the alerts
    follow it when its date moves. `due_on` is null when the rules give no date, and
    `unknown_because` then says why.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    record_id = models.PositiveBigIntegerField()
    record_type = models.CharField(_("record type"), max_length=32)
    key = models.CharField(_("key"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=DeadlineKind.choices)
    label = models.CharField(_("label"), max_length=300, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True, db_index=True)
    unknown_because = models.CharField(_("no date because"), max_length=32, blank=True)
    counts_from = models.JSONField(_("counts from"), default=list)
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)
    source_url = models.URLField(_("source"), max_length=500, blank=True)
    obliged = models.BooleanField(
        _("someone must act"),
        default=True,
        help_text=_("False for a date that comes by itself (entry into force, a sunset)."),
    )
    manual = models.ForeignKey(
        ManualDeadline, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible staff member"),
    )
    computed_at = models.DateTimeField(_("computed at"), auto_now=True)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = [models.F("due_on").asc(nulls_last=True), "id"]
        indexes = [models.Index(fields=["record_type", "record_id"])]

    def __str__(self) -> str:
        return f"{self.key} {self.due_on or '?'}"


class AlertKind(models.TextChoices):
    APPROACHING = "approaching", _("Approaching")
    MISSED = "missed", _("Missed")


class DeadlineAlert(models.Model):
    """An alert that was sent: one per deadline, kind and due date, so that a re-run of the
    job sends nothing again and a deadline that moves is announced once more."""

    key = models.CharField(_("deadline"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=AlertKind.choices)
    due_on = models.DateField(_("due on"))
    event = models.ForeignKey(
        "tracker.Event", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("deadline alert")
        verbose_name_plural = _("deadline alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "kind", "due_on"], name="deadline_alert_once_per_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.kind} {self.due_on.isoformat()}"
