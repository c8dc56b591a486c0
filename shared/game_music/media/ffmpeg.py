"""The one ffmpeg runner. ``GAME_MUSIC_FFMPEG`` overrides the binary.

By default the static ffmpeg shipped in the ``imageio-ffmpeg`` wheel is used, so users need no
system ffmpeg.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import IO

from .._errors import (
    Cancelled,
    DiskFull,
    GameMusicError,
    InputNotFound,
    InternalError,
    OutputNotWritable,
)

ENV_VAR = "GAME_MUSIC_FFMPEG"


@lru_cache(maxsize=4)
def _resolve(env_value: str | None) -> str:
    if env_value:
        found = shutil.which(env_value) or (env_value if Path(env_value).is_file() else None)
        if not found:
            raise InternalError(f"{ENV_VAR}={env_value} is not an ffmpeg binary")
        return found
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:  # noqa: BLE001 - fall back to PATH below
        found = shutil.which("ffmpeg")
        if not found:
            raise InternalError(
                "no ffmpeg found: reinstall game-music or set GAME_MUSIC_FFMPEG"
            ) from None
        return found


def ffmpeg_exe() -> str:
    return _resolve(os.environ.get(ENV_VAR))


def error_from_stderr(stderr: str, what: str, returncode: int | None = None) -> GameMusicError:
    low = stderr.lower()
    tail = " ".join(stderr.strip().splitlines()[-1:]) if stderr.strip() else "no output"
    if "no space left on device" in low:
        return DiskFull(f"{what}: the disk is full")
    if "permission denied" in low or "read-only file system" in low:
        return OutputNotWritable(f"{what}: permission denied")
    if returncode is not None and returncode < 0:
        return InternalError(f"{what} failed: ffmpeg was stopped (signal {-returncode})")
    gone = _missing_file(stderr)
    if gone is not None:
        return gone
    return InternalError(f"{what} failed: {tail[:300]}")


def _missing_file(stderr: str) -> GameMusicError | None:
    """A file that vanished while we worked: the input (deleted or moved), or an output or
    work file whose folder was removed (work folders are hidden ones in the output folder)."""
    if "no such file or directory" not in stderr.lower():
        return None
    m = re.search(r"^Error opening (input|output) file (.+)\.$", stderr, re.MULTILINE)
    if m is None:
        return None
    path = Path(m[2])
    if m[1] == "output" or not path.parent.is_dir() and path.parent.name.startswith("."):
        return OutputNotWritable(f"{path.parent}: the output folder no longer exists")
    return InputNotFound(f"{path.name}: file not found (deleted or moved while working?)")


def run_ffmpeg(
    args: Sequence[str],
    *,
    what: str = "ffmpeg",
    duration: float | None = None,
    progress: Callable[[float], None] | None = None,
) -> str:
    """Run ffmpeg with ``args`` (without the binary), return its stderr.

    With ``duration`` and ``progress`` the fraction done is reported from ffmpeg's
    ``-progress`` output. Raises a :class:`GameMusicError` on failure; Ctrl-C stops ffmpeg.
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y"]
    if progress and duration:
        cmd += ["-progress", "pipe:1", "-nostats"]
    cmd += list(args)
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        errors="replace",
    )
    stderr_chunks: list[str] = []
    try:
        # Drain stderr on a thread so a chatty ffmpeg never blocks on a full pipe.
        t = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read()), daemon=True)  # type: ignore[union-attr]
        t.start()
        assert proc.stdout is not None
        for line in proc.stdout:
            if progress and duration and line.startswith("out_time_us="):
                with contextlib.suppress(ValueError):
                    progress(min(1.0, int(line.split("=", 1)[1]) / 1e6 / duration))
        proc.wait()
        t.join()
    except KeyboardInterrupt:
        _stop(proc)
        raise Cancelled("interrupted") from None
    except BaseException:
        _stop(proc)
        raise
    stderr = "".join(stderr_chunks)
    if proc.returncode != 0:
        raise error_from_stderr(stderr, what, proc.returncode)
    if progress and duration:
        progress(1.0)
    return stderr


def drain(pipe: IO[bytes] | None, sink: list[bytes]) -> threading.Thread:
    """Read ``pipe`` to the end into ``sink`` on a thread, so a chatty ffmpeg (a damaged file
    can print an error per packet) never blocks on a full stderr pipe."""

    def run() -> None:
        if pipe is not None:
            sink.append(pipe.read())

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _stop(proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
    """Stop an ffmpeg whose work is being thrown away: killed at once. Asked politely it
    would finish its output first (an MP4's +faststart rewrites the whole file), or wait
    forever on a pipe nobody reads any more."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def start_ffmpeg(
    args: Sequence[str], *, stdin: bool | IO[bytes] = False, stdout: bool = True,
    loglevel: str = "error",
) -> subprocess.Popen:  # type: ignore[type-arg]
    """Start ffmpeg with pipes; the caller owns the process (see :func:`open_ffmpeg` for one
    stopped at the end of a block)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", loglevel, "-y"]
    if stdin is False:
        cmd.append("-nostdin")
    return subprocess.Popen(
        [*cmd, *args],
        stdin=subprocess.PIPE if stdin is True else stdin or subprocess.DEVNULL,
        stdout=subprocess.PIPE if stdout else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@contextlib.contextmanager
def open_ffmpeg(
    args: Sequence[str], *, stdin: bool | IO[bytes] = False, stdout: bool = True,
    loglevel: str = "error",
) -> Iterator[subprocess.Popen]:  # type: ignore[type-arg]
    """Start ffmpeg for streaming raw data through pipes; it is stopped when the block exits.

    ``stdin`` is True for a pipe we write to, or another process's output to read from.
    """
    proc = start_ffmpeg(args, stdin=stdin, stdout=stdout, loglevel=loglevel)
    try:
        yield proc
    finally:
        _stop(proc)
