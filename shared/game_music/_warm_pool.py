"""Warm processes for engine jobs: one job each, start-up already paid.

Used by ``game-music serve`` and by the OBS companion. On Linux each job process is forked from
a forkserver that ran one tiny real job at start (every lazy import, the instrument bank and
the ffmpeg probe done; the forkserver is single-threaded, so forking it is safe). Elsewhere
(macOS frameworks are not fork-safe, Windows has no fork) a spare spawned worker warms itself
in the background and takes the next job; the one after waits for its own spare, never longer
than a cold start. A job that crashes or is killed ends as an ``internal`` error event; the
process that asked carries on. Hosts of a pool must guard their main script with
``if __name__ == "__main__"`` (multiprocessing imports it again).

A job gets the same argv as the CLI and sends back each stdout/stderr line and its exit code.
The CLI's ``main`` is handed in by whoever starts a pool (the CLI itself, for ``serve`` and
``obs watch``); this module never imports the CLI, and a forkserver finds the entry by the
module and name it was given.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from . import serve_client

log = logging.getLogger("game_music")

ENV_WARM = "GAME_MUSIC_SERVE_WARM"
ENV_NO_SERVE = "GAME_MUSIC_NO_SERVE"
FORKSERVER = sys.platform.startswith("linux")
#: After a cancel, how long a job may take to clean up before it is killed.
CANCEL_GRACE_S = 10.0

Line = Callable[[str], None]
#: The CLI's entry point: argv in, exit code out (``game_music.cli.main``).
Main = Callable[[list[str]], int]

_warmed = False


def entry_name(main: Main) -> str:
    """``module:name`` of ``main``, for a process that must import it by itself."""
    name = f"{main.__module__}:{main.__qualname__}"
    if entry(name) is not main:
        raise ValueError(f"{main!r} is not a module-level function")
    return name


def entry(name: str) -> Main:
    """The function ``module:name`` names (see :func:`entry_name`)."""
    module, _, attr = name.partition(":")
    found: Main = getattr(importlib.import_module(module), attr)
    return found


def warm(main: Main) -> None:
    """Run one tiny real job here, so every lazy import, bank and ffmpeg probe is done."""
    global _warmed
    if _warmed:
        return
    _warmed = True
    try:
        import tempfile

        from .demo import make_sample_clip

        with tempfile.TemporaryDirectory(prefix="game-music-warm-") as tmp:
            clip = Path(tmp, "warm.mkv")
            make_sample_clip(clip, seconds=2.0, width=320, height=180, fps=30, voice_track=True)
            with contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()):
                # --no-serve: a server warming up would otherwise wait on its own socket,
                # then hold a connection it never uses (the server counts it as a client).
                main(["add", str(clip), "-o", str(Path(tmp, "out.mp4")), "--json",
                      "--no-serve", "--prompt=retro chiptune"])
    except BaseException as exc:  # noqa: BLE001 - a failed warm-up only costs speed
        log.debug("warm-up failed: %s", exc)
    finally:
        # The jobs configure logging and signals themselves, on their own streams.
        logging.root.handlers.clear()
        if hasattr(signal, "SIGTERM"):
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


class _Lines(io.TextIOBase):
    """A text stream that sends each line to the server as ``{kind: line}``."""

    def __init__(self, conn: Connection, kind: str, lock: threading.Lock) -> None:
        self._conn, self._kind, self._lock, self._buf = conn, kind, lock, ""

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self._buf += s
        while "\n" in self._buf:
            line, self._buf = self._buf.split("\n", 1)
            self._send(line)
        return len(s)

    def flush(self) -> None:
        pass  # lines go out whole; a partial line waits for its end (or close)

    def close_line(self) -> None:
        if self._buf:
            self._send(self._buf)
            self._buf = ""

    def _send(self, line: str) -> None:
        with self._lock:
            self._conn.send_bytes(json.dumps({self._kind: line}).encode())


def _listen_for_cancel(conn: Connection) -> None:
    try:
        while True:
            if json.loads(conn.recv_bytes()).get("cancel"):
                break
    except (OSError, EOFError, ValueError):
        return  # the server is gone: nothing to say to anyone; carry on or be killed
    if hasattr(signal, "SIGTERM") and sys.platform != "win32":
        os.kill(os.getpid(), signal.SIGTERM)  # the CLI unwinds and cleans up, exit 130
    else:
        import _thread

        _thread.interrupt_main()


def _worker_main(conn: Connection, main: Main) -> None:
    """One job in a warm process: request in, stdout/stderr lines and the exit code out."""
    warm(main)
    try:
        request = json.loads(conn.recv_bytes())
    except (OSError, EOFError, ValueError):
        return  # a spare nobody needed
    for key in [k for k in os.environ if k.startswith(serve_client.ENV_PREFIXES)]:
        del os.environ[key]
    os.environ.update(request.get("env") or {})
    os.environ.pop(ENV_WARM, None)
    os.environ[ENV_NO_SERVE] = "1"  # the job must not hand itself back to a server
    os.chdir(request["cwd"])
    lock = threading.Lock()
    out, err = _Lines(conn, "out", lock), _Lines(conn, "err", lock)
    sys.stdout, sys.stderr = out, err  # type: ignore[assignment]
    threading.Thread(target=_listen_for_cancel, args=(conn,), daemon=True).start()
    code = 1
    try:
        code = main(request["argv"])
    except SystemExit as exc:  # argparse
        code = exc.code if isinstance(exc.code, int) else 2
    finally:
        out.close_line()
        err.close_line()
        with lock:
            conn.send_bytes(json.dumps({"exit": code}).encode())


class WarmPool:
    """Processes that run one job each, started warm (see the module's notes); each job is
    ``main(argv)``, the CLI's entry point."""

    def __init__(self, main: Main) -> None:
        self._main = main
        self._entry = entry_name(main)
        if FORKSERVER:
            self._ctx: Any = get_context("forkserver")
            self._ctx.set_forkserver_preload([__name__])
        else:
            self._ctx = get_context("spawn")
        self._lock = threading.Lock()
        self._spare: tuple[Any, Connection] | None = None

    def start(self) -> None:
        """Warm up now (blocks on Linux until the forkserver is warm)."""
        with self._lock:
            if self._spare is None:
                # Only the forkserver (started by this first process) may see the flag: a CLI
                # spawned later from here must not warm up for nothing.
                os.environ[ENV_WARM] = self._entry
                try:
                    self._spare = self._new()
                finally:
                    del os.environ[ENV_WARM]

    def _new(self) -> tuple[Any, Connection]:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_worker_main, args=(child, self._main),
                                 name="game-music job")
        proc.start()
        child.close()
        return proc, parent

    def _take(self) -> tuple[Any, Connection]:
        with self._lock:
            spare = self._spare if self._spare and self._spare[0].is_alive() else None
            self._spare = self._new()
            return spare or self._new()

    def close(self) -> None:
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            spare[1].close()
            spare[0].join(2)
            if spare[0].is_alive():
                spare[0].kill()

    def run(self, argv: Sequence[str], *, on_stdout: Line, on_stderr: Line,
            cancel: threading.Event | None = None, cwd: str | None = None,
            env: dict[str, str] | None = None, input_path: str = "",
            started: Callable[[int], None] | None = None) -> int:
        """Run ``game-music ARGV`` in a warm process; its exit code. A crash becomes an error
        event (Contract 2) so the host learns why, not only that."""
        proc, conn = self._take()
        if started is not None:
            started(proc.pid)
        if env is None:
            env = {k: v for k, v in os.environ.items() if k.startswith(serve_client.ENV_PREFIXES)}
        code: int | None = None
        cancelled_at: float | None = None
        try:
            conn.send_bytes(json.dumps({"argv": list(argv), "cwd": cwd or os.getcwd(),
                                        "env": env}).encode())
            while True:
                if cancel is not None and cancel.is_set() and cancelled_at is None:
                    cancelled_at = time.monotonic()
                    with contextlib.suppress(OSError):
                        conn.send_bytes(b'{"cancel": true}')
                if cancelled_at is not None and time.monotonic() - cancelled_at > CANCEL_GRACE_S:
                    proc.kill()
                if not conn.poll(0.1):
                    if not proc.is_alive() and not conn.poll(0):
                        break
                    continue
                msg = json.loads(conn.recv_bytes())
                if "out" in msg:
                    on_stdout(msg["out"])
                elif "err" in msg:
                    on_stderr(msg["err"])
                elif "exit" in msg:
                    code = int(msg["exit"])
                    break
        except (OSError, EOFError, ValueError):
            pass
        finally:
            conn.close()
            proc.join(CANCEL_GRACE_S)
            if proc.is_alive():
                proc.kill()
                proc.join(2)
        if code is None:
            was_cancelled = cancel is not None and cancel.is_set()
            word, code = ("cancelled", 130) if was_cancelled else ("internal", 1)
            text = ("stopped" if was_cancelled else
                    f"the engine process ended unexpectedly (exit {proc.exitcode})")
            on_stdout(json.dumps({"event": "error", "input": input_path, "code": word,
                                  "message": text}, ensure_ascii=False))
        return code


if os.environ.get(ENV_WARM):
    # Imported as the forkserver's preload: warm up once, before the first fork, with the
    # entry point the pool was given.
    warm(entry(os.environ[ENV_WARM]))
