"""The fake backend, and the job runner's contract checked with it, in-process and fast."""

from __future__ import annotations

import importlib
import json
import pkgutil
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

import game_music
from game_music._errors import (
    AuthError,
    Cancelled,
    CorruptInput,
    DiskFull,
    GameMusicError,
    InternalError,
    NetworkError,
    NoCredits,
    OutputNotWritable,
    RateLimited,
)
from game_music.backends.base import Backend, RenderOptions
from game_music.backends.fake import FakeBackend
from game_music.jobs import run_job, sidecar_path
from game_music.media.probe import probe
from game_music.request import MusicRequest
from measure import decode_audio


@pytest.fixture
def src(tmp_path: Path, make_clip: Callable) -> Path:
    path = tmp_path / "match.mkv"
    shutil.copy(make_clip("match.mkv", seconds=3, width=320, height=180).path, path)
    return path


def _run(src: Path, backend: FakeBackend, **kwargs):  # type: ignore[no-untyped-def]
    events: list[dict] = []
    out = src.with_name(f"{src.stem} (game music).mp4")
    result = run_job(src, MusicRequest(style="lofi"), out, backend, events.append, **kwargs)
    return result, events


def test_is_a_backend_and_writes_a_valid_mp4(src: Path) -> None:
    backend: Backend = FakeBackend()
    stem = src.with_name("stem.wav")
    before = src.read_bytes()
    result, events = _run(src, backend, options=RenderOptions(stem_path=stem))
    info, source = probe(result.output), probe(src)
    assert info.format_name.startswith("mov,mp4") and info.video.codec == "h264"
    assert [(a.codec, a.sample_rate, a.channels) for a in info.audio] == [("aac", 48000, 2)]
    assert abs(info.video.duration - source.video.duration) <= source.frame_duration
    assert decode_audio(info.path).std() > 0.01  # the tone is there
    assert stem.stat().st_size > 48000 * 4 * 2  # 2 s of 16-bit stereo at least
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done" and events[-1]["stem"] == str(stem)
    stages = [e["stage"] for e in events if e["event"] == "progress"]
    assert stages[0] == "probe" and {"analyse", "compose", "synthesize", "render"} <= set(stages)
    fractions = [e["fraction"] for e in events if e["event"] == "progress"]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    sidecar = json.loads(sidecar_path(result.output).read_text())
    assert sidecar["backend"] == "local" and sidecar["summary"]["fake"] is True
    assert sidecar["summary"]["music"]["seed"] == sidecar["seed"]
    assert sidecar["summary"]["video"]["copied"] is True
    assert src.read_bytes() == before
    assert sorted(p.name for p in src.parent.iterdir()) == sorted(
        [src.name, result.output.name, sidecar_path(result.output).name, stem.name])


def test_preview_and_range_cut_the_output(src: Path) -> None:
    backend = FakeBackend()
    result, _ = _run(src, backend, options=RenderOptions(start_s=1.0, end_s=2.5))
    assert probe(result.output).video.duration == pytest.approx(1.5, abs=0.1)
    assert backend.calls[0].options.start_s == 1.0


@pytest.mark.parametrize(
    "error",
    [NoCredits("out of credits"), AuthError("bad token"), NetworkError("offline"),
     RateLimited("slow down"), DiskFull("the disk is full"), CorruptInput("broken"),
     OutputNotWritable("read-only")],
    ids=lambda e: e.code,
)
@pytest.mark.parametrize("stage", ["analyse", "compose", "render"])
def test_a_failure_is_one_error_event_and_leaves_nothing(
    src: Path, error: GameMusicError, stage: str
) -> None:
    events: list[dict] = []
    with pytest.raises(type(error)):
        run_job(src, MusicRequest(), src.with_name("out.mp4"),
                FakeBackend(fail=error, fail_at=stage), events.append)
    assert [e["event"] for e in events if e["event"] != "progress"] == ["start", "error"]
    assert events[-1]["code"] == error.code
    assert [p.name for p in src.parent.iterdir()] == [src.name]


def test_failure_events_and_cleanup(src: Path) -> None:
    with pytest.raises(NoCredits) as caught:
        _run(src, FakeBackend(fail=NoCredits("no credits left"), fail_at="render"))
    assert caught.value.exit_code == 4
    events: list[dict] = []
    with pytest.raises(NoCredits):
        run_job(src, MusicRequest(), src.with_name("out.mp4"),
                FakeBackend(fail=NoCredits("no credits left")), events.append)
    assert events[-1] == {"event": "error", "input": str(src), "code": "no_credits",
                          "message": "no credits left"}
    assert [p.name for p in src.parent.iterdir()] == [src.name]


@pytest.mark.parametrize("knob", [{"crash": True}, {"no_output": True}])
def test_a_broken_backend_is_an_internal_error(src: Path, knob: dict) -> None:
    with pytest.raises(InternalError):
        _run(src, FakeBackend(**knob))
    assert [p.name for p in src.parent.iterdir()] == [src.name]


def test_cancel_mid_render_leaves_nothing(src: Path) -> None:
    cancel = threading.Event()
    backend = FakeBackend(seconds=30, cancel=cancel)
    threading.Timer(0.2, cancel.set).start()
    with pytest.raises(Cancelled):
        _run(src, backend)
    assert [p.name for p in src.parent.iterdir()] == [src.name]


def test_hold_waits_for_the_event(src: Path) -> None:
    hold = threading.Event()
    backend = FakeBackend(hold=hold)
    done: list[Path] = []
    job = threading.Thread(target=lambda: done.append(_run(src, backend)[0].output))
    job.start()
    job.join(0.5)
    assert job.is_alive() and not done
    hold.set()
    job.join(30)
    assert done and done[0].exists()


def test_conftest_uses_the_bundled_bank() -> None:
    import os

    from game_music.music.synth.bank import BUNDLED

    # conftest names the bank by path, so it need not import the synthesizers.
    assert Path(os.environ["GAME_MUSIC_SOUNDFONT"]) == BUNDLED and BUNDLED.is_file()


def test_every_module_imports() -> None:
    """Every module of the package loads in the fast loop (the slow tests cannot be the only
    ones to notice a broken import)."""
    names = [m.name for m in pkgutil.walk_packages(game_music.__path__, "game_music.")]
    assert len(names) > 50
    for name in names:
        if name == "game_music.__main__":
            continue  # runs the CLI on import
        importlib.import_module(name)
