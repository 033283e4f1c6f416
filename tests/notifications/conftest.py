"""Fixtures: a receiver on loopback, and ways to run notification work in this process."""

from __future__ import annotations

import pytest

from tracker.notifications import queue, ssrf, tasks, wire

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

    def run_now(kind, arguments, countdown=None):
        for argument in arguments:
            published.append((kind, argument, countdown))
            tasks.TASKS[kind].run(argument)

    monkeypatch.setattr(queue, "_publisher", run_now)
    return published


@pytest.fixture
def no_broker(monkeypatch):
    """Record what would be queued, run nothing."""
    published: list[tuple[str, int | list[int], float | None]] = []
    monkeypatch.setattr(
        queue,
        "_publisher",
        lambda kind, arguments, countdown=None: published.extend(
            (kind, argument, countdown) for argument in arguments
        ),
    )
    return published


@pytest.fixture
def fake_dns(monkeypatch):
    """Stand-in for DNS, the one thing here that would leave the machine: `fake_dns(name,
    *addresses)` makes `name` resolve to `addresses`, for the subscription check (`ssrf`)
    and for curl (`wire.fixed_hosts`: curl still connects through its socket check)."""
    names: dict[str, list[str]] = {}
    real_resolve = ssrf.resolve

    def resolve(host, port):
        return list(names[host]) if host in names else real_resolve(host, port)

    def set_name(name: str, *addresses: str) -> None:
        names[name] = list(addresses)

    monkeypatch.setattr(ssrf, "resolve", resolve)
    monkeypatch.setattr(wire, "fixed_hosts", names)
    return set_name
