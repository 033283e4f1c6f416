"""`make bench`: every benchmark of bench/README.md, one table, JSON under bench/results/.

    python -m bench.run [--only growth,queries,throughput,write,fanout] [--duration 5]

Runs on PostgreSQL and Redis from DATABASE_URL / REDIS_URL (defaults: the local ones,
database `tracker_bench`, Redis db 7). The database is wiped and regenerated.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
LUA = ROOT / "bench" / "wrk" / "paths.lua"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tracker_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"
HOST = "127.0.0.1"
PORTS = {"ours": 8701, "raw": 8702, "plain": 8703, "ours-small": 8704, "cold": 8705}
APPS = {
    "ours": ("config.wsgi:application", "config.settings.local"),
    "raw": ("bench.raw_app:application", "config.settings.local"),
    "plain": ("bench.plain_drf.wsgi:application", "bench.plain_drf.settings"),
}
RECEIVER_PORT = 8790
# Ours with the rendered-page cache off: every request builds its page (growth, "cold").
NO_PAGE_CACHE = {"API_RESPONSE_CACHE_SECONDS": "0"}
WORKERS = 2  # gunicorn workers per app, the same for all of them
CONNECTIONS = 4  # concurrent wrk connections, the same for all three
PAGE = 50
SMALL = {"laws": 200, "tax_measures": 20, "facilities": 50, "partners": 60, "events": 10_000}
LARGE = {
    "laws": 20_000,
    "tax_measures": 2_000,
    "facilities": 5_000,
    "partners": 60,
    "events": 1_000_000,
}
SUBSCRIPTIONS = 1_000
FANOUT_CONCURRENCY = 8
WRITE_CLIENTS = 8
BENCH_PARTNER_ID = 1


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {message}", flush=True)


def ensure_database(url: str) -> None:
    """Create the benchmark database if it does not exist yet."""
    import psycopg
    from psycopg import sql

    try:
        psycopg.connect(url, connect_timeout=5).close()
        return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    log(f"Created database {name}")


def configure_environment() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    ensure_database(os.environ["DATABASE_URL"])
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DATABASE_CONN_MAX_AGE", "600")
    # Measure the request path, not the rate limiter's refusals.
    for scope in ("PARTNER", "STAFF", "ANON"):
        os.environ[f"API_THROTTLE_{scope}"] = "100000000/min"
    os.environ["WEBHOOKS_ALLOW_PRIVATE_TARGETS"] = "1"
    os.environ["TRACKER_BASE_URL"] = f"http://{HOST}:{PORTS['ours']}"
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("make bench needs PostgreSQL: set DATABASE_URL.")


# --- processes ---------------------------------------------------------------------------


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"Nothing listens on port {port} after {timeout:g} s")


class Process:
    """A child process in its own process group, stopped by its id."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.name = name
        self.log_path = RESULTS / f"{name}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()


def start_app(name: str, *, env: dict[str, str] | None = None, app: str = "") -> Process:
    app, settings_module = APPS[app or name]
    process = Process(
        f"gunicorn-{name}",
        [
            str(BIN / "gunicorn"),
            "--workers",
            str(WORKERS),
            "--bind",
            f"{HOST}:{PORTS[name]}",
            "--log-level",
            "warning",
            app,
        ],
        env={"DJANGO_SETTINGS_MODULE": settings_module, **(env or {})},
    )
    wait_for_port(PORTS[name])
    return process


# --- load ----------------------------------------------------------------------------------


