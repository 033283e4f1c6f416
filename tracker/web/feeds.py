"""Feeds for following the tracker without an account: Atom for public status changes,
iCalendar for the planned next steps of public draft laws and the end of the President's term
for those with the President. Only steps as they now stand (corrected, none retracted) are
told, and no date is made up: a step whose day is not known carries the time it was recorded
in the feed, and a term whose start is not known is not in the calendar."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from tracker.models import DatePrecision, DraftLaw, StatusChange
from tracker.workflows import LAW_WORKFLOW, LawStatus

from . import ical, queries
from .president import president_term

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
            _("Date: %(date)s") % {"date": queries.date_as_known(change)},
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
            if change.not_voting is not None:
                lines.append(_("Did not vote: %(count)s") % {"count": change.not_voting})
            if change.present is not None:
                lines.append(_("Present: %(count)s") % {"count": change.present})
        html = format_html_join("", "<p>{}</p>", ((line,) for line in lines))
        if change.source_url:
            html += format_html('<p><a href="{}">{}</a></p>', change.source_url, _("Source"))
        return html

    def item_link(self, change: StatusChange) -> str:
        return f"{change.record_url}#change-{change.pk}"

    def item_pubdate(self, change: StatusChange) -> datetime.datetime:
        # The day it happened in the world; only the month or nothing known: when it was
        # recorded, rather than a day nobody entered.
        if change.occurred_on is None or change.date_precision != DatePrecision.DAY:
            return change.recorded_at
        return timezone.make_aware(datetime.datetime.combine(change.occurred_on, datetime.time()))

    def item_updateddate(self, change: StatusChange) -> datetime.datetime:
        return change.recorded_at

    def item_categories(self, change: StatusChange) -> tuple[str, ...]:
        return (change.record_type,)


status_changes_feed = require_safe(StatusChangesFeed())


@require_safe
def next_steps_calendar(request: HttpRequest) -> HttpResponse:
    """Planned next steps of public draft laws that are still moving, and the last day of the
    President's term for those with the President, as all-day events."""
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
    events += _president_terms(request, domain)
    body = ical.calendar(name=_("Draft laws: planned next steps"), events=events)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="next-steps.ics"'
    return response


def _president_terms(request: HttpRequest, domain: str) -> list[list[tuple[str, str]]]:
    """The end of the President's term for each public law with the President, when the day
    it reached the President is known (no date is made up for the others). Two queries."""
    laws = list(queries.public_laws().filter(status=LawStatus.SENT_TO_PRESIDENT).order_by("id"))
    steps = queries.steps_by_record(DraftLaw, [law.pk for law in laws])
    today = timezone.localdate()
    events = []
    for law in laws:
        term = president_term(law.status, steps.get(law.pk, []), today)
        if term is None or term.due_on is None:
            continue
        url = request.build_absolute_uri(reverse("web:law-detail", args=[law.pk]))
        number = f"{law.registration_number}: " if law.registration_number else ""
        if term.after_override:
            summary = _("The President's %(days)s days to sign the overridden law end")
        else:
            summary = _("The President's %(days)s days to sign or return the law end")
        summary %= {"days": term.days}
        description = "\n".join(
            [
                law.local_name,
                _("Received by the President: %(date)s")
                % {"date": date_format(term.received_on, "DATE_FORMAT")},
                url,
            ]
        )
        events.append(
            [
                ("UID", f"law-{law.pk}-president-{term.received_on:%Y%m%d}@{domain}"),
                ("DTSTAMP", ical.format_utc(law.updated_at)),
                ("LAST-MODIFIED", ical.format_utc(law.updated_at)),
                ("DTSTART;VALUE=DATE", ical.format_date(term.due_on)),
                ("DTEND;VALUE=DATE", ical.format_date(term.due_on + datetime.timedelta(days=1))),
                ("SUMMARY", ical.escape_text(f"{number}{summary}")),
                ("DESCRIPTION", ical.escape_text(description)),
                ("URL;VALUE=URI", url),
                ("TRANSP", "TRANSPARENT"),
            ]
        )
    return events
