"""``game-music serve``: a warm engine for the hosts, on a local socket only.

Start-up is most of a short job: the interpreter, numpy/scipy, the stages' lazy imports, the
instrument banks, ffmpeg found and probed. A server pays it once and then runs each job in a
process that is already warm (:mod:`game_music._warm_pool`), so the OBS script, the Resolve
entry and ``add --json`` (which try it first, see :mod:`game_music.serve_client`) get the same
events sooner.

- Each job runs in its own process, so a job that crashes (or is killed) never takes the server
  down: the clients get an ``internal`` error event.
- One job per output path: a second client asking for the same output joins the running job
  (it gets the events from the start) instead of racing it for the file.
- Cancellation: a client's ``cancel`` (or its connection dropping) stops the job the way
  SIGTERM stops the CLI, once no other client still waits for it.
- It listens on a Unix socket (0600 in a 0700 per-user folder) or a named pipe on Windows, with
  an HMAC challenge on a per-user secret; never on a network interface. It exits after
  ``--idle-timeout`` seconds (config ``[serve] idle_timeout``) with no job and no client.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import logging
import os
import secrets
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, Listener
from pathlib import Path
from typing import Any

from . import serve_client
from ._warm_pool import CANCEL_GRACE_S, Main, WarmPool

__all__ = ["Server", "WarmPool", "cmd_serve", "job_key", "register"]

#: The CLI's ``build_parser``: the server reads a job's argv exactly as the CLI would.
Parser = Callable[[], argparse.ArgumentParser]

log = logging.getLogger("game_music")


# -- the server -------------------------------------------------------------------------------


@dataclass
class _Job:
    key: str
    input: str
    lines: list[dict[str, str]] = field(default_factory=list)
    exit: int | None = None
    clients: int = 0
    pid: int | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def add(self, kind: str, line: str) -> None:
        with self.cond:
            self.lines.append({kind: line})
            self.cond.notify_all()

    def finish(self, code: int) -> None:
        with self.cond:
            self.exit = code
            self.cond.notify_all()


def job_key(argv: Sequence[str], cwd: str, build_parser: Parser) -> tuple[str, str] | str:
    """``(input, output key)`` of a job the server runs, or why it leaves it to the CLI."""
    from .jobs import resolve_output

    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            args = build_parser().parse_args(list(argv))
    except SystemExit:
        return "arguments the CLI should explain itself"
    if args.command != "add" or not args.json:
        return "only `add --json` runs here"
    if len(args.inputs) != 1 or args.since or args.newer_than:
        return "batches run in the CLI"
    inp = Path(cwd, args.inputs[0]).expanduser()
    if not inp.is_file():
        return "not a file (the CLI says why)"
    out_arg = os.path.join(cwd, os.path.expanduser(args.output)) if args.output else None
    out = resolve_output(inp, out_arg, preview=args.preview)
    return str(inp), os.path.normcase(os.path.abspath(out))


class Server:
    """Accept clients on the per-user socket and run their jobs warm: ``main`` and
    ``build_parser`` are the CLI's (handed in, so this module never imports the CLI)."""

    def __init__(self, main: Main, build_parser: Parser, *, idle_timeout: float = 900.0,
                 pool: WarmPool | None = None) -> None:
        self.idle_timeout = idle_timeout
        self.build_parser = build_parser
        self.pool = pool or WarmPool(main)
        self.jobs: dict[str, _Job] = {}
        self.served = 0  # jobs started (a client that joins a running job starts none)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._clients = 0
        self._last_busy = time.monotonic()
        self._listener: Listener | None = None
        self.address, self.family, self.key_file = serve_client.address()
        self._key = b""

    # -- setup ----------------------------------------------------------------------------

    def bind(self) -> None:
        """Make the private folder and secret, take the socket (a stale one is replaced)."""
        from ._errors import UsageError

        folder = Path(self.key_file).parent
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if os.name == "posix":
            st = folder.stat()
            if st.st_uid != os.getuid():
                raise UsageError(f"{folder} belongs to someone else; not serving from it")
            if stat.S_IMODE(st.st_mode) & 0o077:
                folder.chmod(0o700)
        if serve_client.connect() is not None:
            raise UsageError("game-music serve is already running for this user")
        self._key = secrets.token_hex(32).encode()
        fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            if os.name == "posix":
                os.fchmod(fh.fileno(), 0o600)
            fh.write(self._key)
        if self.family == "AF_UNIX":
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.address)
            old = os.umask(0o177)  # the socket is 0600 from its first moment
            try:
                self._listener = Listener(self.address, self.family, authkey=self._key)
            finally:
                os.umask(old)
            os.chmod(self.address, 0o600)
        else:
            self._listener = Listener(self.address, self.family, authkey=self._key)

    # -- running --------------------------------------------------------------------------

    def serve_forever(self) -> None:
        assert self._listener is not None, "bind() first"
        self._last_busy = time.monotonic()  # idle from now, not from before the warm-up
        threading.Thread(target=self._watch_idle, name="game-music idle", daemon=True).start()
        try:
            while not self._stopping.is_set():
                try:
                    conn = self._listener.accept()
                except (OSError, EOFError, ValueError) as exc:  # a client that failed the HMAC
                    log.debug("refused a connection: %s", exc)
                    continue
                except Exception as exc:  # noqa: BLE001 - AuthenticationError and kin
                    log.debug("refused a connection: %s", exc)
                    continue
                if self._stopping.is_set():
                    conn.close()
                    break
                with self._lock:
                    self._clients += 1
                threading.Thread(target=self._client, args=(conn,), daemon=True,
                                 name="game-music client").start()
        finally:
            self.close()

    def stop(self) -> None:
        """Stop accepting (running jobs are cancelled); safe from any thread."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        for job in list(self.jobs.values()):
            job.cancel.set()
        with contextlib.suppress(Exception):  # wake the accept() above
            serve_client.Client(self.address, self.family, authkey=self._key).close()

    def close(self) -> None:
        self._stopping.set()
        deadline = time.monotonic() + CANCEL_GRACE_S + 2
        for job in list(self.jobs.values()):
            job.cancel.set()
            with job.cond:
                job.cond.wait_for(lambda j=job: j.exit is not None,  # type: ignore[misc]
                                  timeout=max(0.0, deadline - time.monotonic()))
        if self._listener is not None:
            self._listener.close()  # removes the socket file
            self._listener = None
        self.pool.close()

    def _busy(self) -> bool:
        with self._lock:
            running = any(j.exit is None for j in self.jobs.values())
            if running or self._clients:
                self._last_busy = time.monotonic()
                return True
            return False

    def _watch_idle(self) -> None:
        tick = max(0.05, min(1.0, self.idle_timeout / 4))
        while not self._stopping.wait(tick):
            if not self._busy() and time.monotonic() - self._last_busy >= self.idle_timeout:
                log.info("idle for %.0f s: exiting", self.idle_timeout)
                self.stop()

    # -- one client -----------------------------------------------------------------------

    def _client(self, conn: Connection) -> None:
        try:
            with conn:
                self._talk(conn)
        except (OSError, EOFError, ValueError) as exc:
            log.debug("client went away: %s", exc)
        finally:
            with self._lock:
                self._clients -= 1
                self._last_busy = time.monotonic()

    def _talk(self, conn: Connection) -> None:
        if not conn.poll(10):
            return
        request = json.loads(conn.recv_bytes())
        argv, cwd = request.get("argv"), request.get("cwd")
        if (request.get("v") != serve_client.PROTOCOL or not isinstance(argv, list)
                or not all(isinstance(a, str) for a in argv) or not isinstance(cwd, str)):
            conn.send_bytes(json.dumps({"accepted": False, "reason": "protocol"}).encode())
            return
        found = job_key(argv, cwd, self.build_parser)
        if isinstance(found, str) or self._stopping.is_set():
            reason = found if isinstance(found, str) else "stopping"
            conn.send_bytes(json.dumps({"accepted": False, "reason": reason}).encode())
            return
        inp, key = found
        env = {k: str(v) for k, v in (request.get("env") or {}).items()
               if str(k).startswith(serve_client.ENV_PREFIXES)}
        with self._lock:
            job = self.jobs.get(key)
            joined = job is not None and job.exit is None
            if not joined:
                job = self.jobs[key] = _Job(key, inp)
                self.served += 1
                threading.Thread(target=self._run_job, args=(job, argv, cwd, env), daemon=True,
                                 name="game-music job").start()
            assert job is not None
            job.clients += 1
        conn.send_bytes(json.dumps({"accepted": True, "joined": joined}).encode())
        self._follow(conn, job)

    def _follow(self, conn: Connection, job: _Job) -> None:
        sent, attached = 0, True
        try:
            while True:
                with job.cond:
                    job.cond.wait_for(lambda n=sent: len(job.lines) > n or job.exit is not None,
                                      timeout=0.1)
                    batch, code = job.lines[sent:], job.exit
                for msg in batch:
                    conn.send_bytes(json.dumps(msg).encode())
                sent += len(batch)
                if code is not None and sent == len(job.lines):
                    conn.send_bytes(json.dumps({"exit": code}).encode())
                    return
                if conn.poll(0):
                    try:
                        wants_cancel = bool(json.loads(conn.recv_bytes()).get("cancel"))
                    except EOFError:
                        return  # gone: the finally below decides on the job
                    if wants_cancel and self._leave(job):
                        attached = False  # others still wait for it: this client alone stops
                        conn.send_bytes(b'{"err": "game-music: interrupted"}')
                        conn.send_bytes(b'{"exit": 130}')
                        return
                    attached = attached and not wants_cancel
        finally:
            if attached:
                self._leave(job)

    def _leave(self, job: _Job) -> bool:
        """This client is done with ``job``; True when other clients still follow it."""
        with self._lock:
            job.clients -= 1
            if job.clients <= 0 and job.exit is None:
                job.cancel.set()
            return job.clients > 0

    def _run_job(self, job: _Job, argv: list[str], cwd: str, env: dict[str, str]) -> None:
        code = 1
        try:
            code = self.pool.run(
                argv, cwd=cwd, env=env, cancel=job.cancel, input_path=job.input,
                on_stdout=lambda s: job.add("out", s), on_stderr=lambda s: job.add("err", s),
                started=lambda pid: setattr(job, "pid", pid))
        except Exception as exc:  # noqa: BLE001 - the server outlives any one job
            job.add("out", json.dumps({"event": "error", "input": job.input, "code": "internal",
                                       "message": f"{type(exc).__name__}: {exc}"}))
        finally:
            with self._lock:
                if self.jobs.get(job.key) is job:
                    del self.jobs[job.key]
                self._last_busy = time.monotonic()
            job.finish(code)


def cmd_serve(args: Any, *, main: Main, build_parser: Parser) -> int:
    from .config import load_config, serve_idle_timeout

    idle = args.idle_timeout if args.idle_timeout is not None else serve_idle_timeout(
        load_config())
    server = Server(main, build_parser, idle_timeout=idle)
    server.bind()
    server.pool.start()

    def on_signal(signum: int, frame: object) -> None:
        threading.Thread(target=server.stop, daemon=True).start()

    # Before the line below: whoever waits for it may stop the server right after.
    signal.signal(signal.SIGINT, on_signal)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, on_signal)
    print(f"game-music: serving on {server.address} (exits after {idle:.0f} s idle)",
          file=sys.stderr, flush=True)
    server.serve_forever()
    return 0


def register(sub: Any, *, main: Main, build_parser: Parser) -> None:
    """Add ``serve`` to the CLI's subcommands; its jobs run the CLI's ``main``."""
    p = sub.add_parser("serve", help="a warm engine for OBS/Resolve, on a local socket only")
    p.add_argument("--idle-timeout", type=float, metavar="SECONDS",
                   help="exit after this long with nothing to do (config [serve] idle_timeout, "
                        "default 900)")
    p.set_defaults(func=functools.partial(cmd_serve, main=main, build_parser=build_parser))