def wrk(port: int, paths: list[str], header: str, *, duration: float, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(paths) + "\n")
        paths_file = fh.name
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(duration))}s",
                "--timeout",
                "10s",
                "-s",
                str(LUA),
                "-H",
                header,
                f"http://{HOST}:{port}",
                "--",
                paths_file,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(paths_file)
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    raw = json.loads(line[len("WRKJSON ") :])
    seconds = raw["duration_us"] / 1e6
    return {
        "rps": round(raw["requests"] / seconds, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "mean_ms": round(raw["mean_us"] / 1000, 2),
        "requests": raw["requests"],
        "errors": raw["errors"] + raw["non2xx"],
    }


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


# --- data ----------------------------------------------------------------------------------


def generate(scale: dict) -> dict:
    from django.db import connection, transaction

    from bench.generate import Generator, gen_ct_law

    started = time.perf_counter()
    gen = Generator(
        laws=scale["laws"],
        tax_measures=scale["tax_measures"],
        facilities=scale["facilities"],
        partners=scale["partners"],
        events=scale["events"],
    )
    rows = gen.build()
    with transaction.atomic():
        counts = gen.write(rows)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    seconds = round(time.perf_counter() - started, 1)
    law_ct = gen_ct_law()
    law_changes = sum(1 for sc in gen.status_changes if sc[1] == law_ct)
    return {
        "seconds": seconds,
        "counts": counts,
        "status_changes_per_law": round(law_changes / max(scale["laws"], 1), 2),
    }


def issue_key() -> str:
    from tracker.models import PartnerCountry
    from tracker.services.api_keys import api_key_issue

    partner = PartnerCountry.objects.get(pk=BENCH_PARTNER_ID)
    return api_key_issue(partner=partner, name="bench")[1]


def visible_law_ids(limit: int) -> list[int]:
    """Laws the bench partner sees that have related facilities and tax measures to show."""
    from tracker.selectors import Viewer, visible_laws

    viewer = Viewer.partner(BENCH_PARTNER_ID)
    laws = visible_laws(viewer).filter(facilities__isnull=False, tax_measures__isnull=False)
    ids = sorted(set(laws.values_list("id", flat=True)))
    step = max(1, len(ids) // limit)
    return ids[::step][:limit]


def max_event_id() -> int:
    from tracker.models import Event

    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


# --- sections ------------------------------------------------------------------------------


def explain(sql: str) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        lines = [row[0] for row in cursor.fetchall()]
    execution = next((x for x in lines if x.startswith("Execution Time")), "")
    return {
        "sql": sql,
        "plan": lines,
        "execution_ms": float(execution.split(":")[1].split()[0]) if execution else None,
    }


def capture(path: str, key: str) -> tuple[int, list[str]]:
    """Answer `path` in-process; the SQL it ran (auth and throttle queries included)."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    with override_settings(API_RESPONSE_CACHE_SECONDS=0):  # the SQL that builds the page
        client.get(path)  # warm caches (content types, URL prefixes)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
    return response.status_code, [q["sql"] for q in queries.captured_queries]


def main_queries(sqls: list[str], table: str) -> list[str]:
    return [s for s in sqls if f'FROM "{table}"' in s and "apikey" not in s]


def small_database_url() -> str:
    url = os.environ["DATABASE_URL"]
    base, _, name = url.rpartition("/")
    return f"{base}/{name.split('?')[0]}_small"


def prepare_small_database() -> tuple[dict, str]:
    """The 10,000-event data set in its own database, served by its own gunicorn."""
    url = small_database_url()
    ensure_database(url)
    env = {**os.environ, "DATABASE_URL": url}
    python = str(BIN / "python")
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env,
                   check=True)  # fmt: skip
    args = [f"--{k.replace('_', '-')}={v}" for k, v in SMALL.items()]
    out = subprocess.run([python, "-m", "bench.generate", *args], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    generated = json.loads(out)
    key = subprocess.run(
        [python, "manage.py", "issue_api_key", "DE", "--name", "bench"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    return generated, key


def explain_on(url: str, sql: str) -> dict:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        lines = [r[0] for r in conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql).fetchall()]
    execution = next((x for x in lines if x.startswith("Execution Time")), "")
    return {
        "sql": sql,
        "plan": lines,
        "execution_ms": float(execution.split(":")[1].split()[0]) if execution else None,
    }


def growth(*, key_small: str, key_large: str, duration: float, rounds: int) -> dict:
    """Law list first page and an event page after the middle id, small vs large data set.

    Both data sets are served at once (ports `ours-small` and `ours`) and measured in
    alternating rounds at 1 connection, so load from elsewhere hits both alike.
    """
    small_events, large_events = SMALL["events"], LARGE["events"]
    probes = {
        "law_list": ([f"/api/v1/laws/?page_size={PAGE}"] * 2, "tracker_draftlaw"),
        "event_feed": (
            [
                f"/api/v1/events/?after={small_events // 2}&limit={PAGE}",
                f"/api/v1/events/?after={large_events // 2}&limit={PAGE}",
            ],
            "tracker_event",
        ),
    }
    sides = {
        "small": (PORTS["ours-small"], key_small, small_database_url()),
        "large": (PORTS["cold"], key_large, os.environ["DATABASE_URL"]),
    }
    result: dict = {"small": {}, "large": {}, "ratio": {}}
    for name, (paths, table) in probes.items():
        runs: dict[str, list[dict]] = {"small": [], "large": []}
        for side, path in zip(("small", "large"), paths, strict=True):
            port, key, _ = sides[side]
            wrk(port, [path], f"Authorization: Api-Key {key}", duration=2, connections=2)
        for r in range(rounds):
            for side, path in (
                zip(("small", "large"), paths, strict=True)
                if r % 2 == 0
                else zip(("large", "small"), paths[::-1], strict=True)
            ):
                port, key, _ = sides[side]
                header = f"Authorization: Api-Key {key}"
                runs[side].append(wrk(port, [path], header, duration=duration, connections=1))
        for side, path in zip(("small", "large"), paths, strict=True):
            # The SQL ours runs for this path (captured on the large set), explained on each.
            _, sqls = capture(path, key_large)
            plans = [explain_on(sides[side][2], q) for q in main_queries(sqls, table)]
            result[side][name] = {
                "path": path,
                "p50_ms": statistics.median(x["p50_ms"] for x in runs[side]),
                "mean_ms": statistics.median(x["mean_ms"] for x in runs[side]),
                "rps_1_connection": statistics.median(x["rps"] for x in runs[side]),
                "sql_ms": round(sum(p["execution_ms"] or 0 for p in plans), 3),
                "explain": plans,
                "runs": runs[side],
            }
        result["ratio"][name] = round(
            result["large"][name]["p50_ms"] / result["small"][name]["p50_ms"], 2
        )
        log(
            f"  growth {name}: small {result['small'][name]['p50_ms']} ms, "
            f"large {result['large'][name]['p50_ms']} ms, ratio {result['ratio'][name]}"
        )
    return result


def query_counts(key: str, law_id: int) -> dict:
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    lists = {
        "laws": "/api/v1/laws/?page_size={n}",
        "tax-measures": "/api/v1/tax-measures/?page_size={n}",
        "facilities": "/api/v1/facilities/?page_size={n}",
        "partners": "/api/v1/partners/?page_size={n}",
        "events": "/api/v1/events/?after=0&limit={n}",
    }
    with override_settings(API_RESPONSE_CACHE_SECONDS=0):  # the statements a page is built with
        counts = _count_lists(client, lists, law_id)
    client.get(lists["laws"].format(n=50))
    with CaptureQueriesContext(connection) as queries:
        client.get(lists["laws"].format(n=50))
    counts["page from cache"] = {"1": len(queries.captured_queries)}
    return counts


def _count_lists(client, lists: dict[str, str], law_id: int) -> dict[str, dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts: dict[str, dict] = {}
    for name, template in lists.items():
        counts[name] = {}
        for n in (1, 50, 100):
            client.get(template.format(n=n))
            with CaptureQueriesContext(connection) as queries:
                response = client.get(template.format(n=n))
            counts[name][str(n)] = len(queries.captured_queries)
            if response.status_code != 200:
                counts[name][str(n)] = f"HTTP {response.status_code}"
        counts[name]["equal"] = len(set(counts[name].values())) == 1
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/api/v1/laws/{law_id}/")
    counts["law detail"] = {"1": len(queries.captured_queries)}
    return counts


def compare_bodies(key: str, paths: list[str]) -> dict:
    """Whether ours and the raw baseline answer byte for byte the same (same Host)."""
    headers = {"Authorization": f"Api-Key {key}", "Host": "localhost"}
    result = {}
    for path in paths:
        _, _, ours = get(PORTS["ours"], path, headers)
        _, _, raw = get(PORTS["raw"], path, headers)
        same = ours == raw
        result[path] = {"identical": same, "bytes": len(ours)}
        if not same:
            (RESULTS / "mismatch-ours.json").write_bytes(ours)
            (RESULTS / "mismatch-raw.json").write_bytes(raw)
    return result


def throughput(key: str, *, duration: float, rounds: int) -> dict:
    law_ids = visible_law_ids(200)
    top = max_event_id()
    afters = [top * i // 211 for i in range(1, 200)]
    endpoints = {
        "law_list": [f"/api/v1/laws/?page_size={PAGE}"],
        "law_detail": [f"/api/v1/laws/{i}/" for i in law_ids],
        "event_feed": [f"/api/v1/events/?after={a}&limit={PAGE}" for a in afters],
    }
    header = f"Authorization: Api-Key {key}"
    names = ["ours", "cold", "raw", "plain"]
    for name in names:  # warm every worker up
        for paths in endpoints.values():
            wrk(PORTS[name], paths, header, duration=1, connections=CONNECTIONS)
    # Ours keeps rendered pages per worker: measure it once every worker has seen every page
    # (each GET is a new connection, so any worker may take it). "cold" shows the other case.
    for paths in endpoints.values():
        for path in paths:
            for _ in range(3 * WORKERS):
                get(PORTS["ours"], path, {"Authorization": f"Api-Key {key}"})
    results: dict[str, dict] = {}
    for endpoint, paths in endpoints.items():
        runs: dict[str, list[dict]] = {name: [] for name in names}
        for r in range(rounds):
            order = names[r % 4 :] + names[: r % 4]  # alternate who goes first
            for name in order:
                runs[name].append(
                    wrk(PORTS[name], paths, header, duration=duration, connections=CONNECTIONS)
                )
        summary = {}
        for name in names:
            summary[name] = {
                "rps": round(statistics.median(x["rps"] for x in runs[name]), 1),
                "p50_ms": round(statistics.median(x["p50_ms"] for x in runs[name]), 2),
                "p99_ms": round(statistics.median(x["p99_ms"] for x in runs[name]), 2),
                "errors": sum(x["errors"] for x in runs[name]),
                "runs": runs[name],
            }
        summary["ours/raw"] = round(summary["ours"]["rps"] / summary["raw"]["rps"], 2)
        summary["ours/plain"] = round(summary["ours"]["rps"] / summary["plain"]["rps"], 2)
        summary["cold/raw"] = round(summary["cold"]["rps"] / summary["raw"]["rps"], 2)
        summary["cold/plain"] = round(summary["cold"]["rps"] / summary["plain"]["rps"], 2)
        results[endpoint] = summary
        log(
            f"  {endpoint}: ours {summary['ours']['rps']} (cold {summary['cold']['rps']}) "
            f"raw {summary['raw']['rps']} "
            f"plain {summary['plain']['rps']} req/s"
        )
    results["identical_json"] = compare_bodies(
        key, [endpoints["law_list"][0], endpoints["law_detail"][0], endpoints["event_feed"][0]]
    )
    return results


def staff_session() -> tuple[str, str]:
    """A session cookie and CSRF token of an Editors staff user, made without a login form."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils.crypto import get_random_string

    user, _ = User.objects.get_or_create(username="bench-editor", defaults={"is_staff": True})
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="Editors"))
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key, get_random_string(32)


