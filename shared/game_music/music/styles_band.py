"""The band styles: orchestral, lo-fi, ambient, rock (data, arrangements, synth factories).

The shared composer writes lead, counter, pad, arp, bass and drums; each style's ``arrange``
re-voices a section of that: chords on extra channels (string sections, e-piano 7th/9th
voicings, ambient pads and a drone, double-tracked power chords), instruments per section,
swing and a lazy snare (lo-fi), thinned bells with echoes (ambient), timpani on section starts
(orchestral). Arrangements draw from their own random stream, so they never disturb the
composer's, and they stay a pure function of (plan, section).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from ..request import MOODS
from . import styles, theory
from .notes import NOISE, PULSE1, PULSE2, ROLE, TRIANGLE, NoteBuilder
from .styles import Style

if TYPE_CHECKING:  # plan imports the style registry, which imports this module
    from .plan import Plan

S_ARRANGE = 61  # rng stream of the band arrangements (compose uses 1..5)
_ALL = ("heroic", "tense", "calm", "dark", "happy", "sad", "mysterious", "triumphant", "playful")


def _progs(**kw: tuple[str, ...]) -> Mapping[str, tuple[str, ...]]:
    missing = set(_ALL) - set(kw)
    if missing:
        raise ValueError(f"progressions missing for {sorted(missing)}")
    return MappingProxyType(kw)


def _drums(d: dict[int, tuple[tuple[str, str, str], ...]]):
    for pats in d.values():
        for p in pats:
            assert all(len(x) == 16 for x in p), p
    return MappingProxyType(d)


# -- shared arrangement helpers -------------------------------------------------------------------
class _Arr:
    """Bar geometry and a note builder for one section's extra notes."""

    def __init__(self, plan: Plan, index: int, notes: np.ndarray) -> None:
        from .plan import rng

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


def _role(notes: np.ndarray, *names: str) -> np.ndarray:
    return np.isin(notes["role"], [ROLE[n] for n in names])


def _fade_final(a: _Arr, notes: np.ndarray) -> np.ndarray:
    """Everything in the last bar dies away by the end (drums too)."""
    start = a.bar_s[a.final]
    notes = notes.copy()
    notes["fade"][notes["start"] >= start] = 1
    return notes


# -- orchestral -------------------------------------------------------------------------------
CH_STRINGS = (4, 5, 6, 7)
CH_TIMPANI, CH_VIOLINS, CH_CELLI = 8, 9, 10


def _arrange_orchestral(plan: Plan, index: int, notes: np.ndarray) -> np.ndarray:
    a = _Arr(plan, index, notes)
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
        notes["ch"][_role(notes, "lead")] = CH_VIOLINS
        a.notes = notes
    return _fade_final(a, a.merged(keep))


ORCHESTRAL = Style(
    "orchestral",
    "Epic/RPG: string sections, horns, timpani, choir, harp, a 2.6 s hall.",
    ("strings", "brass", "timpani", "choir pad", "harp"),
    (70, 140),
    MOODS,
    synth=lambda sr, bpm: _synth("orchestra", sr, bpm),
    progressions=_progs(
        heroic=("I V vi IV", "I bVII IV I", "vi IV I V", "I iii IV V", "I V bVII IV"),
        triumphant=("I IV V I", "I bVI bVII I", "I V vi IV", "IV V iii vi"),
        tense=("i bVI bIII bVII", "i i bVI bVII", "i bVI iv V", "i bII i bVII"),
        dark=("i bVI iv V", "i bII bVI V", "i iv bVI V", "i bVII bVI V"),
        calm=("I IV I V", "I vi IV V", "I iii vi IV", "IV I V I"),
        happy=("I IV V IV", "I vi IV V", "I V vi IV", "IV V I vi"),
        playful=("I vi ii V", "I IV I V", "I ii iii IV"),
        sad=("i bVI bIII bVII", "i iv bVI V", "i bVII bVI bVII", "i iv i V"),
        mysterious=("i bVI i bII", "i IV i bVI", "i bII bVI V", "i iv bVI II"),
    ),
    drums=_drums(
        {  # half-time: the big drum on 1, the snare on 3
            1: (
                ("x...............", "................", "................"),
                ("x.......x.......", "................", "................"),
            ),
            2: (
                ("x.........x.....", "........x.......", "................"),
                ("x..x......x.....", "........x.......", "....x.......x..."),
                ("x.......x.x.....", "........x.......", "................"),
            ),
            3: (
                ("x..x..x.x..x..x.", "....x.......x...", "x.x.x.x.x.x.x.x."),
                ("x.x...x.x.x...x.", "........x.......", "..x...x...x...x."),
                ("x..x....x..x....", "....x.......x..x", "................"),
            ),
        }
    ),
    registers=MappingProxyType(
        {"lead": (65, 86), "pad": (60, 76), "arp": (55, 79), "bass": (33, 52)}
    ),
    arrange=_arrange_orchestral,
)


