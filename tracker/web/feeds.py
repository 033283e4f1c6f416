"""Feeds for following the tracker without an account: Atom for public status changes,
iCalendar for every dated deadline of the public records (planned next steps, the end of the
President's term, entries into force...). Only steps as they now stand (corrected, none
retracted) are told, and no date is made up: a step whose day is not known carries the time
it was recorded in the feed, and a deadline without a date is not in the calendar."""

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

from tracker import links
from tracker.deadlines import present
from tracker.models import DatePrecision, DeadlineKind, DraftLaw, StatusChange
from tracker.workflows import PRESIDENT_AFTER_OVERRIDE_DAYS, PRESIDENT_ANSWER_DAYS

from . import ical, queries

FEED_ITEMS = 50
PRESIDENT_KINDS = (DeadlineKind.PRESIDENT_ANSWER, DeadlineKind.PRESIDENT_AFTER_OVERRIDE)


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
    """Every deadline of the public records that has a date, one all-day event each: planned
    next steps, the end of the President's term, entries into force, a tax measure's start
    and sunset, deadlines staff added. Each event's UID is the deadline's key, so a calendar
    that subscribed moves the event when the deadline moves (a new LAST-MODIFIED and a
    higher SEQUENCE); a deadline without a date is not in the calendar (no date is made
    up). Two queries."""
    domain = urlsplit(settings.TRACKER_BASE_URL).hostname or "tracker.invalid"
    today = timezone.localdate()
    events = []
    for deadline in queries.public_dated_deadlines():
        record = deadline.public_record
        url = request.build_absolute_uri(links.public_path(deadline.record_type, record.pk))
        shown = present(deadline, today)
        number = getattr(record, "registration_number", None)
        prefix = f"{number}: " if number else ""
        if deadline.kind == DeadlineKind.NEXT_STEP:
            summary = f"{prefix}{deadline.label}"
        elif deadline.kind in (
            DeadlineKind.PRESIDENT_ANSWER,
            DeadlineKind.PRESIDENT_AFTER_OVERRIDE,
        ):
            after_override = deadline.kind == DeadlineKind.PRESIDENT_AFTER_OVERRIDE
            if after_override:
                summary = _("The President's %(days)s days to sign the overridden law end")
            else:
                summary = _("The President's %(days)s days to sign or return the law end")
            days = PRESIDENT_AFTER_OVERRIDE_DAYS if after_override else PRESIDENT_ANSWER_DAYS
            summary = prefix + summary % {"days": days}
        else:
            summary = f"{prefix or record.local_name + ': '}{shown['title']}"
        lines = [record.local_name]
        if deadline.record_type == DraftLaw.record_type:
            lines.append(_("Current stage: %(stage)s") % {"stage": record.status_label})
        for item in shown["counts_from"]:
            if item.get("date"):
                lines.append(f"{str(item['label']).capitalize()}: {item['date']}")
            elif item.get("condition"):
                lines.append(item["condition"])
        if shown["legal_basis"]:
            lines.append(_("Legal basis: %(basis)s") % {"basis": shown["legal_basis"]})
        lines.append(url)
        uid = deadline.key.replace(":", "-").replace("_", "-")
        events.append(
            [
                ("UID", f"{uid}@{domain}"),
                ("SEQUENCE", str(_sequence(deadline.computed_at))),
                ("DTSTAMP", ical.format_utc(deadline.computed_at)),
                ("LAST-MODIFIED", ical.format_utc(deadline.computed_at)),
                ("DTSTART;VALUE=DATE", ical.format_date(deadline.due_on)),
                (
                    "DTEND;VALUE=DATE",
                    ical.format_date(deadline.due_on + datetime.timedelta(days=1)),
                ),
                ("SUMMARY", ical.escape_text(summary)),
                ("DESCRIPTION", ical.escape_text("\n".join(lines))),
                ("URL;VALUE=URI", url),
                ("TRANSP", "TRANSPARENT"),
            ]
        )
    body = ical.calendar(name=_("Draft laws: planned next steps"), events=events)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="next-steps.ics"'
    return response


_SEQUENCE_EPOCH = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


def _sequence(changed_at: datetime.datetime) -> int:
    """Grows each time the deadline's row changes (its date moved): minutes since 2025."""
    return max(int((changed_at - _SEQUENCE_EPOCH).total_seconds() // 60), 0)
