"""Orchestral: string chords, timpani on section starts and rolls, celli ostinato."""

from __future__ import annotations

import numpy as np

from ..channels import CH_CELLI, CH_STRINGS, CH_TIMPANI, CH_VIOLINS
from ..plan import Plan
from ._section import Arr, fade_final, role


def arrange(plan: Plan, index: int, notes: np.ndarray) -> np.ndarray:
    a = Arr(plan, index, notes)
    near = 64.0
    minor = plan.mode == "minor"
    violins = a.sec.theme % 2 == 1  # the melody alternates between violins and horns
    for k, bar in enumerate(a.bars):
        lv = a.level(bar)
        n = 3 if lv <= 1 else 4
        vs = a.voicing(bar, n, 52, 76, near)
        near = float(np.mean(vs)) if vs else near
        vol = (7.0, 9.0, 11.0, 12.5)[lv] * (0.75 if plan.speech[bar] else 1.0)
        for ch, pitch in zip(CH_STRINGS, vs, strict=False):
            a.add(bar, 0, a.length(bar), ch, "pad", pitch, vol)
        # Timpani: the section's first downbeat, a roll into a new section at full tilt.
        tonic = a.root(bar, 40) if a.p.chords[bar].root in (0, 7) else 40 + a.key(bar) % 12
        if k == 0 and lv >= 1 and bar != a.final:
            a.add(bar, 0, 2.0, CH_TIMPANI, "tom", a.root(bar, 40), 13.0)
            if lv >= 2:
                a.add(
                    bar,
                    8,
                    1.0,
                    CH_TIMPANI,
                    "tom",
                    a.root(bar, 40) + 7 - (12 if a.root(bar, 40) + 7 > 53 else 0),
                    10.0,
                )
        elif lv >= 2 and k % 4 == 0 and bar != a.final:
            a.add(bar, 0, 1.0, CH_TIMPANI, "tom", tonic, 11.0)
        if k == a.sec.n_bars - 1 and lv >= 2 and bar != a.final and index + 1 < len(plan.sections):
            steps = int(round(a.length(bar) * 4))
            for s in range(steps - 8, steps):
                a.add(
                    bar,
                    s,
                    0.25,
                    CH_TIMPANI,
                    "tom",
                    a.root(bar, 40),
                    6.0 + 8.0 * (s - steps + 8) / 8,
                )
        if bar == a.final:
            a.add(bar, 0, 1.0, CH_TIMPANI, "tom", 40 + a.key(bar) % 12, 12.0)
        # Tension: an ostinato in the celli (the composer's bass stays in the basses).
        if (minor and lv >= 2 and plan.mood in ("tense", "dark", "mysterious")) or lv == 3:
            root = a.root(bar, 48)
            fifth = root + 7 if not a.p.chords[bar].intervals[2] == 6 else root + 6
            cell = (
                (root, root, fifth, root + 12)
                if a.sec.theme % 3
                else (root, root + 12, root, fifth)
            )
            steps = int(round(a.length(bar) * 4))
            if bar != a.final and not plan.speech[bar]:
                for j, s in enumerate(range(0, steps, 2)):
                    a.add(
                        bar,
                        s,
                        0.4,
                        CH_CELLI,
                        "bass",
                        cell[j % 4],
                        9.0 + (2.0 if j % 4 == 0 else 0.0),
                    )
    keep = np.ones(len(notes), dtype=bool)
    if violins:
        notes = notes.copy()
        notes["ch"][role(notes, "lead")] = CH_VIOLINS
        a.notes = notes
    return fade_final(a, a.merged(keep))

