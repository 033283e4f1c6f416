"""Notification fan-out: one status change, N webhook subscriptions, Celery on Redis.

Ours: a law that N subscriptions follow changes status; Celery workers fan the event out
and deliver it to a local receiver that verifies every signature. We time commit -> first
and commit -> last verified delivery.
Raw: one process POSTs the same N signed bodies to the same receiver with the same
concurrency (keep-alive connections, signing included). The ratio is ours / raw.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent


def receiver_stats(port: int) -> dict:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    conn.request("GET", "/stats")
    stats = json.loads(conn.getresponse().read())
    conn.close()
    return stats


def receiver_reset(port: int) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    conn.request("POST", "/reset", body=b"")
    conn.getresponse().read()
    conn.close()


def wait_for(port: int, count: int, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    stats = receiver_stats(port)
    while stats["verified"] < count and time.monotonic() < deadline:
        time.sleep(0.02)
        stats = receiver_stats(port)
    return stats


def wait_for_log(path: Path, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{path.name} never said {text!r}")


def pick_law():
    from tracker.models import DraftLaw, Visibility
    from tracker.workflows import LawStatus

    # registered -> in_committee: no vote, always allowed.
    return (
        DraftLaw.objects.filter(
            visibility=Visibility.PUBLIC, status=LawStatus.REGISTERED, archived_at__isnull=True
        )
        .order_by("id")
        .first()
    )


def subscribe(*, law, count: int, port: int) -> dict[str, str]:
    from tracker.models import Delivery, PartnerCountry, WebhookSubscription
    from tracker.services.subscriptions import webhook_subscription_create

    Delivery.objects.all().delete()
    WebhookSubscription.objects.all().delete()
    partners = list(PartnerCountry.objects.filter(archived_at__isnull=True).order_by("id"))
    secrets: dict[str, str] = {}
    for i in range(count):
        _, secret = webhook_subscription_create(
            partner=partners[i % len(partners)],
            url=f"http://{HOST}:{port}/hook/{i}",
            event_types=["law.*"],
            record_type="law",
            record_id=law.pk,
            description=f"bench {i}",
        )
        secrets[str(i)] = secret
    return secrets


def raw_baseline(*, event, secrets: dict[str, str], port: int, concurrency: int) -> dict:
    """POST the same signed body to every hook from one process, `concurrency` at a time."""
    from standardwebhooks import Webhook

    from tracker.models import Delivery
    from tracker.notifications.payloads import webhook_body

    body = webhook_body(event)
    message_ids = list(Delivery.objects.filter(event=event).values_list("message_id", flat=True))
    names = list(secrets)
    chunks = [names[i::concurrency] for i in range(concurrency)]

    def sender(mine: list[str]) -> int:
        ok = 0
        for n, name in enumerate(mine):
            # A new connection each time: 1,000 subscriptions are 1,000 endpoints.
            conn = http.client.HTTPConnection(HOST, port, timeout=15)
            message_id = message_ids[n % len(message_ids)] if message_ids else f"msg_{name}"
            now = dt.datetime.now(dt.UTC)
            headers = {
                "content-type": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": Webhook(secrets[name]).sign(message_id, now, body),
            }
            conn.request("POST", f"/hook/{name}", body.encode(), headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            ok += response.status == 200
        return ok

    receiver_reset(port)
    started = time.time()
    with ThreadPoolExecutor(concurrency) as pool:
        ok = sum(pool.map(sender, chunks))
    stats = wait_for(port, len(secrets), 30)
    return {
        "ok": ok,
        "verified": stats["verified"],
        "first_ms": round((stats["first"] - started) * 1000, 1) if stats["first"] else None,
        "all_s": round(stats["last"] - started, 3) if stats["last"] else None,
    }


def _timed(change, *, port: int, count: int):
    """Make `change` and wait for its `count` deliveries; what the receiver counted, with
    commit to first and commit to last, and what `change` returned."""
    from django.db import transaction

    receiver_reset(port)
    marks: list[float] = []
    with transaction.atomic():
        transaction.on_commit(lambda: marks.append(time.time()))
        made = change()
    stats = wait_for(port, count, 300)
    first, last = stats["first"], stats["last"]
    return {
        **stats,
        "first_ms": round((first - marks[0]) * 1000, 1) if first else None,
        "all_s": round(last - marks[0], 3) if last else None,
    }, made


def _median_run(runs: list[dict]) -> dict:
    """The run whose time to the last delivery is the median one."""
    timed = sorted((run for run in runs if run.get("all_s")), key=lambda run: run["all_s"])
    return timed[len(timed) // 2] if timed else runs[0]


def run(
    *,
    subscriptions: int,
    concurrency: int,
    receiver_port: int,
    start,
    pool: str = "threads",
    repeats: int = 5,
) -> dict:
    import redis
    from django.conf import settings

    from tracker.models import Delivery, Event
    from tracker.services.records import record_update
    from tracker.services.transitions import record_transition

    law = pick_law()
    secrets = subscribe(law=law, count=subscriptions, port=receiver_port)
    secrets_file = RESULTS / "fanout-secrets.json"
    secrets_file.write_text(json.dumps(secrets))
    processes = []
    try:
        processes.append(
            start(
                "receiver",
                [
                    str(BIN / "python"),
                    "-m",
                    "bench.receiver",
                    "--port",
                    str(receiver_port),
                    "--secrets",
                    str(secrets_file),
                ],
            )
        )
        # Nothing queued by earlier sections may compete with the measured fan-out.
        redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
        task_log = RESULTS / "celery-worker-tasks.log"
        task_log.unlink(missing_ok=True)
        # BENCH_FANOUT_WORKERS=2: the same concurrency split over two worker processes.
        workers = int(os.environ.get("BENCH_FANOUT_WORKERS", "1"))
        for n in range(workers):
            log_n = task_log if n == 0 else task_log.with_name(f"celery-worker-{n}-tasks.log")
            processes.append(
                start(
                    f"celery-worker-{n}",
                    [
                        str(BIN / "celery"),
                        "-A",
                        "config",
                        "worker",
                        f"--pool={pool}",
                        f"--concurrency={concurrency // workers}",
                        f"--hostname=bench{n}@%h",
                        "--loglevel=INFO",
                        "--logfile",
                        str(log_n),
                        "--without-mingle",
                        "--without-gossip",
                        "--without-heartbeat",
                    ],
                )
            )
            wait_for_log(log_n, "ready.", 60)
        time.sleep(1)
        # The worker's first event: its threads open their database connections on the way.
        first_event, _ = _timed(
            lambda: record_update(
                record=law, values={"planned_next_step": "Committee hearing"}, actor=None
            ),
            port=receiver_port,
            count=subscriptions,
        )
        # The measured ones: a worker that has been running, as in production. The first is
        # a status change; the others edit the law (each change is one event to all).
        runs = []
        stats, change = _timed(
            lambda: record_transition(
                record=law,
                to_status="in_committee",
                occurred_on=dt.date.today(),
                recorded_by=None,
                note="Referred to the lead committee.",
            ),
            port=receiver_port,
            count=subscriptions,
        )
        runs.append(stats)
        event = Event.objects.get(status_change=change)
        for n in range(1, repeats):
            more, _ = _timed(
                lambda n=n: record_update(
                    record=law, values={"planned_next_step": f"Hearing {n}"}, actor=None
                ),
                port=receiver_port,
                count=subscriptions,
            )
            runs.append(more)
        deliveries = Delivery.objects.filter(event__in=Event.objects.filter(pk__gte=event.pk))
        stats = _median_run(runs)
        ours = {
            "verified": stats["verified"],
            "unique": stats["unique"],
            "duplicates": sum(run["duplicates"] for run in runs),
            "rejected": sum(run["rejected"] for run in runs),
            "deliveries": deliveries.count(),
            "succeeded": deliveries.filter(state="succeeded").count(),
            "first_ms": stats["first_ms"],
            "all_s": stats["all_s"],
            "runs_s": [run["all_s"] for run in runs],
            "first_event_after_start": {
                k: first_event[k] for k in ("verified", "first_ms", "all_s")
            },
        }
        for process in processes[1:]:
            process.stop()

        def raw_median(threads: int) -> dict:
            runs = [
                raw_baseline(event=event, secrets=secrets, port=receiver_port, concurrency=threads)
                for _ in range(repeats)
            ]
            return {
                **_median_run(runs),
                "concurrency": threads,
                "runs_s": [run["all_s"] for run in runs],
            }

        raw = raw_median(concurrency)
        # Ours may have up to WEBHOOKS_BATCH_THREADS sends in flight per batch, several
        # batches at once: the raw loop at that concurrency too, to show it gains nothing.
        raw_wide = raw_median(
            min(concurrency, -(-subscriptions // settings.WEBHOOKS_BATCH_SIZE))
            * int(settings.WEBHOOKS_BATCH_THREADS)
        )
    finally:
        for process in processes:
            process.stop()
    best_raw = min(raw["all_s"] or 0, raw_wide["all_s"] or 0) or None
    ratio = round(ours["all_s"] / best_raw, 2) if ours["all_s"] and best_raw else None
    return {
        "subscriptions": subscriptions,
        "repeats": repeats,
        "raw_wide": raw_wide,
        "concurrency": concurrency,
        "celery_pool": pool,
        "celery_workers": int(os.environ.get("BENCH_FANOUT_WORKERS", "1")),
        "worker_pgoptions": os.environ.get("PGOPTIONS", ""),
        "ours": ours,
        "raw": raw,
        "ratio": ratio,
    }
