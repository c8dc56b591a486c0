"""Ambient: slow pads, a tonic drone, thinned bells with echoes."""

from __future__ import annotations

import numpy as np

from ..channels import CH_DRONE, CH_ECHO, CH_PADS, TRIANGLE
from ..plan import Plan
from ._section import Arr, fade_final, legato, role


def arrange(plan: Plan, index: int, notes: np.ndarray) -> np.ndarray:
    a = Arr(plan, index, notes)
    near = 62.0
    bars = list(a.bars)
    # Pads hold each chord for as long as the harmony does (the progressions repeat chords).
    i = 0
    while i < len(bars):
        bar = bars[i]
        j = i + 1
        while (
            j < len(bars)
            and bars[j] != a.final
            and a.p.chords[bars[j]] == a.p.chords[bar]
            and a.key(bars[j]) == a.key(bar)
        ):
            j += 1
        span = sum(a.length(b) for b in bars[i:j])
        vs = a.voicing(bar, 4, 50, 74, near)
        near = float(np.mean(vs)) if vs else near
        lv = a.level(bar)
        vol = (4.5, 6.0, 10.0, 12.0)[lv] * (0.8 if plan.speech[bar] else 1.0)
        for ch, pitch in zip(CH_PADS, vs, strict=False):
            a.add(bar, 0, span * 0.98, ch, "pad", pitch, vol)
        if bar != a.final:  # bass: one long root under the chord
            a.add(bar, 0, span * 0.98, TRIANGLE, "bass", a.root(bar, 36), 11.0)
        i = j
    # A drone on the tonic (and its fifth) under the whole section.
    first, last = bars[0], bars[-1]
    total = sum(a.length(b) for b in bars)
    tonic = 36 + a.key(first) % 12
    if last != a.final:
        a.add(first, 0, total, CH_DRONE, "pad", tonic, 7.0)
    else:
        a.nb.add(a.beat(first), total, CH_DRONE, "final", tonic, 7.0, fade=True)
    drums = role(notes, "kick", "snare", "hat", "crash", "tom")
    keep = ~role(notes, "pad", "bass", "counter", "arp") & ~drums
    # Sparse bells: a few of the composer's arpeggio notes, each with two echoes.
    arp = np.flatnonzero(role(notes, "arp"))
    bar_of = a.bar_of(notes["start"])
    echo = int(round(0.75 * a.spb))
    extra = []
    for k in arp:
        lv = a.level(int(bar_of[k]))
        if a.r.random() < (0.12, 0.18, 0.3, 0.4)[lv]:
            n = notes[k].copy()
            n["dur"] = max(int(n["dur"]), int(0.5 * a.spb))
            n["arp1"] = n["arp2"] = 0
            extra.append(n)
            for m, g in ((1, 0.45), (2, 0.2)):
                e = n.copy()
                e["start"] += m * echo
                e["ch"], e["vol"] = CH_ECHO + m - 1, n["vol"] * g
                if e["start"] < plan.num_samples:
                    extra.append(e)
    # Little percussion: a soft pulse when the action rises.
    keep |= drums & role(notes, "kick", "hat") & (a.p.intensity[np.minimum(bar_of, a.final)] >= 2)
    keep |= role(notes, "crash")  # cymbal swells mark cuts and new sections
    # The lead breathes: only its phrase-opening notes, held.
    lead = role(notes, "lead")
    if lead.any():
        st = a.step_of(notes["start"])
        keep &= ~lead | (np.rint(st) % 4 == 0)
    out = a.merged(keep)
    if extra:
        out = np.concatenate([out, np.array(extra, dtype=out.dtype)])
        out = out[np.lexsort((out["ch"], out["start"]))]
    out = legato(out, role(out, "lead"))
    return fade_final(a, out)

