"""The local engine end to end through the CLI: Contract 4 on real generated recordings.

What the engine itself decides (streams, loudness, determinism, copy or re-encode) needs the
engine and is ``slow``; what the CLI and job runner decide (names, preview span, never replacing
a foreign file, Ctrl-C) also runs in-process on the fake backend.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from game_music.backends.fake import FakeBackend
from game_music.media.probe import probe
from measure import decode_audio, loudness


def _copy(src: Path, folder: Path, name: str | None = None) -> Path:
    dst = folder / (name or src.name)
    shutil.copy(src, dst)
    return dst


def _add(cli, *args: str) -> tuple[Path, list[dict]]:  # type: ignore[no-untyped-def]
    result = cli("add", *args, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    events = result.events
    assert events[0]["event"] == "start" and events[-1]["event"] == "done"
    fractions = [e["fraction"] for e in events if e["event"] == "progress"]
    assert fractions == sorted(fractions) and all(0 <= f <= 1 for f in fractions)
    return Path(events[-1]["output"]), events


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, make_clip: Callable) -> dict:
    """One default render of a 1280x720 H.264 MKV with a talking streamer, shared by tests."""
    folder = tmp_path_factory.mktemp("contract")
    clip = make_clip("2026-11-24 21-03-11.mkv", seconds=12, width=1280, height=720, fps=60,
                     voice_track=True)
    src = _copy(clip.path, folder)
    before = src.read_bytes()
    proc = subprocess.run(
        [sys.executable, "-m", "game_music", "add", str(src), "-p",
         "add retro chiptune background music", "--json", "--stem", str(folder / "stem.wav")],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    events = [json.loads(x) for x in proc.stdout.splitlines()]
    return {"src": src, "before": before, "clip": clip, "events": events,
            "out": Path(events[-1]["output"]), "folder": folder}


@pytest.mark.slow
def test_output_name_streams_and_duration(rendered: dict) -> None:
    out: Path = rendered["out"]
    assert out.name == "2026-11-24 21-03-11 (game music).mp4"
    assert out.parent == rendered["src"].parent
    info, src = probe(out), probe(rendered["src"])
    assert info.format_name.startswith("mov,mp4")
    assert info.video.codec == "h264" and info.video.pix_fmt == "yuv420p"
    assert (info.video.width, info.video.height) == (1280, 720)
    assert info.video.fps == src.video.fps
    assert len(info.audio) == 1
    a = info.audio[0]
    assert (a.codec, a.sample_rate, a.channels) == ("aac", 48000, 2)
    assert abs(info.video.duration - src.video.duration) <= src.frame_duration
    pcm = decode_audio(out)
    assert abs(len(pcm) / 48000 - src.video.duration) <= src.frame_duration
    assert rendered["src"].read_bytes() == rendered["before"]  # input untouched


@pytest.mark.slow
def test_video_stream_copied(rendered: dict) -> None:
    sidecar = json.loads(Path(str(rendered["out"]) + ".game-music.json").read_text())
    assert sidecar["summary"]["video"]["copied"] is True
    assert sidecar["request"]["style"] == "chiptune"
    assert isinstance(sidecar["seed"], int)
    assert sidecar["summary"]["analysis"]["duration_s"] == pytest.approx(12, abs=0.05)


@pytest.mark.slow
def test_loudness_and_true_peak(rendered: dict) -> None:
    integrated, peak = loudness(rendered["out"])
    assert -15.0 <= integrated <= -13.0
    assert peak <= -1.0


@pytest.mark.slow
def test_no_stray_files(rendered: dict) -> None:
    names = sorted(p.name for p in rendered["folder"].iterdir())
    assert names == sorted([rendered["src"].name, rendered["out"].name,
                            rendered["out"].name + ".game-music.json", "stem.wav"])


@pytest.mark.slow
def test_determinism_same_seed(tmp_path: Path, cli, make_clip: Callable) -> None:
    src = _copy(make_clip("det.mkv", seconds=5).path, tmp_path)
    out1, _ = _add(cli, str(src), "--seed", "7", "-o", str(tmp_path / "a.mp4"),
                   "--stem", str(tmp_path / "a.wav"))
    out2, _ = _add(cli, str(src), "--seed", "7", "-o", str(tmp_path / "b.mp4"),
                   "--stem", str(tmp_path / "b.wav"))
    out3, _ = _add(cli, str(src), "--seed", "8", "-o", str(tmp_path / "c.mp4"),
                   "--stem", str(tmp_path / "c.wav"))
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()
    assert np.array_equal(decode_audio(out1), decode_audio(out2))
    assert (tmp_path / "a.wav").read_bytes() != (tmp_path / "c.wav").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "kwargs", "expect_copy", "size"),
    [
        ("hevc.mkv", {"vcodec": "libx265"}, False, (640, 360)),
        ("big.mp4", {"width": 2560, "height": 1440, "seconds": 3}, False, (1920, 1080)),
        ("ok.mp4", {}, True, (640, 360)),
        ("ok.mov", {}, True, (640, 360)),
        ("ok.flv", {}, True, (640, 360)),
    ],
)
def test_copy_or_reencode(tmp_path: Path, cli, make_clip: Callable, name: str, kwargs: dict,
                          expect_copy: bool, size: tuple[int, int]) -> None:
    kwargs.setdefault("seconds", 4)
    src = _copy(make_clip(name, **kwargs).path, tmp_path)
    out, _ = _add(cli, str(src))
    info, sinfo = probe(out), probe(src)
    assert info.video.codec == "h264"
    assert (info.video.width, info.video.height) == size
    sidecar = json.loads(Path(str(out) + ".game-music.json").read_text())
    assert sidecar["summary"]["video"]["copied"] is expect_copy
    assert abs(info.video.duration - sinfo.video.duration) <= sinfo.frame_duration


@pytest.mark.slow
def test_vertical_output(tmp_path: Path, cli, make_clip: Callable) -> None:
    src = _copy(make_clip("wide.mkv", seconds=4, width=1280, height=720).path, tmp_path)
    out, _ = _add(cli, str(src), "-p", "chiptune for tiktok, vertical")
    info = probe(out)
    assert info.video.height > info.video.width
    assert abs(info.video.width / info.video.height - 9 / 16) < 0.02


@pytest.fixture(params=["fake", pytest.param("engine", marks=pytest.mark.slow)])
def add_cli(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """The CLI on the fake backend (fast), and once more on the real engine (slow)."""
    return request.getfixturevalue("fake_cli" if request.param == "fake" else "cli")


def test_preview_is_twenty_seconds(tmp_path: Path, add_cli, make_clip: Callable) -> None:
    src = _copy(make_clip("long.mkv", seconds=21, width=160, height=90).path, tmp_path)
    out, _ = _add(add_cli, str(src), "--preview")
    assert out.name == "long (game music preview).mp4"
    assert probe(out).video.duration == pytest.approx(20.0, abs=0.1)


def test_preview_is_named_and_cut_at_twenty_seconds(tmp_path: Path, fake_cli,
                                                   make_clip: Callable) -> None:
    """What the CLI decides for ``--preview``, on a short clip (the 20 s cut itself: above)."""
    from types import SimpleNamespace

    from game_music.backends.local import source_range

    src = _copy(make_clip("mine.mkv", seconds=3).path, tmp_path)
    out, _ = _add(fake_cli, str(src), "--preview")
    assert out.name == "mine (game music preview).mp4"
    (call,) = fake_cli.made[-1].calls
    assert call.options.preview
    assert probe(out).video.duration == pytest.approx(probe(src).video.duration, abs=0.1)
    media = SimpleNamespace(video=SimpleNamespace(duration=21.0))
    assert source_range(media, call.options) == (0.0, 20.0)  # type: ignore[arg-type]


def test_existing_foreign_file_is_not_replaced(tmp_path: Path, add_cli,
                                               make_clip: Callable) -> None:
    src = _copy(make_clip("mine.mkv", seconds=3).path, tmp_path)
    foreign = tmp_path / "mine (game music).mp4"
    foreign.write_bytes(b"the user's own file")
    out, _ = _add(add_cli, str(src))
    assert foreign.read_bytes() == b"the user's own file"
    assert out.name == "mine (game music) 2.mp4"
    out_again, _ = _add(add_cli, str(src))  # our own earlier take is replaced, not multiplied
    assert out_again == out


@pytest.mark.slow
def test_interrupt_leaves_nothing(tmp_path: Path, make_clip: Callable) -> None:
    # Long enough that the job is still working when the signal lands, however late a busy
    # machine lets this test read the progress: the engine renders a 40 s clip in ~1 s.
    src = _copy(make_clip("interrupt.mkv", seconds=240, width=320, height=180).path, tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "game_music", "add", str(src), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        event = json.loads(line)
        if event["event"] == "progress" and event["stage"] in ("synthesize", "mix", "render"):
            break
        assert time.monotonic() < deadline
    proc.send_signal(signal.SIGINT)
    rest = proc.stdout.read()
    assert proc.wait(timeout=60) == 130
    last = json.loads(rest.strip().splitlines()[-1])
    assert last["event"] == "error" and last["code"] == "cancelled"
    assert sorted(os.listdir(tmp_path)) == ["interrupt.mkv"]


def test_interrupt_leaves_nothing_in_process(tmp_path: Path, fake_cli,
                                             make_clip: Callable) -> None:
    """The same as above on the fake backend: SIGTERM (how hosts stop a job) mid-render."""
    src = _copy(make_clip("mine.mkv", seconds=3).path, tmp_path)
    backend = FakeBackend(seconds=60)

    def stop_when_rendering() -> None:
        deadline = time.monotonic() + 30
        while not backend.calls and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=stop_when_rendering)
    killer.start()
    t0 = time.monotonic()
    result = fake_cli("add", str(src), "--json", backend=backend)
    killer.join()
    assert time.monotonic() - t0 < 30
    assert result.returncode == 130
    last = result.events[-1]
    assert last["event"] == "error" and last["code"] == "cancelled"
    assert sorted(os.listdir(tmp_path)) == ["mine.mkv"]
