"""Subprocesses on the test database: a Celery worker with beat, or a one-off script."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

# Short enough for a test, long enough for a loaded machine.
BASE_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.test",
    "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
    "WEBHOOKS_TIMEOUT_SECONDS": "5",
    "DATABASE_CONN_MAX_AGE": "0",
    "NOTIFICATIONS_SWEEP_SECONDS": "1",
}


def database_url() -> str:
    """The test database, as a URL a subprocess can open."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


def environment(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, **BASE_ENV, "DATABASE_URL": database_url(), **extra}
    env["TRACKER_VAR_DIR"] = str(var_dir)
    return env


# One attempt at the given deliveries, through the Celery task as a worker runs it (the
# worker's modules and signal handlers loaded), in a process of its own.
DELIVER = """
import sys
import django

django.setup()
from config.celery_app import app

app.loader.import_default_modules()
app.tasks["notifications.deliver_batch"].apply(args=[[int(pk) for pk in sys.argv[1:]]])
"""


def deliver_in_subprocess(delivery_ids: list[int], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", DELIVER, *map(str, delivery_ids)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class Worker:
    """`celery worker --beat --pool=solo`, as `make run` starts it, in its own process group."""

    def __init__(self, directory: Path, env: dict[str, str]) -> None:
        self.directory = directory
        self.log = directory / "worker.log"
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--beat",
                 "--pool=solo", "--loglevel=INFO", "-n", "ops@%h",
                 f"--schedule={self.directory / 'beat-schedule'}",
                 "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]
