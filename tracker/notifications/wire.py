"""A webhook POST through libcurl (pycurl), with the SSRF check at connect time.

libcurl owns HTTP: framing, chunked and interim answers, TLS with the host name checked,
keeping and re-checking connections, trying each address of a name in turn. What this
module adds is what a webhook sender must decide for itself:

- Every socket curl is about to open to a webhook endpoint goes through `_open_socket`,
  which refuses an address the SSRF rules forbid (`ssrf.connect_problem`). A name that
  resolves to a private address is refused there, whatever it resolved to when it was
  subscribed; when a name has several addresses, curl moves on to the next one.
- One total timeout (`TIMEOUT_MS`) covers the DNS lookup, connecting, TLS, sending and the
  answer: a slow resolver, a hanging or trickling endpoint all cost at most that.
- The answer's body is read up to `MAX_BODY_BYTES`; past that the transfer is cut (the
  status and `Retry-After` are all a webhook needs). Redirects are answers, never followed.
- No Python runs per header line: libcurl parses `Retry-After` itself (either form), so a
  POST calls back into Python only to open a socket and for an answer that has a body. Each
  call back has to take the interpreter lock from the threads doing other work, and under
  load those waits, not curl, were what a fan-out spent its time on.
- Header values are checked: a CR, LF or NUL in a name or value is refused, never sent.
- An egress proxy (`proxy`): curl's sockets then go to the proxy, so the target's name is
  resolved and checked here first (within the same deadline) and the tunnel is opened to
  that checked address (`CONNECT address:port`), while TLS still checks the host name.

A `Client` wraps one curl handle and its kept connections (`thread_client()`: the calling
thread's, for one POST at a time); a `Sender` runs many clients side by side through one
curl multi handle from one thread (`thread_sender()`: a batch's POSTs), sharing the
connections it keeps.
"""

from __future__ import annotations

import functools
import queue
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote, urlsplit

import pycurl

from . import ssrf

T = TypeVar("T")
UNSET = object()

MAX_BODY_BYTES = 64 * 1024
# Characters that may stand in a request target as they are; the rest is percent-encoded.
TARGET_SAFE = "/?#[]@!$&'()*+,;=:-._~%"
# RFC 9110 token characters for a header name; a value may not hold CR, LF or NUL.
HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
FORBIDDEN_IN_VALUE = re.compile(r"[\r\n\x00]")


class WireError(Exception):
    """No usable answer: resolving, connecting, TLS or the HTTP exchange failed.

    `category` says which, in words fit for the endpoint's owner (no addresses, no
    socket errors); the message has curl's details for the log.
    """

    def __init__(self, message: str, category: str = "connection error") -> None:
        super().__init__(message)
        self.category = category


class WireTimeout(WireError):
    """The deadline passed before the answer was complete."""


class WireRefused(WireError):
    """Every address the target resolved to is one webhooks may not reach."""


@dataclass(frozen=True)
class Request:
    """One POST and the rules it is sent under."""

    url: str
    body: bytes
    headers: dict[str, str]
    timeout: float  # seconds for everything: DNS, connect, TLS, send, answer
    ca_bundle: str | None = None
    proxy: str | None = None
    allow_private: bool = False


@dataclass(frozen=True)
class Response:
    status: int
    retry_after: float | None = None  # seconds the endpoint asked us to wait, if it did
    seconds: float = 0.0  # how long the exchange took, as curl measured it


