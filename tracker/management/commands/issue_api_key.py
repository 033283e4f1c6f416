"""Issue an API key for a partner country and print it once; only its hash is stored."""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tracker.models import PartnerCountry
from tracker.services.api_keys import api_key_issue


class Command(BaseCommand):
    help = "Issue an API key for a partner country (by ISO code) and print it once."

    def add_arguments(self, parser):
        parser.add_argument("code", help="ISO 3166-1 alpha-2 code of the partner, e.g. DE.")
        parser.add_argument("--name", default="API key", help="What system will use the key.")
        parser.add_argument(
            "--expires",
            help="Last day the key works (YYYY-MM-DD); it stops working at the end of that day.",
        )

    def handle(self, *args, code, name, expires, **options):
        try:
            partner = PartnerCountry.objects.get(code=code.upper())
        except PartnerCountry.DoesNotExist:
            raise CommandError(f"No partner country with code {code!r}.") from None
        expires_at = None
        if expires:
            try:
                day = datetime.date.fromisoformat(expires)
            except ValueError:
                raise CommandError("Give --expires as YYYY-MM-DD.") from None
            expires_at = timezone.make_aware(
                datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
            )
        try:
            api_key, key = api_key_issue(partner=partner, name=name, expires_at=expires_at)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        until = f", valid until {expires_at:%Y-%m-%d %H:%M %Z}" if expires_at else ""
        self.stderr.write(
            f"Issued key {api_key.prefix}… '{api_key.name}' for {partner.name_en}{until}. "
            "It is shown only now; store it safely:"
        )
        self.stdout.write(key)
