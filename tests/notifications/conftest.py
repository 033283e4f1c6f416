"""Fixtures: a receiver on loopback, and ways to run notification work in this process."""

from __future__ import annotations

import pytest

from tracker.notifications import outbox

from .receiver import Receiver, serve


@pytest.fixture
def receiver():
    recv = Receiver()
    server = serve(recv)
    yield recv
    server.shutdown()
    server.server_close()


@pytest.fixture
def inline_tasks(monkeypatch):
    """Run queued notification tasks at once in this process instead of via the broker.

    A countdown is ignored: a delivery that is not due yet is simply not claimed, which is
    exactly what a worker would do with an early message.
    """
    published: list[tuple[str, int | list[int], float | None]] = []

    def run_now(task, arguments, countdown=None):
        for argument in arguments:
            published.append((task.name, argument, countdown))
            task.run(argument)

    monkeypatch.setattr(outbox, "_publish", run_now)
    return published


@pytest.fixture
def no_broker(monkeypatch):
    """Record what would be queued, run nothing."""
    published: list[tuple[str, int | list[int], float | None]] = []
    monkeypatch.setattr(
        outbox,
        "_publish",
        lambda task, arguments, countdown=None: published.extend(
            (task.name, argument, countdown) for argument in arguments
        ),
    )
    return published
