"""python manage.py send_digests: send the daily and weekly digests now (what the beat job
`notifications.digests` does); a period already sent is never sent again."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from tracker.notifications.digests import send_due_digests


class Command(BaseCommand):
    help = "Send the digest mails of every completed period not yet sent."

    def handle(self, *args, **options):
        sent = send_due_digests()
        self.stdout.write(f"{sent} digest mails sent.")
