"""E-mail digests: their periods, and the signed link that unsubscribes without a login.

A digest subscription (`EmailSubscription.frequency` daily or weekly) gets one mail per
completed period, in the tracker's time zone: a day from midnight to midnight, a week from
Monday to Monday. `tracker.notifications.digests` writes and sends them.
"""

from __future__ import annotations

import datetime

from django.core import signing
from django.utils import timezone

from tracker.models import EmailFrequency, EmailSubscription

from .subscriptions import email_subscription_update

UNSUBSCRIBE_SALT = "tracker.digests.unsubscribe"
# After a long outage, catch up at most this many periods (the oldest are left out).
MAX_CATCH_UP = 31


def period_start(moment: datetime.datetime, frequency: str) -> datetime.datetime:
    """The start of the period (local midnight; a week's Monday) that `moment` falls in."""
    day = timezone.localtime(moment).date()
    if frequency == EmailFrequency.WEEKLY:
        day -= datetime.timedelta(days=day.weekday())
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def next_start(start: datetime.datetime, frequency: str) -> datetime.datetime:
    days = 7 if frequency == EmailFrequency.WEEKLY else 1
    day = timezone.localtime(start).date() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def due_periods(
    subscription: EmailSubscription, now: datetime.datetime
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The completed periods not yet sent, oldest first: from the end of the last one sent
    (or the start of the period the subscription was made in) up to the running period."""
    frequency = subscription.frequency
    if frequency not in (EmailFrequency.DAILY, EmailFrequency.WEEKLY):
        return []
    start = subscription.digest_sent_until or period_start(subscription.created_at, frequency)
    running = period_start(now, frequency)
    periods = []
    while start < running:
        end = next_start(start, frequency)
        periods.append((start, end))
        start = end
    return periods[-MAX_CATCH_UP:]


def _signer() -> signing.Signer:
    return signing.Signer(salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(subscription: EmailSubscription) -> str:
    """A token naming the subscription (and its address), signed with the secret key; the
    same in every mail, and valid as long as the subscription goes to that address."""
    return _signer().sign_object({"s": subscription.pk, "e": subscription.email}, compress=True)


def subscription_for_token(token: str) -> EmailSubscription | None:
    """The subscription a token from a mail names, or None for a token we did not sign (or
    whose subscription is gone or now goes to another address)."""
    try:
        payload = _signer().unsign_object(token)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    return EmailSubscription.objects.filter(pk=payload.get("s"), email=payload.get("e")).first()


def unsubscribe(subscription: EmailSubscription) -> EmailSubscription:
    """Stop the mails (the subscription is switched off, not deleted: the partner can turn
    it on again through the API)."""
    if subscription.is_active:
        email_subscription_update(subscription=subscription, values={"is_active": False})
    return subscription