# -- lo-fi ------------------------------------------------------------------------------------
CH_KEYS = (4, 5, 6, 7)
SWING = 0.58  # the off-beat sixteenth lands at 58 % of the eighth
LAZY_SNARE_S = 0.018


def _arrange_lofi(plan: Plan, index: int, notes: np.ndarray) -> np.ndarray:
    a = _Arr(plan, index, notes)
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
    keep = ~_role(notes, "pad", "arp", "counter")
    # Bass: half notes with pushes instead of busy eighths.
    bass = _role(notes, "bass") & (notes["start"] < a.bar_s[a.final])
    if bass.any():
        steps = a.step_of(notes["start"])
        keep &= ~bass | np.isin(np.rint(steps) % 16, (0, 6, 8, 14))
    out = a.merged(keep)
    out = _swing(a, out)
    snare = _role(out, "snare")
    out["start"][snare] += int(LAZY_SNARE_S * plan.sample_rate)
    bass = _role(out, "bass")
    return _fade_final(a, _legato(out, bass))


def _swing(a: _Arr, notes: np.ndarray) -> np.ndarray:
    """Delay off-beat sixteenths: MPC-style swing."""
    notes = notes.copy()
    steps = a.step_of(notes["start"])
    odd = (np.abs(steps - np.rint(steps)) < 0.05) & (np.rint(steps) % 2 == 1)
    shift = int(round((SWING - 0.5) * 2.0 * a.spb / 4.0))
    notes["start"][odd] += shift
    notes["dur"][odd] = np.maximum(notes["dur"][odd] - shift, 1)
    return notes


