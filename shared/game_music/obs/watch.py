"""The OBS companion: add music to every saved replay and finished recording, automatically.

It listens to OBS over obs-websocket v5 (``obsws-python``). Event callbacks only put paths on a
queue; one job thread waits for each file to be complete and runs the engine in a warm process
of its own (:class:`game_music.serve.WarmPool`: start-up paid once per stream, not per clip; a
crash in one job never takes the watcher down). An explicit ``engine`` command is spawned per
job instead. obsws-python's event thread ends silently
when OBS closes, the socket drops or a callback raises, so the connection loop watches it and
reconnects with backoff.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import AuthError
from .._warm_pool import Main, WarmPool

Say = Callable[[str], None]
REMUXABLE = (".mkv", ".flv", ".ts")

# obsws-python logs the password at INFO and a traceback for every refused connection.
logging.getLogger("obsws_python").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class WatchOptions:
    host: str = "localhost"
    port: int = 4455
    password: str = ""
    replays: bool = True
    recordings: bool = True
    prompt: str | None = None
    style: str | None = None
    backend: str | None = None
    output: str | None = None
    max_backoff: float = 10.0
    settle: float = 1.0

    def __repr__(self) -> str:  # never show the password
        return f"WatchOptions(host={self.host!r}, port={self.port})"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def wait_stable(path: Path, settle: float, stop: threading.Event, timeout: float = 600) -> bool:
    """True once ``path`` is non-empty and kept its size for ``settle`` seconds."""
    deadline = time.monotonic() + timeout
    last, since = -2, time.monotonic()
    while time.monotonic() < deadline and not stop.is_set():
        size, now = _size(path), time.monotonic()
        if size != last:
            last, since = size, now
        elif size > 0 and now - since >= settle:
            return True
        time.sleep(0.2)
    return False


def wait_complete(path: Path, settle: float, stop: threading.Event) -> Path | None:
    """The finished file: ``path`` once stable, or OBS's automatic MP4 remux of it."""
    if not wait_stable(path, settle, stop):
        return None
    if path.suffix.lower() not in REMUXABLE:
        return path
    remuxed = path.with_suffix(".mp4")
    deadline = time.monotonic() + 2.0
    while not remuxed.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    if remuxed.exists() and remuxed.stat().st_mtime >= path.stat().st_mtime - 5:
        if wait_stable(remuxed, settle, stop):
            return remuxed
    return path


