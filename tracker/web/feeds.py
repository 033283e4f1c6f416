"""Feeds for following the tracker without an account: Atom for public status changes,
iCalendar for the planned next steps of public draft laws."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from tracker.models import StatusChange
from tracker.workflows import LAW_WORKFLOW

from . import ical, queries

FEED_ITEMS = 50


class StatusChangesFeed(Feed):
    feed_type = Atom1Feed

    def title(self) -> str:
        return _("Co-production tracker: status changes")

    def subtitle(self) -> str:
        return _(
            "Every recorded step of the public draft laws, tax measures, facilities "
            "and partner countries."
        )

    def link(self) -> str:
        return reverse("web:home")

    def items(self) -> list[StatusChange]:
        return queries.latest_changes(FEED_ITEMS)

    def item_title(self, change: StatusChange) -> str:
        return f"{change.public_record.local_name}: {change.to_label}"

    def item_description(self, change: StatusChange) -> str:
        lines = [
            _("%(from)s → %(to)s") % {"from": change.from_label, "to": change.to_label},
        ]
        if change.note:
            lines.append(change.note)
        if change.is_vote:
            lines.append(
                _("Votes for: %(for)s, against: %(against)s, abstained: %(abstained)s")
                % {
                    "for": change.votes_for,
                    "against": change.votes_against if change.votes_against is not None else "—",
                    "abstained": change.abstained if change.abstained is not None else "—",
                }
            )
        html = format_html_join("", "<p>{}</p>", ((line,) for line in lines))
        if change.source_url:
            html += format_html('<p><a href="{}">{}</a></p>', change.source_url, _("Source"))
        return html

    def item_link(self, change: StatusChange) -> str:
        return f"{change.record_url}#change-{change.pk}"

    def item_pubdate(self, change: StatusChange) -> datetime.datetime:
        # The day it happened in the world; the recording time breaks ties within a day.
        return timezone.make_aware(datetime.datetime.combine(change.occurred_on, datetime.time()))

    def item_updateddate(self, change: StatusChange) -> datetime.datetime:
        return change.recorded_at

    def item_categories(self, change: StatusChange) -> tuple[str, ...]:
        return (change.record_type,)


status_changes_feed = require_safe(StatusChangesFeed())


@require_safe
def next_steps_calendar(request: HttpRequest) -> HttpResponse:
    """Planned next steps of public draft laws that are still moving, as all-day events."""
    laws = (
        queries.public_laws()
        .filter(planned_next_step_on__isnull=False)
        .exclude(status__in=LAW_WORKFLOW.terminal)
        .order_by("planned_next_step_on", "id")
    )
    domain = urlsplit(settings.TRACKER_BASE_URL).hostname or "tracker.invalid"
    events = []
    for law in laws:
        url = request.build_absolute_uri(reverse("web:law-detail", args=[law.pk]))
        number = f"{law.registration_number}: " if law.registration_number else ""
        description = "\n".join(
            [
                law.local_name,
                _("Current stage: %(stage)s") % {"stage": law.status_label},
                url,
            ]
        )
        events.append(
            [
                ("UID", f"law-{law.pk}-next-step@{domain}"),
                ("DTSTAMP", ical.format_utc(law.updated_at)),
                ("LAST-MODIFIED", ical.format_utc(law.updated_at)),
                ("DTSTART;VALUE=DATE", ical.format_date(law.planned_next_step_on)),
                (
                    "DTEND;VALUE=DATE",
                    ical.format_date(law.planned_next_step_on + datetime.timedelta(days=1)),
                ),
                ("SUMMARY", ical.escape_text(f"{number}{law.planned_next_step}")),
                ("DESCRIPTION", ical.escape_text(description)),
                ("URL;VALUE=URI", url),
                ("TRANSP", "TRANSPARENT"),
            ]
        )
    body = ical.calendar(name=_("Draft laws: planned next steps"), events=events)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="next-steps.ics"'
    return response
