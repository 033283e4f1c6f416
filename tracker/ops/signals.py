"""Celery hooks, loaded by every worker (`config/celery_app.py` discovers this module):

- the worker's heartbeat, written each time a periodic sweep finishes;
- the fan-out's duration, timed around the `notifications.fan_out` task;
- a process's end, marked in the multiprocess metrics folder.
"""

from __future__ import annotations

import logging
import os
import time

from celery.signals import task_postrun, task_prerun, task_success, worker_process_shutdown

from . import heartbeat, metrics

logger = logging.getLogger(__name__)

SWEEP_TASK = "notifications.sweep"
FAN_OUT_TASK = "notifications.fan_out"
_started: dict[str, float] = {}


@task_success.connect
def sweep_finished(sender=None, **kwargs) -> None:
    if getattr(sender, "name", None) != SWEEP_TASK:
        return
    try:
        heartbeat.beat()
    except Exception as exc:  # readiness will say so; the sweep itself did its work
        logger.warning("Worker heartbeat not written: %s", exc)


@task_prerun.connect
def task_started(sender=None, task_id=None, **kwargs) -> None:
    if getattr(sender, "name", None) == FAN_OUT_TASK and task_id:
        _started[task_id] = time.perf_counter()


@task_postrun.connect
def task_finished(sender=None, task_id=None, args=None, retval=None, state=None, **kwargs):
    started = _started.pop(task_id, None) if task_id else None
    if started is None or getattr(sender, "name", None) != FAN_OUT_TASK:
        return
    event_id = args[0] if args else None
    metrics.observe_fan_out(
        event_id=event_id,
        deliveries=retval if isinstance(retval, int) else None,
        seconds=time.perf_counter() - started,
    )


@worker_process_shutdown.connect
def process_ended(**kwargs) -> None:
    if metrics.multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())
