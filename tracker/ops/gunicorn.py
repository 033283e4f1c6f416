"""gunicorn settings hooks for the metrics' multiprocess mode:
`gunicorn -c python:tracker.ops.gunicorn config.wsgi` (more settings on the command line).

Empty `PROMETHEUS_MULTIPROC_DIR` before gunicorn and the Celery workers of the machine
start (README, "Operating it"): a restart starts the counters again from zero, which
Prometheus expects.
"""

from __future__ import annotations

import os


def child_exit(server, worker) -> None:
    """A gunicorn worker ended: its files stay (its counts still count), marked dead."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
