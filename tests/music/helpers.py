"""Synthetic analyses for the music tests: curves built with numpy, cut lists by hand."""

from __future__ import annotations

import numpy as np

from game_music.analysis.result import HOP_S, Analysis, Cut
from game_music.music import compose_music
from game_music.request import MusicRequest

SR = 48000


def make_analysis(
    duration: float,
    *,
    energy: float | np.ndarray | None = 0.5,
    motion: float | np.ndarray | None = None,
    speech: list[tuple[float, float]] = (),
    cuts: list[float] = (),
    seed: int = 0,
) -> Analysis:
    """An analysis whose curves are ``energy`` (a level, or a function of time given as an
    array over the hop grid), a little noise, talking in ``speech`` spans, strong ``cuts``."""
    n = max(1, int(np.ceil(duration / HOP_S)))
    rng = np.random.default_rng(seed)

    def curve(v: float | np.ndarray | None) -> np.ndarray:
        if v is None:
            v = 0.0
        base = np.broadcast_to(np.asarray(v, dtype=np.float64), (n,))
        return np.clip(base + rng.normal(0.0, 0.02, n), 0.0, 1.0).astype(np.float32)

    e = curve(energy)
    m = curve(energy if motion is None else motion)
    s = np.zeros(n, dtype=np.float32)
    t = np.arange(n) * HOP_S
    for a, b in speech:
        s[(t >= a) & (t < b)] = 0.95
    return Analysis(duration, HOP_S, e, s, m, tuple(Cut(c, 0.9) for c in cuts), 0.5, True)


def compose(duration: float, *, seed: int = 1, request: MusicRequest | None = None, **kw):
    request = request or MusicRequest()
    return compose_music(
        make_analysis(duration, **kw),
        request if request.style else request.replace(style="chiptune"),  # not auto style
        duration=duration,
        seed=seed,
        sample_rate=SR,
    )


def ramp(duration: float, lo: float, hi: float) -> np.ndarray:
    """Energy that is ``lo`` in the first half and ``hi`` in the second."""
    n = max(1, int(np.ceil(duration / HOP_S)))
    return np.where(np.arange(n) * HOP_S < duration / 2, lo, hi)
