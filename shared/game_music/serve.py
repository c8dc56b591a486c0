"""``game-music serve``: a warm engine for the hosts, on a local socket only.

Start-up is most of a short job: the interpreter, numpy/scipy, the stages' lazy imports, the
instrument banks, ffmpeg found and probed. A server pays it once and then runs each job in a
process that is already warm, so the OBS script, the Resolve entry and ``add --json`` (which
try it first, see :mod:`game_music.serve_client`) get the same events sooner.

- Each job runs in its own process, so a job that crashes (or is killed) never takes the server
  down. On Linux those processes come from a forkserver that ran one tiny real job at start
  (``fork`` after warm-up: a job starts warm at once). Elsewhere (macOS frameworks are not
  fork-safe, Windows has no fork) a spare spawned worker warms itself in the background and
  takes the next job; the one after waits for its own spare, never longer than a cold start.
- One job per output path: a second client asking for the same output joins the running job
  (it gets the events from the start) instead of racing it for the file.
- Cancellation: a client's ``cancel`` (or its connection dropping) stops the job the way
  SIGTERM stops the CLI, once no other client still waits for it.
- It listens on a Unix socket (0600 in a 0700 per-user folder) or a named pipe on Windows, with
  an HMAC challenge on a per-user secret; never on a network interface. It exits after
  ``--idle-timeout`` seconds (config ``[serve] idle_timeout``) with no job and no client.
"""

from __future__ import annotations

import contextlib
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
from multiprocessing import get_context
from multiprocessing.connection import Connection, Listener
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


# -- the warm worker process ------------------------------------------------------------------

_warmed = False


def warm() -> None:
    """Run one tiny real job here, so every lazy import, bank and ffmpeg probe is done."""
    global _warmed
    if _warmed:
        return
    _warmed = True
    try:
        import tempfile

        from . import cli
        from .demo import make_sample_clip

        with tempfile.TemporaryDirectory(prefix="game-music-warm-") as tmp:
            clip = Path(tmp, "warm.mkv")
            make_sample_clip(clip, seconds=2.0, width=320, height=180, fps=30, voice_track=True)
            with contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()):
                cli.main(["add", str(clip), "-o", str(Path(tmp, "out.mp4")), "--json",
                          "--prompt=retro chiptune"])
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


def _worker_main(conn: Connection) -> None:
    """One job in a warm process: request in, stdout/stderr lines and the exit code out."""
    warm()
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
    from . import cli

    code = 1
    try:
        code = cli.main(request["argv"])
    except SystemExit as exc:  # argparse
        code = exc.code if isinstance(exc.code, int) else 2
    finally:
        out.close_line()
        err.close_line()
        with lock:
            conn.send_bytes(json.dumps({"exit": code}).encode())


class WarmPool:
    """Processes that run one job each, started warm (see the module's notes)."""

    def __init__(self) -> None:
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
                os.environ[ENV_WARM] = "1"
                try:
                    self._spare = self._new()
                finally:
                    del os.environ[ENV_WARM]

    def _new(self) -> tuple[Any, Connection]:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_worker_main, args=(child,), name="game-music job")
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


def job_key(argv: Sequence[str], cwd: str) -> tuple[str, str] | str:
    """``(input, output key)`` of a job the server runs, or why it leaves it to the CLI."""
    from .cli import build_parser
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
    """Accept clients on the per-user socket and run their jobs warm."""

    def __init__(self, *, idle_timeout: float = 900.0, pool: WarmPool | None = None) -> None:
        self.idle_timeout = idle_timeout
        self.pool = pool or WarmPool()
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
        found = job_key(argv, cwd)
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


def cmd_serve(args: Any) -> int:
    from .config import load_config, serve_idle_timeout

    idle = args.idle_timeout if args.idle_timeout is not None else serve_idle_timeout(
        load_config())
    server = Server(idle_timeout=idle)
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


def register(sub: Any) -> None:
    """Add ``serve`` to the CLI's subcommands."""
    p = sub.add_parser("serve", help="a warm engine for OBS/Resolve, on a local socket only")
    p.add_argument("--idle-timeout", type=float, metavar="SECONDS",
                   help="exit after this long with nothing to do (config [serve] idle_timeout, "
                        "default 900)")
    p.set_defaults(func=cmd_serve)


if os.environ.get(ENV_WARM) == "1":
    # Imported as the forkserver's preload: warm up once, before the first fork.
    warm()
