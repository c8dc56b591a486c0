"""What every band arrangement works with: one section's bar geometry and a note builder."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import theory
from ..notes import ROLE, NoteBuilder
from ..plan import Plan
from ..streams import S_ARRANGE, rng


class Arr:
    """Bar geometry and a note builder for one section's extra notes."""

    def __init__(self, plan: Plan, index: int, notes: np.ndarray) -> None:
        self.p, self.sec = plan, plan.sections[index]
        self.r = rng(plan.seed, S_ARRANGE, index)
        self.nb = NoteBuilder()
        self.notes = notes
        self.spb = plan.beat_s * plan.sample_rate
        self.bars = range(self.sec.first_bar, self.sec.first_bar + self.sec.n_bars)
        self.final = plan.n_bars - 1
        self.bar_s = plan.beat_to_sample(plan.bar_beat)

    def level(self, bar: int) -> int:
        return int(self.p.intensity[bar])

    def key(self, bar: int) -> int:
        return self.p.key_of_bar(bar)

    def beat(self, bar: int, step: float = 0.0) -> float:
        return float(self.p.bar_beat[bar]) + step / 4.0

    def length(self, bar: int) -> float:
        return float(self.p.bar_len[bar])

    def add(
        self,
        bar: int,
        step: float,
        beats: float,
        ch: int,
        role: str,
        pitch: float,
        vol: float,
        **kw: Any,
    ) -> None:
        if bar == self.final:
            kw.setdefault("fade", True)
            beats = self.length(bar) - step / 4.0
        self.nb.add(self.beat(bar, step), beats, ch, role, pitch, vol, **kw)

    def chord_pcs(self, bar: int, extended: bool = False) -> tuple[int, ...]:
        ch = self.p.chords[bar]
        pcs = list(ch.pcs)
        if extended and bar != self.final:
            iv = ch.intervals
            if len(iv) == 3:  # add the 7th a lo-fi player would: maj7 on I/IV, b7 elsewhere
                seventh = (
                    11 if iv[1] == 4 and ch.root in (0, 5, 8, 3) else (9 if iv[2] == 6 else 10)
                )
                pcs.append((ch.root + seventh) % 12)
            if iv[2] == 7:
                pcs.append((ch.root + 2) % 12)  # the 9th
        return tuple(pcs)

    def voicing(
        self,
        bar: int,
        n: int,
        lo: int,
        hi: int,
        near: float,
        *,
        extended: bool = False,
        rootless: bool = False,
    ) -> list[int]:
        """``n`` chord tones in close position inside [lo, hi], centred as near ``near`` as
        possible (smooth voice leading from the previous chord)."""
        pcs = self.chord_pcs(bar, extended)
        root = self.p.chords[bar].root
        if rootless and len(pcs) >= 4 and bar != self.final:
            pcs = tuple(pc for pc in pcs if pc != root)
        c = theory.pitches_in(pcs, self.key(bar), lo, hi)
        if len(c) <= n:
            return [int(x) for x in c]
        best = min(range(len(c) - n + 1), key=lambda i: abs(float(c[i : i + n].mean()) - near))
        return [int(x) for x in c[best : best + n]]

    def root(self, bar: int, lo: int) -> int:
        return lo + (self.key(bar) + self.p.chords[bar].root - lo) % 12

    def table(self) -> np.ndarray:
        return self.nb.table(self.spb, self.p.num_samples)

    def merged(self, keep: np.ndarray) -> np.ndarray:
        extra = self.table()
        out = np.concatenate([self.notes[keep], extra])
        return out[np.lexsort((out["ch"], out["start"]))]

    def bar_of(self, starts: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.bar_s, starts, side="right") - 1

    def step_of(self, starts: np.ndarray) -> np.ndarray:
        """Position in sixteenths from the note's bar line (float)."""
        bars = self.bar_of(starts)
        return (starts - self.bar_s[bars]) / (self.spb / 4.0)


def role(notes: np.ndarray, *names: str) -> np.ndarray:
    return np.isin(notes["role"], [ROLE[n] for n in names])


def fade_final(a: Arr, notes: np.ndarray) -> np.ndarray:
    """Everything in the last bar dies away by the end (drums too)."""
    start = a.bar_s[a.final]
    notes = notes.copy()
    notes["fade"][notes["start"] >= start] = 1
    return notes


def humanize(a: Arr, notes: np.ndarray, *, timing: float = 0.008, level: float = 0.35,
             keep_time: np.ndarray | None = None, tight: float = 0.25) -> np.ndarray:
    """Players are never on the grid: each note early or late by a few ms (``timing``, the
    standard deviation in seconds) and a little louder or softer (``level`` in the table's
    0..15 steps), from the section's own random stream, so a seed always plays the same
    take. Notes in ``keep_time`` (parts that lock to the beat) move ``tight`` times as much
    (0: sequenced, on the grid)."""
    notes = notes.copy()
    n = len(notes)
    if not n:
        return notes
    dt = np.clip(a.r.normal(0.0, timing, n), -2.5 * timing, 2.5 * timing)
    if keep_time is not None:
        dt[keep_time] *= tight
    shift = np.rint(dt * a.p.sample_rate).astype(np.int64)
    # A note stays in its bar: the renderer finds it by its section, and the plan's bar
    # decisions (no melody while someone talks) hold for what is heard.
    starts = notes["start"]
    bar = np.clip(a.bar_of(starts), 0, len(a.bar_s) - 1)
    lo = a.bar_s[bar]
    hi = np.append(a.bar_s, a.p.num_samples)[bar + 1] - 1
    inside = starts >= int(a.bar_s[a.sec.first_bar])
    notes["start"][inside] = np.clip(starts + shift, lo, hi)[inside]
    vol = notes["vol"] + a.r.normal(0.0, level, n)
    notes["vol"] = np.clip(vol, 0.5, 15.0)
    return notes[np.lexsort((notes["ch"], notes["start"]))]


def legato(notes: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Hold the selected notes until the next one on their channel (the synth cuts there)."""
    notes = notes.copy()
    idx = np.flatnonzero(mask)
    if len(idx) > 1:
        s = notes["start"][idx]
        gap = np.diff(s)
        notes["dur"][idx[:-1]] = np.maximum(notes["dur"][idx[:-1]], gap)
    return notes


