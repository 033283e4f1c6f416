"""A private PostgreSQL is stopped (`pg_ctl -m immediate`), or made unreachable with its
packets dropped, while staff clients record transitions through a real gunicorn and a real
Celery worker delivers their webhooks: no request is answered 500, requests during the
outage are 503 with Retry-After within the timeouts (never a hang), every change ends up
recorded once, its client told so (retrying with its Idempotency-Key), and every delivery
arrives, duplicates bounded by the sends in flight.

Slow (a cluster of its own, migrations, a server); run by CI on PostgreSQL (as root, for
iptables)."""

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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import psycopg
import pytest
from django.db import connection  # noqa: F401 (the skip condition reads it)

from tests.notifications.receiver import Receiver, serve
from tests.notifications.workers import Worker, free_port, need, wait_until
from tracker.api.problems import CONTENT_TYPE, SERVICE_UNAVAILABLE

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
CONNECT_TIMEOUT = 2  # DATABASE_CONNECT_TIMEOUT of the server and the worker
NETWORK_TIMEOUT = 3  # DATABASE_NETWORK_TIMEOUT of the server and the worker
RETRY_AFTER = "5"  # SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS's default


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


class Answer(NamedTuple):
    status: int  # 0: no HTTP answer at all (refused, reset, timed out)
    headers: dict
    body: dict
    sent: float  # time.monotonic() when the request was sent
    seconds: float  # how long its answer took

    @property
    def answered(self) -> float:
        return self.sent + self.seconds


def post(url: str, token: str, body: dict, key: str) -> Answer:
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
    sent = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            status, headers, text = answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        status, headers, text = error.code, dict(error.headers), error.read()
    except OSError as exc:
        status, headers, text = 0, {}, json.dumps({"error": str(exc)}).encode()
    return Answer(status, headers, json.loads(text or b"null"), sent, time.monotonic() - sent)


def get(url: str) -> Answer:
    sent = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=20) as answer:
            status, headers = answer.status, dict(answer.headers)
    except urllib.error.HTTPError as error:
        status, headers = error.code, dict(error.headers)
    except OSError:
        status, headers = 0, {}
    return Answer(status, headers, {}, sent, time.monotonic() - sent)


@dataclass
class Stage:
    """A private PostgreSQL with seeded laws and subscriptions, a gunicorn and a Celery worker
    on it, and a receiver for the webhooks."""

    postgres: PrivatePostgres
    receiver: Receiver
    worker: Worker
    base: str
    token: str
    laws: list[int]

    def steps(self) -> dict[str, tuple[int, int]]:
        """The recorded "registered" steps: note (the client's key) -> (step id, law id)."""
        with psycopg.connect(self.postgres.url("fault")) as db:
            rows = db.execute(
                "SELECT note, id, record_id FROM tracker_statuschange WHERE to_status = %s",
                ["registered"],
            ).fetchall()
        steps = {note: (step_id, record_id) for note, step_id, record_id in rows}
        assert len(rows) == len(steps), "a change recorded twice"
        return steps

    def delivery_states(self) -> dict[str, int]:
        with psycopg.connect(self.postgres.url("fault")) as db:
            rows = db.execute("SELECT state, count(*) FROM tracker_delivery GROUP BY state")
            return dict(rows.fetchall())


@pytest.fixture
def stage() -> Iterator[Stage]:
    # Not under pytest's own temporary folders: the postgres user must be able to reach it.
    folder = Path(tempfile.mkdtemp(prefix="tracker-fault-"))
    folder.chmod(0o755)
    postgres = PrivatePostgres(folder / "pg")
    need(bool(postgres.initdb and postgres.pg_ctl), "initdb and pg_ctl are needed")
    postgres.create()
    server = worker = None
    receiver = Receiver()
    receiving = serve(receiver)
    try:
        with psycopg.connect(postgres.url("postgres"), autocommit=True) as db:
            db.execute("CREATE DATABASE fault")
        var = folder / "var"
        var.mkdir()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": postgres.url("fault"),
            "DATABASE_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
            "DATABASE_NETWORK_TIMEOUT": str(NETWORK_TIMEOUT),
            "DATABASE_CONN_MAX_AGE": "60",
            "TRACKER_VAR_DIR": str(var),
            "REDIS_URL": "",
            "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
        }
        manage(env, "migrate", "--noinput")
        seed = SEED % (SUBSCRIPTIONS, receiver.url(""), CLIENTS * LAWS_PER_CLIENT)
        token, ids = manage(env, "shell", code=seed).split()[-2:]

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}",
             "--workers", "1", "--threads", str(CLIENTS + 2), "--timeout", "60"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: get(f"{base}/healthz").status == 200, 60, "gunicorn")
        worker = Worker("", folder).start(
            {
                **{k: v for k, v in env.items() if k.startswith(("DATABASE_", "TRACKER_"))},
                # longer than the outage: a batch writes its outcomes when the database is back
                "WEBHOOKS_CLAIM_LEASE_SECONDS": "30",
                "WEBHOOKS_BATCH_THREADS": str(BATCH_THREADS),
            }
        )

        def ready() -> bool:
            return " ready." in worker.log.read_text(errors="replace")

        wait_until(ready, 60, "the worker")
        laws = [int(pk) for pk in ids.split(",")]
        yield Stage(postgres, receiver, worker, base, token, laws)
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


