"""kill -9, SIGHUP and two runs at once, with real engines and real ffmpeg.

A killed run leaves its marker, work folder and part file; the next run in that folder
sweeps them, and its own output is a valid video. A live run's files are never swept, and
two runs to one output both finish under different names.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from game_music.media.probe import probe

pytestmark = pytest.mark.slow

CLIP = {"seconds": 8.0, "width": 320, "height": 180}


def _start(src: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "game_music", "add", str(src), "--json", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
    )


def _until(proc: subprocess.Popen[str], pred: Callable[[dict], bool]) -> dict:
    assert proc.stdout is not None
    for line in proc.stdout:
        event = json.loads(line)
        if pred(event):
            return event
    raise AssertionError("the run ended before the point we wait for")


def _stage(name: str, at_least: float = 0.0) -> Callable[[dict], bool]:
    return lambda e: (e["event"] == "progress" and e["stage"] == name
                      and e["fraction"] >= at_least)


def _kill_all(proc: subprocess.Popen[str]) -> None:
    """kill -9 of the run and what it started (a power cut stops all of them)."""
    kids = psutil.Process(proc.pid).children(recursive=True)
    proc.kill()
    for kid in kids:
        try:
            kid.kill()
        except psutil.NoSuchProcess:
            pass
    proc.wait()
    psutil.wait_procs(kids, timeout=10)


def _ours(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _finish(proc: subprocess.Popen[str]) -> tuple[list[dict], str]:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return [json.loads(line) for line in out.splitlines() if line.strip()], err


def _valid(path: Path) -> None:
    info = probe(path)
    assert info.duration > 7 and info.audio and info.video is not None, info


@pytest.mark.parametrize("point", ["analyse", "render", "rename"])
def test_kill_9_then_the_next_run_sweeps(tmp_path: Path, make_clip: Callable,
                                         point: str) -> None:
    src = tmp_path / "in.mkv"
    shutil.copyfile(make_clip("crash.mkv", **CLIP).path, src)
    first = _start(src)
    # "rename": the last progress step, just before the part file becomes the output.
    _until(first, _stage("render", 1.0) if point == "rename" else _stage(point))
    _kill_all(first)
    left = _ours(tmp_path)
    if point != "rename":  # at the very end the run may have finished its rename already
        assert any(n.endswith(".game-music-run") for n in left), left
        assert any(n.startswith(".game-music-") and "run" not in n for n in left), left

    events, _ = _finish(_start(src))
    assert _ours(tmp_path) == [], "nothing of the killed run (or this one) remains"
    _valid(Path(events[-1]["output"]))


def test_sighup_cleans_up_like_sigterm(tmp_path: Path, make_clip: Callable) -> None:
    src = tmp_path / "in.mkv"
    shutil.copyfile(make_clip("crash.mkv", **CLIP).path, src)
    run = _start(src)
    _until(run, _stage("synthesize"))
    run.send_signal(signal.SIGHUP)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 130, err  # cancelled, not killed by the signal
    assert "Traceback" not in err
    assert _ours(tmp_path) == []
    assert not (tmp_path / "in (game music).mp4").exists()


def test_a_live_run_is_not_swept_and_two_runs_get_two_names(tmp_path: Path,
                                                              make_clip: Callable) -> None:
    src = tmp_path / "in.mkv"
    shutil.copyfile(make_clip("crash.mkv", **CLIP).path, src)
    first = _start(src)
    _until(first, _stage("render"))
    tree = [psutil.Process(first.pid), *psutil.Process(first.pid).children(recursive=True)]
    for p in tree:  # hold it mid-render while the second run starts in the same folder
        p.suspend()
    try:
        before = _ours(tmp_path)
        events, err = _finish(_start(src))
        second = Path(events[-1]["output"])
        assert second.name == "in (game music) 2.mp4", events[-1]
        assert "being written by another run" in err
        for name in before:  # the first run's marker, work folder and part are untouched
            assert (tmp_path / name).exists(), (name, _ours(tmp_path))
    finally:
        for p in tree:
            p.resume()
    events, _ = _finish(first)
    first_out = Path(events[-1]["output"])
    assert first_out.name == "in (game music).mp4"
    _valid(first_out)
    _valid(second)
    assert _ours(tmp_path) == []


def test_two_runs_at_once_to_one_output(tmp_path: Path, make_clip: Callable) -> None:
    src = tmp_path / "in.mkv"
    shutil.copyfile(make_clip("crash.mkv", **CLIP).path, src)
    out = tmp_path / "out.mp4"
    runs = [_start(src, "-o", str(out)) for _ in range(2)]
    outputs = {Path(_finish(r)[0][-1]["output"]) for r in runs}
    assert outputs == {out, tmp_path / "out 2.mp4"}
    for o in outputs:
        _valid(o)
    assert _ours(tmp_path) == []
    assert os.path.exists(tmp_path / "out.mp4.game-music.json")
