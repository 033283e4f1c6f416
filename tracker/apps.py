from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = _("Co-production tracker")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The notification side listens to what the services announce after commit.
        from tracker.notifications import receivers  # noqa: F401
