"""Following bills from the Rada's open data: links, sources, suggestions, the review queue.

A tracked law is linked to its bill in the Rada's dumps (`RadaBill`); each phase of the bill's
card that the sync brought in or matched is remembered (`RadaPhase`), so a second run changes
nothing. Where the Rada and what staff recorded disagree, the sync writes nothing and opens a
`RadaReview` for staff to decide. Bills that look relevant but are not tracked wait in
`SuggestedBill` until a person accepts or dismisses them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .history import ProceduralEvent, StatusChange
from .laws import DraftLaw


class RadaSource(models.Model):
    """A dump the sync reads, with what the server said about it the last time."""

    url = models.URLField(_("address"), max_length=500, unique=True)
    etag = models.CharField(_("ETag"), max_length=300, blank=True)
    last_modified = models.CharField(_("Last-Modified"), max_length=100, blank=True)
    checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    changed_at = models.DateTimeField(_("last read changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("Rada data source")
        verbose_name_plural = _("Rada data sources")

    def __str__(self) -> str:
        return self.url


class RadaBill(models.Model):
    """A tracked law's bill in the Rada's open data.

    `rada_id` is empty until the first sync finds the bill by its registration number (a
    bill added by its number alone). `applied` keeps, per field, the value the sync last
    wrote, so that a later change by the Rada is followed and a change by staff is not
    overwritten.
    """

    law = models.OneToOneField(
        DraftLaw, on_delete=models.CASCADE, related_name="rada_bill", verbose_name=_("law")
    )
    rada_id = models.PositiveBigIntegerField(_("Rada bill id"), null=True, blank=True, unique=True)
    registration_number = models.CharField(_("number in the Rada's data"), max_length=32)
    initiators = models.JSONField(_("initiators"), default=list, blank=True)
    rubric = models.CharField(_("rubric"), max_length=300, blank=True)
    current_phase = models.CharField(_("current phase in the Rada"), max_length=300, blank=True)
    card_digest = models.CharField(max_length=64, blank=True, editable=False)
    applied = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("followed since"), auto_now_add=True)
    synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)

    class Meta:
        verbose_name = _("bill in the Rada's data")
        verbose_name_plural = _("bills in the Rada's data")

    def __str__(self) -> str:
        return self.registration_number or str(self.rada_id)

    @property
    def card_url(self) -> str:
        if self.rada_id is None:
            return ""
        return settings.RADA_CARD_URL.format(id=self.rada_id)


class RadaPhase(models.Model):
    """A phase of a bill's card and the timeline entry it became or was matched with.

    `key` names the phase by its title and how many times the title came before, so a
    second run finds it. A phase the workflow refused has no entry (its review says why).
    """

    bill = models.ForeignKey(RadaBill, on_delete=models.CASCADE, related_name="phases")
    key = models.CharField(max_length=400)
    title = models.CharField(_("phase"), max_length=300)
    occurred_on = models.DateField(_("date in the Rada's data"), null=True, blank=True)
    status_change = models.ForeignKey(
        StatusChange, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    procedural_event = models.ForeignKey(
        ProceduralEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    unknown_title = models.BooleanField(_("title not known to the tracker"), default=False)

    class Meta:
        verbose_name = _("imported phase")
        verbose_name_plural = _("imported phases")
        constraints = [models.UniqueConstraint(fields=["bill", "key"], name="rada_phase_unique")]

    def __str__(self) -> str:
        return self.title


class RadaSuggestionRule(models.Model):
    """What makes a bill worth suggesting: its committee, its rubric or a word of its title.

    A bill is suggested when it matches a committee or rubric rule (if there are any) and a
    word rule (if there are any).
    """

    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("Committee")
        RUBRIC = "rubric", _("Rubric or subject")
        WORD = "word", _("Word in the title")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    value = models.CharField(
        _("contains"), max_length=300, help_text=_("Matched without regard to case.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bill suggestion rule")
        verbose_name_plural = _("bill suggestion rules")
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="rada_rule_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class SuggestionState(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")


class SuggestedBill(models.Model):
    """A bill in the Rada's data that the suggestion rules picked; nobody tracks it yet."""

    rada_id = models.PositiveBigIntegerField(_("Rada bill id"), unique=True)
    registration_number = models.CharField(_("number"), max_length=32, blank=True)
    registration_date = models.DateField(_("registered on"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=500)
    rubric = models.CharField(_("rubric"), max_length=300, blank=True)
    committee = models.CharField(_("main committee"), max_length=300, blank=True)
    current_phase = models.CharField(_("current phase"), max_length=300, blank=True)
    reasons = models.CharField(_("why suggested"), max_length=500, blank=True)
    card = models.JSONField(default=dict, blank=True, editable=False)
    card_digest = models.CharField(max_length=64, blank=True, editable=False)
    state = models.CharField(
        _("decision"),
        max_length=16,
        choices=SuggestionState.choices,
        default=SuggestionState.PENDING,
        db_index=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    law = models.ForeignKey(
        DraftLaw,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tracked as"),
    )
    first_seen_at = models.DateTimeField(_("first seen"), auto_now_add=True)

    class Meta:
        verbose_name = _("suggested bill")
        verbose_name_plural = _("suggested bills")
        ordering = ["-registration_date", "-rada_id"]

    def __str__(self) -> str:
        return f"{self.registration_number} {self.title}"[:120]

    @property
    def card_url(self) -> str:
        return settings.RADA_CARD_URL.format(id=self.rada_id)


class ReviewKind(models.TextChoices):
    DATE_DIFFERS = "date_differs", _("The Rada gives another date")
    NOT_IN_RADA = "not_in_rada", _("Recorded here, not shown by the Rada")
    REFUSED = "refused", _("The workflow refuses the Rada's step")
    VALUE_DIFFERS = "value_differs", _("The Rada gives another value")
    UNKNOWN_PHASE = "unknown_phase", _("A phase the tracker does not know")


class ReviewState(models.TextChoices):
    OPEN = "open", _("To review")
    ACCEPTED = "accepted", _("The Rada's side accepted")
    KEPT = "kept", _("Ours kept")
    EDITED = "edited", _("Edited by staff")


class RadaReview(models.Model):
    """A difference between the Rada's data and the tracker, for staff to decide.

    `rada` holds what accepting the Rada's side would apply (a date, a status, a field's
    value); `rada_value` and `our_value` are both sides as staff read them.
    """

    law = models.ForeignKey(
        DraftLaw, on_delete=models.CASCADE, related_name="rada_reviews", verbose_name=_("law")
    )
    key = models.CharField(max_length=400)
    kind = models.CharField(_("difference"), max_length=16, choices=ReviewKind.choices)
    subject = models.CharField(_("about"), max_length=300)
    rada_value = models.CharField(_("the Rada says"), max_length=500, blank=True)
    our_value = models.CharField(_("the tracker says"), max_length=500, blank=True)
    rada = models.JSONField(default=dict, blank=True, editable=False)
    status_change = models.ForeignKey(
        StatusChange, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    procedural_event = models.ForeignKey(
        ProceduralEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_url = models.URLField(_("source"), max_length=500, blank=True)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=ReviewState.choices,
        default=ReviewState.OPEN,
        db_index=True,
    )
    created_at = models.DateTimeField(_("found"), auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution_note = models.TextField(_("resolution"), blank=True)

    class Meta:
        verbose_name = _("difference with the Rada")
        verbose_name_plural = _("differences with the Rada")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["law", "key"], name="rada_review_unique"),
        ]
        indexes = [
            models.Index(fields=["law"], condition=Q(state="open"), name="rada_review_open_by_law"),
        ]

    def __str__(self) -> str:
        return f"{self.law_id}: {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.state == ReviewState.OPEN


class SyncRun(models.Model):
    """One run of the sync and what it found."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        NOT_MODIFIED = "not_modified", _("Source unchanged")
        FAILED = "failed", _("Failed")

    source = models.CharField(_("source"), max_length=500)
    dry_run = models.BooleanField(_("dry run"), default=False)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.RUNNING
    )
    bills_read = models.PositiveIntegerField(_("bills read"), default=0)
    bills_followed = models.PositiveIntegerField(_("tracked bills in the data"), default=0)
    changes = models.PositiveIntegerField(_("changes"), default=0)
    reviews_opened = models.PositiveIntegerField(_("differences found"), default=0)
    suggestions = models.PositiveIntegerField(_("new suggestions"), default=0)
    warnings = models.PositiveIntegerField(_("warnings"), default=0)
    report = models.TextField(_("report"), blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("Rada sync run")
        verbose_name_plural = _("Rada sync runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.get_outcome_display()}"
