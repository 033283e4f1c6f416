"""Sending a batch's attempts, `config.batch_threads()` at a time.

Webhooks go through the calling thread's `wire.Sender`: one curl multi handle runs up to
that many POSTs side by side and keeps their connections for the thread's next batches, so
POSTs to one endpoint reuse connections batch after batch. One thread drives them all, so
no sending thread waits on another for the interpreter. Mail (a blocking SMTP exchange)
goes to the thread's own pool of sending threads, beside the webhooks.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connection

from tracker.models import Delivery

from . import config, wire
from .transports import EmailTransport, Outcome, TransportError, WebhookTransport, outcome


@dataclass
class Attempt:
    delivery: Delivery
    body: str | None = None
    outcome: Outcome | None = None
    error: Exception | None = None
    started: bool = False

    @property
    def succeeded(self) -> bool:
        return self.started and self.error is None and self.outcome.ok


def send_all(
    attempts: Sequence[Attempt], start_by: float, stop: threading.Event | None = None
) -> Iterable[Attempt]:
    """Send every attempt, `config.batch_threads()` at a time; yields each as it finishes.
    An attempt that would start after `start_by` (monotonic), or once `stop` is set, is not
    started (and is yielded as it is); the sends already under way finish."""
    width = config.batch_threads()
    stop = stop or threading.Event()
    webhooks = [attempt for attempt in attempts if attempt.delivery.subscription_id]
    mail = [attempt for attempt in attempts if not attempt.delivery.subscription_id]
    mailed = _send_mail(mail, start_by, width, stop) if mail else None
    yield from _send_webhooks(webhooks, start_by, width, stop)
    for _ in mail:
        yield mailed.get()


def _send_webhooks(
    attempts: list[Attempt], start_by: float, width: int, stop: threading.Event
) -> Iterator[Attempt]:
    transport = WebhookTransport()
    requests: dict[int, wire.Request] = {}
    failed_early: list[Attempt] = []

    def jobs() -> Iterator[tuple[Attempt, wire.Request]]:
        for attempt in attempts:
            if time.monotonic() > start_by or stop.is_set():
                return  # the rest is not started: released for a later claim
            attempt.started = True
            try:
                request = transport.request(attempt.delivery, attempt.body)
            except Exception as exc:
                attempt.error = exc
                failed_early.append(attempt)
                continue
            requests[id(attempt)] = request
            yield attempt, request

    for attempt, answer in wire.thread_sender(width).run(jobs()):
        try:
            attempt.outcome = outcome(requests.pop(id(attempt)), answer)
        except TransportError as exc:
            attempt.error = exc
        yield attempt
        while failed_early:
            yield failed_early.pop()
    yield from failed_early
    yield from (attempt for attempt in attempts if not attempt.started)


def _send_mail(
    attempts: list[Attempt], start_by: float, width: int, stop: threading.Event
) -> queue.SimpleQueue[Attempt]:
    """Start sending `attempts` on the pool; each is put in the returned queue when done."""
    finished: queue.SimpleQueue[Attempt] = queue.SimpleQueue()
    todo: queue.SimpleQueue[Attempt] = queue.SimpleQueue()
    for attempt in attempts:
        todo.put(attempt)
    mail = EmailTransport()

    def sender() -> None:
        try:
            while True:
                try:
                    attempt = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    if time.monotonic() <= start_by and not stop.is_set():
                        attempt.started = True
                        attempt.outcome = mail.send(attempt.delivery)
                except Exception as exc:
                    attempt.error = exc
                finally:
                    finished.put(attempt)
        finally:
            # Sending needs no database; close any connection this thread opened anyway.
            if connection.connection is not None:
                connection.close()

    pool = _senders(width)
    for _ in range(min(width, len(attempts))):
        pool.submit(sender)
    return finished


_local = threading.local()


def _senders(threads: int) -> ThreadPoolExecutor:
    """The calling thread's own mail-sending threads, kept for its next batches."""
    size, pool = getattr(_local, "senders", (0, None))
    if pool is None or size != threads:
        if pool is not None:
            pool.shutdown(wait=False)
        pool = ThreadPoolExecutor(threads, "delivery")
        _local.senders = (threads, pool)
    return pool
