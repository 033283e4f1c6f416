import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["tracker.notifications"])
# Heartbeat, fan-out timing and metrics files (tracker/ops/signals.py).
app.autodiscover_tasks(["tracker.ops"], related_name="signals")


@task_prerun.connect
@task_postrun.connect
def close_old_database_connections(sender=None, **kwargs) -> None:
    """A task's database connections live as a web request's do: kept for CONN_MAX_AGE,
    checked before reuse (CONN_HEALTH_CHECKS), dropped after an error. Eager tasks run
    inside their caller's request or transaction and are left alone."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
