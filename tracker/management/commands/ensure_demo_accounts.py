"""Create the local demo staff account and a fresh demo partner key, and say how to use them."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from tracker.models import PartnerAPIKey, PartnerCountry
from tracker.services.api_keys import api_key_issue, api_key_revoke

DEMO_USERNAME = "editor"
DEMO_PASSWORD = "demo-editor-pass"  # local demo only; make run never runs in production
DEMO_KEY_NAME = "demo key (make run)"


class Command(BaseCommand):
    help = "Create the demo staff account and a demo partner API key, and print how to log in."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--partner", default="DE", help="ISO code of the demo partner.")

    def handle(self, *args, host, port, partner, **options):
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True, "email": "editor@localhost"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(Group.objects.get(name="Editors"))

        try:
            country = PartnerCountry.objects.get(code=partner.upper())
        except PartnerCountry.DoesNotExist:
            raise CommandError(
                f"No partner country {partner}; run `manage.py load_demo`."
            ) from None
        # Keys are stored hashed, so a key can only be shown when issued: issue a new one.
        demo_keys = PartnerAPIKey.objects.filter(partner=country, name=DEMO_KEY_NAME)
        for old in demo_keys.filter(revoked=False):
            api_key_revoke(api_key=old)
        _, key = api_key_issue(partner=country, name=DEMO_KEY_NAME)

        base = f"http://{host}:{port}"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"  Dashboard:  {base}/",
                    f"  Admin:      {base}/admin/   (user '{DEMO_USERNAME}', "
                    f"password '{DEMO_PASSWORD}')",
                    f"  API docs:   {base}/api/v1/docs/",
                    f"  Partner key for {country.name_en} (shown once):",
                    f"    curl -H 'Authorization: Api-Key {key}' {base}/api/v1/laws/",
                    "",
                ]
            )
        )
