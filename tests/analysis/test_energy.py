"""Game-audio loudness curve: follows a generated loudness ramp on the dB scale."""

from __future__ import annotations

import numpy as np

from game_music.analysis.energy import (
    FLOOR_LUFS,
    TOP_LUFS,
    EnergyMeter,
    energy_curve,
)
from game_music.analysis.result import hop_count

SR = 48000


def _ramp(seconds: float, db_from: float, db_to: float, seed: int = 0) -> np.ndarray:
    """Stereo 1 kHz-band noise whose level rises linearly in dB."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    tone = np.sin(2 * np.pi * 1000 * t) + 0.05 * rng.standard_normal(n)  # K-weighting ~0 dB
    rms_db = db_from + (db_to - db_from) * t / seconds
    x = tone / np.sqrt(np.mean(tone**2)) * 10 ** (rms_db / 20)
    return np.stack([x, x], axis=1).astype(np.float32)


def test_energy_follows_a_loudness_ramp() -> None:
    audio = _ramp(10.0, -60.0, -10.0)
    n = hop_count(10.0)
    curve = energy_curve(audio, n)
    assert curve.shape == (n,) and curve.dtype == np.float32
    t = (np.arange(n) + 0.5) * 0.02
    # Stereo with equal channels reads 3 dB above one channel's RMS (BS.1770 sums channels).
    lufs = -60.0 + 5.0 * t + 3.0 - 0.691
    expected = np.clip((lufs - FLOOR_LUFS) / (TOP_LUFS - FLOOR_LUFS), 0, 1)
    inner = slice(50, n - 50)  # away from the smoothing window's edges
    assert np.abs(curve[inner] - expected[inner]).max() < 0.05
    assert np.all(np.diff(curve[inner]) >= -1e-3)  # monotonic, as the ramp


def test_silence_is_zero_and_loud_is_one() -> None:
    assert not energy_curve(np.zeros((SR, 2), np.float32), 50).any()
    assert not energy_curve(None, 50).any()
    loud = energy_curve(_ramp(2.0, 0.0, 0.0), 100)
    assert np.all(loud[15:-15] == 1.0)


def test_blocks_give_the_same_curve_and_length_is_exact() -> None:
    audio = _ramp(7.3, -50.0, -20.0, seed=1)
    n = hop_count(7.3)
    whole = energy_curve(audio, n)
    meter = EnergyMeter()
    for i in range(0, len(audio), 10007):  # blocks off the hop grid
        meter.feed(audio[i : i + 10007])
    np.testing.assert_allclose(meter.curve(n), whole, atol=1e-5)
    assert n == 365 and len(energy_curve(audio, n + 10)) == n + 10
