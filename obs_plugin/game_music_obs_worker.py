"""The OBS script's worker: waits for a finished file, runs the engine, reads its events.

Standard library only and free of ``obspython``: it runs inside OBS's embedded Python (where
only the standard library is guaranteed) and in plain tests alike. Nothing here may block an
OBS thread; the script hands plain path strings to :class:`Worker` and polls its messages.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CONFIG_NAME = "game_music_obs.json"
REMUXABLE = (".mkv", ".flv", ".ts", ".m3u8", ".hls")


def load_engine(script_dir: str | os.PathLike[str]) -> list[str] | None:
    """The engine command the installer recorded next to the script, else ``game-music``."""
    try:
        data = json.loads((Path(script_dir) / CONFIG_NAME).read_text(encoding="utf-8"))
        engine = data.get("engine")
        if isinstance(engine, list) and engine and all(isinstance(a, str) for a in engine):
            return list(engine)
    except (OSError, ValueError):
        pass
    exe = shutil.which("game-music")
    return [exe] if exe else None


@dataclass(frozen=True)
class JobSettings:
    """What the user chose in the script's settings (a snapshot per job)."""

    prompt: str = ""
    style: str = ""
    backend: str = ""
    output_dir: str = ""


@dataclass(frozen=True)
class Message:
    """Something to show the user: ``level`` is info, warning or error."""

    level: str
    text: str
    status: str = ""  # one short line for the settings page; empty = unchanged
    done: str = ""  # output path of a finished job


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def wait_stable(path: Path, *, settle: float = 1.0, poll: float = 0.25, timeout: float = 600.0,
                cancel: threading.Event | None = None) -> bool:
    """True once ``path`` exists, is not empty and kept its size for ``settle`` seconds."""
    deadline = time.monotonic() + timeout
    last, since = -2, time.monotonic()
    while time.monotonic() < deadline:
        if cancel is not None and cancel.is_set():
            return False
        size = _size(path)
        now = time.monotonic()
        if size != last:
            last, since = size, now
        elif size > 0 and now - since >= settle:
            return True
        time.sleep(poll)
    return False


def wait_complete(path: str, *, settle: float = 1.0, remux_grace: float = 2.0,
                  timeout: float = 600.0, cancel: threading.Event | None = None) -> str | None:
    """The finished file for an OBS output path, or None if it never became complete.

    OBS may remux an MKV/FLV recording to MP4 right after the file is closed (its "automatic
    remux" setting); the MP4 is then the user's file, so wait for it too.
    """
    src = Path(path)
    if not wait_stable(src, settle=settle, timeout=timeout, cancel=cancel):
        return None
    if src.suffix.lower() not in REMUXABLE:
        return str(src)
    remuxed = src.with_suffix(".mp4")
    deadline = time.monotonic() + remux_grace
    while not remuxed.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    if remuxed.exists() and remuxed.stat().st_mtime >= src.stat().st_mtime - 5:
        if wait_stable(remuxed, settle=settle, timeout=timeout, cancel=cancel):
            return str(remuxed)
    return str(src)


def engine_command(engine: Sequence[str], path: str, settings: JobSettings) -> list[str]:
    # Free text goes as --opt=VALUE and the path after "--": a prompt such as "-6 dB music"
    # or a file named "-take 2.mkv" is then never read as an option.
    cmd = [*engine, "add", "--json"]
    if settings.prompt.strip():
        cmd.append("--prompt=" + settings.prompt.strip())
    if settings.style:
        cmd.append("--style=" + settings.style)
    if settings.backend:
        cmd.append("--backend=" + settings.backend)
    if settings.output_dir.strip():
        # A trailing separator makes the engine treat it as a folder even if it is new.
        cmd.append("--output=" + os.path.join(settings.output_dir.strip(), ""))
    return [*cmd, "--", path]


def _popen_flags() -> dict[str, object]:
    if sys.platform == "win32":  # no console window flashing up over the game
        return {"creationflags": getattr(subprocess, "CREATE_NO_WINDOW", 0)}
    return {"start_new_session": True}  # Ctrl+C in OBS's terminal must not reach the engine


@dataclass
class _Job:
    path: str
    settings: JobSettings


