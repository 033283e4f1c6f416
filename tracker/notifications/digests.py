"""Digest mails: for a daily or weekly e-mail subscription, one mail per completed period
with what changed for the partner country (the events it may see that the subscription
wants), what is due in the next 14 days and what was missed in the period; in the
subscription's language, a plain-text and an HTML part, and a signed link that unsubscribes
without logging in.

Each period is sent once: a `DigestSent` row for (subscription, period start) is written in
the transaction that sends the mail, under the subscription's row lock, so two runs at once
send it once; a run after downtime sends every period missed (at most `MAX_CATCH_UP`), each
once. If the mail server refuses, nothing is recorded and the next run tries again.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from tracker import deadlines as rules
from tracker import events as event_objects
from tracker.models import (
    RECORD_MODELS,
    DigestSent,
    EmailFrequency,
    EmailSubscription,
    Facility,
    ProceduralEventKind,
)
from tracker.models.notifications import MY_FACILITIES, facilities_touched
from tracker.selectors import Viewer, visible_deadlines, visible_events, visible_records
from tracker.services.digests import due_periods, unsubscribe_token
from tracker.workflows import WORKFLOWS

from .transports import render_email

logger = logging.getLogger(__name__)

ACTION_LABELS = {
    "created": _("Added to the tracker"),
    "updated": _("Updated"),
    "corrected": _("Timeline corrected"),
    "procedural_event": _("Procedural event"),
    "deadline_approaching": _("Deadline approaching"),
    "deadline_missed": _("Deadline missed"),
    "archived": _("No longer shown to you"),
    "deleted": _("No longer shown to you"),
    "hidden": _("No longer shown to you"),
}

# How far ahead "what is due" looks, and how much one mail lists at most.
DUE_DAYS = 14
MAX_CHANGES = 200
MAX_DEADLINES = 50


def _names(viewer: Viewer, wanted: dict[str, set[int]]) -> dict[tuple[str, int], str]:
    names = {}
    uk = translation.get_language() == "uk"
    for record_type, ids in wanted.items():
        model = RECORD_MODELS.get(record_type)
        if model is None or not ids:
            continue
        base = "title" if record_type == "law" else "name"
        rows = visible_records(model, viewer).filter(pk__in=ids)
        for pk, en, uk_name in rows.values_list("pk", f"{base}_en", f"{base}_uk"):
            names[(record_type, pk)] = (uk_name or en) if uk else en
    return names


def _change_line(event: dict[str, Any]) -> str:
    """One change in words, in the active language."""
    data = event["data"]
    action = event["type"].rpartition(".")[2]
    workflow = WORKFLOWS.get(event["record_type"])
    if action == "status_changed" and workflow and data.get("to"):
        return f"{workflow.label(data['from'])} → {workflow.label(data['to'])}"
    if action in ("deadline_approaching", "deadline_missed"):
        title = data.get("title_uk") if translation.get_language() == "uk" else None
        return f"{ACTION_LABELS[action]}: {title or data.get('title', '')} ({data.get('due_on')})"
    if action == "procedural_event" and data.get("kind") in ProceduralEventKind.values:
        return str(ProceduralEventKind(data["kind"]).label)
    if action == "updated" and data.get("changed"):
        return f"{ACTION_LABELS[action]}: {', '.join(data['changed'])}"
    return str(ACTION_LABELS.get(action, event["type"]))


def digest_context(
    subscription: EmailSubscription, start: datetime.datetime, end: datetime.datetime
) -> dict[str, Any]:
    """What the digest of one period tells, as the subscription's partner may see it."""
    viewer = Viewer.partner(subscription.partner_id)
    wanted_events = []
    rows = (
        visible_events(viewer)
        .filter(occurred_at__gte=start, occurred_at__lt=end)
        .values("id", "type", "record_type", "record_id", "occurred_at", "data")
    )
    mine: set[int] | None = None
    if subscription.record_type == MY_FACILITIES:
        mine = set(
            Facility.partners.through.objects.filter(
                partnercountry_id=subscription.partner_id
            ).values_list("facility_id", flat=True)
        )
    for row in rows.iterator():
        if not subscription.matches(row["type"], row["record_type"], row["record_id"]):
            continue
        if mine is not None and not (
            facilities_touched(row["record_type"], row["record_id"], row["data"]) & mine
        ):
            continue
        wanted_events.append(row)
        if len(wanted_events) >= MAX_CHANGES:
            break
    end_day = timezone.localtime(end).date()
    start_day = timezone.localtime(start).date()
    deadlines = visible_deadlines(viewer)
    due = list(
        deadlines.filter(
            due_on__gte=end_day, due_on__lte=end_day + datetime.timedelta(days=DUE_DAYS)
        ).order_by("due_on", "id")[:MAX_DEADLINES]
    )
    missed = list(
        deadlines.filter(obliged=True, due_on__gte=start_day, due_on__lt=end_day).order_by(
            "due_on", "id"
        )[:MAX_DEADLINES]
    )
    wanted: dict[str, set[int]] = {}
    for item in [*wanted_events, *due, *missed]:
        record_type = item["record_type"] if isinstance(item, dict) else item.record_type
        record_id = item["record_id"] if isinstance(item, dict) else item.record_id
        if record_id is not None:
            wanted.setdefault(record_type, set()).add(record_id)
    names = _names(viewer, wanted)
    base = settings.TRACKER_BASE_URL.rstrip("/")
    changes = []
    for row in wanted_events:
        event = event_objects.event_object(**row, viewer=viewer, record_url=None)
        model = RECORD_MODELS.get(row["record_type"])
        changes.append(
            {
                "when": timezone.localtime(row["occurred_at"]).strftime("%Y-%m-%d %H:%M"),
                "record": names.get((row["record_type"], row["record_id"]))
                or (str(capfirst(model._meta.verbose_name)) if model else row["record_type"]),
                "what": _change_line(event),
                "type": row["type"],
            }
        )
    today = end_day
    return {
        "subscription": subscription,
        "period_start": timezone.localtime(start).date(),
        "period_end": end_day - datetime.timedelta(days=1),
        "weekly": subscription.frequency == EmailFrequency.WEEKLY,
        "changes": changes,
        "due": [
            {**rules.present(d, today), "record": names.get((d.record_type, d.record_id), "")}
            for d in due
        ],
        "missed": [
            {**rules.present(d, today), "record": names.get((d.record_type, d.record_id), "")}
            for d in missed
        ],
        "unsubscribe_url": base
        + reverse("web:unsubscribe", args=[unsubscribe_token(subscription)]),
        "feed_url": f"{base}/api/v1/events/",
    }


