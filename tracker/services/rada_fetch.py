"""Downloading the Rada's dump (libcurl through pycurl) and running the sync on it.

The request is a conditional GET as the open data portal expects: `User-Agent: OpenData`,
`If-None-Match` with the ETag the server gave last time (and `If-Modified-Since`), so an
unchanged dump answers 304 and nothing is read. The whole download (name lookup, connecting,
TLS, every byte) has one deadline, `RADA_DOWNLOAD_TIMEOUT_SECONDS`, and the body is cut past
`RADA_MAX_DUMP_BYTES`. The dump is written to a temporary file (the sync reads it twice when
it creates related bills) and removed afterwards.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from dataclasses import dataclass
from typing import IO

import pycurl
from django.conf import settings
from django.utils import timezone

from tracker.models import RadaSource, SyncRun

from .rada_dump import DumpError
from .rada_sync import Progress, Report, finish_run, sync_file

USER_AGENT = "OpenData"
MAX_REDIRECTS = 3


class DownloadError(DumpError):
    """The dump could not be fetched: the server, the network, the time or size limit."""


@dataclass(frozen=True)
class Fetched:
    not_modified: bool
    etag: str = ""
    last_modified: str = ""
    size: int = 0


def fetch(
    url: str,
    into: IO[bytes],
    *,
    etag: str = "",
    last_modified: str = "",
    timeout: float | None = None,
    max_bytes: int | None = None,
) -> Fetched:
    """GET `url` into `into`, conditionally; raises `DownloadError` for anything but 200/304."""
    timeout = timeout if timeout is not None else settings.RADA_DOWNLOAD_TIMEOUT_SECONDS
    max_bytes = max_bytes if max_bytes is not None else settings.RADA_MAX_DUMP_BYTES
    headers: dict[str, str] = {}
    received = {"bytes": 0, "cut": False}

    def header(line: bytes) -> None:
        text = line.decode("latin-1")
        if text.startswith("HTTP/"):
            headers.clear()  # a redirect's or an interim answer's headers are not the dump's
            return
        name, colon, value = text.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()

    def body(data: bytes) -> int | None:
        received["bytes"] += len(data)
        if received["bytes"] > max_bytes:
            received["cut"] = True
            return 0  # stops the transfer
        into.write(data)
        return None

    lines = ["Accept: application/json"]
    if etag:
        lines.append(f"If-None-Match: {etag}")
    if last_modified:
        lines.append(f"If-Modified-Since: {last_modified}")
    curl = pycurl.Curl()
    try:
        curl.setopt(pycurl.NOSIGNAL, 1)
        curl.setopt(pycurl.URL, url)
        curl.setopt(pycurl.USERAGENT, USER_AGENT)
        curl.setopt(pycurl.HTTPHEADER, lines)
        curl.setopt(pycurl.PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS)
        curl.setopt(pycurl.REDIR_PROTOCOLS, pycurl.PROTO_HTTPS)
        curl.setopt(pycurl.FOLLOWLOCATION, 1)
        curl.setopt(pycurl.MAXREDIRS, MAX_REDIRECTS)
        curl.setopt(pycurl.ENCODING, "")  # gzip if the server offers it; counted decoded
        curl.setopt(pycurl.TIMEOUT_MS, max(1, int(timeout * 1000)))
        curl.setopt(pycurl.CONNECTTIMEOUT_MS, max(1, int(min(timeout, 30) * 1000)))
        curl.setopt(pycurl.MAXFILESIZE_LARGE, max_bytes)
        curl.setopt(pycurl.SSL_VERIFYPEER, 1)
        curl.setopt(pycurl.SSL_VERIFYHOST, 2)
        paths = ssl.get_default_verify_paths()
        curl.setopt(pycurl.CAINFO, paths.cafile or "")
        curl.setopt(pycurl.CAPATH, paths.capath or "")
        curl.setopt(pycurl.HEADERFUNCTION, header)
        curl.setopt(pycurl.WRITEFUNCTION, body)
        try:
            curl.perform()
        except pycurl.error as exc:
            code = exc.args[0]
            message = str(exc.args[1]) if len(exc.args) > 1 else ""
            if received["cut"] or code == pycurl.E_FILESIZE_EXCEEDED:
                raise DownloadError(
                    f"The dump is larger than the {max_bytes} bytes allowed "
                    "(RADA_MAX_DUMP_BYTES); nothing was read."
                ) from None
            if code == pycurl.E_OPERATION_TIMEDOUT:
                raise DownloadError(
                    f"The download took longer than {timeout:g} s "
                    "(RADA_DOWNLOAD_TIMEOUT_SECONDS); nothing was read."
                ) from None
            raise DownloadError(f"The download failed: {message or f'curl error {code}'}") from None
        status = curl.getinfo(pycurl.RESPONSE_CODE)
    finally:
        curl.close()
    if status == 304:
        return Fetched(True, etag=headers.get("etag", etag), last_modified=last_modified)
    if status != 200:
        raise DownloadError(f"The server answered {status} for {url}; nothing was read.")
    return Fetched(
        False,
        etag=headers.get("etag", ""),
        last_modified=headers.get("last-modified", ""),
        size=received["bytes"],
    )


def sync_url(
    url: str | None = None,
    *,
    dry_run: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> SyncRun | Report:
    """Fetch the dump at `url` (the setting by default) unless unchanged, and sync it.

    Returns the run (its outcome `not_modified` after a 304), or the report of a dry run.
    `force` asks without the stored ETag."""
    url = url or settings.RADA_SYNC_URL
    source, _created = RadaSource.objects.get_or_create(url=url)
    handle, path = tempfile.mkstemp(prefix="rada-", suffix=".json")
    try:
        with os.fdopen(handle, "wb") as into:
            try:
                fetched = fetch(
                    url,
                    into,
                    etag="" if force else source.etag,
                    last_modified="" if force else source.last_modified,
                )
            except DownloadError as exc:
                if not dry_run:
                    run = SyncRun.objects.create(source=url[:500])
                    finish_run(run, Report(), SyncRun.Outcome.FAILED, error=str(exc))
                raise
        now = timezone.now()
        if fetched.not_modified:
            if dry_run:
                return Report()
            RadaSource.objects.filter(pk=source.pk).update(checked_at=now)
            run = SyncRun.objects.create(source=url[:500])
            finish_run(run, Report(), SyncRun.Outcome.NOT_MODIFIED)
            return run
        result = sync_file(path, dry_run=dry_run, progress=progress, source=url)
        if not dry_run:
            # Only a dump read to its end is remembered: after a failure, the next run reads
            # it again.
            RadaSource.objects.filter(pk=source.pk).update(
                etag=fetched.etag[:300],
                last_modified=fetched.last_modified[:100],
                checked_at=now,
                changed_at=now,
            )
        return result
    finally:
        os.unlink(path)
