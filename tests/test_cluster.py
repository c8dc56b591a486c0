"""``add FOLDER --cluster ADDRESS``: the batch on a real Dask ``LocalCluster`` (2 processes)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from game_music._cluster import INSTALL_HINT, PathMap, require
from game_music._errors import UsageError
from game_music.config import cluster_settings

try:
    import distributed
except ImportError:  # a dev machine without the extra; CI sets GAME_MUSIC_REQUIRE_CLUSTER=1
    distributed = None  # type: ignore[assignment]

needs_dask = pytest.mark.skipif(
    distributed is None and not os.environ.get("GAME_MUSIC_REQUIRE_CLUSTER"),
    reason="the cluster extra (dask[distributed]) is not installed",
)


# -- fast: no cluster ---------------------------------------------------------------------


def test_path_map_both_ways(tmp_path: Path) -> None:
    pm = PathMap.parse([f"{tmp_path}/vods=/data/vods"])
    assert pm.to_remote(tmp_path / "vods" / "a b.mkv") == Path("/data/vods/a b.mkv")
    assert pm.to_local("/data/vods/a b (game music).mp4") == f"{tmp_path}/vods/a b (game music).mp4"
    # a prefix only matches whole folder names
    assert pm.to_remote(tmp_path / "vods2" / "x.mkv") == tmp_path / "vods2" / "x.mkv"
    assert PathMap().to_remote(tmp_path / "x.mkv") == tmp_path / "x.mkv"


@pytest.mark.parametrize("bad", ["/a", "=/b", "/a="])
def test_path_map_rejects_bad_spec(bad: str) -> None:
    with pytest.raises(UsageError, match="LOCAL=REMOTE"):
        PathMap.parse([bad])


def test_config_key() -> None:
    cfg = {"cluster": {"address": "tcp://h:8786", "path_map": "/mnt/v=/data/v"}}
    assert cluster_settings(cfg) == ("tcp://h:8786", ["/mnt/v=/data/v"])
    assert cluster_settings({}) == (None, [])


def test_without_dask_the_flag_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    with pytest.raises(UsageError) as info:
        require()
    assert info.value.message == INSTALL_HINT
    assert "pip install 'game-music[cluster]'" in INSTALL_HINT


def test_cli_without_dask_is_one_line(tmp_path: Path, make_clip: Callable[..., Any]) -> None:
    """A real ``game-music add --cluster`` where ``distributed`` cannot be imported."""
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "distributed.py").write_text("raise ImportError('not installed')\n")
    clip = make_clip("c.mkv", seconds=3.0)
    env = {**os.environ, "PYTHONPATH": f"{hide}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run(
        [sys.executable, "-m", "game_music", "add", str(clip.path), "-o", str(tmp_path),
         "--cluster", "tcp://127.0.0.1:1"],
        capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode != 0
    assert INSTALL_HINT in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list(tmp_path.glob("*.mp4"))


# -- slow: a real LocalCluster ------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    if distributed is None:
        pytest.fail("GAME_MUSIC_REQUIRE_CLUSTER is set but dask[distributed] is not installed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as c:
        yield c


def _folder(tmp_path: Path, make_clip: Callable[..., Any], n: int, seconds: float) -> Path:
    folder = tmp_path / "vods"
    folder.mkdir()
    src = make_clip("rec.mkv", seconds=seconds)
    for i in range(n):
        dst = folder / f"rec {i}.mkv"
        shutil.copy2(src.path, dst)
        os.utime(dst, (1_700_000_000 + i, 1_700_000_000 + i))  # recording order
    return folder


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".part." in p.name)


@needs_dask
@pytest.mark.slow
def test_cluster_batch_events_summary_and_skip_done(
    cluster: Any, tmp_path: Path, make_clip: Callable[..., Any], cli: Callable[..., Any]
) -> None:
    folder = _folder(tmp_path, make_clip, 3, 4.0)
    first = cli("add", str(folder), "--json", "--cluster", cluster.scheduler_address)
    assert first.returncode == 0, first.stderr
    events = first.events
    order = [str((folder / f"rec {i}.mkv").absolute()) for i in range(3)]
    kinds = [(e["event"], e.get("input")) for e in events if e["event"] != "progress"]
    # groups come in input order and never interleave: start, its progress, done; next
    assert kinds == [(k, inp) for inp in order for k in ("start", "done")]
    assert sum(e["event"] == "progress" for e in events) > 3
    done = [e for e in events if e["event"] == "done"]
    assert [e["input"] for e in done] == order
    for e in done:
        assert Path(e["output"]).stat().st_size > 0
    assert _leftovers(folder) == []

    again = cli("add", str(folder), "--cluster", cluster.scheduler_address)
    assert again.returncode == 0, again.stderr
    assert "game-music batch" in again.stderr  # the summary table
    assert "0 done, 3 skipped, 0 failed" in again.stderr  # the job log's skip-done rule
    assert len(list(folder.glob("*(game music).mp4"))) == 3


@needs_dask
@pytest.mark.slow
def test_cluster_path_map(
    cluster: Any, tmp_path: Path, make_clip: Callable[..., Any], cli: Callable[..., Any]
) -> None:
    """The client names the storage by one path, the workers by another (a symlink here)."""
    real = _folder(tmp_path, make_clip, 1, 3.0)
    local = tmp_path / "mounted here"
    local.symlink_to(real)
    run = cli("add", str(local), "--json", "--cluster", cluster.scheduler_address,
              "--cluster-path-map", f"{local}={real}")
    assert run.returncode == 0, run.stderr
    done = [e for e in run.events if e["event"] == "done"]
    assert len(done) == 1
    assert done[0]["output"] == str(local / "rec 0 (game music).mp4")  # mapped back
    assert (real / "rec 0 (game music).mp4").stat().st_size > 0


def _worker_pids(client: Any) -> dict[str, int]:
    return client.run(os.getpid)  # type: ignore[no-any-return]


@needs_dask
@pytest.mark.slow
def test_worker_killed_mid_job_is_retried_without_partial_files(
    cluster: Any, tmp_path: Path, make_clip: Callable[..., Any]
) -> None:
    from game_music._cluster import PathMap, connect
    from game_music.batch import JobSpec, run_batch
    from game_music.cli import make_backend
    from game_music.jobs import resolve_output
    from game_music.media.probe import probe
    from game_music.prompt import parse_prompt

    folder = _folder(tmp_path, make_clip, 2, 12.0)
    request = parse_prompt("upbeat retro")
    specs = [JobSpec(p, request, resolve_output(p, None)) for p in sorted(folder.glob("*.mkv"))]
    outcomes: list[Any] = []
    killed: list[int] = []

    with connect(cluster.scheduler_address, PathMap(), make_backend) as runner:
        def batch() -> None:
            outcomes.extend(run_batch(specs, lambda: make_backend("local", None), lambda e: None,
                                      batch=True, jobs=len(specs), runner=runner))

        t = threading.Thread(target=batch)
        t.start()
        deadline = time.monotonic() + 120
        while not killed and time.monotonic() < deadline:
            busy = [w for w, keys in runner.client.processing().items() if keys]
            started = any(p.name.startswith(".game-music-") for p in folder.iterdir())
            if busy and started:
                time.sleep(1.0)  # well inside the job
                pid = _worker_pids(runner.client)[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.1)
        t.join(timeout=300)
    assert killed, "no job was seen running"
    assert not t.is_alive()
    assert [o.status for o in outcomes] == ["done", "done"], outcomes
    for o in outcomes:
        assert abs(probe(o.output).duration - 12.0) < 0.5  # complete, not a cut-off file
    assert _leftovers(folder) == []
    assert len(list(folder.glob("*(game music)*.mp4"))) == 2  # no second copy
    # every visible file is a finished output, its sidecar or a recording
    visible = [p.name for p in folder.iterdir() if not p.name.startswith(".")]
    assert all(n.endswith((".mkv", "(game music).mp4", ".game-music.json")) for n in visible)


@needs_dask
@pytest.mark.slow
def test_ctrl_c_cancels_the_submitted_tasks(
    cluster: Any, tmp_path: Path, make_clip: Callable[..., Any]
) -> None:
    from game_music.media.probe import probe

    folder = _folder(tmp_path, make_clip, 4, 20.0)
    proc = subprocess.Popen(
        [sys.executable, "-m", "game_music", "add", str(folder), "--json",
         "--cluster", cluster.scheduler_address],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
    )
    client = distributed.Client(cluster.scheduler_address, timeout=10)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if any(p.name.startswith(".game-music-") for p in folder.iterdir()):
                break
            time.sleep(0.1)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode != 0
        assert "Traceback" not in err
        # nothing left running or queued on the cluster, and nothing half-written
        def workdirs() -> list[Path]:
            return [p for p in folder.iterdir() if p.name.startswith(".game-music-")]

        # a cancelled task's thread runs on to its next progress step, then cleans up
        deadline = time.monotonic() + 60
        while (any(client.processing().values()) or workdirs()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(client.processing().values())
        time.sleep(1.0)
        # a job that had already finished keeps its output, as in a local batch; the rest stop
        outputs = list(folder.glob("*(game music)*.mp4"))
        assert len(outputs) < 4
        for o in outputs:
            assert abs(probe(o).duration - 20.0) < 0.5
        assert _leftovers(folder) == []
        assert workdirs() == []
        events = [json.loads(line) for line in out.splitlines() if line.strip()]
        assert len([e for e in events if e["event"] == "done"]) <= len(outputs)
    finally:
        client.close()