@dataclass
class Clients:
    """Staff clients, each recording a transition of its laws in turn; a 503 (or no answer) is
    retried with the same Idempotency-Key for up to 90 s."""

    stage: Stage
    answers: dict[str, list[Answer]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self.client, args=(self.stage.laws[n::CLIENTS],))
            for n in range(CLIENTS)
        ]

    def client(self, mine: list[int]) -> None:
        today = datetime.date.today().isoformat()
        for law in mine:
            key = str(uuid.uuid4())
            body = {"to": "registered", "occurred_on": today, "note": key}
            url = f"{self.stage.base}/api/v1/laws/{law}/transitions/"
            deadline = time.monotonic() + 90
            while True:
                answer = post(url, self.stage.token, body, key)
                with self.lock:
                    self.answers.setdefault(key, []).append(answer)
                if answer.status not in (0, 503) or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            time.sleep(0.5)

    def start(self) -> Clients:
        for thread in self.threads:
            thread.start()
        wait_until(lambda: len(self.answers) >= CLIENTS, 60, "the first transitions")
        return self

    def join(self) -> None:
        for thread in self.threads:
            thread.join(120)
        assert not any(thread.is_alive() for thread in self.threads), "a client hangs"

    def every(self) -> list[Answer]:
        return [answer for tries in self.answers.values() for answer in tries]


def assert_a_503(answer: Answer) -> None:
    assert answer.status == 503, answer
    assert answer.headers.get("Retry-After") == RETRY_AFTER, answer
    assert answer.headers.get("Content-Type") == CONTENT_TYPE, answer
    assert answer.body["type"] == SERVICE_UNAVAILABLE, answer


def assert_saved_once_told_and_delivered(stage: Stage, clients: Clients) -> float:
    """Each change recorded once, none lost, its client told 201 with its step in the end;
    every delivery arrives, duplicates at most the sends in flight. Returns when the last
    delivery was recorded (time.monotonic())."""
    assert not [a for a in clients.every() if a.status >= 500 and a.status != 503], "a 5xx"
    assert len(clients.answers) == len(stage.laws)
    by_key = stage.steps()
    assert len(by_key) == len(stage.laws)
    for key, tries in clients.answers.items():
        last = tries[-1]
        # every change's client ends up told that it is saved, and which step it is
        assert last.status == 201, tries
        assert key in by_key
        if "step" in last.body:
            assert last.body["step"]["id"] == by_key[key][0]
        else:
            assert last.body["id"] == by_key[key][1]
        # a committed change is never answered as failed (other than a 503 that was retried)
        assert all(a.status in (201, 503) for a in tries), tries

    expected = len(stage.laws) * SUBSCRIPTIONS
    wait_until(
        lambda: stage.delivery_states() == {"succeeded": expected},
        180,
        f"every delivery\n{stage.worker.output()}",
        interval=1,
    )
    delivered = time.monotonic()
    time.sleep(2)  # a late duplicate would arrive now
    ids = stage.receiver.ids()
    assert len(ids) == expected
    duplicates = sum(count - 1 for count in ids.values())
    assert duplicates <= BATCH_THREADS, (duplicates, stage.worker.output())
    return delivered


def test_an_outage_in_the_middle_of_transitions(stage):
    clients = Clients(stage).start()

    stage.postgres.stop("immediate")
    probe = get(f"{stage.base}/api/v1/laws/")
    time.sleep(3)
    stage.postgres.start()
    clients.join()

    # 503 with Retry-After during the outage, within the connect timeout (and slack).
    assert probe.status == 503 and probe.headers.get("Retry-After") == RETRY_AFTER, probe
    assert probe.seconds < CONNECT_TIMEOUT + 3
    refused = [a for a in clients.every() if a.status == 503]
    assert refused, "the outage should have met some of the writes"
    assert all(a.headers.get("Retry-After") == RETRY_AFTER for a in refused)
    assert_saved_once_told_and_delivered(stage, clients)


