import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["tracker.notifications"])
# Heartbeat, fan-out timing and metrics files (tracker/ops/signals.py).
app.autodiscover_tasks(["tracker.ops"], related_name="signals")


def rada_sync_schedule(enabled: bool, at: str) -> dict | None:
    """The beat entry of the daily sync with the Rada's open data, or None when it is off."""
    if not enabled:
        return None
    hour, _, minute = (at or "05:30").partition(":")
    return {
        "task": "rada.sync",
        "schedule": crontab(hour=int(hour), minute=int(minute or 0)),
        "options": {"expires": 6 * 3600},
    }


@app.on_after_configure.connect
def schedule_rada_sync(sender, **kwargs) -> None:
    from django.conf import settings

    entry = rada_sync_schedule(settings.RADA_SYNC_ENABLED, settings.RADA_SYNC_TIME)
    if entry is not None:
        sender.conf.beat_schedule = {**sender.conf.beat_schedule, "rada-sync": entry}


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
