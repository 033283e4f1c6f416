"""Who wants to hear about events (subscriptions) and what was sent to them (deliveries).

A `Delivery` row is the unit of work of the notification outbox: one per (event,
subscription), created when the event fans out, and claimed by a worker with a
compare-and-set on (state, attempts, next_attempt_at) so that one attempt is sent once.
"""

from __future__ import annotations

import base64
import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Standard Webhooks secrets: `whsec_` and the base64 of the key.
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_message_id() -> str:
    """The `webhook-id`: stable across retries, the receiver's idempotency key."""
    return f"msg_{secrets.token_urlsafe(18)}"


def generate_secret() -> str:
    """A new signing secret for a webhook subscription."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


class SubscriptionBase(models.Model):
    partner = models.ForeignKey(
        "tracker.PartnerCountry",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("partner country"),
    )
    event_types = models.JSONField(
        _("event types"),
        default=list,
        help_text=_("Event types such as law.status_changed; law.* and * match several."),
    )
    record_type = models.CharField(
        _("only records of type"), max_length=32, blank=True, help_text=_("Empty: any type.")
    )
    record_id = models.PositiveBigIntegerField(
        _("only the record with id"), null=True, blank=True, help_text=_("Empty: any record.")
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True

    def matches(self, event_type: str, record_type: str, record_id: int | None) -> bool:
        """Whether an event of this type about this record is wanted (visibility aside)."""
        return subscription_wants(
            event_types=self.event_types,
            record_type=self.record_type,
            record_id=self.record_id,
            event=(event_type, record_type, record_id),
        )


# A subscription's `record_type` may name this scope instead of a record type: events about
# the partner country's own facilities, and events whose `affects` names one of them.
MY_FACILITIES = "my_facilities"


def facilities_touched(record_type: str, record_id: int | None, data: dict) -> set[int]:
    """The facilities an event is about or touches (its `affects`)."""
    touched = {item["id"] for item in data.get("affects", ()) if item.get("type") == "facility"}
    if record_type == "facility" and record_id is not None:
        touched.add(record_id)
    return touched


def subscription_wants(
    *,
    event_types: list[str],
    record_type: str,
    record_id: int | None,
    event: tuple[str, str, int | None],
) -> bool:
    """Whether a subscription with these filters wants an event (type, record type, record
    id); visibility aside."""
    event_type, event_record_type, event_record_id = event
    if record_type == MY_FACILITIES:
        # Which facilities are the partner's is checked with the event (outbox).
        record_type, record_id = "", None
    if record_type and record_type != event_record_type:
        return False
    if record_id is not None and record_id != event_record_id:
        return False
    return any(event_type_matches(pattern, event_type) for pattern in event_types)


def event_type_matches(pattern: str, event_type: str) -> bool:
    if pattern in ("*", event_type):
        return True
    return pattern.endswith(".*") and event_type.startswith(pattern[:-1])


class WebhookSubscription(SubscriptionBase):
    url = models.URLField(_("URL"), max_length=500)
    # Kept in clear because it must sign; shown to the partner only when it is made.
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    failing_since = models.DateTimeField(
        _("failing since"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("First failed attempt since the last success."),
    )
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True, editable=False)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["id"]
        indexes = [models.Index(fields=["partner", "id"])]

    def __str__(self) -> str:
        return f"{self.partner_id}: {self.url}"


class EmailLanguage(models.TextChoices):
    ENGLISH = "en", _("English")
    UKRAINIAN = "uk", _("Ukrainian")


class EmailFrequency(models.TextChoices):
    IMMEDIATE = "immediate", _("One mail per change")
    DAILY = "daily", _("Daily digest")
    WEEKLY = "weekly", _("Weekly digest")


class EmailSubscription(SubscriptionBase):
    email = models.EmailField(_("e-mail"))
    language = models.CharField(
        _("language"), max_length=2, choices=EmailLanguage.choices, default=EmailLanguage.ENGLISH
    )
    frequency = models.CharField(
        _("how often"),
        max_length=16,
        choices=EmailFrequency.choices,
        default=EmailFrequency.IMMEDIATE,
        db_default=EmailFrequency.IMMEDIATE,
        help_text=_("A digest sends one mail per day or week instead of one per change."),
    )
    digest_sent_until = models.DateTimeField(
        _("digest sent up to"),
        null=True,
        blank=True,
        help_text=_("The end of the last period a digest was sent for."),
    )

    class Meta:
        verbose_name = _("e-mail subscription")
        verbose_name_plural = _("e-mail subscriptions")
        ordering = ["id"]
        indexes = [models.Index(fields=["partner", "id"])]

    def __str__(self) -> str:
        return f"{self.partner_id}: {self.email}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Delivery(models.Model):
    """One event for one subscription, with everything tried so far.

    While `state` is `sending`, `next_attempt_at` is the end of the worker's lease: a
    worker that died mid-attempt leaves a row the sweep claims again once it has passed.
    """

    # Every claim and result rewrites a delivery's row and each of its indexes, so there are
    # no single-column indexes that the composite ones below already cover.
    event = models.ForeignKey(
        "tracker.Event", on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    subscription = models.ForeignKey(
        WebhookSubscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        null=True,
        blank=True,
        db_index=False,
    )
    email_subscription = models.ForeignKey(
        EmailSubscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        null=True,
        blank=True,
    )
    partner = models.ForeignKey(
        "tracker.PartnerCountry",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("partner country"),
        db_index=False,
    )
    # Unique by the constraint below: one index, not a second one for LIKE searches.
    message_id = models.CharField(
        _("webhook-id"), max_length=40, default=new_message_id, editable=False
    )
    state = models.CharField(
        _("state"), max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_error = models.CharField(_("error"), max_length=500, blank=True)
    last_latency_ms = models.PositiveIntegerField(_("latency (ms)"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscription"], name="delivery_once_per_webhook"
            ),
            models.UniqueConstraint(
                fields=["event", "email_subscription"], name="delivery_once_per_email"
            ),
            models.UniqueConstraint(fields=["message_id"], name="delivery_message_id_unique"),
            models.CheckConstraint(
                condition=(Q(subscription__isnull=False) & Q(email_subscription__isnull=True))
                | (Q(subscription__isnull=True) & Q(email_subscription__isnull=False)),
                name="delivery_has_one_channel",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "sending"]),
                name="delivery_due",
            ),
            models.Index(fields=["subscription", "-id"]),
            models.Index(fields=["partner", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.state})"

    @property
    def channel(self) -> WebhookSubscription | EmailSubscription:
        return self.subscription if self.subscription_id else self.email_subscription


class DigestSent(models.Model):
    """A digest mail sent for one subscription and period: never sent twice for a period."""

    subscription = models.ForeignKey(
        EmailSubscription, on_delete=models.CASCADE, related_name="digests"
    )
    period_start = models.DateTimeField(_("period from"))
    period_end = models.DateTimeField(_("period to"))
    changes = models.PositiveIntegerField(_("changes"), default=0)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("digest sent")
        verbose_name_plural = _("digests sent")
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_start"], name="digest_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.period_start:%Y-%m-%d}"
