"""python manage.py check_deadlines: recompute every deadline and send the alerts now.

What the beat job `deadlines.alerts` does, by hand (after loading data, or to catch up);
running it again sends nothing twice.
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from tracker.services.deadlines import refresh_all_deadlines, send_deadline_alerts


class Command(BaseCommand):
    help = "Recompute every record's deadlines and send the approaching and missed alerts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days-before",
            type=int,
            default=None,
            help="Announce deadlines this many days ahead (default: DEADLINES_APPROACHING_DAYS).",
        )
        parser.add_argument(
            "--today", default=None, help="Count as if today were this date (YYYY-MM-DD)."
        )
        parser.add_argument(
            "--no-refresh", action="store_true", help="Do not recompute the deadlines first."
        )

    def handle(self, *args, days_before=None, today=None, no_refresh=False, **options):
        if days_before is not None and days_before < 0:
            raise CommandError("--days-before must be 0 or more.")
        try:
            day = datetime.date.fromisoformat(today) if today else None
        except ValueError:
            raise CommandError("--today must be a date, YYYY-MM-DD.") from None
        if not no_refresh:
            count = refresh_all_deadlines()
            self.stdout.write(f"{count} deadlines recomputed.")
        sent = send_deadline_alerts(today=day, days_before=days_before)
        self.stdout.write(
            f"{sent['deadline_approaching']} approaching and {sent['deadline_missed']} missed "
            "alerts sent."
        )
