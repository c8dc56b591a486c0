"""Synthetic tracks for the mix tests: music, game audio and a talking voice with known spans."""

from __future__ import annotations

import numpy as np

SR = 48000
HOP = 0.02


def music(seconds: float, seed: int = 0, level: float = 0.3) -> np.ndarray:
    """Chords with a louder second half and noise-burst drums, stereo float32."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3
    swell = np.where(t < seconds / 2, 0.5, 1.0)
    beat = np.exp(-((t * 2.0) % 1.0) * 30.0) * rng.standard_normal(n) * 0.5
    x = level * swell * (chord + beat)
    return np.stack([x, 0.9 * x], axis=1).astype(np.float32)


def game(seconds: float, seed: int = 1, level: float = 0.05) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    rumble = rng.standard_normal((n, 2)) * level * (1 + 0.5 * np.sin(2 * np.pi * 0.3 * t))[:, None]
    return rumble.astype(np.float32)


def voice(seconds: float, spans: list[tuple[float, float]], level: float = 0.2,
          seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """A voiced buzz in words of 0.25-0.5 s separated by short pauses, only inside ``spans``.

    Returns the stereo track and the 0..1 speech curve on the analysis hop (1 over each span,
    pauses between words included, as a smoothed VAD reports them).
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    buzz = sum(np.sin(2 * np.pi * 140.0 * k * t) / k for k in range(1, 12))
    gate = np.zeros(n)
    for a, b in spans:
        pos = a
        while pos < b:
            word = min(rng.uniform(0.25, 0.5), b - pos)
            i, j = int(pos * SR), int((pos + word) * SR)
            gate[i:j] = np.hanning(j - i)
            pos += word + rng.uniform(0.08, 0.3)
    x = level * buzz * gate
    curve = np.zeros(int(np.ceil(seconds / HOP)), np.float32)
    for a, b in spans:
        curve[int(a / HOP) : int(b / HOP)] = 1.0
    return np.stack([x, x], axis=1).astype(np.float32), curve


def span_mask(spans: list[tuple[float, float]], n: int) -> np.ndarray:
    mask = np.zeros(n, bool)
    for a, b in spans:
        mask[int(a * SR) : int(b * SR)] = True
    return mask
