"""The shipped track's true peak on the final MP4, decoded, for every style.

The engine no longer decodes its AAC to check it (see game_music.mix.master): the limiter's
ceiling plus the measured bound for the encoder's overshoot must keep every style at or
below -1 dBTP, loud music over game audio and voice included.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from game_music.media.ffmpeg import run_ffmpeg
from game_music.request import STYLES
from measure import decode_audio, loudness


@pytest.mark.slow
@pytest.mark.parametrize("style", STYLES)
def test_the_final_mp4_stays_under_minus_one_dbtp(style: str, tmp_path: Path, cli: Callable,
                                                   make_clip: Callable) -> None:
    clip = make_clip("peaks.mkv", seconds=8, voice_track=True)
    out = tmp_path / "out.mp4"
    result = cli("add", str(clip.path), "-o", str(out), "--style", style, "--seed", "2",
                 "--prompt=loud intense music at 100%")
    assert result.returncode == 0, result.stdout + result.stderr
    integrated, peak = loudness(out)
    assert peak <= -1.0
    assert -15.0 <= integrated <= -13.0
    reported = json.loads(Path(str(out) + ".game-music.json").read_text())["summary"]
    assert reported["loudness"]["true_peak_dbtp"] <= -1.0
    assert peak <= reported["loudness"]["true_peak_dbtp"] + 0.1  # a bound, or measured


def _reproducible_clip(make_clip: Callable, path: Path) -> Path:
    """The demo clip's game and voice tracks under test-pattern scenes cut where its scenes
    are, encoded on one thread: the same file every time (the take below was found on it)."""
    clip = make_clip("peaks15.mkv", seconds=15, voice_track=True)
    scenes = ("testsrc2=s=640x360:r=30", "testsrc2=s=640x360:r=30,hue=h=140:s=2,vflip",
              "smptehdbars=s=640x360:r=30,hue=H=2*PI*t/3", "testsrc2=s=640x360:r=30,negate")
    bounds = [0.0, *clip.cuts, clip.duration]
    args: list[str] = []
    for k in range(len(bounds) - 1):
        args += ["-f", "lavfi", "-i", f"{scenes[k % len(scenes)]},"
                 f"trim=duration={bounds[k + 1] - bounds[k]:.3f},setpts=PTS-STARTPTS"]
    n = len(bounds) - 1
    concat = "".join(f"[{i}:v]" for i in range(n)) + f"concat=n={n}:v=1:a=0,format=yuv420p[v]"
    run_ffmpeg([*args, "-i", str(clip.path), "-filter_complex", concat, "-map", "[v]",
                "-map", f"{n}:a:0", "-map", f"{n}:a:1", "-c:v", "libx264", "-threads", "1",
                "-preset", "veryfast", "-g", "60", "-crf", "26", "-c:a", "copy",
                "-metadata:s:a:0", "title=Track 1", "-metadata:s:a:1", "title=Mic/Aux",
                "-t", f"{clip.duration:.3f}", str(path)])
    return path


@pytest.mark.slow
def test_a_chiptune_take_whose_aac_overshoots_is_caught(tmp_path: Path, cli: Callable,
                                                        make_clip: Callable) -> None:
    """Chiptune's pulse waves overshoot in the AAC like gameboy's. Trusted to the 1.0 dB
    bound (limiter at -2.3 dBTP, nothing decoded), this take shipped at -0.96 dBTP (found
    among 40 seeds on this clip; benchmarks/true_peak_overshoot.py saw up to 1.33 dB over the
    limiter's peak). Its encoded track is measured instead, and rendered again if it is over."""
    from game_music.mix.limiter import TruePeakMeter

    clip = _reproducible_clip(make_clip, tmp_path / "clip.mkv")
    out = tmp_path / "out.mp4"
    result = cli("add", str(clip), "-o", str(out), "--style", "chiptune", "--seed", "30",
                 "--prompt=loud intense music at 100%")
    assert result.returncode == 0, result.stdout + result.stderr
    meter = TruePeakMeter(2, np.float32)
    meter.add(decode_audio(out))  # the engine's 4x meter: finer than ebur128's 0.1 dB steps
    assert meter.peak_db <= -1.0
    assert loudness(out)[1] <= -1.0
