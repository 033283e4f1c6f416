"""Telling people that notifications stopped working: partner contacts and staff."""

from __future__ import annotations

import logging

from django.conf import settings

from tracker import links
from tracker.models import Delivery, PartnerCountry, WebhookSubscription

from .transports import render_email, send_email

logger = logging.getLogger(__name__)

# Partners read English; ministry staff read Ukrainian.
PARTNER_LANGUAGE = "en"
STAFF_LANGUAGE = "uk"


def partner_contacts(partner: PartnerCountry) -> list[str]:
    return [line.strip() for line in partner.notification_emails.splitlines() if line.strip()]


def _tell(partner: PartnerCountry, context: dict) -> None:
    context = {**context, "partner": partner, "base_url": settings.TRACKER_BASE_URL}
    for recipients, language in (
        (partner_contacts(partner), PARTNER_LANGUAGE),
        (list(settings.STAFF_NOTIFICATION_EMAILS), STAFF_LANGUAGE),
    ):
        if not recipients:
            continue
        subject, text, html = render_email("delivery_problem", language, context)
        try:
            send_email(to=recipients, subject=subject, text=text, html=html)
        except OSError:
            # Staff still see the failure in the admin; a mail outage must not hide it twice.
            logger.exception("Could not e-mail %s about a failed delivery", recipients)


def delivery_failed(delivery: Delivery) -> None:
    event = delivery.event
    _tell(
        PartnerCountry.objects.get(pk=delivery.partner_id),
        {
            "kind": "delivery_failed",
            "delivery": delivery,
            "event": event,
            "record_url": links.api_url(event.record_type, event.record_id),
            "target": delivery.subscription.url
            if delivery.subscription_id
            else delivery.email_subscription.email,
        },
    )


def subscription_disabled(subscription: WebhookSubscription) -> None:
    _tell(
        PartnerCountry.objects.get(pk=subscription.partner_id),
        {"kind": "subscription_disabled", "subscription": subscription, "target": subscription.url},
    )
