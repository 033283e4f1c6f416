"""A real Celery worker with embedded beat, as `make run` and production start it: its sweeps
keep /readyz's worker check green, and its metrics reach /metrics through the shared folder."""

from __future__ import annotations

import time

import pytest

from tests.factories import make_law
from tracker.ops import heartbeat

from .conftest import committing, scrape
from .processes import Worker, environment


@committing
@pytest.mark.slow
def test_a_worker_with_beat_writes_the_heartbeat_and_its_metrics(
    client, metrics_on, settings, tmp_path, monkeypatch
):
    assert client.get("/readyz").json()["checks"]["worker"] == "fail"
    folder = tmp_path / "metrics"
    folder.mkdir()
    make_law()  # an event for the worker's sweep to fan out
    # The worker keeps its heartbeat where this test reads it (Redis, or this var folder).
    settings.OPS_HEARTBEAT_FILE = tmp_path / "worker-heartbeat"
    worker = Worker(tmp_path, environment(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(folder)))
    worker.start()
    try:
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
        fanned_out = ("tracker_fan_out_duration_seconds_count", ())
        deadline = time.monotonic() + 60
        while heartbeat.last() is None or not scrape(client).get(fanned_out):
            assert time.monotonic() < deadline, worker.output()
            assert worker.process.poll() is None, worker.output()
            time.sleep(0.25)
        response = client.get("/readyz")
        assert response.status_code == 200, (response.content, worker.output())
        values = scrape(client)
        assert values[fanned_out] >= 1  # timed in the worker, read from its file here
        assert values[("tracker_worker_heartbeat_age_seconds", ())] < 30
    finally:
        worker.stop()