@functools.lru_cache(maxsize=4096)
def request_url(url: str) -> str:
    """`url` with its path and query percent-encoded where needed, as curl expects."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    target = quote(parts.path or "/", safe=TARGET_SAFE)
    if parts.query:
        target += f"?{quote(parts.query, safe=TARGET_SAFE)}"
    return f"{parts.scheme}://{netloc}{target}"


def header_lines(headers: dict[str, str]) -> list[str]:
    """`name: value` lines; a name that is not a token or a value with CR, LF or NUL is
    refused (`WireError`) rather than sent."""
    lines = []
    for name, value in headers.items():
        if not HEADER_NAME.match(name):
            raise WireError(f"Refused to send a header with the name {name[:40]!r}.")
        value = str(value)
        if FORBIDDEN_IN_VALUE.search(value):
            raise WireError(f"Refused to send the {name} header: its value has a line break.")
        lines.append(f"{name}: {value}")
    # curl adds these unless told not to: an Expect round trip and an Accept nobody reads.
    return [*lines, "Expect:", "Accept:"]


# Names curl resolves to fixed addresses, on any port, like a hosts file: name -> addresses.
# Empty in production; tests put their loopback servers under real-looking names here. The
# addresses still go through the SSRF check at connect time.
fixed_hosts: dict[str, list[str]] = {}

_default_ca: tuple[str | None, str | None] | None = None


def default_ca() -> tuple[str | None, str | None]:
    """The system's CA file and folder, as Python's ssl finds them (the wheel's libcurl
    looks elsewhere)."""
    global _default_ca
    if _default_ca is None:
        paths = ssl.get_default_verify_paths()
        _default_ca = (paths.cafile, paths.capath)
    return _default_ca


class Client:
    """One curl handle: its settings, its kept connections and its DNS cache.

    Not thread-safe: one per sending thread (`thread_client()`).
    """

    def __init__(self) -> None:
        curl = pycurl.Curl()
        curl.setopt(pycurl.NOSIGNAL, 1)
        curl.setopt(pycurl.POST, 1)
        curl.setopt(pycurl.FOLLOWLOCATION, 0)
        curl.setopt(pycurl.PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS)
        curl.setopt(pycurl.HTTP_VERSION, pycurl.CURL_HTTP_VERSION_1_1)
        curl.setopt(pycurl.SSL_VERIFYPEER, 1)
        curl.setopt(pycurl.SSL_VERIFYHOST, 2)
        curl.setopt(pycurl.SSLVERSION, pycurl.SSLVERSION_TLSv1_2)
        curl.setopt(pycurl.OPENSOCKETFUNCTION, self._open_socket)
        curl.setopt(pycurl.WRITEFUNCTION, self._body)
        self.curl = curl
        self._allow_private = False
        self._check_sockets = True
        self._refused: list[str] = []
        self._body_bytes = 0
        self._cut = False
        self._fixed: dict[tuple[str, int], list[str]] = {}
        # Settings that rarely change, set again only when they do.
        self._ca_bundle: object = UNSET
        self._proxy: object = UNSET
        self._connect_to = False

    def close(self) -> None:
        self.curl.close()

    # --- callbacks (run inside perform) ----------------------------------------------

    def _open_socket(self, purpose: int, address: tuple) -> socket.socket | int:
        family, socktype, protocol, where = address
        if self._check_sockets:
            if family not in (socket.AF_INET, socket.AF_INET6):
                self._refused.append("not an IP address")
                return pycurl.SOCKET_BAD
            problem = ssrf.connect_problem(where[0], allow_private=self._allow_private)
            if problem:
                self._refused.append(problem)
                return pycurl.SOCKET_BAD
        return socket.socket(family, socktype, protocol)

    def _body(self, data: bytes) -> int | None:
        self._body_bytes += len(data)
        if self._body_bytes > MAX_BODY_BYTES:
            self._cut = True
            return 0  # not what curl handed over: it stops the transfer
        return None

    # --- one POST ---------------------------------------------------------------------

    def post(
        self,
        url: str,
        body: bytes,
        headers: dict[str, str],
        *,
        timeout: float,
        ca_bundle: str | None = None,
        proxy: str | None = None,
        allow_private: bool = False,
    ) -> Response:
        """POST `body` to `url`; the final answer's status and `Retry-After`.

        Raises `WireRefused` if every address of the target is forbidden, `WireTimeout`
        past `timeout` seconds in all and `WireError` for any other failure.
        """
        self.prepare(Request(url, body, headers, timeout, ca_bundle, proxy, allow_private))
        try:
            self.curl.perform()
        except pycurl.error as exc:
            return self.finish(*_code_and_message(exc))
        return self.finish()

    def prepare(self, request: Request) -> None:
        """Set the handle up for `request` (run it with `perform()`, or in a `Sender`).

        Raises `WireError` for a header that may not be sent and, with a proxy, what
        resolving and checking the target raises."""
        started = time.monotonic()
        lines = header_lines(request.headers)
        curl = self.curl
        connect_to: list[str] = []
        if request.proxy:
            host, port = _host_and_port(request.url)
            address = _checked_address(
                host, port, request.allow_private, deadline=started + request.timeout
            )
            connect_to = [f"{host}:{port}:{_bracketed(address)}:{port}"]
        remaining_ms = max(1, int((request.timeout - (time.monotonic() - started)) * 1000))
        self._allow_private = request.allow_private
        # With a proxy, curl's only sockets go to the proxy.
        self._check_sockets = not request.proxy
        self._refused, self._body_bytes, self._cut = [], 0, False
        curl.setopt(pycurl.URL, request_url(request.url))
        curl.setopt(pycurl.HTTPHEADER, lines)
        curl.setopt(pycurl.POSTFIELDS, request.body)
        curl.setopt(pycurl.TIMEOUT_MS, remaining_ms)
        curl.setopt(pycurl.CONNECTTIMEOUT_MS, remaining_ms)
        if request.ca_bundle != self._ca_bundle:
            if request.ca_bundle:
                curl.setopt(pycurl.CAINFO, request.ca_bundle)
                curl.unsetopt(pycurl.CAPATH)
            else:
                cafile, capath = default_ca()
                curl.setopt(pycurl.CAINFO, cafile or "")
                curl.setopt(pycurl.CAPATH, capath or "")
            self._ca_bundle = request.ca_bundle
        if request.proxy != self._proxy:
            # "" switches curl's own proxy environment variables off as well.
            curl.setopt(pycurl.PROXY, request.proxy or "")
            curl.setopt(pycurl.HTTPPROXYTUNNEL, 1 if request.proxy else 0)
            self._proxy = request.proxy
        if connect_to or self._connect_to:
            curl.setopt(pycurl.CONNECT_TO, connect_to)
            self._connect_to = bool(connect_to)
        if fixed_hosts or self._fixed:
            self._apply_fixed_hosts(request.url)

    def finish(self, code: int = 0, message: str = "") -> Response:
        """The answer of the transfer that just ended with curl's `code` (0: it completed).

        Raises `WireRefused`, `WireTimeout` or `WireError` as `post` does."""
        if code and not (code == pycurl.E_WRITE_ERROR and self._cut):
            # (A body cut past MAX_BODY_BYTES is no failure: the answer itself is complete.)
            if code == pycurl.E_OPERATION_TIMEDOUT:
                raise WireTimeout(message or "timed out")
            if self._refused and code == pycurl.E_COULDNT_CONNECT:
                raise WireRefused("; ".join(dict.fromkeys(self._refused)))
            raise WireError(_describe(code, message), _category(code))
        curl = self.curl
        # 0 when the answer has no Retry-After (or asks for none): the same to a retry.
        retry_after = curl.getinfo(pycurl.RETRY_AFTER)
        return Response(
            status=curl.getinfo(pycurl.RESPONSE_CODE),
            retry_after=float(retry_after or 0) or None,
            seconds=curl.getinfo(pycurl.TOTAL_TIME),
        )

    def _apply_fixed_hosts(self, url: str) -> None:
        """Hand curl the `fixed_hosts` entry of `url`'s host and port (and take back those
        that changed since)."""
        host, port = _host_and_port(url)
        kept = {
            key: found for key, found in self._fixed.items() if fixed_hosts.get(key[0]) == found
        }
        entries = [
            f"-{name}:{number}" for name, number in self._fixed if (name, number) not in kept
        ]
        if host in fixed_hosts and (host, port) not in kept:
            kept[(host, port)] = list(fixed_hosts[host])
            entries.append(f"{host}:{port}:{','.join(map(_bracketed, fixed_hosts[host]))}")
        if entries:
            self.curl.setopt(pycurl.RESOLVE, entries)
        self._fixed = kept


def _code_and_message(exc: pycurl.error) -> tuple[int, str]:
    return exc.args[0], str(exc.args[1]) if len(exc.args) > 1 else ""


def _describe(code: int, message: str) -> str:
    if code in (pycurl.E_PEER_FAILED_VERIFICATION, pycurl.E_SSL_CACERT_BADFILE):
        return f"TLS certificate refused: {message}"[:300]
    if code == pycurl.E_SSL_CONNECT_ERROR:
        return f"TLS failed: {message}"[:300]
    return (message or f"curl error {code}")[:300]


def _category(code: int) -> str:
    if code in (pycurl.E_PEER_FAILED_VERIFICATION, pycurl.E_SSL_CACERT_BADFILE):
        return "TLS error (certificate not accepted)"
    if code in (pycurl.E_SSL_CONNECT_ERROR, pycurl.E_SSL_CERTPROBLEM, pycurl.E_SSL_CIPHER):
        return "TLS error"
    return {
        pycurl.E_COULDNT_RESOLVE_HOST: "host name not found",
        pycurl.E_COULDNT_CONNECT: "connection refused",
        pycurl.E_GOT_NOTHING: "connection closed without an answer",
        pycurl.E_SEND_ERROR: "connection reset",
        pycurl.E_RECV_ERROR: "connection reset",
    }.get(code, "connection error")


def _host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def _bracketed(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _checked_address(host: str, port: int, allow_private: bool, *, deadline: float) -> str:
    """The first address of `host`, every one of them checked; the lookup runs in its own
    thread so that a slow resolver costs no more than the time left before `deadline`."""
    answer: queue.SimpleQueue = queue.SimpleQueue()

    def lookup() -> None:
        try:
            answer.put(ssrf.allowed_addresses(host, port, allow_private=allow_private))
        except BaseException as exc:
            answer.put(exc)

    threading.Thread(target=lookup, name="webhook-dns", daemon=True).start()
    try:
        found = answer.get(timeout=max(0.0, deadline - time.monotonic()))
    except queue.Empty:
        raise WireTimeout(f"resolving {host} timed out") from None
    if isinstance(found, ssrf.ForbiddenTarget):
        raise WireRefused(str(found)) from None
    if isinstance(found, BaseException):
        raise WireError(str(found)[:300]) from None
    return found[0]


class Sender:
    """Up to `width` POSTs at once from the calling thread, through one curl multi handle.

    The transfers run side by side in libcurl and share the multi handle's kept connections
    and DNS cache, so a batch of POSTs to one endpoint reuses connections batch after batch.
    One thread drives them all: Python runs only to start a POST and to read its answer,
    never as one of many threads waiting for each other. Not thread-safe: one per thread
    (`thread_sender()`).
    """

    def __init__(self, width: int) -> None:
        self.width = max(1, width)
        self.multi = pycurl.CurlMulti()
        self._idle: list[Client] = []
        self._clients: list[Client] = []

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self.multi.close()

    def run(self, jobs: Iterable[tuple[T, Request]]) -> Iterator[tuple[T, Response | WireError]]:
        """Send each `(token, request)` of `jobs`, up to `width` at a time; yields each
        token with its answer or its `WireError` as it ends. The next job is taken from
        `jobs` only when a place is free, so `jobs` may decide late whether to go on."""
        pending = iter(jobs)
        running: dict[int, tuple[Client, T]] = {}
        more = True
        try:
            while True:
                while more and len(running) < self.width:
                    try:
                        token, request = next(pending)
                    except StopIteration:
                        more = False
                        break
                    client = self._idle.pop() if self._idle else self._new_client()
                    try:
                        client.prepare(request)
                    except Exception as exc:
                        self._idle.append(client)
                        if not isinstance(exc, WireError):
                            exc = WireError(f"Could not start the request: {exc}"[:300])
                        yield token, exc
                        continue
                    self.multi.add_handle(client.curl)
                    running[id(client.curl)] = (client, token)
                if not running:
                    return
                while self.multi.perform()[0] == pycurl.E_CALL_MULTI_PERFORM:
                    pass
                ended = []
                while True:
                    left, succeeded, failed = self.multi.info_read()
                    ended += [(curl, 0, "") for curl in succeeded]
                    ended += [(curl, code, str(message)) for curl, code, message in failed]
                    if not left:
                        break
                for curl, code, message in ended:
                    client, token = running.pop(id(curl))
                    self.multi.remove_handle(curl)
                    self._idle.append(client)
                    try:
                        answer: Response | WireError = client.finish(code, message)
                    except WireError as exc:
                        answer = exc
                    yield token, answer
                if not ended and running:
                    # Until a socket is ready or curl's next timer (a deadline) is due.
                    wait_ms = self.multi.timeout()
                    self.multi.select(1.0 if wait_ms < 0 else min(wait_ms, 1000) / 1000)
        finally:
            for client, _ in running.values():  # the caller stopped early
                self.multi.remove_handle(client.curl)
                self._idle.append(client)

    def _new_client(self) -> Client:
        client = Client()
        self._clients.append(client)
        return client


_local = threading.local()


def thread_sender(width: int) -> Sender:
    """The calling thread's own sender of `width`, kept (with its connections) for its
    next batches."""
    sender = getattr(_local, "sender", None)
    if sender is None or sender.width != width:
        if sender is not None:
            sender.close()
        sender = _local.sender = Sender(width)
    return sender


def thread_client() -> Client:
    """The calling thread's own client, kept (with its connections) for its next POSTs."""
    client = getattr(_local, "client", None)
    if client is None:
        client = _local.client = Client()
    return client


def close_thread_client() -> None:
    """Close the calling thread's client and its connections, if it has one."""
    client = getattr(_local, "client", None)
    if client is not None:
        _local.client = None
        client.close()
