"""Talk to a running ``game-music serve``: standard library only, no package imports.

A client sends one request (the CLI arguments of an ``add``, its folder and the
``GAME_MUSIC_*``/``NEMO_*`` environment) and reads the job's stdout and stderr lines back, then
its exit code: exactly what a spawned ``game-music`` would have printed (Contract 2), only
without the start-up. When no server runs (or it declines the request) :func:`run` returns
None and the caller spawns the CLI as before.

The transport is :mod:`multiprocessing.connection`: a Unix socket (0600, in a 0700 per-user
folder) or a named pipe on Windows, both with an HMAC challenge on a per-user secret file, and
only ``send_bytes``/``recv_bytes`` of JSON (never pickle). The OBS and Resolve shims carry a
copy of :func:`address` and :func:`run` (they cannot import this package); keep them in step.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Client, Connection

PROTOCOL = 1
ENV_RUNTIME_DIR = "GAME_MUSIC_RUNTIME_DIR"
#: Environment a job sees from its client rather than from the server.
ENV_PREFIXES = ("GAME_MUSIC_", "NEMO_")

Line = Callable[[str], None]


def runtime_dir() -> str:
    """The per-user folder for the socket and the secret (not created here)."""
    override = os.environ.get(ENV_RUNTIME_DIR)
    if override:
        return override
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~")
        return os.path.join(base, "game-music", "run")
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and os.path.isdir(xdg):
        return os.path.join(xdg, "game-music")
    return os.path.join(tempfile.gettempdir(), f"game-music-{os.getuid()}")


def address() -> tuple[str, str, str]:
    """``(address, family, secret file)`` of this user's server."""
    folder = runtime_dir()
    if sys.platform == "win32":
        user = os.environ.get("USERNAME") or "user"
        tag = "".join(c if c.isalnum() else "_" for c in folder.lower())[-40:]
        return rf"\\.\pipe\game-music-{user}-{tag}", "AF_PIPE", os.path.join(folder, "serve.key")
    return os.path.join(folder, "serve.sock"), "AF_UNIX", os.path.join(folder, "serve.key")


def connect(timeout: float = 2.0) -> Connection | None:
    """A connection to the running server, or None when there is none (or it is not ours)."""
    addr, family, key_file = address()
    if family == "AF_UNIX" and not os.path.exists(addr):
        return None  # the common case: nothing running, answer at once
    try:
        with open(key_file, "rb") as fh:
            key = fh.read().strip()
        result: list[Connection] = []

        def dial() -> None:
            try:
                result.append(Client(addr, family, authkey=key))
            except Exception:  # noqa: BLE001, S110 - refused, stale, not ours: no server
                pass

        # The handshake blocks until the server accepts; a hung server must not hang a host.
        t = threading.Thread(target=dial, daemon=True)
        t.start()
        t.join(timeout)
        return result[0] if result else None
    except Exception:  # noqa: BLE001 - unreadable secret, refused, stale socket: spawn
        return None


def run(argv: Sequence[str], *, on_stdout: Line, on_stderr: Line,
        cancel: threading.Event | None = None, cwd: str | None = None) -> int | None:
    """Run ``game-music ARGV`` in the server; the exit code, or None to fall back to spawning.

    ``on_stdout`` gets each line the CLI would print on stdout (the JSON events with ``--json``),
    ``on_stderr`` each stderr line. Setting ``cancel`` stops the job like SIGTERM would.
    """
    conn = connect()
    if conn is None:
        return None
    with conn:
        try:
            env = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIXES)}
            conn.send_bytes(json.dumps({"v": PROTOCOL, "argv": list(argv),
                                        "cwd": cwd or os.getcwd(), "env": env}).encode())
            reply = json.loads(conn.recv_bytes())
            if not reply.get("accepted"):
                return None
            cancelled = False
            while True:
                if cancel is not None and cancel.is_set() and not cancelled:
                    conn.send_bytes(b'{"cancel": true}')
                    cancelled = True
                if not conn.poll(0.1):
                    continue
                msg = json.loads(conn.recv_bytes())
                if "out" in msg:
                    on_stdout(msg["out"])
                elif "err" in msg:
                    on_stderr(msg["err"])
                elif "exit" in msg:
                    return int(msg["exit"])
        except (OSError, EOFError, ValueError):
            # The server went away mid-job: the job is lost with it; say so like a crash would.
            on_stderr("game-music: the warm engine (game-music serve) went away")
            return 1


def run_cli(argv: Sequence[str]) -> int | None:
    """The CLI's delegation: print what the job prints; Ctrl-C/SIGTERM cancel it there."""
    import signal

    cancel = threading.Event()

    def stop(signum: int, frame: object) -> None:
        cancel.set()

    old = signal.signal(signal.SIGINT, stop)
    old_term = signal.signal(signal.SIGTERM, stop) if hasattr(signal, "SIGTERM") else None
    try:
        return run(argv, cancel=cancel,
                   on_stdout=lambda s: (sys.stdout.write(s + "\n"), sys.stdout.flush()),
                   on_stderr=lambda s: (sys.stderr.write(s + "\n"), sys.stderr.flush()))
    finally:
        signal.signal(signal.SIGINT, old)
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)