def iptables() -> str:
    found = shutil.which("iptables") or shutil.which("iptables", path="/usr/sbin:/sbin")
    need(found is not None, "iptables is needed to drop packets (apt-get install iptables)")
    need(os.geteuid() == 0, "dropping packets with iptables needs root")
    listed = subprocess.run([found, "-w", "-S", "INPUT"], capture_output=True, check=False)
    need(listed.returncode == 0, f"iptables is not permitted here: {listed.stderr[-300:]!r}")
    return found


@contextlib.contextmanager
def packets_dropped(port: int) -> Iterator[None]:
    """Every TCP packet to and from `port` dropped on arrival, loopback included: the peer is
    neither refused nor reset, it just never answers. The rules go again whatever happens."""
    program = iptables()
    rules = [
        ["INPUT", "-p", "tcp", "--dport", str(port), "-j", "DROP"],
        ["INPUT", "-p", "tcp", "--sport", str(port), "-j", "DROP"],
    ]
    inserted: list[list[str]] = []
    try:
        for rule in rules:
            subprocess.run([program, "-w", "-I", *rule], check=True, capture_output=True)
            inserted.append(rule)
        yield
    finally:
        for rule in inserted:
            subprocess.run([program, "-w", "-D", *rule], check=False, capture_output=True)
        for rule in inserted:
            left = subprocess.run([program, "-w", "-C", *rule], check=False, capture_output=True)
            assert left.returncode != 0, f"iptables rule left behind: {rule}"


DROPPED_SECONDS = 15
# A request meets at worst a connection that stopped answering (the network timeout), then a
# new connection that cannot be made (the connect timeout); the rest is slack for a slow host.
ANSWER_BOUND = CONNECT_TIMEOUT + NETWORK_TIMEOUT + 7


def test_packets_to_the_database_dropped_give_quick_503s_not_hangs(stage):
    iptables()  # skip (or fail in CI) before anything starts
    # Each send takes a while, so that the worker is in the middle of a batch at the drop.
    stage.receiver.delay = 0.2
    clients = Clients(stage).start()
    wait_until(lambda: stage.receiver.requests, 60, "the first webhooks")

    with packets_dropped(stage.postgres.port):
        dropped = time.monotonic()
        probe = get(f"{stage.base}/api/v1/laws/")
        time.sleep(max(0.0, dropped + DROPPED_SECONDS - time.monotonic()))
        restored = time.monotonic()
    clients.join()

    assert probe.status == 503 and probe.headers.get("Retry-After") == RETRY_AFTER, probe
    assert probe.seconds < ANSWER_BOUND, probe
    # Every request in flight at the drop or made during it was answered within the bound:
    # a 503 problem document, or a 201 for a change that got through before the drop or as
    # it ended; never a hang, never a 500.
    met = [a for a in clients.every() if a.answered > dropped and a.sent < restored]
    assert met
    slowest = max(a.seconds for a in met)
    assert slowest < ANSWER_BOUND, sorted(a.seconds for a in met)
    for answer in met:
        if answer.status != 201:
            assert_a_503(answer)
    refused = [a for a in met if a.status == 503]
    # The clients kept being answered through the drop, none stuck in one request.
    assert len(refused) >= CLIENTS * (DROPPED_SECONDS // ANSWER_BOUND), len(refused)
    # Once the packets flow again, transitions succeed without restarting anything.
    after = [a for a in clients.every() if a.sent > restored + 1]
    assert after, "the clients should have had transitions left after the drop"
    assert all(a.status == 201 for a in after), [a for a in after if a.status != 201]
    delivered = assert_saved_once_told_and_delivered(stage, clients)
    # The batch in flight at the drop could not write its outcomes: each try gave up within
    # the timeouts (several tries during the drop, not one hanging through it), and it wrote
    # them once the packets flowed again; the worker went on by itself.
    log = stage.worker.log.read_text(errors="replace")
    tries = log.count("Writing a batch's outcomes failed")
    assert tries >= 2, stage.worker.output()
    assert delivered - restored < 90, stage.worker.output()
    print(
        f"\nduring the drop: {len(met)} answers, {len(refused)} of them 503, slowest "
        f"{slowest:.1f} s, median {sorted(a.seconds for a in met)[len(met) // 2]:.1f} s; "
        f"{tries} failed tries to write a batch's outcomes; every delivery recorded "
        f"{delivered - restored:.0f} s after the drop ended"
    )
