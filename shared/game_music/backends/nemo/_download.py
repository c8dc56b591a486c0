"""Streamed, atomic download of the rendered MP4."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from collections.abc import Callable
from pathlib import Path

import stamina

from ..._errors import (
    AuthError,
    BackendError,
    DiskFull,
    NetworkError,
    OutputError,
    OutputNotWritable,
)
from ._client import NemoClient, ServiceError

log = logging.getLogger("game_music.nemo")
CHUNK = 1 << 16


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, ServiceError):
        return (exc.status or 0) >= 500
    return isinstance(exc, NetworkError)


def download(
    client: NemoClient,
    url: str,
    dest: Path,
    *,
    render_id: str | None = None,
    progress: Callable[[float], None] = lambda f: None,
) -> Path:
    """Fetch ``url`` into ``dest`` via a hidden temp file in the same folder, then rename it,
    so ``dest`` is either complete or absent. Falls back to the API's own download route."""
    sources = [url]
    if render_id:
        sources.append(f"/api/render/proxy/{render_id}/download")
    tmp = dest.with_name(f".{dest.name}.part")
    try:
        for i, source in enumerate(sources):
            try:
                for attempt in stamina.retry_context(
                    on=_retryable, attempts=client.attempts, timeout=300.0,
                    wait_initial=1.0, wait_max=15.0,
                ):
                    with attempt:
                        client._guarded(lambda s=source: _fetch(client, s, tmp, progress))
                break
            except (ServiceError, AuthError, NetworkError) as exc:
                if i + 1 == len(sources):
                    raise
                log.info("download from the result link failed (%s); trying the API", exc)
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return dest


def _fetch(client: NemoClient, url: str, tmp: Path, progress: Callable[[float], None]) -> None:
    with client.open_download(url) as response:
        kind = response.headers.get("content-type", "")
        if kind.startswith(("application/json", "text/")):
            raise ServiceError("NemoVideo sent a message instead of the video", status=200)
        total = int(response.headers.get("content-length") or 0)
        done = 0
        try:
            with tmp.open("wb") as fh:
                for chunk in response.iter_bytes(CHUNK):
                    fh.write(chunk)
                    done += len(chunk)
                    if total:
                        progress(min(1.0, done / total))
        except OSError as exc:
            raise _output_error(exc, tmp.parent) from None
    if total and done != total:
        raise NetworkError(f"the download stopped early ({done} of {total} bytes)")
    if done == 0:
        raise BackendError("NemoVideo sent an empty file")
    progress(1.0)


def _output_error(exc: OSError, folder: Path) -> OutputError:
    if exc.errno == errno.ENOSPC:
        return DiskFull(f"{folder}: the disk is full")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OutputNotWritable(f"{folder}: permission denied")
    return OutputNotWritable(f"{folder}: cannot write ({exc.strerror})")

