"""Synthetic audio for the analysis tests: speech-like phrases, game noise, music."""

from __future__ import annotations

import numpy as np
from scipy import signal

SR = 48000
# First three formants (Hz) of a few vowels.
_VOWELS = ((730, 1090, 2440), (270, 2290, 3010), (530, 1840, 2480), (570, 840, 2410),
           (300, 870, 2240), (660, 1720, 2410))


def speech_like(seconds: float, rng: np.random.Generator, level: float = 0.3) -> np.ndarray:
    """Mono "speech": a glottal pulse train with a pitch contour through vowel formants,
    in 120-280 ms syllables with short gaps and the odd fricative onset."""
    n = int(seconds * SR)
    t = np.arange(n) / SR
    f0 = rng.uniform(100, 190) * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(0.3, 0.9) * t
                                                     + rng.uniform(0, 6)))
    f0 *= 1 + 0.01 * rng.standard_normal(n).cumsum() / np.sqrt(SR)  # a little drift
    phase = np.cumsum(f0 / SR) % 1.0
    glottal = np.where(phase < 0.6, np.sin(np.pi * phase / 0.6) ** 2, 0.0)
    source = np.diff(glottal, prepend=0.0)
    out = np.zeros(n)
    pos = 0
    while pos < n:
        length = min(int(rng.uniform(0.12, 0.28) * SR), n - pos)
        seg = source[pos : pos + length]
        voiced = np.zeros(length)
        for f, bw in zip(_VOWELS[rng.integers(len(_VOWELS))], (90, 110, 160), strict=True):
            r = np.exp(-np.pi * bw / SR)
            voiced += signal.lfilter([1 - r], [1, -2 * r * np.cos(2 * np.pi * f / SR), r * r], seg)
        out[pos : pos + length] += voiced * np.sin(np.pi * np.arange(length) / length) ** 0.7
        if rng.random() < 0.4:  # fricative
            k = min(int(0.05 * SR), n - pos)
            highpass = signal.butter(2, 3500 / (SR / 2), "high")
            hiss = signal.lfilter(*highpass, rng.standard_normal(k))
            out[pos : pos + k] += 0.02 * hiss * np.hanning(k)
        pos += length + int(rng.uniform(0.02, 0.09) * SR)
    return level * out / (np.abs(out).max() + 1e-12)


def explosion(seconds: float, rng: np.random.Generator, level: float = 0.6) -> np.ndarray:
    """Broadband noise burst with a fast attack and a decaying tail (game SFX)."""
    n = int(seconds * SR)
    x = signal.lfilter(*signal.butter(2, [60 / (SR / 2), 8000 / (SR / 2)], "band"),
                       rng.standard_normal(n))
    env = np.exp(-np.arange(n) / SR / (seconds / 3))
    return level * x * env / (np.abs(x).max() + 1e-12)


def gunfire(seconds: float, rng: np.random.Generator, level: float = 0.6) -> np.ndarray:
    """Rapid clicks of noise, ~12 per second."""
    n = int(seconds * SR)
    out = np.zeros(n)
    for start in range(0, n, SR // 12):
        k = min(int(0.04 * SR), n - start)
        out[start : start + k] += rng.standard_normal(k) * np.exp(-np.arange(k) / (0.008 * SR))
    return level * out / (np.abs(out).max() + 1e-12)


def music(seconds: float, level: float = 0.3) -> np.ndarray:
    """A game-music-like arpeggio of harmonic notes, four per second."""
    n = int(seconds * SR)
    out = np.zeros(n)
    step = SR // 4
    for i, start in enumerate(range(0, n, step)):
        f = (220, 277, 330, 440, 370, 294)[i % 6]
        k = min(step, n - start)
        tt = np.arange(k) / SR
        out[start : start + k] = sum(np.sin(2 * np.pi * f * h * tt) / h for h in range(1, 6))
        out[start : start + k] *= np.exp(-tt * 3)
    return level * out / (np.abs(out).max() + 1e-12)


def place(total_s: float, items: list[tuple[float, np.ndarray]]) -> np.ndarray:
    """Mix mono ``(start_s, samples)`` items into a stereo ``(n, 2)`` float32 track."""
    out = np.zeros(int(total_s * SR))
    for start, x in items:
        a = int(start * SR)
        out[a : a + len(x)] += x[: len(out) - a]
    return np.stack([out, out], axis=1).astype(np.float32)