class Worker:
    """One background thread, one job at a time, each file at most once in the queue."""

    def __init__(self, engine: Sequence[str] | None, *, settle: float = 1.0,
                 remux_grace: float = 2.0) -> None:
        self.engine = list(engine) if engine else None
        self.messages: queue.SimpleQueue[Message] = queue.SimpleQueue()
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._proc: subprocess.Popen[str] | None = None
        self._settle = settle
        self._remux_grace = remux_grace
        self._thread = threading.Thread(target=self._run, name="game-music worker", daemon=True)
        self._thread.start()

    def submit(self, path: str, settings: JobSettings) -> bool:
        """Queue ``path``; False (and a message) when it is already queued or running."""
        key = os.path.normcase(os.path.abspath(path))
        with self._lock:
            if key in self._pending:
                self._say("info", f"already working on {Path(path).name}")
                return False
            self._pending.add(key)
        self._say("info", f"queued {Path(path).name}", status=f"Queued: {Path(path).name}")
        self._jobs.put(_Job(path, settings))
        return True

    def busy(self) -> bool:
        with self._lock:
            return bool(self._pending)

    def stop(self, timeout: float = 5.0) -> None:
        """Cancel the queue and the running engine (OBS is closing or the script reloads)."""
        self._cancel.set()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
        self._jobs.put(None)
        self._thread.join(timeout)

    def _say(self, level: str, text: str, *, status: str = "", done: str = "") -> None:
        if level == "error":
            text = f"failed: {text}"
        self.messages.put(Message(level, text, status, done))

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None or self._cancel.is_set():
                return
            try:
                self._process(job)
            except Exception as exc:  # noqa: BLE001 - the worker must outlive any one job
                self._end(job, "error", f"{Path(job.path).name}: {type(exc).__name__}: {exc}",
                          status="Failed (see Script Log)")
            finally:
                self._release(job)

    def _release(self, job: _Job) -> None:
        with self._lock:
            self._pending.discard(os.path.normcase(os.path.abspath(job.path)))

    def _end(self, job: _Job, level: str, text: str, *, status: str = "", done: str = "") -> None:
        """The job's last word: free its file first, so a press right after runs it again."""
        self._release(job)
        self._say(level, text, status=status, done=done)

    def _process(self, job: _Job) -> None:
        name = Path(job.path).name
        if not self.engine:
            self._end(job, "error", "the game-music engine was not found: run the installer again "
                      "(python3 install.py) or put game-music on PATH", status="Engine not found")
            return
        self._say("info", f"waiting for {name} to be complete", status=f"Waiting for {name}")
        path = wait_complete(job.path, settle=self._settle, remux_grace=self._remux_grace,
                             cancel=self._cancel)
        if path is None:
            if not self._cancel.is_set():
                self._end(job, "error", f"{name}: the file never became complete", status="Failed")
            return
        name = Path(path).name
        cmd = engine_command(self.engine, path, job.settings)
        self._say("info", f"adding music to {name}", status=f"Working: {name}")
        if self._try_serve(job, name, cmd[len(self.engine):]):
            return
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, encoding="utf-8", errors="replace", **_popen_flags(),  # type: ignore[call-overload]
            )
        except OSError as exc:
            self._end(job, "error", f"cannot start the engine ({cmd[0]}): {exc}",
                      status="Engine not found")
            return
        self._proc = proc
        stderr_tail: list[str] = []
        drain = threading.Thread(target=_tail, args=(proc.stderr, stderr_tail), daemon=True)
        drain.start()
        result: dict[str, object] | None = None
        shown = -1
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            kind = event.get("event")
            if kind == "progress":
                pct = int(100 * float(event.get("fraction") or 0))
                status = f"{name}: {event.get('stage', '')} {pct}%"
                if pct // 10 != shown // 10:  # the log gets every 10 %, the status line all
                    shown = pct
                    self._say("info", status, status=status)
                else:
                    self.messages.put(Message("status", "", status))
            elif kind in ("done", "error"):
                result = event
        code = proc.wait()
        drain.join(2)
        self._proc = None
        if result is not None and result.get("event") == "done":
            out = str(result.get("output", ""))
            self._end(job, "info", f"done: {out}", status=f"Done: {Path(out).name}", done=out)
        elif self._cancel.is_set():
            self._end(job, "warning", f"{name}: stopped", status="Stopped")
        elif result is not None:
            message = str(result.get("message"))
            if name not in message:
                message = f"{name}: {message}"
            self._end(job, "error", f"{message} [{result.get('code')}]",
                      status=f"Failed: {result.get('code')}")
        else:
            tail = " | ".join(stderr_tail[-3:]) or "no output"
            self._end(job, "error", f"{name}: engine exited with code {code}: {tail}",
                      status=f"Failed (exit {code})")


    def _try_serve(self, job: _Job, name: str, args: list[str]) -> bool:
        """Run the job in a running ``game-music serve`` (warm: no start-up per clip); False
        when none runs, and the caller spawns the engine."""
        result: dict[str, object] = {}
        tail: list[str] = []
        shown = [-1]

        def on_line(line: str) -> None:
            try:
                event = json.loads(line)
            except ValueError:
                return
            if not isinstance(event, dict):
                return
            if event.get("event") == "progress":
                pct = int(100 * float(event.get("fraction") or 0))
                status = f"{name}: {event.get('stage', '')} {pct}%"
                if pct // 10 != shown[0] // 10:
                    shown[0] = pct
                    self._say("info", status, status=status)
                else:
                    self.messages.put(Message("status", "", status))
            elif event.get("event") in ("done", "error"):
                result.clear()
                result.update(event)

        code = serve_run(args, on_line, lambda s: tail.append(s.strip()), self._cancel)
        if code is None:
            return False
        if result.get("event") == "done":
            out = str(result.get("output", ""))
            self._end(job, "info", f"done: {out}", status=f"Done: {Path(out).name}", done=out)
        elif self._cancel.is_set():
            self._end(job, "warning", f"{name}: stopped", status="Stopped")
        elif result:
            message = str(result.get("message"))
            if name not in message:
                message = f"{name}: {message}"
            self._end(job, "error", f"{message} [{result.get('code')}]",
                      status=f"Failed: {result.get('code')}")
        else:
            last = " | ".join([t for t in tail if t][-3:]) or "no output"
            self._end(job, "error", f"{name}: engine exited with code {code}: {last}",
                      status=f"Failed (exit {code})")
        return True


