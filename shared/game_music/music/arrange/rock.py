"""Rock: double-tracked power chords, palm mutes, metal chugs for tense and dark moods."""

from __future__ import annotations

import numpy as np

from ..channels import CH_GTR_L, CH_GTR_R, CH_HAT2, CH_KICK2, NOISE
from ..plan import Plan
from ._section import Arr, fade_final, humanize, role

METAL_MOODS = frozenset({"tense", "dark"})


def arrange(plan: Plan, index: int, notes: np.ndarray) -> np.ndarray:
    a = Arr(plan, index, notes)
    metal = plan.mood in METAL_MOODS
    sr = plan.sample_rate
    for bar in a.bars:
        lv = a.level(bar)
        root = a.root(bar, 40)  # E2..D#3: power chords on the low strings
        steps = int(round(a.length(bar) * 4))
        vol = (6.0, 8.5, 12.0, 13.5)[lv] * (0.8 if plan.speech[bar] else 1.0)
        if bar == a.final or lv <= 1:
            hits = [(s, min(8, steps - s), 0) for s in range(0, steps, 8)]
            if lv == 0 and bar != a.final:
                hits = [(0, steps, 0)]
        elif lv == 2 or not metal:  # palm-muted eighths, accents open on 1 and the "and" of 2
            hits = [(s, 2, 0 if s in (0, 6) else 1) for s in range(0, steps, 2)]
        else:  # metal: sixteenth chugs with open stabs
            hits = [(s, 1, 0 if s in (0, 6, 12) else 1) for s in range(steps)]
        jitter = a.r.normal(0.0, 0.006, size=len(hits))
        for (s, ln, mute), dj in zip(hits, jitter, strict=True):
            for ch, dt in ((CH_GTR_L, 0.0), (CH_GTR_R, float(dj))):
                st = s + dt / (plan.beat_s / 4.0)
                a.add(
                    bar,
                    max(st, 0.0),
                    ln / 4.0 * (0.9 if mute else 0.98),
                    ch,
                    "pad",
                    root,
                    vol * (0.85 if mute else 1.0),
                    mode=mute,
                    aux=float(ch),
                )
    keep = ~role(notes, "pad")
    keep &= ~role(notes, "arp") | (
        a.p.intensity[np.minimum(a.bar_of(notes["start"]), a.final)] == 0
    )
    # Hats keep time under kicks and snares (one noise voice could not), kicks under crashes.
    drums = np.flatnonzero(role(notes, "kick", "snare") & (notes["ch"] == NOISE))
    st = a.step_of(notes["start"])
    for k in drums:
        if int(np.rint(st[k])) % 2 == 0:
            n = notes[k]
            bar = int(a.bar_of(np.array([n["start"]]))[0])
            if a.level(bar) >= 1:
                a.nb.add(
                    n["start"] / a.spb,
                    0.1,
                    CH_HAT2,
                    "hat",
                    0,
                    6.0 if st[k] % 4 else 7.0,
                    decay=0.02,
                    aux=float(n["aux"]),
                )
    for k in np.flatnonzero(role(notes, "crash")):
        a.nb.add(notes["start"][k] / a.spb, 0.1, CH_KICK2, "kick", 0, 12.0, aux=1.0)
    del sr
    out = a.merged(keep)
    # The drummer locks to the grid more tightly than the guitars (whose double-track has its
    # own spread).
    kit = role(out, "kick", "snare", "hat", "crash", "tom")
    return fade_final(a, humanize(a, out, timing=0.004, level=0.45, keep_time=kit))

