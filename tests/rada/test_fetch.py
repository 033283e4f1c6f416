"""Downloading the dump (conditional GET, limits), the command and the daily job."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command

from tests.factories import make_law
from tests.rada.dumps import card, phase, write
from tracker.models import RadaSource, StatusChange, SyncRun
from tracker.services.rada_dump import DumpError
from tracker.services.rada_fetch import DownloadError, sync_url

pytestmark = pytest.mark.django_db

COMMITTEE = phase("2025-03-05", "Опрацьовується в комітеті")


class DumpServer:
    """A loopback server answering like the open data portal: ETag, 304, OpenData agent."""

    def __init__(
        self, body: bytes, *, etag: str = '"v1"', delay: float = 0.0, status: int = 200
    ) -> None:
        self.body, self.etag, self.delay, self.status = body, etag, delay, status
        self.requests: list[dict[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.requests.append(dict(self.headers))
                if self.headers.get("User-Agent") != "OpenData":
                    self.send_response(403)
                    self.end_headers()
                    return
                if self.headers.get("If-None-Match") == owner.etag:
                    self.send_response(304)
                    self.send_header("ETag", owner.etag)
                    self.end_headers()
                    return
                time.sleep(owner.delay)
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("ETag", owner.etag)
                self.send_header("Last-Modified", "Mon, 01 Dec 2025 03:00:00 GMT")
                self.send_header("Content-Length", str(len(owner.body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(owner.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/ogd/zpr/skl9/billinfo-skl9.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve():
    servers = []

    def start(body: bytes, **options) -> DumpServer:
        server = DumpServer(body, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def _dump(*cards) -> bytes:
    return json.dumps(list(cards), ensure_ascii=False).encode()


def test_an_unchanged_dump_answers_304_and_nothing_is_read(serve):
    law = make_law(registration_number="9000")
    server = serve(_dump(card(200, "9000", passings=[COMMITTEE])))
    first = sync_url(server.url)
    assert first.outcome == "done" and first.changes > 0
    assert server.requests[0]["User-Agent"] == "OpenData"
    assert "If-None-Match" not in server.requests[0]
    source = RadaSource.objects.get(url=server.url)
    assert source.etag == '"v1"' and source.last_modified.startswith("Mon, 01 Dec 2025")
    steps = StatusChange.objects.filter(record_id=law.pk).count()

    second = sync_url(server.url)
    assert server.requests[1]["If-None-Match"] == '"v1"'
    assert second.outcome == "not_modified" and second.bills_read == 0
    assert StatusChange.objects.filter(record_id=law.pk).count() == steps
    # --force asks without the ETag.
    forced = sync_url(server.url, force=True)
    assert "If-None-Match" not in server.requests[2]
    assert forced.outcome == "done" and forced.changes == 0


def test_a_failed_run_does_not_remember_the_etag(serve):
    server = serve(b'[{"id": 1}, {"id": 2,')
    with pytest.raises(DumpError, match="cut short"):
        sync_url(server.url)
    assert RadaSource.objects.get(url=server.url).etag == ""
    assert SyncRun.objects.get().outcome == "failed"


def test_the_download_is_bounded_in_size_and_time(serve, settings):
    settings.RADA_MAX_DUMP_BYTES = 1000
    big = serve(_dump(*[card(i, str(i)) for i in range(1, 50)]))
    with pytest.raises(DownloadError, match="larger than the 1000 bytes"):
        sync_url(big.url)
    settings.RADA_MAX_DUMP_BYTES = 10_000_000
    settings.RADA_DOWNLOAD_TIMEOUT_SECONDS = 0.5
    slow = serve(_dump(card(1, "1")), delay=3)
    started = time.monotonic()
    with pytest.raises(DownloadError, match=r"longer than 0\.5 s"):
        sync_url(slow.url)
    assert time.monotonic() - started < 2.5
    assert [r.outcome for r in SyncRun.objects.order_by("id")] == ["failed", "failed"]


def test_a_server_error_is_reported_and_nothing_is_read(serve):
    server = serve(b"<html>Service unavailable</html>", status=503)
    with pytest.raises(DownloadError, match="answered 503"):
        sync_url(server.url)
    assert SyncRun.objects.get().outcome == "failed"


# --- The command -------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_command_reads_a_file_shows_progress_and_ends_with_a_summary(tmp_path):
    make_law(registration_number="9100")
    dump = write(tmp_path / "d.json", [card(300, "9100", passings=[COMMITTEE])])
    out = Terminal()
    call_command("sync_rada", file=str(dump), stdout=out)
    text = out.getvalue()
    assert "\r[" in text and "bills read" in text
    assert "1 bills read, 1 tracked" in text and "changes" in text
    plain = io.StringIO()
    call_command("sync_rada", file=str(dump), stdout=plain)
    assert "\r[" not in plain.getvalue()
    assert "1 bills read, 1 tracked, 0 changes" in plain.getvalue()


def test_the_command_s_dry_run_prints_what_would_change(tmp_path):
    law = make_law(registration_number="9200")
    dump = write(tmp_path / "d.json", [card(301, "9200", passings=[COMMITTEE])])
    out = io.StringIO()
    call_command("sync_rada", file=str(dump), dry_run=True, stdout=out)
    assert "Dry run: nothing was changed" in out.getvalue()
    assert "step In committee on 2025-03-05" in out.getvalue()
    law.refresh_from_db()
    assert law.status == "drafting" and not SyncRun.objects.exists()


def test_the_command_fails_clearly_on_a_bad_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"<html>502 Bad Gateway</html>")
    with pytest.raises(CommandError, match=r"not valid JSON|not JSON"):
        call_command("sync_rada", file=str(bad), stdout=io.StringIO())
    with pytest.raises(CommandError, match="No such file"):
        call_command("sync_rada", file=str(tmp_path / "missing.json"), stdout=io.StringIO())


# --- The daily job -------------------------------------------------------------------------------


@pytest.mark.parametrize(("enabled", "expected"), [("0", None), ("1", "<crontab: 15 4 * * *")])
def test_the_daily_job_is_scheduled_only_when_enabled(enabled, expected):
    code = (
        "import django; django.setup();"
        "from config.celery_app import app;"
        "print(repr(app.conf.beat_schedule.get('rada-sync', {}).get('schedule')))"
    )
    env = {
        "RADA_SYNC_ENABLED": enabled,
        "RADA_SYNC_TIME": "04:15",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True
    )
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(expected or "None"), result.stderr


def test_the_daily_task_runs_the_sync(serve, settings):
    from tracker.notifications.tasks import rada_sync

    law = make_law(registration_number="9300")
    server = serve(_dump(card(400, "9300", passings=[COMMITTEE])))
    settings.RADA_SYNC_URL = server.url
    assert "1 tracked" in rada_sync()
    law.refresh_from_db()
    assert law.status == "in_committee"
    assert rada_sync() == "not_modified"
