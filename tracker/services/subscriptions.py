"""Partners' webhook and e-mail subscriptions, and what they can ask of their deliveries."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from tracker.events import EVENT_ACTIONS, EVENT_TYPES  # noqa: F401 (re-exported)
from tracker.models import (
    RECORD_MODELS,
    Delivery,
    DeliveryState,
    EmailFrequency,
    EmailLanguage,
    EmailSubscription,
    Event,
    PartnerCountry,
    WebhookSubscription,
)
from tracker.models.notifications import MY_FACILITIES, generate_secret
from tracker.selectors import Viewer, visible_records

from .events import emit_event
from .signals import delivery_requested

S = TypeVar("S", WebhookSubscription, EmailSubscription)

# Every `<record>.<action>` the feed shows, tombstones (`archived`, `deleted`, `hidden`) too.
EVENT_TYPE_PATTERNS = frozenset(EVENT_TYPES) | {f"{r}.*" for r in RECORD_MODELS} | {"*"}
MAX_SUBSCRIPTIONS_PER_PARTNER = 50


def _clean_event_types(event_types: Any) -> list[str]:
    if not isinstance(event_types, list | tuple) or not event_types:
        raise ValidationError(
            {"event_types": _('Give a non-empty list, e.g. ["law.status_changed"] or ["law.*"].')}
        )
    unknown = [t for t in event_types if not isinstance(t, str) or t not in EVENT_TYPE_PATTERNS]
    if unknown:
        raise ValidationError(
            {
                "event_types": _(
                    "Unknown event types: %(unknown)s. Use one of %(known)s, a '<record>.*' "
                    "pattern or '*'."
                )
                % {"unknown": ", ".join(map(str, unknown)), "known": ", ".join(EVENT_TYPES)}
            }
        )
    return sorted(set(event_types))


def _clean_record_filter(
    partner: PartnerCountry, record_type: str, record_id: int | None
) -> tuple[str, int | None]:
    record_type = record_type or ""
    if record_type == MY_FACILITIES:
        if record_id is not None:
            raise ValidationError(
                {"record_id": _("Anything that affects your facilities names no one record.")}
            )
        return record_type, None
    if record_type and record_type not in RECORD_MODELS:
        raise ValidationError(
            {
                "record_type": _("Use one of %(types)s, or leave it empty.")
                % {"types": ", ".join([*RECORD_MODELS, MY_FACILITIES])}
            }
        )
    if record_id is not None:
        if not record_type:
            raise ValidationError({"record_type": _("Say which type of record record_id names.")})
        model = RECORD_MODELS[record_type]
        if not visible_records(model, Viewer.partner(partner)).filter(pk=record_id).exists():
            raise ValidationError(
                {
                    "record_id": _("There is no %(type)s with id %(id)s.")
                    % {"type": record_type, "id": record_id}
                }
            )
    return record_type, record_id


def _clean_url(url: Any) -> str:
    if not isinstance(url, str) or not url.strip():
        raise ValidationError({"url": _("Give the https URL of your endpoint.")})
    url = url.strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({"url": _("This is not a valid URL.")}) from None
    try:
        check_webhook_target(url)
    except ValueError as exc:
        raise ValidationError({"url": str(exc)}) from None
    return url


def check_webhook_target(url: str) -> None:
    """Refuse a URL webhooks may not be sent to (loopback, private, metadata addresses...).

    The rule belongs to the notification side, which checks again at every send; the
    WEBHOOKS_URL_CHECK setting names it. It raises ValueError saying why.
    """
    import_string(settings.WEBHOOKS_URL_CHECK)(url)


def _send_now(delivery_id: int) -> None:
    """Once committed: ask the notification side to send this delivery now."""
    delivery_requested.send(sender=Delivery, delivery_id=delivery_id)


def _check_quota(partner: PartnerCountry, model: type) -> None:
    if model.objects.filter(partner=partner).count() >= MAX_SUBSCRIPTIONS_PER_PARTNER:
        raise ValidationError(
            _("A partner may have at most %(limit)s subscriptions; delete one first.")
            % {"limit": MAX_SUBSCRIPTIONS_PER_PARTNER}
        )


def webhook_subscription_create(
    *,
    partner: PartnerCountry,
    url: str,
    event_types: Sequence[str],
    description: str = "",
    record_type: str = "",
    record_id: int | None = None,
    is_active: bool = True,
) -> tuple[WebhookSubscription, str]:
    """Subscribe `url`; returns the subscription and its secret, which is shown only now."""
    record_type, record_id = _clean_record_filter(partner, record_type, record_id)
    subscription = WebhookSubscription(
        partner=partner,
        url=_clean_url(url),
        event_types=_clean_event_types(event_types),
        description=(description or "").strip(),
        record_type=record_type,
        record_id=record_id,
        is_active=is_active,
        secret=generate_secret(),
    )
    with transaction.atomic():
        _check_quota(partner, WebhookSubscription)
        subscription.full_clean()
        subscription.save()
    return subscription, subscription.secret


def webhook_subscription_update(
    *, subscription: WebhookSubscription, values: dict[str, Any]
) -> WebhookSubscription:
    """Change url, event_types, description, record filter or active flag."""
    _refuse_unknown(values, {"url"})
    if "url" in values:
        subscription.url = _clean_url(values["url"])
    if values.get("is_active") and not subscription.is_active:
        # Switched back on: start counting failures afresh.
        subscription.failing_since = None
        subscription.disabled_at = None
        subscription.disabled_reason = ""
    return _apply_common_and_save(subscription, values)


def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    subscription.delete()


def webhook_secret_rotate(*, subscription: WebhookSubscription) -> str:
    """A new secret; the old one keeps signing too for WEBHOOKS_SECRET_GRACE_HOURS."""
    with transaction.atomic():
        locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        locked.previous_secret = locked.secret
        locked.previous_secret_expires_at = timezone.now() + datetime.timedelta(
            hours=settings.WEBHOOKS_SECRET_GRACE_HOURS
        )
        locked.secret = generate_secret()
        locked.save(
            update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"]
        )
    subscription.refresh_from_db()
    return subscription.secret


def webhook_subscription_test(*, subscription: WebhookSubscription) -> Delivery:
    """Send a `webhook.test` event to this one subscription."""
    if not subscription.is_active:
        raise ValidationError(_("The subscription is switched off; switch it on to test it."))
    with transaction.atomic():
        now = timezone.now()
        event = emit_event(
            type="webhook.test", record_type="", data={"subscription_id": subscription.pk}
        )
        # Meant for this subscription only: no fan-out to the others.
        Event.objects.filter(pk=event.pk).update(fanned_out_at=now)
        delivery = Delivery.objects.create(
            event=event, subscription=subscription, partner_id=subscription.partner_id,
            next_attempt_at=now,
        )  # fmt: skip
        transaction.on_commit(lambda: _send_now(delivery.pk))
    return delivery


def delivery_retry(*, delivery: Delivery) -> Delivery:
    """Send a finished or waiting delivery again now, with a fresh set of attempts."""
    if delivery.state == DeliveryState.SENDING:
        raise ValidationError(_("This delivery is being sent right now; look again in a minute."))
    if not delivery.channel.is_active:
        raise ValidationError(_("The subscription is switched off; switch it on before retrying."))
    with transaction.atomic():
        updated = Delivery.objects.filter(pk=delivery.pk, state=delivery.state).update(
            state=DeliveryState.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        if updated != 1:
            raise ValidationError(_("This delivery changed meanwhile; look again and retry."))
        transaction.on_commit(lambda: _send_now(delivery.pk))
    delivery.refresh_from_db()
    return delivery


def deliveries_retry(*, deliveries: Iterable[Delivery]) -> int:
    """Retry many (staff action); returns how many were queued, skipping those being sent."""
    count = 0
    for delivery in deliveries:
        try:
            delivery_retry(delivery=delivery)
        except ValidationError:
            continue
        count += 1
    return count


def _clean_email(email: Any) -> str:
    email = (email or "").strip() if isinstance(email, str) else ""
    try:
        EmailValidator()(email)
    except ValidationError:
        raise ValidationError({"email": _("Give a valid e-mail address.")}) from None
    return email


def _clean_frequency(frequency: Any) -> str:
    if frequency not in EmailFrequency.values:
        raise ValidationError(
            {
                "frequency": _("Use one of %(values)s.")
                % {"values": ", ".join(EmailFrequency.values)}
            }
        )
    return frequency


def _clean_language(language: Any) -> str:
    if language not in EmailLanguage.values:
        raise ValidationError(
            {"language": _("Use one of %(values)s.") % {"values": ", ".join(EmailLanguage.values)}}
        )
    return language


def email_subscription_create(
    *,
    partner: PartnerCountry,
    email: str,
    event_types: Sequence[str],
    language: str = EmailLanguage.ENGLISH,
    description: str = "",
    record_type: str = "",
    record_id: int | None = None,
    is_active: bool = True,
    frequency: str = EmailFrequency.IMMEDIATE,
) -> EmailSubscription:
    record_type, record_id = _clean_record_filter(partner, record_type, record_id)
    subscription = EmailSubscription(
        partner=partner,
        email=_clean_email(email),
        language=_clean_language(language),
        frequency=_clean_frequency(frequency),
        event_types=_clean_event_types(event_types),
        description=(description or "").strip(),
        record_type=record_type,
        record_id=record_id,
        is_active=is_active,
    )
    with transaction.atomic():
        _check_quota(partner, EmailSubscription)
        subscription.full_clean()
        subscription.save()
    return subscription


def email_subscription_update(
    *, subscription: EmailSubscription, values: dict[str, Any]
) -> EmailSubscription:
    """Change email, language, frequency, event_types, description, record filter or active
    flag. A subscription that becomes a digest starts with the running period."""
    _refuse_unknown(values, {"email", "language", "frequency"})
    if "email" in values:
        subscription.email = _clean_email(values["email"])
    if "language" in values:
        subscription.language = _clean_language(values["language"])
    if "frequency" in values:
        frequency = _clean_frequency(values["frequency"])
        if frequency != subscription.frequency:
            from .digests import period_start  # digests imports this module

            # Nothing from before the change: the first digest covers the running period.
            subscription.digest_sent_until = period_start(timezone.now(), frequency)
        subscription.frequency = frequency
    return _apply_common_and_save(subscription, values)


_COMMON_FIELDS = frozenset({"event_types", "description", "record_type", "record_id", "is_active"})


def _refuse_unknown(values: dict[str, Any], own_fields: set[str]) -> None:
    unknown = set(values) - _COMMON_FIELDS - own_fields
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in unknown})


def _apply_common_and_save(subscription: S, values: dict[str, Any]) -> S:
    """The fields webhook and e-mail subscriptions share, then validate and save."""
    if "event_types" in values:
        subscription.event_types = _clean_event_types(values["event_types"])
    if "description" in values:
        subscription.description = (values["description"] or "").strip()
    if "record_type" in values or "record_id" in values:
        subscription.record_type, subscription.record_id = _clean_record_filter(
            subscription.partner,
            values.get("record_type", subscription.record_type),
            values.get("record_id", subscription.record_id),
        )
    if "is_active" in values:
        subscription.is_active = bool(values["is_active"])
    subscription.full_clean()
    subscription.save()
    return subscription


def email_subscription_delete(*, subscription: EmailSubscription) -> None:
    subscription.delete()


def disable_subscription(*, subscription: WebhookSubscription, reason: str) -> bool:
    """Switch a subscription off and cancel what it still had to send. False if it was off
    already. Telling the partner and staff is the caller's (the notification side's)."""
    now = timezone.now()
    with transaction.atomic():
        switched = WebhookSubscription.objects.filter(pk=subscription.pk, is_active=True).update(
            is_active=False, disabled_at=now, disabled_reason=reason[:300]
        )
        if not switched:
            return False
        Delivery.objects.filter(subscription=subscription, state=DeliveryState.PENDING).update(
            state=DeliveryState.CANCELLED,
            next_attempt_at=None,
            last_error="The subscription was switched off.",
        )
    subscription.refresh_from_db()
    return True


def disable_failing_subscriptions(
    *, now: datetime.datetime | None = None
) -> list[WebhookSubscription]:
    """Switch off the subscriptions that have not had one success for
    WEBHOOKS_DISABLE_AFTER_DAYS; returns those switched off now."""
    now = now or timezone.now()
    days = settings.WEBHOOKS_DISABLE_AFTER_DAYS
    cutoff = now - datetime.timedelta(days=float(days))
    failing = WebhookSubscription.objects.filter(is_active=True, failing_since__lte=cutoff)
    return [
        subscription
        for subscription in failing
        if disable_subscription(
            subscription=subscription, reason=f"Every delivery failed for {days} days."
        )
    ]
