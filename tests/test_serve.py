"""``game-music serve`` and its clients: private socket, fallback, crash, idle exit, cancel,
one job per output, and the same events a spawned CLI prints."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from multiprocessing.connection import Client
from pathlib import Path
from types import ModuleType

import pytest

from game_music import cli, serve, serve_client
from game_music.demo import make_sample_clip

ROOT = Path(__file__).resolve().parents[1]


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


OBS_WORKER = _load(ROOT / "obs_plugin" / "game_music_obs_worker.py", "gm_serve_obs_worker")
RESOLVE = _load(ROOT / "davinci_script" / "game_music_resolve.py", "gm_serve_resolve")


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # A short path: Unix socket addresses are limited to ~100 bytes.
    folder = tmp_path / "rt"
    monkeypatch.setenv(serve_client.ENV_RUNTIME_DIR, str(folder))
    monkeypatch.delenv("GAME_MUSIC_NO_SERVE", raising=False)
    return folder


class Running:
    def __init__(self, server: serve.Server, thread: threading.Thread) -> None:
        self.server, self.thread = server, thread

    def stop(self) -> None:
        self.server.stop()
        self.thread.join(30)
        assert not self.thread.is_alive()


def _start(idle: float = 600.0, *, warm: bool = False) -> Running:
    server = serve.Server(cli.main, cli.build_parser, idle_timeout=idle)
    server.bind()
    if warm:
        server.pool.start()
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    return Running(server, t)


@pytest.fixture
def server(runtime: Path) -> Iterator[Running]:
    running = _start()
    yield running
    running.stop()


@pytest.fixture
def warm_server(runtime: Path) -> Iterator[Running]:
    running = _start(warm=True)
    yield running
    running.stop()


def _collect(argv: list[str], cancel: threading.Event | None = None,
             ) -> tuple[int | None, list[dict], list[str]]:
    events: list[dict] = []
    errs: list[str] = []
    code = serve_client.run(argv, on_stdout=lambda s: events.append(json.loads(s)),
                            on_stderr=errs.append, cancel=cancel)
    return code, events, errs


# -- fast: no job runs ------------------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="Unix socket modes")
def test_socket_secret_and_folder_are_private(server: Running, runtime: Path) -> None:
    assert stat.S_IMODE(runtime.stat().st_mode) == 0o700
    sock = runtime / "serve.sock"
    assert stat.S_ISSOCK(sock.stat().st_mode)
    assert stat.S_IMODE(sock.stat().st_mode) == 0o600
    assert stat.S_IMODE((runtime / "serve.key").stat().st_mode) == 0o600
    assert server.server.family == "AF_UNIX"  # never a TCP port


def test_a_wrong_secret_is_refused_and_the_server_stays_up(server: Running) -> None:
    addr, family, _ = serve_client.address()
    with pytest.raises(Exception):  # noqa: B017 - AuthenticationError or a reset
        Client(addr, family, authkey=b"not the secret").recv_bytes()
    conn = serve_client.connect()
    assert conn is not None
    conn.close()


def test_no_server_means_fall_back(runtime: Path) -> None:
    for run in (lambda: serve_client.run(["add", "x.mkv", "--json"], on_stdout=print,
                                         on_stderr=print),
                lambda: OBS_WORKER.serve_run(["add", "x.mkv", "--json"], print, print),
                lambda: RESOLVE.serve_run(["add", "x.mkv", "--json"], print, print)):
        assert run() is None


@pytest.mark.skipif(os.name != "posix", reason="Unix sockets")
def test_a_stale_socket_means_fall_back_and_is_replaced(runtime: Path) -> None:
    runtime.mkdir(mode=0o700)
    (runtime / "serve.key").write_bytes(b"old")
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(runtime / "serve.sock"))
    s.close()  # the file stays, nobody listens: a server that was killed
    t0 = time.monotonic()
    assert serve_client.run(["add", "x", "--json"], on_stdout=print, on_stderr=print) is None
    assert time.monotonic() - t0 < 2
    running = _start()
    try:
        assert serve_client.connect() is not None
    finally:
        running.stop()


def test_a_second_server_refuses_to_start(server: Running) -> None:
    from game_music._errors import UsageError

    with pytest.raises(UsageError, match="already running"):
        serve.Server(cli.main, cli.build_parser).bind()


def test_shims_find_the_same_socket(runtime: Path) -> None:
    assert OBS_WORKER._serve_address() == serve_client.address()
    assert RESOLVE._serve_address() == serve_client.address()


def test_what_the_server_leaves_to_the_cli(server: Running, tmp_path: Path) -> None:
    clip = tmp_path / "a.mkv"
    clip.write_bytes(b"x")
    for argv in (["add", str(clip)],  # human output belongs to a terminal
                 ["add", str(clip), str(clip), "--json"],  # a batch
                 ["add", str(tmp_path / "missing.mkv"), "--json"],  # the CLI says why
                 ["add", "--json", "--bogus", str(clip)],  # usage: the CLI explains
                 ["styles", "--json"]):
        assert _collect(argv)[0] is None, argv
    assert serve.job_key(["add", "a.mkv", "--json", "-o", "out/"], str(tmp_path),
                         cli.build_parser) == (
        str(clip), os.path.normcase(str(tmp_path / "out" / "a (game music).mp4")))


def test_exits_when_idle(runtime: Path) -> None:
    running = _start(idle=0.5)
    running.thread.join(10)
    assert not running.thread.is_alive()
    assert not (runtime / "serve.sock").exists()
    assert serve_client.run(["add", "x", "--json"], on_stdout=print, on_stderr=print) is None


def test_idle_timeout_from_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from game_music._errors import UsageError
    from game_music.config import DEFAULT_SERVE_IDLE_S, serve_idle_timeout

    assert serve_idle_timeout({}) == DEFAULT_SERVE_IDLE_S
    assert serve_idle_timeout({"serve": {"idle_timeout": 30}}) == 30.0
    with pytest.raises(UsageError, match="idle_timeout"):
        serve_idle_timeout({"serve": {"idle_timeout": "soon"}})


# -- slow: real jobs through the server ------------------------------------------------------


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serve-media") / "match.mkv"
    make_sample_clip(path, seconds=6.0, width=320, height=180, fps=30, voice_track=True)
    return path


def _wait_pid(running: Running, timeout: float = 20) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for job in list(running.server.jobs.values()):
            if job.pid:
                return job.pid
        time.sleep(0.02)
    raise AssertionError("no job started")


def _kinds(events: list[dict]) -> list[str]:
    return [e["event"] for e in events]


@pytest.mark.slow
def test_same_events_as_the_cli(warm_server: Running, clip: Path, tmp_path: Path) -> None:
    served_out, cli_out = tmp_path / "served.mp4", tmp_path / "cli.mp4"
    # `add --json` as a host runs it: the CLI hands the job to the server.
    env = {**os.environ}
    served = subprocess.run([sys.executable, "-m", "game_music", "add", str(clip), "--json",
                             "--prompt=chiptune", "--seed=3", "-o", str(served_out)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert warm_server.server.served == 1
    cli = subprocess.run([sys.executable, "-m", "game_music", "add", str(clip), "--json",
                          "--no-serve", "--prompt=chiptune", "--seed=3", "-o", str(cli_out)],
                         capture_output=True, text=True, timeout=120)
    assert warm_server.server.served == 1  # --no-serve ran it here
    assert served.returncode == cli.returncode == 0, served.stderr + cli.stderr
    a = [json.loads(line) for line in served.stdout.splitlines()]
    b = [json.loads(line) for line in cli.stdout.splitlines()]
    assert _kinds(a)[0] == "start" and _kinds(a)[-1] == "done"
    assert [(e["event"], e.get("stage")) for e in a] == [(e["event"], e.get("stage")) for e in b]
    assert a[-1]["output"] == str(served_out) and served_out.stat().st_size > 10_000
    # Same request, same seed: the same music (Contract 4), warm or cold.
    from game_music.media.ffmpeg import ffmpeg_exe

    def pcm(path: Path) -> bytes:
        return subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:a",
                               "-f", "s16le", "-"], capture_output=True, check=True).stdout

    assert pcm(served_out) == pcm(cli_out)


@pytest.mark.slow
def test_a_crashed_job_does_not_take_the_server_down(warm_server: Running, clip: Path,
                                                      tmp_path: Path) -> None:
    box: list[tuple[int | None, list[dict], list[str]]] = []
    argv = ["add", str(clip), "--json", "-o", str(tmp_path / "crash.mp4")]
    t = threading.Thread(target=lambda: box.append(_collect(argv)))
    t.start()
    os.kill(_wait_pid(warm_server), signal.SIGKILL)
    t.join(60)
    code, events, _ = box[0]
    assert code == 1
    assert events[-1]["event"] == "error" and events[-1]["code"] == "internal"
    assert not (tmp_path / "crash.mp4").exists()
    code, events, _ = _collect(["add", str(clip), "--json", "-o", str(tmp_path / "after.mp4")])
    assert code == 0 and events[-1]["event"] == "done"


@pytest.mark.slow
def test_cancel_stops_the_job_and_leaves_no_file(warm_server: Running, clip: Path,
                                                 tmp_path: Path) -> None:
    cancel = threading.Event()
    out = tmp_path / "cancelled.mp4"
    events: list[dict] = []

    def on_line(s: str) -> None:
        events.append(json.loads(s))
        if events[-1]["event"] == "progress":
            cancel.set()

    code = serve_client.run(["add", str(clip), "--json", "-o", str(out)], on_stdout=on_line,
                            on_stderr=lambda s: None, cancel=cancel)
    assert code == 130
    assert "done" not in _kinds(events)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("cancelled")]
    assert serve_client.connect() is not None  # still serving


@pytest.mark.slow
def test_two_clients_for_the_same_output_share_one_job(warm_server: Running, clip: Path,
                                                       tmp_path: Path) -> None:
    argv = ["add", str(clip), "--json", "-o", str(tmp_path / "same.mp4")]
    results: list[tuple[int | None, list[dict], list[str]]] = []
    first = threading.Thread(target=lambda: results.append(_collect(argv)))
    first.start()
    _wait_pid(warm_server)
    second = threading.Thread(target=lambda: results.append(_collect(argv)))
    second.start()
    first.join(120)
    second.join(120)
    assert warm_server.server.served == 1
    assert [r[0] for r in results] == [0, 0]
    assert results[0][1] == results[1][1]  # the joiner saw the whole job, from its start
    assert results[0][1][-1]["event"] == "done"


@pytest.mark.slow
def test_one_client_cancelling_a_shared_job_leaves_it_to_the_other(
        warm_server: Running, clip: Path, tmp_path: Path) -> None:
    argv = ["add", str(clip), "--json", "-o", str(tmp_path / "shared.mp4")]
    keep: list[tuple[int | None, list[dict], list[str]]] = []
    t = threading.Thread(target=lambda: keep.append(_collect(argv)))
    t.start()
    _wait_pid(warm_server)
    cancel = threading.Event()
    cancel.set()
    assert _collect(argv, cancel)[0] == 130
    t.join(120)
    assert keep[0][0] == 0 and keep[0][1][-1]["event"] == "done"


@pytest.mark.slow
def test_host_shims_run_through_the_server(warm_server: Running, clip: Path,
                                           tmp_path: Path) -> None:
    out = tmp_path / "resolve.mp4"
    done = RESOLVE._serve_first(["add", str(clip), "--json", "-o", str(out)])
    assert done["output"] == str(out) and out.exists()

    worker = OBS_WORKER.Worker(["/nonexistent/engine"], settle=0.2)  # serve, never spawn
    try:
        obs_out = tmp_path / "obs"
        worker.submit(str(clip), OBS_WORKER.JobSettings(prompt="-5 dB lofi",
                                                        output_dir=str(obs_out)))
        deadline, got = time.monotonic() + 120, []
        while time.monotonic() < deadline and not any(m.done or m.level == "error" for m in got):
            try:
                got.append(worker.messages.get(timeout=0.5))
            except Exception:  # noqa: BLE001, S112 - queue.Empty
                continue
    finally:
        worker.stop()
    assert [m.done for m in got if m.done] == [str(obs_out / "match (game music).mp4")], got
    assert warm_server.server.served == 2


@pytest.mark.slow
def test_the_companion_runs_jobs_warm_in_process(clip: Path, tmp_path: Path) -> None:
    from game_music.obs.watch import Watcher, WatchOptions

    said: list[str] = []
    watcher = Watcher(WatchOptions(output=str(tmp_path), settle=0.1), main=cli.main,
                      say=said.append)
    watcher._pool = serve.WarmPool(cli.main)
    try:
        watcher._pool.start()
        t0 = time.monotonic()
        watcher._process(clip)
        warm = time.monotonic() - t0
    finally:
        watcher._pool.close()
    assert any(s.startswith("done: ") for s in said), said
    assert (tmp_path / "match (game music).mp4").exists()
    assert warm < 30


@pytest.mark.slow
def test_the_serve_command_warms_up_then_exits_when_idle(runtime: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "game_music", "serve", "--idle-timeout", "2"],
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        assert "serving on" in proc.stderr.readline()  # said once bound and warm
        ready = time.monotonic()
        assert (runtime / "serve.sock").exists()
        assert proc.wait(30) == 0
        # Idle from when it is ready, and idle means idle: nothing of its own (the warm-up
        # job) may hold it busy.
        assert 2 <= time.monotonic() - ready < 2 + 6
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not (runtime / "serve.sock").exists()


@pytest.mark.slow
def test_the_serve_command_stops_on_sigterm(runtime: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "game_music", "serve"],
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        proc.stderr.readline()
        proc.terminate()
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not (runtime / "serve.sock").exists()


@pytest.mark.slow
def test_the_forkserver_is_warm_and_single_threaded() -> None:
    # What the forkserver does at start: its children then start with all of this done.
    code = ("import sys, threading; import game_music._warm_pool as w; "
            "print(w._warmed, 'scipy.signal' in sys.modules, "
            "'game_music.backends.local' in sys.modules, threading.active_count())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "GAME_MUSIC_SERVE_WARM": "game_music.cli:main"},
                         timeout=120)
    assert out.stdout.split() == ["True", "True", "True", "1"], out.stderr
    from game_music import _warm_pool

    if _warm_pool.FORKSERVER:
        pool = _warm_pool.WarmPool(cli.main)
        assert pool._ctx.get_start_method() == "forkserver"
        from multiprocessing import forkserver

        assert forkserver._forkserver._preload_modules == ["game_music._warm_pool"]
