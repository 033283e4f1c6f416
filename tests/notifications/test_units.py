"""Small pieces with rules of their own: retry delays, event type patterns, secrets."""

from __future__ import annotations

import base64
import datetime

import pytest

from tests.notifications.marks import committing
from tracker.models.notifications import event_type_matches
from tracker.notifications.config import max_attempts, retry_delay, retry_schedule
from tracker.notifications.signing import generate_secret


def test_retry_delay_follows_the_schedule_with_jitter_and_retry_after():
    for attempt, planned in enumerate(retry_schedule(), start=1):
        assert planned * 0.9 <= retry_delay(attempt) <= planned * 1.1
    assert retry_delay(1, retry_after=600) >= datetime.timedelta(seconds=600)
    # A huge Retry-After is capped so that a delivery is not parked for ever.
    assert retry_delay(1, retry_after=10**9) <= datetime.timedelta(hours=24)
    assert len({retry_delay(2) for _ in range(5)}) > 1


def test_the_default_retry_schedule_is_the_documented_one():
    minutes = [delay.total_seconds() / 60 for delay in retry_schedule()]
    assert minutes == [5 / 60, 5, 30, 120, 300, 600, 600]
    assert max_attempts() == 8


def test_the_retry_schedule_is_a_setting(settings):
    settings.WEBHOOKS_RETRY_SCHEDULE = (1, 2)
    assert max_attempts() == 3
    assert 0.9 <= retry_delay(1).total_seconds() <= 1.1
    # Past the schedule's end, the last wait repeats.
    assert 1.8 <= retry_delay(5).total_seconds() <= 2.2


def test_event_type_patterns():
    assert event_type_matches("law.*", "law.status_changed")
    assert event_type_matches("*", "facility.created")
    assert event_type_matches("law.created", "law.created")
    assert not event_type_matches("law.*", "tax_measure.created")
    assert not event_type_matches("law.created", "law.updated")


def test_secrets_are_whsec_with_at_least_24_random_bytes():
    secrets = {generate_secret() for _ in range(20)}
    assert len(secrets) == 20
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24


def test_a_batch_lease_fits_the_task_time_limit_whatever_the_batch_size(settings):
    from tracker.notifications.config import batch_lease, send_rounds

    settings.WEBHOOKS_TIMEOUT_SECONDS = 15
    settings.WEBHOOKS_CLAIM_LEASE_SECONDS = 60
    settings.WEBHOOKS_BATCH_THREADS = 8
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 100
    # One attempt's lease, plus one timeout for each further round of eight.
    assert batch_lease(1) == batch_lease(8) == datetime.timedelta(seconds=60)
    assert batch_lease(9) == datetime.timedelta(seconds=75)
    assert batch_lease(40) == datetime.timedelta(seconds=120)
    # Five rounds of eight sends that each hang for 15 s still end within 100 s; a bigger
    # batch starts no more rounds than that (the rest is handed back), so its lease stops.
    assert send_rounds(40) == send_rounds(1000) == 5
    assert batch_lease(1000) == datetime.timedelta(seconds=120)


@committing
@pytest.mark.parametrize("max_age, kept", [(600, True), (0, False)])
def test_a_worker_task_keeps_its_database_connection_as_long_as_conn_max_age(max_age, kept):
    from celery.fixups.django import DjangoWorkerFixup
    from celery.signals import task_postrun, task_prerun
    from django.db import connection

    from config.celery_app import app

    # What a worker runs around each task: Celery's own Django fixup, then our handler.
    fixup = DjangoWorkerFixup(app)

    class Task:
        class request:
            is_eager = False

    saved = connection.settings_dict["CONN_MAX_AGE"]
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = max_age
    try:
        connection.ensure_connection()
        opened = connection.connection
        fixup.on_task_prerun(Task)
        task_prerun.send(sender=Task, task_id="t", task=Task)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        fixup.on_task_postrun(Task)
        task_postrun.send(sender=Task, task_id="t", task=Task)
        assert (connection.connection is opened) is kept
    finally:
        connection.close()
        connection.settings_dict["CONN_MAX_AGE"] = saved
