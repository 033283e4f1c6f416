"""The webhook client on libcurl (`tracker.notifications.wire`), against real servers.

Each test starts a tiny server on loopback that answers every connection it accepts with
scripted raw bytes and records what it read. Only what would leave the machine is stood in
for: names resolve through `wire.fixed_hosts` (curl's own resolve list) or, for the slow
resolver, through a DNS server on loopback in a network namespace of its own.
"""

from __future__ import annotations

import contextlib
import datetime
import http.server
import json
import select
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
from email.utils import format_datetime
from pathlib import Path

import pytest
from django.utils import timezone

from tracker.notifications import ssrf, wire

READ = "read"  # read one whole request (head and Content-Length body) and record it
CLOSE = "close"  # close the connection from the server's side

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
CREATED = b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"


def pause(seconds: float) -> tuple:
    return ("pause", seconds)


def trickle(data: bytes, interval: float, size: int = 1) -> tuple:
    """Send `data` `size` bytes at a time, `interval` seconds apart."""
    return ("trickle", data, interval, size)


class ScriptedServer:
    """A server on 127.0.0.1 that plays one script per accepted connection.

    `scripts[i]` is the list of steps for the i-th connection; the last script serves any
    later connection. A step is bytes to send, READ, CLOSE, `pause(...)` or `trickle(...)`.
    After its last step a connection stays open and is read until the client closes it.
    """

    def __init__(self, *scripts: list) -> None:
        self.scripts = scripts
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.requests: list[tuple[int, bytes]] = []  # (connection index, raw request)
        self.finished: list[threading.Event] = []  # the connection's script has run
        self.client_closed: list[threading.Event] = []  # the client closed the connection
        self._socks: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/hook"

    @property
    def accepted(self) -> int:
        """Connections accepted so far, counting those the kernel has already queued."""
        self._accept_pending()
        return len(self._socks)

    def requests_on(self, index: int) -> list[bytes]:
        with self._lock:
            return [raw for conn, raw in self.requests if conn == index]

    def stop(self) -> None:
        self._stop.set()
        self._acceptor.join(1)
        with self._lock:
            socks, threads = list(self._socks), list(self._threads)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a handler blocked in recv
        for thread in threads:
            thread.join(1)
        for sock in socks:
            sock.close()
        self.listener.close()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError, ValueError):
                if select.select([self.listener], [], [], 0.01)[0]:
                    self._accept_pending()

    def _accept_pending(self) -> None:
        with self._lock:
            while True:
                try:
                    sock, _ = self.listener.accept()
                except OSError:
                    return
                index = len(self._socks)
                self._socks.append(sock)
                self.finished.append(threading.Event())
                self.client_closed.append(threading.Event())
                thread = threading.Thread(target=self._serve, args=(index, sock), daemon=True)
                self._threads.append(thread)
                thread.start()

    def _serve(self, index: int, sock: socket.socket) -> None:
        script = self.scripts[min(index, len(self.scripts) - 1)]
        buffer = b""
        try:
            sock.settimeout(5)
            for step in script:
                if step == READ:
                    request, buffer = read_request(sock, buffer)
                    with self._lock:
                        self.requests.append((index, request))
                elif step == CLOSE:
                    sock.close()
                    self.finished[index].set()
                    return
                elif isinstance(step, bytes):
                    sock.sendall(step)
                elif step[0] == "pause":
                    self._stop.wait(step[1])
                else:
                    _, data, interval, size = step
                    for at in range(0, len(data), size):
                        sock.sendall(data[at : at + size])
                        if self._stop.wait(interval):
                            return
            self.finished[index].set()
            while sock.recv(65536):
                pass
            if not self._stop.is_set():
                self.client_closed[index].set()
        except (ConnectionResetError, BrokenPipeError):
            self.client_closed[index].set()
        except OSError:
            pass
        finally:
            self.finished[index].set()


