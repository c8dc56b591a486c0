"""Streamed, atomic, checked download of the rendered MP4.

The file takes its name only after the project's own probe has found a video stream in it
(and, when the caller knows how long the video should be, about that long): an HTML page, a
JSON message or a file cut short is a ``backend`` error and leaves nothing behind. A download
that stalls fails with a ``network`` error instead of hanging.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import stamina

from ..._errors import (
    AuthError,
    DiskFull,
    InputError,
    NetworkError,
    OutputError,
    OutputNotWritable,
)
from ...media.probe import probe
from . import _client, _retries
from ._client import NemoClient, ServiceError

log = logging.getLogger("game_music.nemo")
CHUNK = 1 << 16
#: How far the result's length may stray from the expected one: the service renders the
#: timeline again, so allow a little padding, never half a clip.
DURATION_TOLERANCE_S = 1.0
DURATION_TOLERANCE_SHARE = 0.05


class NotAVideo(ServiceError):
    """What was downloaded is not the video we asked for."""


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, ServiceError):
        return (exc.status or 0) >= 500
    return isinstance(exc, NetworkError)


def check_video(path: Path, expected_s: float | None) -> float:
    """Raise :class:`NotAVideo` unless ``path`` holds a whole video about ``expected_s`` long;
    return its duration."""
    try:
        info = probe(path)
    except InputError as exc:
        why = exc.message.split(": ", 1)[-1]
        raise NotAVideo(f"NemoVideo sent a file that is not a usable video ({why})") from None
    if expected_s:
        allowed = max(DURATION_TOLERANCE_S, DURATION_TOLERANCE_SHARE * expected_s)
        if abs(info.duration - expected_s) > allowed:
            raise NotAVideo(
                f"NemoVideo sent a video of {info.duration:.1f} s instead of about "
                f"{expected_s:.1f} s"
            )
    return info.duration


def download(
    client: NemoClient,
    url: str,
    dest: Path,
    *,
    render_id: str | None = None,
    progress: Callable[[float], None] = lambda f: None,
    expected_s: float | None = None,
) -> Path:
    """Fetch ``url`` into ``dest`` via a hidden temp file in the same folder, check it is a
    video (about ``expected_s`` long when given), then rename it, so ``dest`` is either a
    checked video or absent. Falls back to the API's own download route."""
    sources = [url]
    if render_id:
        sources.append(f"/api/render/proxy/{render_id}/download")
    tmp = dest.with_name(f".{dest.name}.part")
    try:
        for i, source in enumerate(sources):
            what = "NemoVideo download" + (" (API route)" if i else "")
            try:
                with _retries.retrying(what, client.attempts) as label:

                    def retry_on(exc: Exception, label: _retries.RetryLabel = label) -> bool:
                        label.failed(exc)
                        return _retryable(exc)

                    for attempt in stamina.retry_context(
                        on=retry_on, attempts=client.attempts, timeout=300.0,
                        wait_initial=1.0, wait_max=15.0,
                    ):
                        with attempt:
                            client._guarded(lambda s=source: _fetch(client, s, tmp, progress))
                check_video(tmp, expected_s)
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
            raise NotAVideo("NemoVideo sent a message instead of the video", status=200)
        try:
            total = max(0, int(response.headers.get("content-length") or 0))
        except ValueError:
            total = 0
        done = 0
        watch = _StallWatch()
        try:
            with tmp.open("wb") as fh:
                # Pieces as they arrive (not fixed-size chunks), so a trickle is seen in time.
                for chunk in response.iter_bytes():
                    fh.write(chunk)
                    done += len(chunk)
                    watch.got(len(chunk))
                    if total:
                        progress(min(1.0, done / total))
        except OSError as exc:
            raise _output_error(exc, tmp.parent) from None
    if total and done != total:
        raise NetworkError(f"the download stopped early ({done} of {total} bytes)")
    if done == 0:
        raise NotAVideo("NemoVideo sent an empty file", status=200)
    progress(1.0)


class _StallWatch:
    """Fails a download that trickles: fewer than STALL_MIN_BYTES in a DOWNLOAD_STALL_S window
    (silence longer than that is the read timeout's job)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.since, self.bytes = clock(), 0

    def got(self, n: int) -> None:
        self.bytes += n
        now = self.clock()
        if now - self.since < _client.DOWNLOAD_STALL_S:
            return
        if self.bytes < _client.STALL_MIN_BYTES:
            raise NetworkError(
                f"the download from NemoVideo stalled ({self.bytes} bytes in "
                f"{now - self.since:.0f} s)"
            )
        self.since, self.bytes = now, 0


def _output_error(exc: OSError, folder: Path) -> OutputError:
    if exc.errno == errno.ENOSPC:
        return DiskFull(f"{folder}: the disk is full")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OutputNotWritable(f"{folder}: permission denied")
    return OutputNotWritable(f"{folder}: cannot write ({exc.strerror})")

