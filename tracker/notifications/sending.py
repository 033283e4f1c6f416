"""The sending pool: a batch's attempts, `config.batch_threads()` at a time.

Each worker thread keeps its own set of sending threads across batches (so a batch never
waits behind another's sends, and the lease can count on that many at once); each sending
thread keeps its own curl handle (`wire.thread_client()`), so POSTs to one endpoint reuse
its connections batch after batch.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connection

from tracker.models import Delivery

from . import config
from .transports import EmailTransport, Outcome, WebhookTransport


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


def send_all(attempts: Sequence[Attempt], start_by: float) -> Iterable[Attempt]:
    """Send every attempt, `config.batch_threads()` at a time; yields each as it finishes.
    An attempt that would start after `start_by` (monotonic) is not started."""
    webhooks, email = WebhookTransport(), EmailTransport()

    def send(attempt: Attempt) -> Attempt:
        if time.monotonic() > start_by:
            return attempt  # not started: released for a later claim
        attempt.started = True
        delivery = attempt.delivery
        try:
            if delivery.subscription_id:
                attempt.outcome = webhooks.send(delivery, attempt.body)
            else:
                attempt.outcome = email.send(delivery)
        except Exception as exc:
            attempt.error = exc
        return attempt

    threads = config.batch_threads()
    if len(attempts) == 1 or threads == 1:
        for attempt in attempts:
            yield send(attempt)
        return
    # Each sending thread takes the next attempt until none is left: one hand-over per
    # attempt each way, not a future per attempt.
    todo: queue.SimpleQueue[Attempt] = queue.SimpleQueue()
    for attempt in attempts:
        todo.put(attempt)
    finished: queue.SimpleQueue[Attempt] = queue.SimpleQueue()

    def sender() -> None:
        try:
            while True:
                try:
                    attempt = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    send(attempt)
                except BaseException as exc:  # the thread is going down: say so, then go
                    attempt.error = exc
                    raise
                finally:
                    finished.put(attempt)
        finally:
            # Sending needs no database; close any connection this thread opened anyway.
            if connection.connection is not None:
                connection.close()

    pool = _senders(threads)
    for _ in range(min(threads, len(attempts))):
        pool.submit(sender)
    for _ in attempts:
        yield finished.get()


_local = threading.local()


def _senders(threads: int) -> ThreadPoolExecutor:
    """The calling thread's own sending threads, kept for its next batches."""
    size, pool = getattr(_local, "senders", (0, None))
    if pool is None or size != threads:
        if pool is not None:
            pool.shutdown(wait=False)
        pool = ThreadPoolExecutor(threads, "delivery")
        _local.senders = (threads, pool)
    return pool