def read_request(sock: socket.socket, buffer: bytes) -> tuple[bytes, bytes]:
    """One request (head and Content-Length body) and what followed it."""
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(65536)
        if not data:
            raise ConnectionResetError("client closed before a whole request")
        buffer += data
    head, _, rest = buffer.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        data = sock.recv(65536)
        if not data:
            raise ConnectionResetError("client closed in the middle of a body")
        rest += data
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


def parse_request(raw: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    request_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return request_line, headers, body


@pytest.fixture
def serve():
    servers: list[ScriptedServer] = []

    def start(*scripts: list) -> ScriptedServer:
        server = ScriptedServer(*scripts)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def client():
    made = wire.Client()
    yield made
    made.close()


@pytest.fixture
def names(monkeypatch):
    """Names resolved by a stand-in for DNS: curl's resolve list, and `ssrf.resolve`."""
    table: dict[str, list[str]] = {}
    monkeypatch.setattr(wire, "fixed_hosts", table)
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: list(table[host]))
    return table


def post(client: wire.Client, url: str, body: bytes = b"{}", **options) -> wire.Response:
    options.setdefault("timeout", 2)
    options.setdefault("allow_private", True)
    return client.post(url, body, {"content-type": "application/json"}, **options)


# --- What is sent ----------------------------------------------------------------------


def test_the_request_carries_the_body_the_headers_and_the_host_name(serve, client, names):
    names["hooks.bund.example"] = ["127.0.0.1"]
    server = serve([READ, CREATED])

    response = client.post(
        f"http://hooks.bund.example:{server.port}/in/a b?x=1",
        b'{"a": 1}',
        {"content-type": "application/json", "webhook-id": "msg_1"},
        timeout=2,
        allow_private=True,
    )

    assert response.status == 201
    request_line, headers, body = parse_request(server.requests[0][1])
    assert request_line == "POST /in/a%20b?x=1 HTTP/1.1"
    assert headers["host"] == f"hooks.bund.example:{server.port}"
    assert headers["webhook-id"] == "msg_1"
    assert "expect" not in headers
    assert body == b'{"a": 1}'


@pytest.mark.parametrize(
    "name, value",
    [
        ("webhook-id", "msg_1\r\nX-Injected: yes"),
        ("webhook-id", "msg_1\nX-Injected: yes"),
        ("webhook-id", "msg_1\x00"),
        ("x-bad name", "value"),
        ("x-bad:name", "value"),
    ],
)
def test_a_header_that_would_inject_lines_is_refused_and_nothing_is_sent(
    serve, client, name, value
):
    server = serve([READ, OK])

    with pytest.raises(wire.WireError, match="Refused to send"):
        client.post(server.url(), b"{}", {name: value}, timeout=1, allow_private=True)

    assert server.accepted == 0


# --- Answers ---------------------------------------------------------------------------


def test_interim_answers_are_skipped_for_the_final_one(serve, client):
    server = serve([READ, b"HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n" + CREATED])

    response = post(client, server.url())

    assert response.status == 201


