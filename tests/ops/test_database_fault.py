"""A private PostgreSQL is stopped (`pg_ctl -m immediate`) while staff clients record
transitions through a real gunicorn and a real Celery worker delivers their webhooks: no
request is answered 500, requests during the outage are 503 with Retry-After within the
connect timeout, every change ends up recorded once, its client told so (retrying with its
Idempotency-Key), and every delivery arrives, duplicates bounded by the sends in flight.

Slow (a cluster of its own, migrations, a server); run by CI on PostgreSQL."""

from __future__ import annotations

import contextlib
import datetime
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.db import connection  # noqa: F401 (the skip condition reads it)

from tests.notifications.receiver import Receiver, serve
from tests.notifications.workers import Worker, free_port, need, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'", reason="stops a PostgreSQL server of its own"
    ),
]

ROOT = Path(__file__).resolve().parents[2]
LAWS_PER_CLIENT = 5
CLIENTS = 8
SUBSCRIPTIONS = 10
BATCH_THREADS = 8


def postgres_program(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


class PrivatePostgres:
    """A throw-away cluster on a free port (as the postgres user when run as root, since
    PostgreSQL refuses to run as root)."""

    def __init__(self, folder: Path) -> None:
        self.initdb = postgres_program("initdb")
        self.pg_ctl = postgres_program("pg_ctl")
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def run(self, *command: str) -> None:
        subprocess.run([*self.as_owner, *command], check=True, capture_output=True, timeout=120)

    def create(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.as_owner:
            shutil.chown(self.folder, "postgres")
        self.run(self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
        self.run(self.pg_ctl, "-D", str(self.data), "-o", options, "-w", "-l",
                 str(self.folder / "log"), "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self.run(self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"


def manage(env: dict, *arguments: str, code: str | None = None) -> str:
    command = [sys.executable, "manage.py", *arguments]
    if code is not None:
        command += ["-c", code]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


SEED = """
import datetime
from django.contrib.auth.models import Group
from django.utils import timezone
from tests.factories import make_law, make_user
from tests.factories import make_partner
from tracker.services.staff_tokens import staff_token_issue
from tracker.services.subscriptions import webhook_subscription_create
germany = make_partner("DE")
for n in range(%d):
    webhook_subscription_create(partner=germany, url="%s/" + str(n),
        event_types=["law.status_changed"])
editor = make_user(username="fault-editor", role="Editors")
admin = make_user(username="fault-admin", is_superuser=True, is_staff=True)
_, key = staff_token_issue(user=editor, name="fault test", created_by=admin,
    expires_at=timezone.now() + datetime.timedelta(days=1))
ids = [make_law().pk for _ in range(%d)]
print(key)
print(",".join(map(str, ids)))
"""


def post(url: str, token: str, body: dict, key: str) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def test_an_outage_in_the_middle_of_transitions():
    # Not under pytest's own temporary folders: the postgres user must be able to reach it.
    folder = Path(tempfile.mkdtemp(prefix="tracker-fault-"))
    folder.chmod(0o755)
    postgres = PrivatePostgres(folder / "pg")
    need(bool(postgres.initdb and postgres.pg_ctl), "initdb and pg_ctl are needed")
    postgres.create()
    tmp_path = folder
    server = worker = None
    receiver = Receiver()
    receiving = serve(receiver)
    try:
        import psycopg

        with psycopg.connect(postgres.url("postgres"), autocommit=True) as db:
            db.execute("CREATE DATABASE fault")
        var = tmp_path / "var"
        var.mkdir()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": postgres.url("fault"),
            "DATABASE_CONNECT_TIMEOUT": "2",
            "DATABASE_CONN_MAX_AGE": "60",
            "TRACKER_VAR_DIR": str(var),
            "REDIS_URL": "",
            "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
        }
        manage(env, "migrate", "--noinput")
        seed = SEED % (SUBSCRIPTIONS, receiver.url(""), CLIENTS * LAWS_PER_CLIENT)
        token, ids = manage(env, "shell", code=seed).split()[-2:]
        laws = [int(pk) for pk in ids.split(",")]

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}",
             "--workers", "1", "--threads", str(CLIENTS + 2), "--timeout", "60"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    return True
            except OSError:
                return False

        wait_until(up, 60, "gunicorn")
        worker = Worker("", tmp_path).start(
            {
                **{k: v for k, v in env.items() if k.startswith(("DATABASE_", "TRACKER_"))},
                # longer than the outage: a batch writes its outcomes when the database is back
                "WEBHOOKS_CLAIM_LEASE_SECONDS": "30",
                "WEBHOOKS_BATCH_THREADS": str(BATCH_THREADS),
            }
        )

        answers: dict[str, list[tuple[int, dict, dict]]] = {}
        lock = threading.Lock()
        today = datetime.date.today().isoformat()

        def client(mine: list[int]) -> None:
            for law in mine:
                key = str(uuid.uuid4())
                body = {"to": "registered", "occurred_on": today, "note": key}
                deadline = time.monotonic() + 90
                while True:
                    try:
                        answer = post(f"{base}/api/v1/laws/{law}/transitions/", token, body, key)
                    except OSError as exc:
                        answer = (0, {}, {"error": str(exc)})
                    with lock:
                        answers.setdefault(key, []).append(answer)
                    if answer[0] not in (0, 503) or time.monotonic() > deadline:
                        break
                    time.sleep(0.5)
                time.sleep(0.5)

        threads = [
            threading.Thread(target=client, args=(laws[n::CLIENTS],)) for n in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        wait_until(lambda: len(answers) >= CLIENTS, 60, "the first transitions")

        postgres.stop("immediate")
        started = time.monotonic()
        request = urllib.request.Request(f"{base}/api/v1/laws/")
        try:
            urllib.request.urlopen(request, timeout=20)
            probe = (200, {})
        except urllib.error.HTTPError as error:
            probe = (error.code, dict(error.headers))
        probe_seconds = time.monotonic() - started
        time.sleep(3)
        postgres.start()
        for thread in threads:
            thread.join(120)

        # 503 with Retry-After during the outage, within the connect timeout (and slack).
        assert probe[0] == 503 and probe[1].get("Retry-After") == "5", probe
        assert probe_seconds < 2 + 3
        every = [answer for tries in answers.values() for answer in tries]
        assert not [a for a in every if a[0] >= 500 and a[0] != 503], "a 5xx other than 503"
        refused = [a for a in every if a[0] == 503]
        assert refused, "the outage should have met some of the writes"
        assert all(a[1].get("Retry-After") == "5" for a in refused)
        assert len(answers) == len(laws)

        with psycopg.connect(postgres.url("fault")) as db:
            steps = db.execute(
                "SELECT note, id, record_id FROM tracker_statuschange WHERE to_status = %s",
                ["registered"],
            ).fetchall()
        by_key = {note: (step_id, record_id) for note, step_id, record_id in steps}
        assert len(steps) == len(laws) == len(by_key)  # each change once, none lost
        expected = len(laws) * SUBSCRIPTIONS

        def all_delivered() -> bool:
            with psycopg.connect(postgres.url("fault")) as db:
                rows = db.execute("SELECT state, count(*) FROM tracker_delivery GROUP BY state")
                states = dict(rows.fetchall())
            return states == {"succeeded": expected}

        wait_until(all_delivered, 180, f"every delivery\n{worker.output()}", interval=1)
        time.sleep(2)  # a late duplicate would arrive now
        ids = receiver.ids()
        assert len(ids) == expected
        duplicates = sum(count - 1 for count in ids.values())
        assert duplicates <= BATCH_THREADS, (duplicates, worker.output())
        for key, tries in answers.items():
            status, _headers, body = tries[-1]
            # every change's client ends up told that it is saved, and which step it is
            assert status == 201, tries
            step_id = body["step"]["id"] if "step" in body else None
            assert key in by_key
            if step_id is not None:
                assert step_id == by_key[key][0]
            else:
                assert body["id"] == by_key[key][1]
    finally:
        receiving.shutdown()
        receiving.server_close()
        if worker is not None:
            worker.stop()
        if server is not None:
            server.terminate()
            server.wait(30)
        with contextlib.suppress(subprocess.CalledProcessError):
            postgres.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)
