"""How long one status change takes to reach 1 and 100 webhook subscribers on loopback.

    .venv/bin/python -m tests.notifications.measure_latency            # SQLite + file broker
    REDIS_URL=redis://127.0.0.1:6379/2 DATABASE_URL=postgres://... .venv/bin/python -m ...

Times from just before `record_transition` (which commits) to the moment the receiver has
answered the last request; a real Celery worker (solo pool, as `make run` starts it) sends.
"""

from __future__ import annotations

import datetime
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

scratch = Path(tempfile.mkdtemp(prefix="tracker-measure-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch / 'db.sqlite3'}")
os.environ.setdefault("CELERY_BROKER_DIR", str(scratch / "broker"))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
os.environ["WEBHOOKS_ALLOW_PRIVATE_TARGETS"] = "true"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from tests.factories import make_law, make_partner  # noqa: E402
from tests.notifications.receiver import Receiver, serve  # noqa: E402
from tests.notifications.workers import Worker, wait_until  # noqa: E402
from tracker.models import Delivery, WebhookSubscription  # noqa: E402
from tracker.services.subscriptions import webhook_subscription_create  # noqa: E402
from tracker.services.transitions import record_transition  # noqa: E402

ROUNDS = 5
PATH = ["registered", "in_committee", "first_reading", "returned_for_revision"] + [
    "in_committee", "first_reading", "public_discussion"] * 4  # fmt: skip


def main() -> None:
    call_command("migrate", verbosity=0)
    receiver = Receiver()
    server = serve(receiver)

    broker = os.environ.get("REDIS_URL", "")
    worker = Worker(broker, scratch).start(
        {"CELERY_BROKER_DIR": os.environ["CELERY_BROKER_DIR"], "DATABASE_CONN_MAX_AGE": "60"}
    )
    # At most 50 subscriptions per partner: spread 100 over four partners.
    partners = [make_partner(code) for code in ("DE", "FR", "PL", "NL")]
    law = make_law()
    steps = iter(PATH)
    day = iter(range(400))
    print(f"database: {connection.vendor}; broker: {'Redis' if broker else 'file'}")
    try:
        for subscribers in (1, 100):
            WebhookSubscription.objects.all().delete()
            for n in range(subscribers):
                webhook_subscription_create(
                    partner=partners[n % 4], url=receiver.url(f"/s{n}"), event_types=["law.*"]
                )
            timings = []
            for round_ in range(ROUNDS + 1):  # the first round warms up
                before = len(receiver.requests)
                started = time.perf_counter()
                record_transition(
                    record=law,
                    to_status=next(steps),
                    occurred_on=datetime.date(2025, 1, 1) + datetime.timedelta(days=next(day)),
                    recorded_by=None,
                )
                wait_until(
                    lambda n=before + subscribers: len(receiver.requests) >= n,
                    60,
                    f"{subscribers} deliveries\n{worker.output()}",
                    interval=0.002,
                )
                if round_:
                    timings.append(time.perf_counter() - started)
            print(
                f"{subscribers:>3} subscriber(s): median {statistics.median(timings):.3f} s, "
                f"min {min(timings):.3f} s, max {max(timings):.3f} s over {ROUNDS} changes"
            )
        latency = [d for d in Delivery.objects.values_list("last_latency_ms", flat=True) if d]
        print(f"HTTP latency per delivery: median {statistics.median(latency)} ms")
    finally:
        worker.stop()
        server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