def _legato(notes: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Hold the selected notes until the next one on their channel (the synth cuts there)."""
    notes = notes.copy()
    idx = np.flatnonzero(mask)
    if len(idx) > 1:
        s = notes["start"][idx]
        gap = np.diff(s)
        notes["dur"][idx[:-1]] = np.maximum(notes["dur"][idx[:-1]], gap)
    return notes


LOFI = Style(
    "lofi",
    "Lo-fi hip hop: swung boom-bap drums, e-piano 7th/9th chords, tape wow, vinyl crackle.",
    ("e-piano", "upright bass", "swung drums", "vinyl"),
    (70, 90),
    ("calm", "sad", "happy", "mysterious", "playful"),
    synth=lambda sr, bpm: _synth("lofi", sr, bpm),
    progressions=_progs(
        calm=(
            "ii7 V7 Imaj7 Imaj7",
            "Imaj7 vi7 ii7 V7",
            "IVmaj7 iii7 ii7 Imaj7",
            "Imaj7 IVmaj7 iii7 vi7",
        ),
        happy=("Imaj7 vi7 ii7 V7", "IVmaj7 V7 iii7 vi7", "ii7 V7 Imaj7 vi7"),
        playful=("ii7 V7 Imaj7 vi7", "Imaj7 IV7 Imaj7 V7", "IVmaj7 V7 Imaj7 vi7"),
        heroic=("IVmaj7 V7 iii7 vi7", "Imaj7 V7 vi7 IVmaj7"),
        triumphant=("IVmaj7 V7 Imaj7 Imaj7", "ii7 V7 Imaj7 IVmaj7"),
        sad=("i7 iv7 i7 iv7", "i7 iv7 bVImaj7 V7", "i7 bVImaj7 iv7 v7", "iv7 v7 i7 i7"),
        mysterious=("i7 IV7 i7 IV7", "i7 bIImaj7 i7 bVII7", "i7 iv7 bVImaj7 bIImaj7"),
        dark=("i7 bVImaj7 iv7 V7", "i7 iv7 bIImaj7 V7"),
        tense=("i7 bVImaj7 bVII7 i7", "i7 iv7 V7 i7"),
    ),
    drums=_drums(
        {
            1: (
                ("x.........x.....", "................", "x.x.x.x.x.x.x.x."),
                ("x......x..x.....", "................", "x...x...x...x..."),
                ("x.........x.....", "....x.......x...", "x...x...x...x..."),
            ),
            2: (
                ("x.........x.....", "....x.......x...", "x.xxx.x.x.xxx.x."),
                ("x......x..x..x..", "....x.......x...", "x.x.x.xxx.x.x.x."),
                ("x.x.......x.....", "....x.......x..x", "x.x.x.x.x.x.x.xo"),
            ),
            3: (
                ("x......xx.x.....", "....x.......x...", "xxx.xxx.xxx.xxx."),
                ("x.x....x..x..x..", "....x..x....x...", "x.xxx.xxx.xxx.xx"),
                ("x..x......x.x...", "....x.......x...", "xxxxxxxxxxxxxxx."),
            ),
        }
    ),
    registers=MappingProxyType(
        {"lead": (65, 82), "pad": (57, 72), "arp": (60, 79), "bass": (33, 50)}
    ),
    arrange=_arrange_lofi,
)


# -- ambient ----------------------------------------------------------------------------------
CH_PADS = (4, 5, 6, 7)
CH_DRONE, CH_ECHO = 8, 9


def _arrange_ambient(plan: Plan, index: int, notes: np.ndarray) -> np.ndarray:
    a = _Arr(plan, index, notes)
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
    drums = _role(notes, "kick", "snare", "hat", "crash", "tom")
    keep = ~_role(notes, "pad", "bass", "counter", "arp") & ~drums
    # Sparse bells: a few of the composer's arpeggio notes, each with two echoes.
    arp = np.flatnonzero(_role(notes, "arp"))
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
    keep |= drums & _role(notes, "kick", "hat") & (a.p.intensity[np.minimum(bar_of, a.final)] >= 2)
    keep |= _role(notes, "crash")  # cymbal swells mark cuts and new sections
    # The lead breathes: only its phrase-opening notes, held.
    lead = _role(notes, "lead")
    if lead.any():
        st = a.step_of(notes["start"])
        keep &= ~lead | (np.rint(st) % 4 == 0)
    out = a.merged(keep)
    if extra:
        out = np.concatenate([out, np.array(extra, dtype=out.dtype)])
        out = out[np.lexsort((out["ch"], out["start"]))]
    out = _legato(out, _role(out, "lead"))
    return _fade_final(a, out)


AMBIENT = Style(
    "ambient",
    "Exploration: slow pads, a tonic drone, sparse echoing bells, lydian/dorian colour.",
    ("pads", "bells", "drone", "soft pulse"),
    (60, 90),
    ("calm", "mysterious", "sad", "dark"),
    synth=lambda sr, bpm: _synth("ambient", sr, bpm),
    progressions=_progs(
        calm=(
            "Imaj7 Imaj7 II II",
            "Imaj7 Imaj7 IVmaj7 IVmaj7",
            "I I II II I I vi vi",
            "IVmaj7 IVmaj7 Imaj7 Imaj7",
        ),
        happy=("I I II II", "Imaj7 Imaj7 IVmaj7 IVmaj7", "I I vi vi IV IV II II"),
        playful=("I I II II", "IVmaj7 IVmaj7 Imaj7 Imaj7"),
        heroic=("I I II II IV IV I I", "Imaj7 Imaj7 V V"),
        triumphant=("IV IV I I", "I I II II IV IV V V"),
        mysterious=("i i IV IV", "i i bII bII", "i7 i7 IV IV bVI bVI i i"),
        sad=("i7 i7 IV IV", "i i IV IV bVII bVII i i", "i7 i7 iv7 iv7"),
        dark=("i i bII bII", "i i bVI bVI", "i i iv iv bVI bVI V V"),
        tense=("i i bII bII", "i i bVI bVI iv iv V V"),
    ),
    bridges=MappingProxyType(
        {
            "major": ("IV IV V V", "vi vi IV IV", "II II IV IV"),
            "minor": ("bVI bVI bVII bVII", "iv iv i i", "IV IV bVI bVI"),
        }
    ),
    drums=_drums(
        {
            1: (("................", "................", "................"),),
            2: (
                ("x...............", "................", "..........x....."),
                ("x.......x.......", "................", "................"),
            ),
            3: (
                ("x.......x.......", "................", "x...x...x...x..."),
                ("x.........x.....", "................", "..x...x...x...x."),
            ),
        }
    ),
    registers=MappingProxyType(
        {"lead": (64, 84), "pad": (55, 72), "arp": (72, 91), "bass": (33, 52)}
    ),
    arrange=_arrange_ambient,
)


# -- rock -------------------------------------------------------------------------------------
CH_GTR_L, CH_GTR_R, CH_HAT2, CH_KICK2 = 11, 12, 13, 14
METAL_MOODS = frozenset({"tense", "dark"})


def _arrange_rock(plan: Plan, index: int, notes: np.ndarray) -> np.ndarray:
    a = _Arr(plan, index, notes)
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
    keep = ~_role(notes, "pad")
    keep &= ~_role(notes, "arp") | (
        a.p.intensity[np.minimum(a.bar_of(notes["start"]), a.final)] == 0
    )
    # Hats keep time under kicks and snares (one noise voice could not), kicks under crashes.
    drums = np.flatnonzero(_role(notes, "kick", "snare") & (notes["ch"] == NOISE))
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
    for k in np.flatnonzero(_role(notes, "crash")):
        a.nb.add(notes["start"][k] / a.spb, 0.1, CH_KICK2, "kick", 0, 12.0, aux=1.0)
    del sr
    return _fade_final(a, a.merged(keep))


ROCK = Style(
    "rock",
    "Distorted double-tracked power chords, bass, live drums; metal chugs for tense and dark.",
    ("rhythm guitars", "lead guitar", "bass", "drums"),
    (120, 180),
    ("heroic", "tense", "dark", "triumphant", "happy"),
    synth=lambda sr, bpm: _synth("rock", sr, bpm),
    progressions=_progs(
        heroic=("I V vi IV", "I bVII IV I", "I IV bVII IV", "vi IV I V"),
        triumphant=("I bVI bVII I", "I IV V IV", "I V bVII IV"),
        happy=("I IV V IV", "I V IV V", "I vi IV V"),
        playful=("I IV V IV", "I bVII IV I"),
        calm=("I V vi IV", "I IV vi V"),
        tense=("i bVI bVII i", "i bII i bVII", "i i bVI bVII", "i iv bVI bVII"),
        dark=("i bII bVI V", "i bVI iv V", "i bII i bII", "i iv bII V"),
        sad=("i bVI bIII bVII", "i iv bVI V"),
        mysterious=("i bII i bVII", "i IV i bVI"),
    ),
    drums=_drums(
        {
            1: (
                ("x.......x.......", "....x.......x...", "x.x.x.x.x.x.x.x."),
                ("x.......x.x.....", "....x.......x...", "x...x...x...x..."),
            ),
            2: (
                ("x.......x.x.....", "....x.......x...", "x.x.x.x.x.x.x.x."),
                ("x..x....x.x.....", "....x.......x...", "x.x.x.x.x.x.x.x."),
                ("x.....x.x.......", "....x.......x...", "x.x.x.x.x.x.x.xo"),
            ),
            3: (
                ("xxxxxxxxxxxxxxxx", "....x.......x...", "x.x.x.x.x.x.x.x."),
                ("x.x.x.x.x.x.x.x.", "....x.......x...", "x.x.x.x.x.x.x.x."),
                ("x..x..x.x..x..x.", "....x.......x..x", "x.x.x.x.x.x.x.x."),
            ),
        }
    ),
    registers=MappingProxyType(
        {"lead": (62, 86), "pad": (52, 71), "arp": (52, 71), "bass": (28, 47)}
    ),
    arrange=_arrange_rock,
)


def _synth(kind: str, sample_rate: int, bpm: float) -> Any:
    if kind == "orchestra":
        from .synth.orchestra import orchestra_synth

        return orchestra_synth(sample_rate, bpm)
    if kind == "lofi":
        from .synth.keys import lofi_synth

        return lofi_synth(sample_rate, bpm)
    if kind == "ambient":
        from .synth.keys import ambient_synth

        return ambient_synth(sample_rate, bpm)
    from .synth.guitar import rock_synth

    return rock_synth(sample_rate, bpm)


for _s in (ORCHESTRAL, LOFI, AMBIENT, ROCK):
    styles.register(_s)

__all__ = ["AMBIENT", "LOFI", "ORCHESTRAL", "ROCK", "PULSE1", "PULSE2"]