class Watcher:
    """Connect, queue saved files, process them one at a time, reconnect when OBS goes away."""

    def __init__(self, options: WatchOptions, *, main: Main | None = None,
                 engine: Sequence[str] | None = None, say: Say | None = None) -> None:
        """Jobs run ``main`` (the CLI's) in a warm process, or ``engine`` spawned per job."""
        if main is None and not engine:
            raise ValueError("a Watcher needs the CLI's main or an engine command")
        self.options = options
        self._main = main
        self.engine = list(engine) if engine else None
        self._pool: WarmPool | None = None
        self._cancel = threading.Event()  # the running job's stop; set with self.stop
        self.say: Say = say or (lambda text: print(f"game-music: {text}", flush=True))
        self.stop = threading.Event()
        self._jobs: queue.Queue[Path | None] = queue.Queue()
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._exited = False

    # -- public ---------------------------------------------------------------------------

    def run(self) -> None:
        """Watch until :attr:`stop` is set; raises :class:`AuthError` for a wrong password."""
        if self.engine is None:
            assert self._main is not None
            self._pool = WarmPool(self._main)
            threading.Thread(target=self._pool.start, name="game-music warm-up",
                             daemon=True).start()
        worker = threading.Thread(target=self._work, name="game-music jobs", daemon=True)
        worker.start()
        try:
            self._connect_loop()
        finally:
            self.stop.set()
            self._cancel.set()
            self._jobs.put(None)
            proc = self._proc
            if proc is not None and proc.poll() is None:
                proc.terminate()
            worker.join(15)
            if self._pool is not None:
                self._pool.close()

    def submit(self, path: str) -> None:
        key = os.path.normcase(os.path.abspath(path))
        with self._lock:
            if key in self._pending:
                return
            self._pending.add(key)
        self.say(f"queued {path}")
        self._jobs.put(Path(path))

    # -- connection -----------------------------------------------------------------------

    def _connect_loop(self) -> None:
        delay, told = 1.0, False
        where = f"{self.options.host}:{self.options.port}"
        while not self.stop.is_set():
            try:
                client = self._connect()
            except AuthError:
                raise
            except Exception:  # noqa: BLE001 - refused, reset, timeout: OBS is not there (yet)
                if not told:
                    self.say(f"OBS is not running at {where} (or its WebSocket server is off: "
                             "Tools > WebSocket Server Settings); waiting for it")
                    told = True
                self.stop.wait(delay)
                delay = min(delay * 2, self.options.max_backoff)
                continue
            delay, told = 1.0, False
            version = client.base_client.server_hello.get("d", {}).get("obsWebSocketVersion")
            self.say(f"connected to OBS at {where} (obs-websocket {version}); watching for "
                     + " and ".join(self._what()))
            self._exited = False
            while not self.stop.is_set() and client.worker.is_alive() and not self._exited:
                self.stop.wait(0.5)
            _close(client)
            if not self.stop.is_set():
                self.say("OBS closed the connection; waiting for it to come back")

    def _what(self) -> list[str]:
        what = []
        if self.options.replays:
            what.append("saved replays")
        if self.options.recordings:
            what.append("finished recordings")
        return what or ["nothing (both kinds are off)"]

    def _connect(self) -> Any:
        import obsws_python as obsws
        from obsws_python.error import OBSSDKError

        subs = obsws.Subs.GENERAL | obsws.Subs.OUTPUTS
        try:
            client = obsws.EventClient(host=self.options.host, port=self.options.port,
                                       password=self.options.password, timeout=5, subs=subs)
        except OBSSDKError as exc:
            if "timeout" in type(exc).__name__.lower():
                raise ConnectionError(str(exc)) from None
            text = str(exc).lower()
            if "password" in text or "identify" in text or "auth" in text:
                hint = ("OBS wants a password: set GAME_MUSIC_OBS_PASSWORD or [obs] password in "
                        "the config file" if not self.options.password else
                        "OBS rejected the password: check GAME_MUSIC_OBS_PASSWORD or [obs] "
                        "password against Tools > WebSocket Server Settings")
                raise AuthError(hint) from None
            raise ConnectionError(str(exc)) from None
        client.callback.register(self._callbacks())
        return client

    def _callbacks(self) -> list[Callable[[Any], None]]:
        # obsws-python dispatches by function name, and an exception ends event delivery.
        def on_replay_buffer_saved(data: Any) -> None:
            try:
                path = getattr(data, "saved_replay_path", None)
                if self.options.replays and path:
                    self.submit(str(path))
            except Exception:  # noqa: BLE001, S110
                pass

        def on_record_state_changed(data: Any) -> None:
            try:
                state = getattr(data, "output_state", "")
                path = getattr(data, "output_path", None)
                if self.options.recordings and state == "OBS_WEBSOCKET_OUTPUT_STOPPED" and path:
                    self.submit(str(path))
            except Exception:  # noqa: BLE001, S110
                pass

        def on_exit_started(data: Any) -> None:
            self._exited = True

        return [on_replay_buffer_saved, on_record_state_changed, on_exit_started]

    # -- jobs -----------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            path = self._jobs.get()
            if path is None or self.stop.is_set():
                return
            try:
                self._process(path)
            except Exception as exc:  # noqa: BLE001 - the watcher outlives any one job
                self.say(f"{path.name}: failed: {type(exc).__name__}: {exc}")
            finally:
                with self._lock:
                    self._pending.discard(os.path.normcase(os.path.abspath(path)))

    def _args(self, path: Path) -> list[str]:
        """The ``add`` arguments; free text as ``--opt=VALUE`` (a prompt may start with -)."""
        o = self.options
        # The path after "--": a clip named "-take 2.mkv" is not an option either.
        cmd = ["add", "--json"]
        if o.prompt:
            cmd.append("--prompt=" + o.prompt)
        if o.style:
            cmd.append("--style=" + o.style)
        if o.backend:
            cmd.append("--backend=" + o.backend)
        if o.output:
            cmd.append("--output=" + os.path.join(o.output, ""))
        return [*cmd, "--", str(path)]

    def _process(self, path: Path) -> None:
        final = wait_complete(path, self.options.settle, self.stop)
        if final is None:
            if not self.stop.is_set():
                self.say(f"{path.name}: the file never became complete; skipped")
            return
        self.say(f"adding music to {final.name}")
        tail: list[str] = []
        result: dict[str, Any] | None = None
        shown = -1

        def on_line(line: str) -> None:
            nonlocal result, shown
            try:
                event = json.loads(line)
            except ValueError:
                return
            if not isinstance(event, dict):
                return
            if event.get("event") == "progress":
                pct = int(100 * float(event.get("fraction") or 0))
                if pct // 25 > shown // 25:
                    shown = pct
                    self.say(f"{final.name}: {event.get('stage')} {pct}%")
            elif event.get("event") in ("done", "error"):
                result = event

        def on_err(line: str) -> None:
            if line.strip():
                tail.append(line.strip())
                del tail[:-20]

        if self._pool is not None:
            code = self._pool.run(self._args(final), on_stdout=on_line, on_stderr=on_err,
                                  cancel=self._cancel, input_path=str(final))
        else:
            code = self._spawn(final, on_line, tail)
        if result and result.get("event") == "done":
            self.say(f"done: {result.get('output')}")
        elif result:
            self.say(f"{final.name}: {result.get('message')} [{result.get('code')}]")
        elif not self.stop.is_set():
            self.say(f"{final.name}: engine exited with code {code}: "
                     + (" | ".join(tail[-3:]) or "no output"))


    def _spawn(self, final: Path, on_line: Callable[[str], None], tail: list[str]) -> int:
        assert self.engine is not None
        proc = subprocess.Popen([*self.engine, *self._args(final)], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                encoding="utf-8", errors="replace")
        self._proc = proc
        drain = threading.Thread(target=_tail, args=(proc.stderr, tail), daemon=True)
        drain.start()
        assert proc.stdout is not None
        for line in proc.stdout:
            on_line(line)
        code = proc.wait()
        drain.join(2)
        self._proc = None
        return code


def _tail(stream: Any, into: list[str]) -> None:
    for line in stream:
        if line.strip():
            into.append(line.strip())
            del into[:-20]


def _close(client: Any) -> None:
    try:
        client.base_client.ws.close()
    except Exception:  # noqa: BLE001, S110 - already gone
        pass
    client.worker.join(2)
