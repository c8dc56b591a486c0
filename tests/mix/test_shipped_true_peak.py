"""The shipped track's true peak on the final MP4, decoded, for every style.

The engine no longer decodes its AAC to check it (see game_music.mix.master): the limiter's
ceiling plus the measured bound for the encoder's overshoot must keep every style at or
below -1 dBTP, loud music over game audio and voice included.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from game_music.request import STYLES
from measure import loudness


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
