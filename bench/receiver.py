"""A fast local webhook receiver: verifies every Standard Webhooks signature and counts.

    python -m bench.receiver --port 8790 --secrets secrets.json

`secrets.json` maps the last path segment of each subscription URL (`/hook/<n>`) to its
`whsec_` secret. `GET /stats` answers counts and the wall-clock times of the first and last
verified delivery (`/stats?times=1`: of every one); `POST /reset` clears them. asyncio,
HTTP/1.1 keep-alive, one process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from standardwebhooks import Webhook


class Receiver:
    def __init__(self, secrets: dict[str, str]) -> None:
        self.hooks = {name: Webhook(secret) for name, secret in secrets.items()}
        self.reset()

    def reset(self) -> None:
        self.verified = 0
        self.rejected = 0
        self.message_ids: set[str] = set()
        self.duplicates = 0
        self.first: float | None = None
        self.last: float | None = None
        self.times: list[float] = []

    def stats(self, times: bool = False) -> dict:
        return {
            **({"times": self.times} if times else {}),
            "verified": self.verified,
            "rejected": self.rejected,
            "unique": len(self.message_ids),
            "duplicates": self.duplicates,
            "first": self.first,
            "last": self.last,
        }

    def handle_hook(self, name: str, headers: dict[str, str], body: bytes) -> int:
        hook = self.hooks.get(name)
        if hook is None:
            self.rejected += 1
            return 404
        try:
            hook.verify(body, headers)
        except Exception:
            self.rejected += 1
            return 401
        now = time.time()
        self.verified += 1
        message_id = headers.get("webhook-id", "")
        if message_id in self.message_ids:
            self.duplicates += 1
        self.message_ids.add(message_id)
        if self.first is None:
            self.first = now
        self.last = now
        self.times.append(now)
        return 200

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        key, _, value = line.partition(":")
                        headers[key.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or 0)
                body = await reader.readexactly(length) if length else b""
                payload = b""
                if path.startswith("/hook/") and method == "POST":
                    status = self.handle_hook(path[len("/hook/") :], headers, body)
                elif path.startswith("/stats"):
                    stats = self.stats(times=path.endswith("?times=1"))
                    status, payload = 200, json.dumps(stats).encode()
                elif path == "/reset" and method == "POST":
                    self.reset()
                    status = 200
                else:
                    status = 404
                close = headers.get("connection", "").lower() == "close"
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Length: {len(payload)}\r\n"
                    f"Content-Type: application/json\r\n"
                    f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def main_async(port: int, secrets: dict[str, str]) -> None:
    receiver = Receiver(secrets)
    server = await asyncio.start_server(receiver.serve, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--secrets", required=True)
    args = parser.parse_args()
    with open(args.secrets) as fh:
        secrets = json.load(fh)
    asyncio.run(main_async(args.port, secrets))


if __name__ == "__main__":
    main()
