"""The append-only record of status changes and the event log (change feed, outbox, audit)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _


class DatePrecision(models.TextChoices):
    """How much of a date is known. A month is stored as its first day."""

    DAY = "day", _("Exact date")
    MONTH = "month", _("Month only")
    UNKNOWN = "unknown", _("Date not known")


def parse_date_as_known(text: str | None) -> tuple[datetime.date | None, str]:
    """'2025-07-01' (a day), '2025-07' (a month) or nothing (not known) -> (date, precision).

    Raises ValueError for anything else. A month is its first day.
    """
    text = (text or "").strip()
    if not text:
        return None, DatePrecision.UNKNOWN
    if len(text) == len("2025-07"):
        return datetime.date.fromisoformat(f"{text}-01"), DatePrecision.MONTH
    if len(text) == len("2025-07-01"):
        return datetime.date.fromisoformat(text), DatePrecision.DAY
    raise ValueError(f"{text!r} is neither YYYY-MM-DD nor YYYY-MM")


class TimelineEntry(models.Model):
    """A dated, sourced fact on a record's timeline: a status change or a procedural event.

    Entries are never edited or deleted. A correction is a new entry that `corrects` the old
    one; a retraction stamps the old one with who retracted it, when and why. Either way the
    old entry stops being `is_active`, so partners see the corrected timeline and staff the
    whole trail. `position` orders the timeline, so a step learned late takes its place.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    record_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "record_id")

    occurred_on = models.DateField(_("occurred on"), null=True, blank=True)
    date_precision = models.CharField(
        _("date known"), max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    position = models.FloatField(_("position on the timeline"), default=0)
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
    not_voting = models.PositiveSmallIntegerField(_("did not vote"), null=True, blank=True)
    present = models.PositiveSmallIntegerField(_("present"), null=True, blank=True)

    is_active = models.BooleanField(_("in force on the timeline"), default=True)
    corrects = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrected_by",
        verbose_name=_("corrects"),
    )
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    retracted_at = models.DateTimeField(_("retracted at"), null=True, blank=True)
    retracted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("retracted by"),
    )
    retraction_reason = models.TextField(_("reason for the retraction"), blank=True)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    VOTE_FIELDS = ("votes_for", "votes_against", "abstained", "not_voting", "present")

    @property
    def is_vote(self) -> bool:
        return self.votes_for is not None

    @property
    def is_retracted(self) -> bool:
        return self.retracted_at is not None

    @property
    def date_known(self) -> bool:
        return self.occurred_on is not None

    @property
    def date_text(self) -> str:
        """The date as far as it is known, ISO style: 2025-07-01, 2025-07 or ''."""
        if self.occurred_on is None:
            return ""
        if self.date_precision == DatePrecision.MONTH:
            return self.occurred_on.strftime("%Y-%m")
        return self.occurred_on.isoformat()

    def votes(self) -> dict[str, int]:
        return {
            name: getattr(self, name)
            for name in self.VOTE_FIELDS
            if getattr(self, name) is not None
        }


def _timeline_constraints(prefix: str) -> list[models.BaseConstraint]:
    counted = Coalesce("votes_for", 0) + Coalesce("votes_against", 0)
    counted = counted + Coalesce("abstained", 0) + Coalesce("not_voting", 0)
    return [
        models.CheckConstraint(
            # Each branch is false, never unknown, so that a NULL cannot let a row through.
            condition=(LessThanOrEqual(counted, 450) & Q(present__isnull=True))
            | (
                Q(present__isnull=False)
                & LessThanOrEqual(counted, F("present"))
                & Q(present__lte=450)
            ),
            name=f"{prefix}_votes_fit_the_rada",
        ),
        models.CheckConstraint(
            condition=Q(date_precision=DatePrecision.UNKNOWN, occurred_on__isnull=True)
            | (~Q(date_precision=DatePrecision.UNKNOWN) & Q(occurred_on__isnull=False)),
            name=f"{prefix}_date_as_known",
        ),
    ]


class StatusChange(TimelineEntry):
    from_status = models.CharField(_("from"), max_length=32)
    to_status = models.CharField(_("to"), max_length=32)
    is_reopening = models.BooleanField(
        _("reopening"),
        default=False,
        help_text=_("The record came back from an end that proved not final; the note says why."),
    )

    class Meta(TimelineEntry.Meta):
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        indexes = [models.Index(fields=["content_type", "record_id", "id"])]
        constraints = _timeline_constraints("status_change")

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status} on {self.date_text or '?'}"


class ProceduralEventKind(models.TextChoices):
    COMMITTEE_HEARING = "committee_hearing", _("Committee hearing")
    COMMITTEE_CONCLUSION = "committee_conclusion", _("Committee conclusion")
    INDUSTRY_CONSULTATION = "industry_consultation", _("Consultation with industry")
    PARTNER_CONSULTATION = "partner_consultation", _("Consultation with a partner government")
    AGENDA = "agenda", _("Included in the agenda")
    POSTPONED = "postponed", _("Consideration postponed")
    FAILED_VOTE = "failed_vote", _("Failed vote")
    MARKED_URGENT = "marked_urgent", _("Marked urgent")
    SIGNATURE_BLOCKED = "signature_blocked", _("Signature blocked")
    SIGNATURE_UNBLOCKED = "signature_unblocked", _("Signature unblocked")
    REGULATORY_APPROVAL = "regulatory_approval", _("Regulatory approval")
    OTHER = "other", _("Other")


# Kinds that only happen to a bill in parliament.
LAW_ONLY_EVENT_KINDS = frozenset(
    {
        ProceduralEventKind.AGENDA,
        ProceduralEventKind.FAILED_VOTE,
        ProceduralEventKind.MARKED_URGENT,
        ProceduralEventKind.SIGNATURE_BLOCKED,
        ProceduralEventKind.SIGNATURE_UNBLOCKED,
        ProceduralEventKind.COMMITTEE_HEARING,
        ProceduralEventKind.COMMITTEE_CONCLUSION,
    }
)


class ProceduralEvent(TimelineEntry):
    """Something that happened to a record without changing its status."""

    kind = models.CharField(_("kind"), max_length=32, choices=ProceduralEventKind.choices)
    title = models.CharField(_("what happened"), max_length=300, blank=True)

    class Meta(TimelineEntry.Meta):
        verbose_name = _("procedural event")
        verbose_name_plural = _("procedural events")
        indexes = [models.Index(fields=["content_type", "record_id", "position"])]
        constraints = _timeline_constraints("procedural_event")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.date_text or '?'}"


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
    procedural_event = models.ForeignKey(
        ProceduralEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    data = models.JSONField(_("data"), default=dict)
    # A tombstone (`<record>.archived`, `.deleted`, `.hidden`) is told only to the partners
    # that could see the record just before; everybody else's visibility of it is none,
    # whatever the record's visibility is now.
    audience_only = models.BooleanField(_("for its audience only"), default=False, db_default=False)
    audience = models.ManyToManyField(
        "tracker.PartnerCountry", blank=True, related_name="+", verbose_name=_("audience")
    )
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
            # The digests read one day's or one week's events.
            models.Index(fields=["occurred_at"], name="event_occurred_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.type}"
