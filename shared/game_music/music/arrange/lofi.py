"""Lo-fi: rootless 7th/9th e-piano comping, swing and a lazy snare."""

from __future__ import annotations

import numpy as np

from ..channels import CH_KEYS
from ..plan import Plan
from ._section import Arr, fade_final, humanize, legato, role

SWING = 0.58  # the off-beat sixteenth lands at 58 % of the eighth
LAZY_SNARE_S = 0.018


def arrange(plan: Plan, index: int, notes: np.ndarray) -> np.ndarray:
    a = Arr(plan, index, notes)
    near = 63.0
    for bar in a.bars:
        lv = a.level(bar)
        vs = a.voicing(bar, 4, 53, 74, near, extended=True, rootless=True)
        near = float(np.mean(vs)) if vs else near
        vol = (8.0, 9.0, 10.0, 10.5)[lv] * (0.8 if plan.speech[bar] else 1.0)
        steps = int(round(a.length(bar) * 4))
        if lv <= 1 or bar == a.final:
            hits = [(0, steps)]
        else:  # comping: the downbeat, a push on the "and" of 2, sometimes one on 4
            pattern = ((0, 6), (6, 6), (12, 4)) if a.r.random() < 0.5 else ((0, 10), (10, 6))
            hits = [(s, ln) for s, ln in pattern if s < steps]
        for s, ln in hits:
            roll = 0.0
            for ch, pitch in zip(CH_KEYS, vs, strict=False):
                a.add(bar, s + roll, min(ln, steps - s) / 4.0 * 0.92, ch, "pad", pitch, vol)
                roll += 0.08  # a lazy hand rolls the chord a little
    keep = ~role(notes, "pad", "arp", "counter")
    # Bass: half notes with pushes instead of busy eighths.
    bass = role(notes, "bass") & (notes["start"] < a.bar_s[a.final])
    if bass.any():
        steps = a.step_of(notes["start"])
        keep &= ~bass | np.isin(np.rint(steps) % 16, (0, 6, 8, 14))
    out = _swing(a, a.merged(keep))
    # The keys and bass are played by hand; kick and hats stay sequenced (an MPC's swing).
    out = humanize(a, out, timing=0.006, level=0.4, keep_time=role(out, "kick", "hat"),
                   tight=0.0)
    snare = role(out, "snare")
    out["start"][snare] += int(LAZY_SNARE_S * plan.sample_rate)
    bass = role(out, "bass")
    return fade_final(a, legato(out, bass))


def _swing(a: Arr, notes: np.ndarray) -> np.ndarray:
    """Delay off-beat sixteenths: MPC-style swing."""
    notes = notes.copy()
    steps = a.step_of(notes["start"])
    odd = (np.abs(steps - np.rint(steps)) < 0.05) & (np.rint(steps) % 2 == 1)
    shift = int(round((SWING - 0.5) * 2.0 * a.spb / 4.0))
    notes["start"][odd] += shift
    notes["dur"][odd] = np.maximum(notes["dur"][odd] - shift, 1)
    return notes
