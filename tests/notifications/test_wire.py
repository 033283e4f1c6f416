"""The webhook client on plain sockets (`tracker.notifications.wire`), against real servers.

Each test starts a tiny server on loopback that answers every connection it accepts with
scripted raw bytes and records what it read, so framing, reuse and failures are tested on
real sockets: nothing is mocked.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time

import pytest

from tracker.notifications import wire

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

    def target(self, host: str = "hooks.example") -> wire.Target:
        return wire.Target(address="127.0.0.1", port=self.port, https=False, host=host)

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
def pools():
    kept = wire.Pools()
    yield kept
    kept.close()


def post(target: wire.Target, body: bytes = b"{}", **options) -> wire.Response:
    options.setdefault("timeout", 2)
    return wire.post(target, "/hook", body, {"content-type": "application/json"}, **options)


# --- Answers and the request the server sees -------------------------------------------


def test_a_plain_answer_gives_status_and_lower_cased_headers_and_sends_the_exact_request(serve):
    server = serve(
        [
            READ,
            b"HTTP/1.1 202 Accepted\r\nContent-Type: text/plain\r\nRetry-After: 30\r\n"
            b"X-Request-ID: Abc\r\nContent-Length: 5\r\n\r\nhello",
        ]
    )
    body = '{"type": "law.created", "name": "Zakon №1"}'.encode()

    response = wire.post(
        server.target(),
        "/hooks/in?token=a%20b",
        body,
        {"webhook-id": "msg_1", "Content-Type": "application/json"},
        timeout=2,
    )

    assert response.status == 202
    assert response.headers == {
        "content-type": "text/plain",
        "retry-after": "30",
        "x-request-id": "Abc",
        "content-length": "5",
    }
    [(_, raw)] = server.requests
    request_line, headers, sent = parse_request(raw)
    assert request_line == "POST /hooks/in?token=a%20b HTTP/1.1"
    assert headers["host"] == f"hooks.example:{server.port}"
    assert headers["webhook-id"] == "msg_1"
    assert headers["content-type"] == "application/json"
    assert headers["content-length"] == str(len(body))
    assert sent == body


def test_without_pools_the_request_says_close_and_the_socket_is_closed(serve):
    server = serve([READ, OK])

    assert post(server.target()).status == 200

    [(_, raw)] = server.requests
    assert parse_request(raw)[1]["connection"] == "close"
    assert server.client_closed[0].wait(1)


def test_interim_answers_are_skipped_for_the_final_one(serve, pools):
    server = serve(
        [
            READ,
            b"HTTP/1.1 100 Continue\r\n\r\n"
            b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n"
            b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
            READ,
            OK,
        ]
    )

    response = post(server.target(), pools=pools)

    assert response.status == 201
    assert "link" not in response.headers
    assert post(server.target(), pools=pools).status == 200
    assert server.accepted == 1


# --- Kept connections ------------------------------------------------------------------


def test_with_pools_two_posts_share_one_connection(serve, pools):
    server = serve([READ, OK, READ, CREATED])
    target = server.target()

    assert post(target, b"first", pools=pools).status == 200
    assert pools.idle_count(target) == 1
    assert post(target, b"second", pools=pools).status == 201

    assert server.accepted == 1
    first, second = server.requests_on(0)
    assert "connection" not in parse_request(first)[1]
    assert parse_request(first)[2] == b"first"
    assert parse_request(second)[2] == b"second"


def test_a_kept_connection_serves_only_its_own_target(serve, pools):
    server = serve([READ, OK, READ, OK])
    one, other = server.target("one.example"), server.target("other.example")

    post(one, pools=pools)
    post(other, pools=pools)
    post(one, pools=pools)

    assert server.accepted == 2
    assert [parse_request(raw)[1]["host"].split(":")[0] for raw in server.requests_on(0)] == [
        "one.example",
        "one.example",
    ]


NOT_KEPT = {
    "connection close": b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
    "connection keep-alive, close": (
        b"HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 2\r\n\r\nok"
    ),
    "HTTP/1.0": b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "length over MAX_BODY_BYTES": (
        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (wire.MAX_BODY_BYTES + 1)
        + b"x" * (wire.MAX_BODY_BYTES + 1)
    ),
    "chunks over MAX_BODY_BYTES": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n" % (wire.MAX_BODY_BYTES + 1)
        + b"x" * (wire.MAX_BODY_BYTES + 1)
        + b"\r\n0\r\n\r\n"
    ),
    "no length, not chunked": b"HTTP/1.1 200 OK\r\n\r\nthe body runs until the close",
    "unknown transfer coding": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\x1f\x8b",
    # Bytes after the answer: the next POST must not read them as its own answer.
    "bytes after the answer": OK + b"HTTP/1.1 299 Stale\r\nContent-Length: 0\r\n\r\n",
}


@pytest.mark.parametrize("answer", NOT_KEPT.values(), ids=NOT_KEPT.keys())
def test_an_answer_that_ends_the_connection_is_not_kept(serve, pools, answer):
    server = serve([READ, answer], [READ, CREATED])
    target = server.target()

    assert post(target, pools=pools).status == 200
    assert post(target, pools=pools).status == 201

    assert server.accepted == 2
    assert server.client_closed[0].wait(1)
    assert len(server.requests_on(0)) == 1


CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Answer: yes\r\n\r\n"
    b"5\r\nhello\r\n"
    b'7;ext=1;name="v"\r\n, world\r\n'
    b"1A \r\n" + b"z" * 0x1A + b"\r\n"
    b"0;last\r\nX-Trailer: 1\r\nX-Other-Trailer: 2\r\n\r\n"
)


@pytest.mark.parametrize("delivery", ["at once", "in pieces"])
def test_a_chunked_answer_is_read_to_its_end_and_the_connection_kept(serve, pools, delivery):
    answer = CHUNKED if delivery == "at once" else trickle(CHUNKED, 0.002, size=7)
    server = serve([READ, answer, READ, CREATED])
    target = server.target()

    response = post(target, pools=pools)
    assert response.status == 200
    assert response.headers["x-answer"] == "yes"
    assert post(target, pools=pools).status == 201

    assert server.accepted == 1


def test_a_body_sent_in_pieces_is_read_and_the_connection_kept(serve, pools):
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"b" * 100
    server = serve([READ, trickle(answer, 0.002, size=13), READ, CREATED])

    assert post(server.target(), pools=pools).status == 200
    assert post(server.target(), pools=pools).status == 201
    assert server.accepted == 1


def test_a_kept_connection_the_server_closed_while_idle_is_replaced(serve, pools):
    server = serve([READ, OK, CLOSE], [READ, CREATED])
    target = server.target()

    assert post(target, pools=pools).status == 200
    assert server.finished[0].wait(1)
    assert post(target, b"second", pools=pools).status == 201

    assert server.accepted == 2
    assert len(server.requests_on(0)) == 1
    assert parse_request(server.requests_on(1)[0])[2] == b"second"


def test_a_kept_connection_closed_after_the_request_is_retried_once_on_a_new_one(serve, pools):
    # The race a pool cannot see coming: the server drops the connection just as the next
    # request arrives on it, before any byte of an answer.
    server = serve([READ, OK, READ, CLOSE], [READ, CREATED])
    target = server.target()

    assert post(target, b"first", pools=pools).status == 200
    assert post(target, b"second", pools=pools).status == 201

    assert server.accepted == 2
    _, on_the_kept = server.requests_on(0)
    [on_the_new] = server.requests_on(1)
    assert on_the_kept == on_the_new
    assert parse_request(on_the_new)[2] == b"second"
    assert pools.idle_count(target) == 1


@pytest.mark.parametrize("with_pools", [False, True], ids=["no pools", "pools"])
def test_a_fresh_connection_closed_without_an_answer_is_an_error_and_not_retried(
    serve, pools, with_pools
):
    server = serve([READ, CLOSE])

    with pytest.raises(wire.WireError) as raised:
        post(server.target(), pools=pools if with_pools else None)

    assert not isinstance(raised.value, wire.WireTimeout)
    assert server.accepted == 1
    assert len(server.requests) == 1


PARTIAL_ANSWERS = {
    "status line": b"HTTP/1.",
    "headers": b"HTTP/1.1 200 OK\r\nContent-Le",
    "body": b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
    "chunks": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
}


@pytest.mark.parametrize("partial", PARTIAL_ANSWERS.values(), ids=PARTIAL_ANSWERS.keys())
@pytest.mark.parametrize("kept", [False, True], ids=["fresh", "kept"])
def test_a_close_in_the_middle_of_the_answer_is_an_error_and_not_retried(
    serve, pools, partial, kept
):
    if kept:
        server = serve([READ, OK, READ, partial, CLOSE], [READ, OK])
        post(server.target(), pools=pools)
    else:
        server = serve([READ, partial, CLOSE], [READ, OK])

    with pytest.raises(wire.WireError, match="middle of its answer") as raised:
        post(server.target(), pools=pools)

    assert not isinstance(raised.value, wire.WireTimeout)
    assert server.accepted == 1
    assert len(server.requests) == (2 if kept else 1)
    assert pools.idle_count(server.target()) == 0


# --- Deadlines and refusals ------------------------------------------------------------


def test_an_answer_trickled_past_the_timeout_fails_at_the_total_deadline(serve):
    slow = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100 + b"\r\nContent-Length: 0\r\n\r\n"
    server = serve([READ, trickle(slow, 0.1)])
    timeout = 0.3

    started = time.monotonic()
    with pytest.raises(wire.WireTimeout):
        post(server.target(), timeout=timeout)
    elapsed = time.monotonic() - started

    # Every byte came within a per-read timeout; only the one deadline stops it.
    assert timeout - 0.01 <= elapsed < timeout + 0.15


def test_a_server_that_never_answers_times_out(serve):
    server = serve([READ])

    started = time.monotonic()
    with pytest.raises(wire.WireTimeout):
        post(server.target(), timeout=0.3)
    assert time.monotonic() - started < 0.45


def test_a_refused_connection_is_an_error_but_not_a_timeout():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    target = wire.Target(address="127.0.0.1", port=port, https=False, host="hooks.example")

    with pytest.raises(wire.WireError) as raised:
        post(target, timeout=1)
    assert not isinstance(raised.value, wire.WireTimeout)


# --- Malformed answers -----------------------------------------------------------------

CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
MALFORMED = {
    "no status code": b"HTTP/1.1 OK\r\nContent-Length: 0\r\n\r\n",
    "not HTTP": b"ICY 200 OK\r\nContent-Length: 0\r\n\r\n",
    "status code below 100": b"HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n",
    "status code of four digits": b"HTTP/1.1 2000 Odd\r\nContent-Length: 0\r\n\r\n",
    # Latin-1 superscript two: str.isdigit() says yes, int() says no.
    "non-ASCII digit in status": b"HTTP/1.1 2\xb20 OK\r\nContent-Length: 0\r\n\r\n",
    "non-numeric Content-Length": b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
    "negative Content-Length": b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    "non-ASCII digit in Content-Length": b"HTTP/1.1 200 OK\r\nContent-Length: 1\xb2\r\n\r\n",
    "non-hex chunk size": CHUNKED_HEAD + b"zz\r\nhello\r\n0\r\n\r\n",
    "empty chunk size": CHUNKED_HEAD + b"\r\nhello\r\n0\r\n\r\n",
    # int(..., 16) takes a sign, a 0x prefix and underscores; none is a chunk size.
    "negative chunk size": CHUNKED_HEAD + b"-2\r\n0\r\n\r\n",
    "chunk size with 0x": CHUNKED_HEAD + b"0x5\r\nhello\r\n0\r\n\r\n",
    "chunk size with _": CHUNKED_HEAD + b"1_0\r\n" + b"h" * 16 + b"\r\n0\r\n\r\n",
    "chunk line over its limit": CHUNKED_HEAD + b"5;" + b"e" * 2000 + b"\r\nhello\r\n0\r\n\r\n",
    "switching protocols": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
}


@pytest.mark.parametrize("answer", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_answer_is_an_error(serve, pools, answer):
    server = serve([READ, answer])  # and the connection stays open

    with pytest.raises(wire.WireError) as raised:
        post(server.target(), pools=pools)

    assert not isinstance(raised.value, wire.WireTimeout)
    assert pools.idle_count(server.target()) == 0


def head_of(size: int) -> bytes:
    """An answer head of exactly `size` bytes, the blank line included."""
    start, end = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Pad: ", b"\r\n\r\n"
    return start + b"p" * (size - len(start) - len(end)) + end


@pytest.mark.parametrize("ending", ["complete", "endless"])
def test_a_head_over_max_head_bytes_is_an_error(serve, ending):
    answer = head_of(wire.MAX_HEAD_BYTES + 1)
    if ending == "endless":
        answer = answer[:-4] + b"p" * 1000  # no blank line, and the connection stays open
    server = serve([READ, answer])

    with pytest.raises(wire.WireError, match="over") as raised:
        post(server.target())
    assert not isinstance(raised.value, wire.WireTimeout)


def test_a_head_of_exactly_max_head_bytes_is_accepted(serve):
    server = serve([READ, head_of(wire.MAX_HEAD_BYTES)])

    response = post(server.target())
    assert response.status == 200
    assert len(response.headers["x-pad"]) > wire.MAX_HEAD_BYTES - 100


# --- Host header and request target ----------------------------------------------------


@pytest.mark.parametrize(
    ("host", "port", "https", "expected"),
    [
        ("hooks.example", 80, False, "hooks.example"),
        ("hooks.example", 443, True, "hooks.example"),
        ("hooks.example", 443, False, "hooks.example:443"),
        ("hooks.example", 80, True, "hooks.example:80"),
        ("hooks.example", 8080, False, "hooks.example:8080"),
        ("2001:db8::1", 80, False, "[2001:db8::1]"),
        ("2001:db8::1", 8443, True, "[2001:db8::1]:8443"),
        ("bücher.example", 443, True, "xn--bcher-kva.example"),
        ("bücher.example", 8080, False, "xn--bcher-kva.example:8080"),
    ],
)
def test_host_header(host, port, https, expected):
    target = wire.Target(address="192.0.2.1", port=port, https=https, host=host)
    assert target.host_header == expected


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/hooks/a b", "", "/hooks/a%20b"),
        ("/hooks/a%20b/%E2%9C%93", "", "/hooks/a%20b/%E2%9C%93"),
        ("/hooks", "token=abc&x=1", "/hooks?token=abc&x=1"),
        ("/hooks", "q=a b", "/hooks?q=a%20b"),
        ("", "", "/"),
        ("", "x=1", "/?x=1"),
        ("/bücher", "", "/b%C3%BCcher"),
        # No line break can reach the request line and start a header of its own.
        ("/a\r\nX-Injected: 1", "", "/a%0D%0AX-Injected:%201"),
    ],
)
def test_request_target(path, query, expected):
    assert wire.request_target(path, query) == expected