def write_path(*, per_client: int) -> dict:
    from tracker.models import DraftLaw
    from tracker.workflows import LAW_WORKFLOW, LawStatus

    def next_status(status: str) -> str | None:
        targets = [
            t
            for t in LAW_WORKFLOW.allowed_targets(status)
            if not (status == LawStatus.VETOED and t == LawStatus.SIGNED_BY_PRESIDENT)
        ]
        going_on = [t for t in targets if not LAW_WORKFLOW.is_terminal(t)]
        return (going_on or targets or [None])[0]

    session_key, csrf = staff_session()
    live = [
        s
        for s in LawStatus.values
        if next_status(s) is not None and s not in (LawStatus.PUBLISHED, LawStatus.VETOED)
    ]
    laws = list(
        DraftLaw.objects.filter(status__in=live, archived_at__isnull=True)
        .order_by("id")
        .values_list("id", "status")[: WRITE_CLIENTS * per_client]
    )
    today = dt.date.today().isoformat()
    headers = {
        "Cookie": f"sessionid={session_key}; csrftoken={csrf}",
        "X-CSRFToken": csrf,
        "Content-Type": "application/json",
        "Host": "localhost",
    }
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def client(mine: list[tuple[int, str]]) -> None:
        conn = http.client.HTTPConnection(HOST, PORTS["ours"], timeout=30)
        # Not measured: a read as the same staff user, so that no transition pays for a
        # worker's first request (imports, URLconf, its database connection).
        conn.request("GET", f"/api/v1/laws/{mine[0][0]}/", headers=headers)
        conn.getresponse().read()
        for law_id, status in mine:
            body = json.dumps(
                {"to": next_status(status), "occurred_on": today, "expected_status": status}
            )
            started = time.perf_counter()
            conn.request("POST", f"/api/v1/laws/{law_id}/transitions/", body, headers)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[response.status] = statuses.get(response.status, 0) + 1
        conn.close()

    chunks = [laws[i::WRITE_CLIENTS] for i in range(WRITE_CLIENTS)]
    started = time.perf_counter()
    with ThreadPoolExecutor(WRITE_CLIENTS) as pool:
        list(pool.map(client, chunks))
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "clients": WRITE_CLIENTS,
        "requests": len(latencies),
        "statuses": {str(k): v for k, v in statuses.items()},
        "p50_ms": round(latencies[len(latencies) // 2], 1) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1) if latencies else None,
        "per_second": round(len(latencies) / wall, 1),
    }


def fanout() -> dict:
    try:
        from tracker.models import Delivery, WebhookSubscription  # noqa: F401
    except ImportError:
        return {"skipped": "webhook subscriptions are not part of this version"}
    from bench import fanout as fan

    return fan.run(
        subscriptions=SUBSCRIPTIONS,
        concurrency=FANOUT_CONCURRENCY,
        receiver_port=RECEIVER_PORT,
        start=Process,
        pool=os.environ.get("BENCH_CELERY_POOL", "threads"),
    )


# --- report ----------------------------------------------------------------------------


def machine() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        cpu = next((x.split(":", 1)[1].strip() for x in fh if x.startswith("model name")), "")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "postgresql": pg,
        "gunicorn_workers": WORKERS,
        "connections": CONNECTIONS,
    }


