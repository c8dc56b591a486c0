"""Orchestral: string chords in the articulation the moment asks for (sustained, marcato
ostinato, tremolo), brass swelling into big downbeats, pizzicato under calm and playful
passages, timpani on section starts and rolls, a celli ostinato; played, not quantized."""

from __future__ import annotations

import numpy as np

from ..channels import CH_BRASS, CH_CELLI, CH_STRINGS, CH_TIMPANI, CH_VIOLINS
from ..notes import LEGATO, MARCATO, PIZZICATO, TREMOLO
from ..plan import Plan
from ._section import Arr, fade_final, humanize, role

DRIVING = frozenset({"heroic", "triumphant", "tense", "dark", "epic"})
SHIVER = frozenset({"tense", "dark", "mysterious"})
LIGHT = frozenset({"calm", "happy", "playful"})
# The epic string ostinato: sixteenth positions and lengths of "ta, ta-ta" across a bar.
OSTINATO = ((0, 3), (4, 1.5), (6, 1.5), (8, 3), (12, 1.5), (14, 1.5))


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
        steps = int(round(a.length(bar) * 4))
        last = bar == a.final
        if last or lv <= 1 or plan.mood not in DRIVING or (lv == 3 and plan.mood in SHIVER):
            # Sustained chords; at full tilt in a dark mood the section shivers in tremolo.
            mode = TREMOLO if lv == 3 and plan.mood in SHIVER and not last else LEGATO
            for ch, pitch in zip(CH_STRINGS, vs, strict=False):
                a.add(bar, 0, a.length(bar), ch, "pad", pitch, vol, mode=mode)
        else:  # driving moods: the section digs in with a marcato ostinato, accents on 1 and 3
            for s, ln in OSTINATO:
                if s >= steps:
                    continue
                accent = 1.0 if s % 8 == 0 else 0.82
                for ch, pitch in zip(CH_STRINGS, vs, strict=False):
                    a.add(bar, s, ln / 4.0, ch, "pad", pitch, vol * accent, mode=MARCATO)
        # Brass: a swell from soft into the downbeat that opens a loud section, then the chord
        # held marcato over that downbeat.
        nxt = bar + 1
        if (
            k == a.sec.n_bars - 1
            and nxt <= a.final
            and int(plan.intensity[nxt]) >= 2
            and index + 1 < len(plan.sections)
            and not plan.speech[bar]
        ):
            for pitch in a.voicing(bar, 3, 55, 72, 62.0):
                a.add(bar, 0, a.length(bar), CH_BRASS, "pad", pitch, 11.0, swell=0.2)
        if k == 0 and lv >= 2 and not last and index > 0:
            for pitch in a.voicing(bar, 3, 55, 72, 62.0):
                a.add(bar, 0, 2.0, CH_BRASS, "pad", pitch, 12.5, mode=MARCATO)
        # Light moods: the basses and celli pluck the roots on the strong beats.
        if plan.mood in LIGHT and lv in (1, 2) and not last:
            root = a.root(bar, 36)
            for s in range(0, steps, 8):
                a.add(bar, s, 0.5, CH_CELLI, "bass", root if s % 16 == 0 else root + 7, 9.5,
                      mode=PIZZICATO)
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
    # Timpani and the pizzicato lock to the beat more tightly than the bowed parts.
    merged = a.merged(keep)
    tight = np.isin(merged["ch"], (CH_TIMPANI,)) | (merged["mode"] == PIZZICATO)
    return fade_final(a, humanize(a, merged, keep_time=tight))

