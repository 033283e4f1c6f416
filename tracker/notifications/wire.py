"""A webhook POST on a plain socket: HTTP/1.1 to one pinned address.

The transport resolves and checks the host (see `ssrf`) and hands the checked address here;
this module connects to that address only, while the Host header, TLS SNI and the
certificate check use the host name. Redirects are answers like any other: never followed.

One deadline covers connecting, the TLS handshake, sending and reading, so an endpoint that
trickles its answer byte by byte still costs at most the timeout. Of the answer, only the
status line and headers matter; a body is read (up to `MAX_BODY_BYTES`) only so that the
connection can carry the next POST to the same address.

Lean on purpose: a batch sends hundreds of these per second, and a general-purpose client
spent four times the CPU of the request itself on features a webhook never uses.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024
RECV_BYTES = 64 * 1024
# Characters that may stand in a request target as they are; the rest is percent-encoded.
TARGET_SAFE = "/?#[]@!$&'()*+,;=:-._~%"


class WireError(Exception):
    """No usable answer: the connection, the TLS handshake or the HTTP framing failed."""


class WireTimeout(WireError):
    """The deadline passed before the answer was complete."""


@dataclass(frozen=True)
class Target:
    """Where a POST goes: the checked address and the names the server must see."""

    address: str
    port: int
    https: bool
    host: str

    @property
    def host_header(self) -> str:
        host = self.host.encode("idna").decode("ascii") if not self.host.isascii() else self.host
        if ":" in host:
            host = f"[{host}]"
        return host if self.port == (443 if self.https else 80) else f"{host}:{self.port}"


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-case names; a repeated header keeps its last value


class Connection:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.answered = False  # whether any byte of the current answer has come

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def idle_and_open(self) -> bool:
        """True if the server has neither closed this kept connection nor sent anything."""
        if self.buffer:
            return False
        try:
            poller = select.poll()
            poller.register(self.sock, select.POLLIN)
            return not poller.poll(0)
        except (OSError, ValueError):
            return False


class Pools:
    """Idle connections kept for a batch of POSTs, per `Target`.

    A connection is handed out again only for the very address, port, scheme and host name
    it was opened for: never across checked addresses or TLS names. Thread-safe; `close()`
    drops every connection.
    """

    def __init__(self, maxsize: int = 1) -> None:
        self.maxsize = max(1, maxsize)
        self._idle: dict[Target, list[Connection]] = {}
        self._lock = threading.Lock()

    def take(self, target: Target) -> Connection | None:
        while True:
            with self._lock:
                idle = self._idle.get(target)
                conn = idle.pop() if idle else None
            if conn is None or conn.idle_and_open():
                return conn
            conn.close()

    def give(self, target: Target, conn: Connection) -> None:
        with self._lock:
            idle = self._idle.setdefault(target, [])
            if len(idle) < self.maxsize:
                idle.append(conn)
                return
        conn.close()

    def idle_count(self, target: Target) -> int:
        with self._lock:
            return len(self._idle.get(target, ()))

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()


_tls_contexts: dict[str | None, ssl.SSLContext] = {}
_tls_lock = threading.Lock()


def tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """A client context that checks the certificate chain and the host name (one per bundle)."""
    with _tls_lock:
        context = _tls_contexts.get(ca_bundle)
        if context is None:
            context = ssl.create_default_context(cafile=ca_bundle)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            _tls_contexts[ca_bundle] = context
        return context


def request_target(path: str, query: str) -> str:
    target = quote(path or "/", safe=TARGET_SAFE)
    return target + (f"?{quote(query, safe=TARGET_SAFE)}" if query else "")


def post(
    target: Target,
    path: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    ca_bundle: str | None = None,
    pools: Pools | None = None,
) -> Response:
    """POST `body` to `target`; the answer's status and headers.

    With `pools`, a kept connection is used if there is one and the connection is kept
    again afterwards if the answer allows; a kept connection the server had meanwhile
    closed is replaced by a new one once, before any byte of an answer. Raises `WireTimeout`
    past `timeout` seconds and `WireError` for any other failure.
    """
    deadline = time.monotonic() + timeout
    head = [f"POST {path} HTTP/1.1", f"host: {target.host_header}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    head.append(f"content-length: {len(body)}")
    if pools is None:
        head.append("connection: close")
    message = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
    kept = pools.take(target) if pools is not None else None
    if kept is not None:
        try:
            return _send_on(kept, target, message, deadline, pools)
        except _StaleConnection:
            pass  # closed by the server while it was kept: once more on a new connection
    try:
        return _send_on(_connect(target, deadline, ca_bundle), target, message, deadline, pools)
    except _StaleConnection:
        raise WireError("The server closed the connection without answering.") from None


def _send_on(
    conn: Connection, target: Target, message: bytes, deadline: float, pools: Pools | None
) -> Response:
    try:
        response, keep = _exchange(conn, message, deadline)
    except BaseException:
        conn.close()
        raise
    if keep and pools is not None:
        pools.give(target, conn)
    else:
        conn.close()
    return response


class _StaleConnection(WireError):
    """The connection broke before any byte of an answer came."""


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise WireTimeout("deadline passed")
    return left


def _connect(target: Target, deadline: float, ca_bundle: str | None) -> Connection:
    try:
        sock = socket.create_connection((target.address, target.port), _remaining(deadline))
    except TimeoutError:
        raise WireTimeout("connect timed out") from None
    except OSError as exc:
        raise WireError(_describe(exc)) from None
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if target.https:
            sock.settimeout(_remaining(deadline))
            sock = tls_context(ca_bundle).wrap_socket(sock, server_hostname=target.host)
    except TimeoutError:
        sock.close()
        raise WireTimeout("TLS handshake timed out") from None
    except ssl.SSLCertVerificationError as exc:
        sock.close()
        raise WireError(f"TLS certificate refused: {exc.verify_message or exc}") from None
    except (OSError, ValueError) as exc:
        sock.close()
        raise WireError(f"TLS failed: {_describe(exc)}") from None
    except WireTimeout:
        sock.close()
        raise
    return Connection(sock)


def _describe(exc: BaseException) -> str:
    return (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)[:300]


def _exchange(conn: Connection, message: bytes, deadline: float) -> tuple[Response, bool]:
    """Send `message` and read the final answer; the answer and whether the connection can
    carry another request."""
    conn.answered = False
    try:
        conn.sock.settimeout(_remaining(deadline))
        conn.sock.sendall(message)
        reader = _Reader(conn, deadline)
        while True:
            status, version, headers = _read_head(reader)
            if 100 <= status < 200 and status != 101:
                continue  # 100 Continue and other interim answers: the final one follows
            break
        if status == 101:
            raise WireError("The server switched protocols (101); webhooks need a plain answer.")
        complete = _read_body(reader, status, headers)
    except TimeoutError:
        raise WireTimeout("read timed out") from None
    except ssl.SSLError as exc:
        raise WireError(f"TLS failed: {_describe(exc)}") from None
    except (ConnectionError, _EndOfStream) as exc:
        if not conn.answered:
            raise _StaleConnection() from exc
        raise WireError("The server closed the connection in the middle of its answer.") from None
    except OSError as exc:
        raise WireError(_describe(exc)) from None
    keep = (
        complete
        and version == "HTTP/1.1"
        and "close" not in headers.get("connection", "").lower()
        and not conn.buffer
    )
    return Response(status=status, headers=headers), keep


class _EndOfStream(Exception):
    pass


class _Reader:
    def __init__(self, conn: Connection, deadline: float) -> None:
        self.conn = conn
        self.deadline = deadline

    def fill(self) -> None:
        """Read more into the buffer; `_EndOfStream` if the server closed the connection."""
        sock = self.conn.sock
        sock.settimeout(_remaining(self.deadline))
        data = sock.recv(RECV_BYTES)
        if not data:
            raise _EndOfStream()
        self.conn.answered = True
        self.conn.buffer += data

    def until(self, mark: bytes, limit: int) -> bytes:
        """The buffer up to and including `mark`, consumed; `mark` must end within `limit`."""
        while True:
            at = self.conn.buffer.find(mark, 0, limit)
            if at >= 0:
                end = at + len(mark)
                taken, self.conn.buffer = self.conn.buffer[:end], self.conn.buffer[end:]
                return taken
            if len(self.conn.buffer) >= limit:
                raise WireError(f"The answer's header or chunk line is over {limit} bytes.")
            self.fill()

    def skip(self, count: int) -> None:
        """Consume `count` bytes."""
        while len(self.conn.buffer) < count:
            count -= len(self.conn.buffer)
            self.conn.buffer = b""
            self.fill()
        self.conn.buffer = self.conn.buffer[count:]


def _read_head(reader: _Reader) -> tuple[int, str, dict[str, str]]:
    raw = reader.until(b"\r\n\r\n", MAX_HEAD_BYTES)
    lines = raw[:-4].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if (
        len(parts) < 2
        or not parts[0].startswith("HTTP/1.")
        or not (parts[1].isascii() and parts[1].isdigit())
    ):
        raise WireError(f"Not an HTTP/1.x answer: {lines[0][:80]!r}.")
    status = int(parts[1])
    if not 100 <= status <= 999:
        raise WireError(f"Not an HTTP status code: {parts[1][:10]!r}.")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return status, parts[0], headers


def _read_body(reader: _Reader, status: int, headers: dict[str, str]) -> bool:
    """Consume the body, up to MAX_BODY_BYTES; True if it was read to its end."""
    if status in (204, 304) or 100 <= status < 200:
        return True
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _read_chunked(reader)
    if "transfer-encoding" in headers:
        return False  # a coding we do not frame: the connection cannot be reused
    length = headers.get("content-length")
    if length is None:
        return False  # the body runs until the server closes; nothing of it is needed
    if not (length.isascii() and length.isdigit()):  # "²".isdigit(), but int() refuses it
        raise WireError(f"The answer's Content-Length is not a number: {length[:20]!r}.")
    size = int(length)
    if size > MAX_BODY_BYTES:
        return False
    reader.skip(size)
    return True


def _read_chunked(reader: _Reader) -> bool:
    total = 0
    while True:
        line = reader.until(b"\r\n", 1024).split(b";", 1)[0].strip()
        if not line or line.strip(b"0123456789abcdefABCDEF"):  # int() takes "-1", "0x1", "1_0"
            raise WireError(f"A chunk size is not hexadecimal: {line[:20]!r}.")
        size = int(line, 16)
        if size == 0:
            while reader.until(b"\r\n", MAX_HEAD_BYTES) != b"\r\n":
                pass  # trailer fields, then the blank line
            return True
        total += size
        if total > MAX_BODY_BYTES:
            return False
        reader.skip(size + 2)
