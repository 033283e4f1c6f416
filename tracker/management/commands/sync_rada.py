"""python manage.py sync_rada [--file PATH | --url URL] [--dry-run] [--force]"""

from __future__ import annotations

import os
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tracker.models import SyncRun
from tracker.services.rada_dump import DumpError
from tracker.services.rada_fetch import sync_url
from tracker.services.rada_sync import Report, sync_file

BAR = 30


class Command(BaseCommand):
    help = (
        "Bring the Rada's bill cards into the tracked laws: steps, events, numbers, relations, "
        "committees, documents; differences with what staff recorded go to the review queue, "
        "and matching bills not tracked to the suggested bills."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", help="Read this dump on disk instead of downloading it.")
        parser.add_argument("--url", help=f"Download from here (default {settings.RADA_SYNC_URL}).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would change; change nothing."
        )
        parser.add_argument(
            "--force", action="store_true", help="Download even if the ETag says unchanged."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        path = options["file"]
        show = not options["no_progress"] and self.stdout.isatty()
        self._total = os.path.getsize(path) if path and os.path.exists(path) else 0
        self._started = time.monotonic()
        progress = self._progress if show else None
        try:
            if path:
                if not os.path.isfile(path):
                    raise CommandError(f"No such file: {path}")
                result = sync_file(path, dry_run=dry_run, progress=progress)
            else:
                self.stdout.write(f"Downloading {options['url'] or settings.RADA_SYNC_URL} ...")
                result = sync_url(
                    options["url"], dry_run=dry_run, force=options["force"], progress=progress
                )
        except DumpError as exc:
            raise CommandError(str(exc)) from None
        self._summary(result, dry_run)

    def _progress(self, position: int, bills: int, report: Report) -> None:
        finished = position < 0
        if finished:
            position = self._total
        total = self._total or max(position, 1)
        done = min(position / total, 1.0) if total else 0.0
        filled = int(done * BAR)
        line = (
            f"\r[{'#' * filled}{'.' * (BAR - filled)}] {done:4.0%}  {bills:,} bills read, "
            f"{report.bills_followed} tracked, {report.changes} changes, "
            f"{report.reviews_opened} to review  {time.monotonic() - self._started:.0f} s"
        )
        self.stdout.write(line, ending="\n" if finished else "")
        self.stdout.flush()

    def _summary(self, result: SyncRun | Report, dry_run: bool) -> None:
        if isinstance(result, SyncRun) and result.outcome == SyncRun.Outcome.NOT_MODIFIED:
            self.stdout.write(self.style.SUCCESS("The dump is unchanged since the last run (304)."))
            return
        report = getattr(result, "report_object", result)
        if not isinstance(report, Report):
            report = Report()
        if dry_run:
            self.stdout.write("Dry run: nothing was changed. It would have done this:")
        for line in report.lines:
            self.stdout.write(f"  {line}")
        if report.warning_lines:
            self.stdout.write(f"Warnings ({report.warnings}):")
            for line in report.warning_lines[:50]:
                self.stdout.write(f"  {line}")
        self.stdout.write(self.style.SUCCESS(report.summary()))