def send_digest(subscription_id: int, start: datetime.datetime, end: datetime.datetime) -> bool:
    """Send the digest of one period unless it was sent; True if a mail went out."""
    with transaction.atomic():
        subscription = (
            EmailSubscription.objects.select_for_update().filter(pk=subscription_id).first()
        )
        if subscription is None or not subscription.is_active:
            return False
        if DigestSent.objects.filter(subscription=subscription, period_start=start).exists():
            return False
        language = subscription.language
        with translation.override(language):
            context = digest_context(subscription, start, end)
        subject, text, html = render_email("digest", language, context)
        DigestSent.objects.create(
            subscription=subscription,
            period_start=start,
            period_end=end,
            changes=len(context["changes"]),
        )
        if subscription.digest_sent_until is None or subscription.digest_sent_until < end:
            EmailSubscription.objects.filter(pk=subscription.pk).update(digest_sent_until=end)
        if not (context["changes"] or context["due"] or context["missed"]):
            return False  # nothing to tell: the period counts as done, no mail
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[subscription.email],
            headers={
                "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        message.attach_alternative(html, "text/html")
        # A refusal raises and rolls the record back: the next run tries this period again.
        message.send()
    return True


def send_due_digests(now: datetime.datetime | None = None) -> int:
    """Every completed period of every active digest subscription not yet sent, oldest
    first; returns how many mails went out."""
    now = now or timezone.now()
    sent = 0
    subscriptions = EmailSubscription.objects.filter(
        is_active=True, frequency__in=[EmailFrequency.DAILY, EmailFrequency.WEEKLY]
    ).order_by("pk")
    for subscription in subscriptions:
        for start, end in due_periods(subscription, now):
            try:
                sent += send_digest(subscription.pk, start, end)
            except OSError:
                logger.exception("Could not send the digest of subscription %s", subscription.pk)
                break  # the next run tries again, from this period
    return sent
