"""How a delivery leaves the building: one transport per channel.

`send()` returns an `Outcome` for an answer (any status code) and raises `TransportError`
when there was none (retried on the schedule).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from tracker.models import RECORD_MODELS, Delivery, ProceduralEventKind
from tracker.workflows import WORKFLOWS

from . import payloads, signing, ssrf, wire

logger = logging.getLogger(__name__)

USER_AGENT = "coproduction-tracker-webhooks/1"


class TransportError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is None or 200 <= self.status_code < 300


class WebhookTransport:
    """Signs and POSTs webhooks through a `wire.Client` (by default the calling thread's)."""

    def __init__(self, client: wire.Client | None = None) -> None:
        self.client = client

    def send(self, delivery: Delivery, body: str | None = None) -> Outcome:
        """Sign and POST; `body` is the event's `payloads.webhook_body`, if already made."""
        return send_request(self.request(delivery, body), self.client)

    def request(self, delivery: Delivery, body: str | None = None) -> wire.Request:
        """The signed POST of `delivery` (for a `wire.Sender`, or `send`). Raises
        `TransportError` if its URL may no longer be reached."""
        subscription = delivery.subscription
        if body is None:
            body = payloads.webhook_body(delivery.event)
        now = timezone.now()
        headers = {
            "content-type": "application/json",
            "webhook-id": delivery.message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signing.signature_header(
                subscription=subscription,
                message_id=delivery.message_id,
                timestamp=now,
                body=body,
            ),
        }
        return webhook_request(subscription.url, body.encode(), headers)


def webhook_request(url: str, body: bytes, headers: dict[str, str]) -> wire.Request:
    """A POST to `url` under the webhook settings: each address curl is about to connect to
    passes the SSRF check first (through a proxy: the target's addresses, before the tunnel
    is opened); redirects are not followed; one timeout covers everything. Raises
    `TransportError` if the URL's port is not allowed (the setting may have changed since
    the subscription was made)."""
    if problem := ssrf.url_port_problem(url):
        raise TransportError(f"Refused to connect: {problem}")
    return wire.Request(
        url,
        body,
        {"user-agent": USER_AGENT, **headers},
        timeout=float(settings.WEBHOOKS_TIMEOUT_SECONDS),
        ca_bundle=settings.WEBHOOKS_CA_BUNDLE,
        proxy=settings.WEBHOOKS_PROXY,
        allow_private=bool(settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS),
    )


def outcome(request: wire.Request, answer: wire.Response | wire.WireError) -> Outcome:
    """The `Outcome` of `request`'s answer; `TransportError` when there was none."""
    if isinstance(answer, wire.WireRefused):
        raise TransportError(f"Refused to connect: {answer}")
    if isinstance(answer, wire.WireTimeout):
        raise TransportError(f"No answer within {request.timeout:g} s.")
    if isinstance(answer, wire.WireError):
        # The partner reads this: a category, never curl's text (addresses, socket errors).
        logger.info("Webhook POST to %s failed: %s", urlsplit(request.url).hostname, answer)
        raise TransportError(f"Connection failed: {answer.category}.")
    return Outcome(
        status_code=answer.status,
        latency_ms=round(answer.seconds * 1000),
        retry_after=answer.retry_after,
    )


def post(
    url: str, body: bytes, headers: dict[str, str], *, client: wire.Client | None = None
) -> Outcome:
    """POST to `url` under the webhook settings (`webhook_request`); an `Outcome` for any
    answer. Raises `TransportError` when there is no answer."""
    return send_request(webhook_request(url, body, headers), client)


def send_request(request: wire.Request, client: wire.Client | None = None) -> Outcome:
    """Send `request` through `client` (by default the calling thread's) and wait."""
    try:
        response = (client or wire.thread_client()).post(**vars(request))
    except wire.WireError as exc:
        return outcome(request, exc)
    return outcome(request, response)


def event_email_context(delivery: Delivery, language: str) -> dict:
    event = delivery.event
    data = payloads.event_data(event)
    workflow = WORKFLOWS.get(event.record_type)
    model = RECORD_MODELS.get(event.record_type)
    with translation.override(language):
        labels = {
            key: str(workflow.label(data[key])) if workflow and data.get(key) else data.get(key)
            for key in ("from", "to", "status")
        }
        record_label = str(capfirst(model._meta.verbose_name)) if model else event.record_type
        kind = data.get("kind")
        kind_label = (
            str(ProceduralEventKind(kind).label) if kind in ProceduralEventKind.values else kind
        )
        when = data.get("occurred_on") or str(_("date not known"))
    return {
        "event": event,
        "action": event.type.rpartition(".")[2],
        "data": data,
        "labels": labels,
        "kind_label": kind_label,
        "when": when,
        "record_label": record_label,
        "message_id": delivery.message_id,
    }


def render_email(name: str, language: str, context: dict) -> tuple[str, str, str]:
    """Subject, plain text and HTML of `templates/email/<language>/<name>*`."""
    context = {**context, "lang": language}
    with translation.override(language):
        subject = render_to_string(f"email/{language}/{name}_subject.txt", context)
        text = render_to_string(f"email/{language}/{name}.txt", context)
        html = render_to_string(f"email/{language}/{name}.html", context)
    return " ".join(subject.split()), text, html


def send_email(*, to: list[str], subject: str, text: str, html: str) -> None:
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=to
    )
    message.attach_alternative(html, "text/html")
    message.send()


class EmailTransport:
    def send(self, delivery: Delivery) -> Outcome:
        subscription = delivery.email_subscription
        language = subscription.language
        subject, text, html = render_email(
            "event", language, event_email_context(delivery, language)
        )
        started = time.monotonic()
        try:
            send_email(to=[subscription.email], subject=subject, text=text, html=html)
        except OSError as exc:
            raise TransportError(f"Mail server refused: {exc}") from None
        return Outcome(status_code=None, latency_ms=round((time.monotonic() - started) * 1000))
