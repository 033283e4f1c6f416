"""Standard Webhooks secrets and signatures: the one place a webhook is signed."""

from __future__ import annotations

import datetime
import functools

from django.utils import timezone
from standardwebhooks import Webhook

from tracker.models import WebhookSubscription
from tracker.models.notifications import generate_secret

__all__ = ["generate_secret", "signature_header", "signing_secrets"]


def signing_secrets(
    subscription: WebhookSubscription, now: datetime.datetime | None = None
) -> list[str]:
    """The current secret, and the previous one while its rotation grace period lasts."""
    now = now or timezone.now()
    found = [subscription.secret]
    if (
        subscription.previous_secret
        and subscription.previous_secret_expires_at
        and subscription.previous_secret_expires_at > now
    ):
        found.append(subscription.previous_secret)
    return found


@functools.lru_cache(maxsize=4096)
def _signer(secret: str) -> Webhook:
    return Webhook(secret)


def signature_header(
    *,
    subscription: WebhookSubscription,
    message_id: str,
    timestamp: datetime.datetime,
    body: str,
) -> str:
    """`v1,<sig>` per live secret, space-separated, as the specification allows."""
    utc = timestamp.astimezone(datetime.UTC)
    return " ".join(
        _signer(secret).sign(message_id, utc, body)
        for secret in signing_secrets(subscription, timestamp)
    )
