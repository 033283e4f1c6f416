"""What an operator needs to run the tracker: health and readiness, Prometheus metrics,
request and delivery logs.

- `health`: the checks behind `/healthz` and `/readyz`;
- `heartbeat`: the worker's sign of life, written after each periodic sweep;
- `metrics`: the metric definitions, what the code calls when something happens, and the
  rendering of `/metrics` (multiprocess mode when `PROMETHEUS_MULTIPROC_DIR` is set);
- `middleware`: one metric sample and one log line per request;
- `signals`: Celery hooks (heartbeat, fan-out timing, a worker process's end);
- `gunicorn`: server hooks for gunicorn (`gunicorn -c python:tracker.ops.gunicorn`).
"""
