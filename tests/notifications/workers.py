"""Real Redis servers and real Celery workers for the reliability tests.

Workers run as subprocesses on the test database (SQLite's is a file in the test settings),
so tests that use them are `transaction=True`: the worker sees only what was committed.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from config.celery_app import app as celery_app

# Short enough for a test, long enough for a loaded machine.
WORKER_ENV = {
    "WEBHOOKS_TIMEOUT_SECONDS": "2",
    "WEBHOOKS_CLAIM_LEASE_SECONDS": "4",
    "NOTIFICATIONS_SWEEP_SECONDS": "1",
    "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
    "DATABASE_CONN_MAX_AGE": "0",
    "DJANGO_SETTINGS_MODULE": "config.settings.test",
}


def need(available: bool, reason: str) -> None:
    """Skip with `reason` on a developer machine; fail in CI, where it must run."""
    if available:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: this test must run)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


class RedisServer:
    """A throw-away redis-server on a free port, with nothing persisted."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        need(binary is not None, "redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory), "--logfile", ""],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self.answers, 10, "redis-server to start")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


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


class Worker:
    """`celery worker --beat --pool=solo` in its own process group, like `make run` starts."""

    count = 0

    def __init__(self, broker_url: str, directory: Path) -> None:
        Worker.count += 1
        self.name = f"w{Worker.count}"
        self.broker_url = broker_url
        self.directory = directory
        self.log = directory / f"{self.name}.log"
        self.process: subprocess.Popen | None = None

    def start(self, extra_env: dict[str, str]) -> Worker:
        env = {**os.environ, **WORKER_ENV, "DATABASE_URL": database_url(), **extra_env}
        if self.broker_url:
            env["REDIS_URL"] = self.broker_url
        else:
            env.pop("REDIS_URL", None)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--beat",
                 "--pool=solo", "--loglevel=INFO", "-n", f"{self.name}@%h",
                 f"--schedule={self.directory / (self.name + '-beat')}",
                 "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        return self

    def signal(self, signum: int) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        """SIGKILL, worker and embedded beat alike: nothing gets to clean up."""
        self.signal(signal.SIGKILL)
        if self.process:
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def point_celery_at(broker_url: str) -> None:
    """Make this process publish to `broker_url` (the worker's broker)."""
    celery_app.conf.broker_url = broker_url
    celery_app.conf.broker_transport_options = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