def table(results: dict) -> str:
    lines = []
    add = lines.append
    gen = results.get("generate", {})
    if gen:
        large = gen.get("large", {})
        add(
            f"Data set: {large.get('counts', {}).get('tracker_event', '?')} events, "
            f"{large.get('counts', {}).get('tracker_draftlaw', '?')} laws "
            f"({large.get('status_changes_per_law', '?')} status changes each) "
            f"generated in {large.get('seconds', '?')} s"
        )
    tp = results.get("throughput")
    if tp:
        add("")
        add(f"Throughput (gunicorn {WORKERS} workers, {CONNECTIONS} connections, partner key)")
        add(
            f"{'endpoint':<12} {'app':<6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  "
            "ours/raw ours/plain"
        )
        for endpoint in ("law_list", "law_detail", "event_feed"):
            row = tp[endpoint]
            for i, name in enumerate(("ours", "cold", "raw", "plain")):
                ratios = ""
                if name in ("ours", "cold"):
                    ratios = f"{row[f'{name}/raw']:>8} {row[f'{name}/plain']:>10}"
                add(
                    f"{endpoint if i == 0 else '':<12} {name:<6} {row[name]['rps']:>8} "
                    f"{row[name]['p50_ms']:>8} {row[name]['p99_ms']:>8}  {ratios}"
                )
        same = all(v["identical"] for v in tp["identical_json"].values())
        add(f"ours and raw JSON byte-identical: {same}")
    growth = results.get("growth")
    if growth:
        add("")
        add("Growth: 10,000 -> 1,000,000 events (1 connection, p50 ms; SQL ms of EXPLAIN ANALYZE)")
        for name in ("law_list", "event_feed"):
            small, large = growth["small"][name], growth["large"][name]
            add(
                f"{name:<12} small {small['p50_ms']:>7} ({small['sql_ms']}) "
                f"large {large['p50_ms']:>7} ({large['sql_ms']})  "
                f"ratio {growth['ratio'][name]}"
            )
    queries = results.get("queries")
    if queries:
        add("")
        add("SQL queries per request at page size 1 / 50 / 100")
        for name, row in queries.items():
            sizes = " / ".join(str(row.get(n, "-")) for n in ("1", "50", "100"))
            add(f"{name:<14} {sizes}")
    write = results.get("write")
    if write:
        add("")
        add(
            f"Write path: {write['requests']} transitions by {write['clients']} staff clients: "
            f"p50 {write['p50_ms']} ms, p99 {write['p99_ms']} ms, {write['per_second']}/s, "
            f"statuses {write['statuses']}"
        )
    fo = results.get("fanout")
    if fo and "skipped" in fo:
        add("")
        add(f"Fan-out: skipped ({fo['skipped']})")
    elif fo:
        add("")
        wide = fo.get("raw_wide", {})
        add(
            f"Fan-out to {fo['subscriptions']} webhooks (median of {fo.get('repeats', 1)}): "
            f"ours {fo['ours']['all_s']} s (first after {fo['ours']['first_ms']} ms), "
            f"raw {fo['raw']['all_s']} s at concurrency {fo['concurrency']}, "
            f"{wide.get('all_s')} s at {wide.get('concurrency')}; ratio to the faster raw "
            f"{fo['ratio']}; verified {fo['ours']['verified']}, "
            f"duplicates {fo['ours']['duplicates']}"
        )
        add(
            f"  runs: ours {fo['ours'].get('runs_s')}, raw {fo['raw'].get('runs_s')}, "
            f"raw at {wide.get('concurrency')} {wide.get('runs_s')}"
        )
        start = fo["ours"].get("first_event_after_start")
        if start:
            add(
                f"  (the worker's first event after start: {start['all_s']} s, first after "
                f"{start['first_ms']} ms)"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="growth,queries,throughput,write,fanout")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-generate", action="store_true")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    RESULTS.mkdir(parents=True, exist_ok=True)
    configure_environment()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, check=True
    )
    started = time.perf_counter()
    results: dict = {"machine": machine(), "started_at": dt.datetime.now(dt.UTC).isoformat()}
    results["generate"] = {}
    servers: list[Process] = []
    try:
        key_small = None
        if "growth" in only:
            log("Generating the small data set (its own database)")
            results["generate"]["small"], key_small = prepare_small_database()
        if not args.skip_generate:
            log("Generating the large data set")
            results["generate"]["large"] = generate(LARGE)
            log(f"  {results['generate']['large']['seconds']} s")
        key = issue_key()
        servers.append(start_app("ours"))
        servers.append(start_app("cold", env=NO_PAGE_CACHE, app="ours"))
        if key_small:
            log("Growth: small and large data sets, alternating")
            servers.append(
                start_app(
                    "ours-small",
                    env={"DATABASE_URL": small_database_url(), **NO_PAGE_CACHE},
                    app="ours",
                )
            )
            results["growth"] = growth(
                key_small=key_small, key_large=key, duration=args.duration, rounds=args.rounds
            )
            servers.pop().stop()
        if "queries" in only:
            log("Counting queries")
            results["queries"] = query_counts(key, visible_law_ids(1)[0])
        if "throughput" in only:
            log("Throughput: ours (page cache on and off), raw and plain DRF, alternating")
            servers.append(start_app("raw"))
            servers.append(start_app("plain"))
            results["throughput"] = throughput(key, duration=args.duration, rounds=args.rounds)
        if "write" in only:
            log("Write path: transitions by 8 staff clients")
            results["write"] = write_path(per_client=40)
        for server in servers:
            server.stop()
        servers.clear()
        if "fanout" in only:
            log("Notification fan-out")
            results["fanout"] = fanout()
    finally:
        for server in servers:
            server.stop()
    results["seconds"] = round(time.perf_counter() - started, 1)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    text = table(results)
    for name in (f"bench-{stamp}.json", "latest.json"):
        (RESULTS / name).write_text(json.dumps(results, indent=2, default=str))
    print()
    print(text)
    print(f"\nFinished in {results['seconds']} s; figures in {RESULTS / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
