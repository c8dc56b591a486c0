"""A corpus of odd files, generated here, each with its expected outcome.

The whole corpus goes through one ``game-music add FOLDER -j 2 --json`` run (a batch, as after
a stream), then every case checks its own result against the input (the real engine: ``slow``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from game_music.media.ffmpeg import run_ffmpeg
from game_music.media.probe import probe
from measure import decode_audio

W, H, FPS = 320, 180, 30
NASTY_NAME = "it's a \"test\" $(touch pwned) `id` ünïcødé 🎮 gg.mkv"


def _video(seconds: float = 2.0, size: str = f"{W}x{H}", fps: int = FPS) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=s={size}:r={fps}:d={seconds}"]


def _tone(seconds: float = 2.0, freq: int = 330) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=f={freq}:d={seconds}:r=48000"]


X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]


@dataclass(frozen=True)
class Case:
    name: str
    args: list[str]  # ffmpeg arguments that write the file (output path appended)
    size: tuple[int, int] | None = (W, H)  # expected output picture size
    error: str | None = None  # expected error code instead of an output
    extra: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case("vfr.mkv", [*_video(3), *_tone(3),
                     "-vf", "setpts='(N/30+0.012*sin(N))/TB'", "-fps_mode", "vfr",
                     "-enc_time_base:v", "1:1000", *X264,
                     "-c:a", "aac"]),
    Case("odd size.mkv", [*_video(2, "853x479"), *_tone(), "-c:v", "ffv1",
                          "-pix_fmt", "yuv444p", "-c:a", "aac"], size=(852, 478)),
    Case("one pixel.mkv", ["-f", "lavfi", "-i", "color=c=red:s=1x1:r=30:d=2", *_tone(),
                           "-c:v", "ffv1", "-c:a", "aac"],
         size=(2, 2)),
    Case("hevc10.mp4", [*_video(), *_tone(), "-c:v", "libx265", "-preset", "ultrafast",
                        "-pix_fmt", "yuv420p10le", "-x265-params", "log-level=error",
                        "-tag:v", "hvc1", "-c:a", "aac"]),
    Case("vp9.webm", [*_video(), *_tone(), "-c:v", "libvpx-vp9", "-deadline", "realtime",
                      "-cpu-used", "8", "-b:v", "300k", "-c:a", "libopus"]),
    Case("surround.mkv", [*_video(), *_tone(), "-filter_complex",
                          "[1:a]pan=5.1|c0=c0|c1=c0|c2=c0|c3=0.5*c0|c4=c0|c5=c0[a]",
                          "-map", "0:v", "-map", "[a]", *X264, "-c:a", "aac"],
         extra={"channels_in": 6}),
    Case("three tracks.mkv", [*_video(), *_tone(), *_tone(freq=500), *_tone(freq=700),
                              "-map", "0", "-map", "1", "-map", "2", "-map", "3", *X264,
                              "-c:a", "aac"], extra={"tracks_in": 3}),
    Case("silent.mp4", [*_video(), *X264], extra={"tracks_in": 0}),
    Case("phone.mp4", [], size=(H, W)),  # rotation metadata, made from silent.mp4 below
    Case("half second.mp4", [*_video(0.5), *_tone(0.5), *X264, "-c:a", "aac"]),
    Case(NASTY_NAME, [*_video(), *_tone(), *X264, "-c:a", "aac"]),
    Case("voice memo.mkv", [*_tone(), "-c:a", "aac"], size=None, error="no_video_stream"),
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("odd")
    for n, case in enumerate(CASES):
        path = folder / case.name
        if case.name == "phone.mp4":  # a phone held upright: landscape pixels, turned 90°
            run_ffmpeg(["-display_rotation:v", "90", "-i", str(folder / "silent.mp4"),
                        *_tone(), "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac",
                        str(path)])
        else:
            run_ffmpeg([*case.args, str(path)], what=f"making {case.name}")
        t = time.time() - 3600 + n  # settled recordings, in corpus order
        os.utime(path, (t, t))
    data = Path(tmp_path_factory.mktemp("data"))
    proc = subprocess.run(
        [sys.executable, "-m", "game_music", "add", str(folder), "-j", "2", "--json"],
        capture_output=True, text=True, timeout=600, cwd=folder, stdin=subprocess.DEVNULL,
        env={**os.environ, "GAME_MUSIC_DATA_DIR": str(data)},
    )
    import json

    events = [json.loads(line) for line in proc.stdout.splitlines()]
    results = {Path(e["input"]).name: e for e in events if e["event"] in ("done", "error")}
    return {"folder": folder, "proc": proc, "results": results, "events": events}


@pytest.mark.slow
def test_batch_over_the_corpus(corpus: dict[str, Any]) -> None:
    proc = corpus["proc"]
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 3  # the one file without video; everything else is done
    assert [Path(e["input"]).name for e in corpus["events"] if e["event"] == "start"] == [
        c.name for c in CASES]
    assert not (corpus["folder"] / "pwned").exists()


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_odd_file(corpus: dict[str, Any], case: Case) -> None:
    src = corpus["folder"] / case.name
    result = corpus["results"][case.name]
    if case.error:
        assert result["event"] == "error" and result["code"] == case.error, result
        return
    assert result["event"] == "done", result
    out = Path(result["output"])
    assert out == src.with_name(f"{src.stem} (game music).mp4")
    info, made = probe(src), probe(out)
    # Contract 4: H.264 yuv420p, frame rate kept, AAC 48 kHz stereo, the input's duration.
    assert made.video.codec == "h264" and made.video.pix_fmt == "yuv420p"
    assert made.video.rotation == 0
    assert (made.video.width, made.video.height) == case.size
    assert abs(made.video.duration - info.video.duration) <= made.frame_duration + 1e-6
    assert [(a.codec, a.sample_rate, a.channels) for a in made.audio] == [("aac", 48000, 2)]
    assert abs(made.video.fps - info.video.fps) < Fraction(1, 100) or case.name == "vfr.mkv"
    music = decode_audio(made.path)
    assert float(np.sqrt(np.mean(music**2))) > 0.01  # music even where the input had none
    if "channels_in" in case.extra:
        assert info.audio[0].channels == case.extra["channels_in"]
    if "tracks_in" in case.extra:
        assert len(info.audio) == case.extra["tracks_in"]


def test_the_vfr_case_is_really_variable() -> None:
    """Guard the corpus itself: the VFR clip's frame intervals differ."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "vfr.mkv"
        run_ffmpeg([*CASES[0].args, str(path)])
        with av.open(str(path)) as c:
            s = c.streams.video[0]
            pts = sorted(float(p.pts * s.time_base) for p in c.demux(s) if p.pts is not None)
        steps = np.diff(pts)
        assert steps.max() - steps.min() > 0.01


@pytest.mark.slow
def test_phone_case_is_rotated(corpus: dict[str, Any]) -> None:
    info = probe(corpus["folder"] / "phone.mp4")
    assert info.video.rotation in (90, 270) and info.video.display_size == (H, W)
