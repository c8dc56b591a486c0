"""Loudness meter, true-peak limiter and mastering, checked up to the final MP4's audio."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from mix_signals import SR, game, music, voice

from game_music.media.ffmpeg import run_ffmpeg
from game_music.media.mux import mux_pcm
from game_music.media.probe import probe
from game_music.mix import (
    Limiter,
    LoudnessMeter,
    TruePeakMeter,
    limit,
    master,
    master_blocks,
    true_peak_db,
)
from measure import loudness


def _splits(n: int, count: int, seed: int) -> list[tuple[int, int]]:
    cuts = np.sort(np.random.default_rng(seed).choice(np.arange(1, n), count, replace=False))
    bounds = [0, *cuts.tolist(), n]
    return list(pairwise(bounds))


def _gunfight(seconds: float, shots: np.ndarray | None = None) -> np.ndarray:
    """Game audio with gunshots: noise bursts far above the rest, peaks over full scale."""
    rng = np.random.default_rng(3)
    x = game(seconds, level=0.03).astype(np.float64)
    if shots is None:
        shots = rng.uniform(0.2, seconds - 0.2, 12)
    k = np.arange(4800)
    for t in shots:
        i = int(t * SR)
        x[i : i + 4800] += 0.9 * np.exp(-k / 600.0)[:, None] * rng.standard_normal((4800, 2))
    return x


@pytest.mark.parametrize("seconds", [3.0, 9.7])
def test_meter_matches_pyloudnorm_and_ignores_block_size(seconds: float) -> None:
    vo, _ = voice(seconds, [(0.5, seconds - 0.5)])
    x = (music(seconds, level=0.1) + vo).astype(np.float64)
    x[int(1.0 * SR) : int(1.8 * SR)] *= 0.001  # a near-silent stretch the gates must drop
    reference = pyloudnorm.Meter(SR).integrated_loudness(x)
    meter = LoudnessMeter(SR)
    for a, b in _splits(len(x), 17, 1):
        meter.add(x[a:b])
    assert meter.integrated() == pytest.approx(reference, abs=0.1)
    whole = LoudnessMeter(SR)
    whole.add(x)
    assert meter.integrated() == pytest.approx(whole.integrated(), abs=1e-9)


def test_limiter_holds_the_ceiling_and_streams_like_whole() -> None:
    shots = np.array([0.5, 1.5, 2.5, 3.5])
    x = _gunfight(4.0, shots) * 2.0
    assert true_peak_db(x) > 6.0
    whole = limit(x, SR, ceiling_db=-2.0)
    assert whole.shape == x.shape
    assert true_peak_db(whole) <= -2.0 + 0.1
    lim = Limiter(SR, ceiling_db=-2.0)
    parts = [lim.process(x[a:b]) for a, b in _splits(len(x), 23, 2)] + [lim.flush()]
    streamed = np.concatenate(parts)
    assert streamed.shape == x.shape
    assert np.allclose(streamed, whole, rtol=0, atol=1e-9)
    # The gain comes back: half a second after each shot the audio is untouched.
    untouched = np.isclose(whole, x, rtol=0, atol=1e-12).all(axis=1)
    for t in shots:
        assert not untouched[int(t * SR) : int((t + 0.05) * SR)].all()
        assert untouched[int((t + 0.45) * SR) : int((t + 0.95) * SR)].all()


def test_true_peak_meter_sees_inter_sample_peaks() -> None:
    # A quarter-rate sine sampled at +-45 degrees: every sample at 0.707, the wave peaks at 1.0.
    n = np.arange(SR)
    x = np.sin(np.pi / 2 * n + np.pi / 4)[:, None].repeat(2, axis=1)
    assert np.abs(x).max() == pytest.approx(0.7071, abs=1e-3)
    meter = TruePeakMeter()
    for a, b in _splits(len(x), 5, 3):
        meter.add(x[a:b])
    assert meter.peak_db == pytest.approx(0.0, abs=0.3)


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("master") / "v.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=6",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)])
    return path


@pytest.mark.parametrize(
    "make",
    [
        lambda s: (music(s, level=0.01) + game(s, level=0.002)).astype(np.float64),  # quiet
        lambda s: music(s, level=0.6) + _gunfight(s),  # loud, clipping peaks
    ],
    ids=["quiet", "loud"],
)
def test_final_mp4_is_minus_14_lufs_and_under_minus_1_dbtp(
    video: Path, make, tmp_path: Path
) -> None:
    info = probe(video)
    mix = make(info.video.duration)
    out, report = master(mix.astype(np.float32), SR)
    assert out.shape == mix.shape
    assert report.output_lufs == pytest.approx(-14.0, abs=0.3)
    assert report.true_peak_dbtp <= report.ceiling_dbtp + 0.1
    final = tmp_path / "final.mp4"
    mux_pcm(info, final, lambda write: write(out))
    integrated, peak = loudness(final)  # ffmpeg ebur128=peak=true on the AAC track
    assert integrated == pytest.approx(-14.0, abs=1.0)
    assert peak <= -1.0


def test_streamed_mastering_equals_whole() -> None:
    x = (music(5.0, level=0.5) + _gunfight(5.0)).astype(np.float32)
    whole, report = master(x, SR)
    parts: list[np.ndarray] = []
    splits = _splits(len(x), 11, 4)
    streamed = master_blocks(lambda: (x[a:b] for a, b in splits), parts.append, SR)
    assert np.allclose(np.concatenate(parts), whole, rtol=0, atol=1e-6)
    assert streamed.gain_db == pytest.approx(report.gain_db, abs=1e-6)
    assert report.max_limiting_db > 1.0  # this input really needed the limiter
    assert report.input_lufs == pytest.approx(pyloudnorm.Meter(SR).integrated_loudness(
        x.astype(np.float64)), abs=0.1)


def test_silence_stays_silent() -> None:
    out, report = master(np.zeros((SR * 2, 2), np.float32), SR)
    assert not out.any() and report.gain_db == 0.0
