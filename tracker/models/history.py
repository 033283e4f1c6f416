"""The append-only record of status changes and the event log (change feed, outbox, audit)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class StatusChange(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    record_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "record_id")

    from_status = models.CharField(_("from"), max_length=32)
    to_status = models.CharField(_("to"), max_length=32)
    occurred_on = models.DateField(_("occurred on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)
    source_url = models.URLField(_("source"), blank=True, max_length=500)
    votes_for = models.PositiveSmallIntegerField(_("votes for"), null=True, blank=True)
    votes_against = models.PositiveSmallIntegerField(_("votes against"), null=True, blank=True)
    abstained = models.PositiveSmallIntegerField(_("abstained"), null=True, blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["occurred_on", "id"]
        indexes = [models.Index(fields=["content_type", "record_id", "id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(votes_for__isnull=True)
                | Q(votes_against__isnull=True)
                | Q(abstained__isnull=True)
                | Q(votes_for__lte=450 - F("votes_against") - F("abstained")),
                name="status_change_votes_fit_the_rada",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status} on {self.occurred_on}"

    @property
    def is_vote(self) -> bool:
        return self.votes_for is not None


class Event(models.Model):
    """One thing that happened to a record.

    Ids only grow and become visible in id order (see `tracker.services.events`), so a
    reader that remembers the last id it saw never misses one.
    `fanned_out_at` is NULL until notifications have been planned for the event.
    """

    id = models.BigAutoField(primary_key=True)
    type = models.CharField(_("type"), max_length=64, db_index=True)
    record_type = models.CharField(_("record type"), max_length=32)
    record_id = models.PositiveBigIntegerField(_("record id"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status_change = models.OneToOneField(
        StatusChange, on_delete=models.PROTECT, null=True, blank=True, related_name="event"
    )
    data = models.JSONField(_("data"), default=dict)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["record_type", "record_id", "id"]),
            models.Index(
                fields=["id"], condition=Q(fanned_out_at__isnull=True), name="event_pending_fanout"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.type}"
