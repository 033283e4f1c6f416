"""Prometheus metrics: what the code counts where things happen, and gauges read from the
database when `/metrics` is scraped.

Multiprocess mode: when `PROMETHEUS_MULTIPROC_DIR` is set in a process's environment before
it starts, prometheus-client writes every counter and histogram of that process to files in
that folder, and `/metrics` sums the files of every process that shares it (each gunicorn
worker, each Celery worker and pool process on the machine). Without it, `/metrics` shows the
answering process's own values only. The database gauges are computed at scrape time and
are the same whichever process answers.

Every `observe_*` function also writes the matching log line, so the log and the metrics
tell the same story.
"""

from __future__ import annotations

import collections
import datetime
import logging
import os
from collections.abc import Iterable

from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from . import heartbeat, queries

logger = logging.getLogger(__name__)
delivery_log = logging.getLogger("tracker.deliveries")

# --- Requests (tracker/ops/middleware.py) ---------------------------------------------------
http_requests = Counter(
    "tracker_http_requests_total",
    "HTTP requests answered, by method, route pattern and status code.",
    ["method", "route", "status"],
)
http_request_duration = Histogram(
    "tracker_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route pattern.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
rate_limit_refusals = Counter(
    "tracker_rate_limit_refusals_total",
    "API requests refused by the rate limit, by scope (partner, staff, anon).",
    ["scope"],
)

# --- Notifications --------------------------------------------------------------------------
delivery_attempts = Counter(
    "tracker_delivery_attempts_total",
    "Delivery attempts by channel (webhook, email) and outcome: succeeded; retrying (failed, "
    "another attempt is planned); failed (given up, or 410 Gone); cancelled; released (given "
    "back unsent); lost (another worker took the delivery over).",
    ["channel", "outcome"],
)
delivery_latency = Histogram(
    "tracker_delivery_latency_seconds",
    "From the event's commit to the endpoint's 2xx (or the mail server's acceptance), retries "
    "included, by channel.",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 7200, 36000, 86400),
)
fan_out_duration = Histogram(
    "tracker_fan_out_duration_seconds",
    "Time to plan and queue the deliveries of one event (the fan_out task).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
sweep_requeued = Counter(
    "tracker_sweep_requeued_total",
    "What the periodic sweep queued again, by kind (events not fanned out, due deliveries).",
    ["kind"],
)

SUCCEEDED, RETRYING, FAILED, CANCELLED, RELEASED, LOST = (
    "succeeded",
    "retrying",
    "failed",
    "cancelled",
    "released",
    "lost",
)


def observe_request(
    *, method: str, route: str, status: int, seconds: float, path: str, quiet: bool = False
) -> None:
    http_requests.labels(method, route, str(status)).inc()
    http_request_duration.labels(method, route).observe(seconds)
    logging.getLogger("tracker.requests").log(
        logging.DEBUG if quiet else logging.INFO,
        "%s %s %s %.1f ms",
        method,
        path,
        status,
        seconds * 1000,
        extra={
            "method": method,
            "path": path,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
        },
    )


def observe_rate_limit_refusal(scope: str) -> None:
    rate_limit_refusals.labels(scope).inc()


def observe_attempt(
    delivery, outcome: str, *, error: str = "", now: datetime.datetime | None = None
) -> None:
    """One attempt at `delivery` (a `tracker.models.Delivery`, its result written) ended with
    `outcome`: count it, time it from the event's commit if it succeeded, and log one line
    that carries the event id, the delivery id and the `webhook-id`."""
    if outcome == SUCCEEDED:
        observe_successes([delivery], now=now)
        return
    delivery_attempts.labels(_channel(delivery), outcome).inc()
    _log_attempt(delivery, outcome, error=error)


def observe_successes(deliveries, *, now: datetime.datetime | None = None) -> None:
    """`observe_attempt` of a batch's successful attempts: counted once per channel, each
    timed from its event's commit and logged on its own line."""
    if not deliveries:
        return
    now = now or timezone.now()
    channels = collections.Counter(_channel(delivery) for delivery in deliveries)
    for channel, count in channels.items():
        delivery_attempts.labels(channel, SUCCEEDED).inc(count)
    latency = {channel: delivery_latency.labels(channel) for channel in channels}
    since_events: dict[int, float | None] = {}
    for delivery in deliveries:
        if delivery.event_id not in since_events:
            # The event is loaded with the batch; never a query of its own here.
            event = delivery.event if type(delivery).event.is_cached(delivery) else None
            since = (now - event.occurred_at).total_seconds() if event else None
            since_events[delivery.event_id] = since
        since_event = since_events[delivery.event_id]
        if since_event is not None:
            latency[_channel(delivery)].observe(max(since_event, 0.0))
        _log_attempt(delivery, SUCCEEDED, since_event=since_event)


def _channel(delivery) -> str:
    return "webhook" if delivery.subscription_id else "email"


def _log_attempt(delivery, outcome: str, *, error: str = "", since_event: float | None = None):
    answered = outcome in (SUCCEEDED, RETRYING, FAILED)  # the row holds this attempt's answer
    status_code = delivery.last_status_code if answered else None
    latency_ms = delivery.last_latency_ms if answered else None
    delivery_log.log(
        logging.WARNING if outcome in (FAILED, LOST) else logging.INFO,
        "Delivery %s (%s) of event %s, attempt %s: %s%s%s",
        delivery.pk,
        delivery.message_id,
        delivery.event_id,
        delivery.attempts,
        outcome,
        f" {status_code}" if status_code is not None else "",
        f" ({error})" if error else "",
        extra={
            "event_id": delivery.event_id,
            "delivery_id": delivery.pk,
            "webhook_id": delivery.message_id,
            "channel": _channel(delivery),
            "subscription_id": delivery.subscription_id or delivery.email_subscription_id,
            "partner_id": delivery.partner_id,
            "attempt": delivery.attempts,
            "outcome": outcome,
            "status_code": status_code,
            "latency_ms": latency_ms,
            "since_event_ms": round(since_event * 1000) if since_event is not None else None,
            "error": error or None,
        },
    )


def observe_fan_out(*, event_id: int, deliveries: int | None, seconds: float) -> None:
    fan_out_duration.observe(seconds)
    logging.getLogger("tracker.fan_out").info(
        "Event %s fanned out to %s deliveries in %.1f ms",
        event_id,
        deliveries,
        seconds * 1000,
        extra={"event_id": event_id, "deliveries": deliveries, "duration_ms": seconds * 1000},
    )


def observe_sweep(*, events: int, deliveries: int) -> None:
    sweep_requeued.labels("events").inc(events)
    sweep_requeued.labels("deliveries").inc(deliveries)


class QueueCollector(Collector):
    """Gauges read at scrape time: what is due, how late the oldest due delivery is, what is
    not fanned out yet, how long ago the worker last swept. Two small indexed queries and one
    read of the heartbeat; a store that cannot be read leaves its gauges out (and is logged)."""

    def collect(self) -> Iterable[Metric]:
        try:
            due = queries.due_deliveries()
            waiting = queries.events_not_fanned_out()
        except Exception as exc:
            logger.warning("Queue gauges not read: %s", exc)
        else:
            family = GaugeMetricFamily(
                "tracker_deliveries_due",
                "Deliveries whose next attempt is due now, first attempts and retries.",
                labels=["attempt"],
            )
            family.add_metric(["first"], due.first_attempts)
            family.add_metric(["retry"], due.retries)
            yield family
            yield GaugeMetricFamily(
                "tracker_oldest_due_delivery_age_seconds",
                "How long the oldest due delivery has been due (0: none is due).",
                value=due.oldest_age_seconds(),
            )
            yield GaugeMetricFamily(
                "tracker_events_not_fanned_out",
                "Events whose deliveries are not planned yet.",
                value=waiting,
            )
        try:
            age = heartbeat.age()
        except Exception as exc:
            logger.warning("Worker heartbeat not read: %s", exc)
        else:
            if age is not None:
                yield GaugeMetricFamily(
                    "tracker_worker_heartbeat_age_seconds",
                    "Seconds since a worker last finished the periodic sweep.",
                    value=age,
                )


class _DefaultRegistry(Collector):
    """This process's own metrics, when they are not kept in files."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def render() -> tuple[bytes, str]:
    """The exposition text of every metric: from the multiprocess folder when there is
    one, else this process's; plus the database gauges."""
    registry = CollectorRegistry(auto_describe=False)
    folder = multiprocess_dir()
    if folder:
        multiprocess.MultiProcessCollector(registry, path=folder)
    else:
        registry.register(_DefaultRegistry())
    registry.register(QueueCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST
