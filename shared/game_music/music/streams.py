"""Random streams: one independent, reproducible generator per purpose.

Every draw in the music goes through :func:`rng` with its own stream id, so adding a draw in
one place never changes the numbers anywhere else (and never touches global state).
"""

from __future__ import annotations

import numpy as np

# Plan and composer.
S_TEMPO, S_KEY, S_HARMONY, S_THEME, S_SECTION = 1, 2, 3, 4, 5
# Band arrangements.
S_ARRANGE = 61


def rng(seed: int, *keys: int) -> np.random.Generator:
    """An independent, reproducible stream for one purpose (never global state)."""
    ss = np.random.SeedSequence(seed & 0xFFFF_FFFF_FFFF_FFFF, spawn_key=tuple(keys))
    return np.random.Generator(np.random.PCG64(ss))
