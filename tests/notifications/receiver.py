"""A real HTTP server on loopback that plays a partner's webhook endpoint."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    """Answers POSTs with scripted status codes; records every request it got."""

    requests: list[Received] = field(default_factory=list)
    # Status codes to answer per path, in order; when used up, `default_status`.
    script: dict[str, list[int]] = field(default_factory=dict)
    default_status: int = 200
    delay: float = 0.0
    extra_headers: dict[str, str] = field(default_factory=dict)
    port: int = 0
    # HTTP/1.1 keep-alive (the default answers HTTP/1.0 and closes every connection).
    keep_alive: bool = False
    connections: int = 0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def answer(self, received: Received) -> int:
        with self.lock:
            self.requests.append(received)
            planned = self.script.get(received.path)
            return planned.pop(0) if planned else self.default_status

    def ids(self) -> Counter:
        with self.lock:
            return Counter(r.headers["webhook-id"] for r in self.requests)

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver got {len(self.requests)} requests, not {count}")
            time.sleep(0.05)


def handler_for(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if receiver.keep_alive else "HTTP/1.0"

        def setup(self):
            super().setup()
            with receiver.lock:
                receiver.connections += 1

        def do_POST(self):
            length = int(self.headers.get("content-length", 0))
            body = self.rfile.read(length).decode()
            status = receiver.answer(
                Received(
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
            )
            if receiver.delay:
                time.sleep(receiver.delay)
            self.send_response(status)
            for name, value in receiver.extra_headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "2")
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    return Handler


def serve(receiver: Receiver, server: ThreadingHTTPServer | None = None) -> ThreadingHTTPServer:
    """Start answering for `receiver` in a daemon thread; returns the server to shut down."""
    server = server or ThreadingHTTPServer(("127.0.0.1", 0), handler_for(receiver))
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