def _tail(stream: object, into: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        line = line.strip()
        if line:
            into.append(line)
            del into[:-20]


def play_sound(ok: bool) -> None:
    """A short notice sound; best effort, silent where no player exists. Call off-thread."""
    try:
        if sys.platform == "win32":
            import winsound

            winsound.MessageBeep(winsound.MB_OK if ok else winsound.MB_ICONHAND)
            return
        if sys.platform == "darwin":
            sound = "Glass" if ok else "Basso"
            subprocess.run(["afplay", f"/System/Library/Sounds/{sound}.aiff"], timeout=10,
                           check=False, capture_output=True)
            return
        name = "complete" if ok else "dialog-warning"
        for player, path in (("paplay", f"/usr/share/sounds/freedesktop/stereo/{name}.oga"),
                             ("aplay", "/usr/share/sounds/alsa/Front_Center.wav")):
            if shutil.which(player) and os.path.exists(path):
                subprocess.run([player, path], timeout=10, check=False, capture_output=True)
                return
    except Exception:  # noqa: BLE001 - a sound is never worth an error
        pass



# --- a running `game-music serve` ----------------------------------------------------------
# A copy of game_music/serve_client.py's address() and run() (this file cannot import the
# package): the same per-user socket or pipe, secret and JSON messages. Keep them in step.

def _serve_address():
    folder = os.environ.get("GAME_MUSIC_RUNTIME_DIR")
    if not folder and sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~")
        folder = os.path.join(base, "game-music", "run")
    if not folder:
        xdg = os.environ.get("XDG_RUNTIME_DIR")
        folder = (os.path.join(xdg, "game-music") if xdg and os.path.isdir(xdg) else
                  os.path.join(tempfile.gettempdir(), f"game-music-{os.getuid()}"))
    key = os.path.join(folder, "serve.key")
    if sys.platform == "win32":
        user = os.environ.get("USERNAME") or "user"
        tag = "".join(c if c.isalnum() else "_" for c in folder.lower())[-40:]
        return f"\\\\.\\pipe\\game-music-{user}-{tag}", "AF_PIPE", key
    return os.path.join(folder, "serve.sock"), "AF_UNIX", key


def serve_run(argv, on_stdout, on_stderr, cancel=None):
    """Run ``game-music ARGV`` in a running server: its exit code, or None (spawn instead)."""
    addr, family, key_file = _serve_address()
    if family == "AF_UNIX" and not os.path.exists(addr):
        return None
    try:
        from multiprocessing.connection import Client

        with open(key_file, "rb") as fh:
            secret = fh.read().strip()
        box = []

        def dial():
            try:
                box.append(Client(addr, family, authkey=secret))
            except Exception:  # noqa: BLE001, S110 - refused, stale, not ours: no server
                pass

        t = threading.Thread(target=dial)
        t.daemon = True
        t.start()
        t.join(2.0)
        if not box:
            return None
        conn = box[0]
    except Exception:  # noqa: BLE001 - no server (or not ours): spawn the engine
        return None
    try:
        env = {k: v for k, v in os.environ.items() if k.startswith(("GAME_MUSIC_", "NEMO_"))}
        conn.send_bytes(json.dumps({"v": 1, "argv": list(argv), "cwd": os.getcwd(),
                                    "env": env}).encode())
        if not json.loads(conn.recv_bytes()).get("accepted"):
            return None
        asked = False
        while True:
            if cancel is not None and cancel.is_set() and not asked:
                conn.send_bytes(b'{"cancel": true}')
                asked = True
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
        on_stderr("game-music: the warm engine (game-music serve) went away")
        return 1
    finally:
        conn.close()
