"""Band arrangements: each re-voices one section of the composer's notes for its style.

The shared composer writes lead, counter, pad, arp, bass and drums; an arrangement adds chords
on extra channels (string sections, e-piano 7th/9th voicings, ambient pads and a drone,
double-tracked power chords), instruments per section, swing and a lazy snare (lo-fi), thinned
bells with echoes (ambient), timpani on section starts (orchestral). Arrangements draw from
their own random stream, so they never disturb the composer's, and they stay a pure function
of (plan, section).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import numpy as np

from ..plan import Plan
from . import ambient, chiptune, gameboy, lofi, orchestral, rock

Arrangement = Callable[[Plan, int, np.ndarray], np.ndarray]

#: Style name -> arrangement; styles not listed keep the composer's notes as written.
ARRANGEMENTS: Mapping[str, Arrangement] = MappingProxyType(
    {
        "orchestral": orchestral.arrange,
        "lofi": lofi.arrange,
        "ambient": ambient.arrange,
        "rock": rock.arrange,
        "chiptune": chiptune.arrange,
        "gameboy": gameboy.arrange,
    }
)

__all__ = ["ARRANGEMENTS", "Arrangement"]