def test_two_different_content_lengths_are_refused(serve, client):
    server = serve([READ, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nokk"])

    with pytest.raises(wire.WireError) as raised:
        post(client, server.url())
    assert not isinstance(raised.value, wire.WireTimeout)


def test_a_body_past_the_limit_is_cut_and_the_answer_still_counts(serve, client):
    size = wire.MAX_BODY_BYTES * 4
    big = b"HTTP/1.1 200 OK\r\nRetry-After: 7\r\nContent-Length: %d\r\n\r\n" % size
    server = serve([READ, big + b"x" * size], [READ, CREATED])

    response = post(client, server.url())

    assert (response.status, response.retry_after) == (200, 7)
    # The cut connection is not used again.
    assert post(client, server.url()).status == 201
    assert server.accepted == 2


def test_redirects_are_answers_and_not_followed(serve, client):
    server = serve(
        [READ, b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n"]
    )

    response = post(client, server.url())

    assert response.status == 302
    assert len(server.requests) == 1


def test_retry_after_in_seconds_or_as_a_date(serve, client):
    in_a_minute = format_datetime(timezone.now() + datetime.timedelta(minutes=1), usegmt=True)
    answers = [b"120", in_a_minute.encode(), b"soon"]
    script = []
    for answer in answers:
        script += [
            READ,
            b"HTTP/1.1 429 Slow Down\r\nRetry-After: %s\r\nContent-Length: 0\r\n\r\n" % answer,
        ]
    server = serve([*script, READ, CREATED])

    waits = [post(client, server.url()).retry_after for _ in range(4)]

    assert waits[0] == 120
    assert 55 <= waits[1] <= 60
    assert waits[2:] == [None, None]  # not a wait we can read; none asked


# --- Kept connections ------------------------------------------------------------------


def test_two_posts_to_one_endpoint_share_one_connection(serve, client):
    server = serve([READ, OK, READ, CREATED])

    assert post(client, server.url()).status == 200
    assert post(client, server.url()).status == 201
    assert server.accepted == 1


def test_a_kept_connection_the_server_closed_while_idle_is_replaced(serve, client):
    server = serve([READ, OK, CLOSE], [READ, CREATED])

    assert post(client, server.url()).status == 200
    assert server.finished[0].wait(1)
    assert post(client, server.url(), b"second").status == 201

    assert server.accepted == 2
    assert parse_request(server.requests_on(1)[0])[2] == b"second"


def test_a_kept_connection_closed_after_the_request_is_retried_once_on_a_new_one(serve, client):
    # The server drops the kept connection just as the next request arrives on it.
    server = serve([READ, OK, READ, CLOSE], [READ, CREATED])

    assert post(client, server.url(), b"first").status == 200
    assert post(client, server.url(), b"second").status == 201

    assert server.accepted == 2
    assert parse_request(server.requests_on(1)[0])[2] == b"second"


def test_a_close_in_the_middle_of_the_answer_is_an_error_and_not_retried(serve, client):
    server = serve([READ, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", CLOSE])

    with pytest.raises(wire.WireError) as raised:
        post(client, server.url())

    assert not isinstance(raised.value, wire.WireTimeout)
    assert server.accepted == 1


# --- Deadlines and refusals ------------------------------------------------------------


def test_an_answer_trickled_past_the_timeout_fails_at_the_total_deadline(serve, client):
    slow = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100 + b"\r\nContent-Length: 0\r\n\r\n"
    server = serve([READ, trickle(slow, 0.1)])
    timeout = 0.5

    started = time.monotonic()
    with pytest.raises(wire.WireTimeout):
        post(client, server.url(), timeout=timeout)
    elapsed = time.monotonic() - started

    # Every byte came well within any per-read timeout; only the one deadline stops it.
    assert timeout - 0.01 <= elapsed < timeout + 0.25


def test_a_server_that_never_answers_times_out(serve, client):
    server = serve([READ])

    started = time.monotonic()
    with pytest.raises(wire.WireTimeout):
        post(client, server.url(), timeout=0.3)
    assert time.monotonic() - started < 0.55


def unused_port(address: str = "127.0.0.1") -> int:
    with socket.socket() as unused:
        unused.bind((address, 0))
        return unused.getsockname()[1]


def test_a_refused_connection_is_an_error_but_not_a_timeout(client):
    with pytest.raises(wire.WireError) as raised:
        post(client, f"http://127.0.0.1:{unused_port()}/hook", timeout=1)
    assert not isinstance(raised.value, (wire.WireTimeout, wire.WireRefused))


def test_a_name_resolving_to_a_private_address_is_refused_at_connect(serve, client, names):
    names["hooks.bund.example"] = ["127.0.0.1"]
    server = serve([READ, OK])

    with pytest.raises(wire.WireRefused, match="loopback"):
        post(client, server.url("hooks.bund.example"), allow_private=False)

    assert server.accepted == 0


def test_every_address_of_a_name_is_checked_and_tried_in_turn(serve, client, names):
    server = serve([READ, OK])
    # The first address is forbidden even in development, the second refuses connections,
    # the third answers.
    names["hooks.bund.example"] = ["169.254.169.254", "127.0.0.2", "127.0.0.1"]

    assert post(client, server.url("hooks.bund.example")).status == 200
    assert server.accepted == 1


def test_the_first_address_refusing_connections_the_second_answers(serve, client, names):
    server = serve([READ, OK])
    names["hooks.bund.example"] = ["127.0.0.2", "127.0.0.1"]  # nothing listens on .2

    assert post(client, server.url("hooks.bund.example")).status == 200


def test_when_every_address_is_forbidden_the_refusal_says_why(client, names):
    names["hooks.bund.example"] = ["169.254.169.254", "10.1.2.3"]

    with pytest.raises(wire.WireRefused) as raised:
        post(client, f"http://hooks.bund.example:{unused_port()}/", allow_private=False)

    assert "metadata" in str(raised.value) and "private" in str(raised.value)


SLOW_RESOLVER = textwrap.dedent(
    """
    import json, socket, sys, threading, time
    sys.path.insert(0, sys.argv[1])
    from tracker.notifications import wire

    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns.bind(("127.0.0.1", 53))
    queries = []

    def never_answer():
        while True:
            queries.append(dns.recvfrom(4096)[0])

    threading.Thread(target=never_answer, daemon=True).start()
    client = wire.Client()
    started = time.monotonic()
    try:
        client.post("http://hooks.slow.example:8080/", b"{}", {}, timeout=float(sys.argv[2]),
                    allow_private=True)
        outcome = "answered"
    except wire.WireTimeout:
        outcome = "timeout"
    except wire.WireError as exc:
        outcome = f"error: {exc}"
    print(json.dumps({"outcome": outcome, "elapsed": time.monotonic() - started,
                      "queries": len(queries)}), flush=True)
    import os
    os._exit(0)  # curl's resolver thread is still waiting for the answer that never comes
    """
)


@pytest.mark.slow
def test_the_deadline_covers_a_resolver_that_never_answers(tmp_path):
    """curl resolves names itself: a DNS server on loopback that never answers, in a network
    and mount namespace of its own where it is the system's resolver."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("needs unshare and ip (util-linux, iproute2)")
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\noptions timeout:5 attempts:2\n")
    script = tmp_path / "slow_resolver.py"
    script.write_text(SLOW_RESOLVER)
    root = Path(__file__).resolve().parents[2]
    command = (
        f"ip link set lo up && mount --bind {resolv} /etc/resolv.conf && "
        f"exec {sys.executable} {script} {root} 1.0"
    )
    try:
        done = subprocess.run(
            ["unshare", "--net", "--mount", "--propagation", "private", "sh", "-c", command],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    except OSError as exc:
        pytest.skip(f"cannot make a namespace here: {exc}")
    if done.returncode != 0 and "Operation not permitted" in done.stderr:
        pytest.skip(f"cannot make a namespace here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["queries"] >= 1  # curl did ask the slow resolver
    assert result["outcome"] == "timeout"
    assert 0.95 <= result["elapsed"] < 1.5  # not the resolver's 2 x 5 s


# --- Through an egress proxy -----------------------------------------------------------


class ConnectProxy:
    """An HTTP CONNECT proxy on loopback: records each CONNECT target, then relays bytes."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.targets: list[str] = []
        self.connections = 0
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._stop.set()
        self.listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._tunnel, args=(sock,), daemon=True).start()

    def _tunnel(self, sock: socket.socket) -> None:
        with contextlib.closing(sock):
            head = b""
            while b"\r\n\r\n" not in head:
                data = sock.recv(4096)
                if not data:
                    return
                head += data
            method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
            self.targets.append(f"{method} {target}")
            host, _, port = target.rpartition(":")
            try:
                upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=2)
            except OSError:
                sock.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            with contextlib.closing(upstream):
                pair = [sock, upstream]
                while True:
                    ready, _, _ = select.select(pair, [], [], 5)
                    if not ready:
                        return
                    for side in ready:
                        data = side.recv(65536)
                        if not data:
                            return
                        (upstream if side is sock else sock).sendall(data)


@pytest.fixture
def proxy():
    made = ConnectProxy()
    yield made
    made.stop()


def test_through_a_proxy_the_tunnel_goes_to_the_checked_address(serve, client, names, proxy):
    names["hooks.bund.example"] = ["127.0.0.1"]
    server = serve([READ, OK])

    response = post(client, server.url("hooks.bund.example"), proxy=proxy.url)

    assert response.status == 200
    assert proxy.targets == [f"CONNECT 127.0.0.1:{server.port}"]
    _, headers, _ = parse_request(server.requests[0][1])
    assert headers["host"] == f"hooks.bund.example:{server.port}"


def test_through_a_proxy_a_forbidden_target_is_refused_before_the_proxy_is_asked(
    client, names, proxy
):
    names["hooks.bund.example"] = ["10.1.2.3"]

    with pytest.raises(wire.WireRefused, match="private"):
        post(client, "http://hooks.bund.example/hook", proxy=proxy.url, allow_private=False)

    assert proxy.connections == 0


def test_through_a_proxy_a_slow_lookup_of_the_target_counts_against_the_deadline(
    client, monkeypatch, proxy
):
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: time.sleep(3) or ["127.0.0.1"])

    started = time.monotonic()
    with pytest.raises(wire.WireTimeout):
        post(client, "http://hooks.slow.example/hook", proxy=proxy.url, timeout=0.5)

    assert time.monotonic() - started < 0.8
    assert proxy.connections == 0


# --- Many at once ----------------------------------------------------------------------


@pytest.fixture
def meeting_server():
    """Answers each POST only once `width` of them are waiting at once (else 503), over
    kept connections; counts the connections."""

    def start(width: int):
        meeting = threading.Barrier(width, timeout=5)
        connections = []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                connections.append(self.client_address)

            def do_POST(self):
                self.rfile.read(int(self.headers["content-length"]))
                try:
                    meeting.wait()
                    status = 200
                except threading.BrokenBarrierError:
                    status = 503
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/hook", connections

    servers: list = []
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_sender_runs_its_posts_side_by_side_on_kept_connections(meeting_server):
    url, connections = meeting_server(4)
    sender = wire.Sender(4)
    jobs = [
        (n, wire.Request(f"{url}/{n}", b"{}", {}, timeout=10, allow_private=True))
        for n in range(12)
    ]

    answers = dict(sender.run(jobs))
    sender.close()

    # Each POST was answered only because three others were in flight beside it.
    assert {n: answer.status for n, answer in answers.items()} == dict.fromkeys(range(12), 200)
    # Four connections, each kept for the next POSTs.
    assert len(connections) == 4


def test_a_sender_takes_the_next_job_only_when_a_place_is_free(serve):
    server = serve([READ, OK, READ, OK, READ, OK])
    sender = wire.Sender(1)
    taken = []

    def jobs():
        for n in range(3):
            taken.append(n)
            yield n, wire.Request(server.url(), b"{}", {}, timeout=5, allow_private=True)

    for n, answer in sender.run(jobs()):
        assert taken == list(range(n + 1))  # the next job is not taken before this ends
        assert answer.status == 200
    sender.close()


def test_a_sender_yields_a_request_it_cannot_start_as_a_wire_error(serve):
    server = serve([READ, OK])
    sender = wire.Sender(2)
    jobs = [
        ("bad", wire.Request(server.url(), b"{}", {"x-evil": "a\r\nb"}, timeout=5)),
        ("good", wire.Request(server.url(), b"{}", {}, timeout=5, allow_private=True)),
    ]

    answers = dict(sender.run(jobs))
    sender.close()

    assert isinstance(answers["bad"], wire.WireError)
    assert answers["good"].status == 200
