"""Compose: notes for one section at a time, from the plan and the section's theme.

A theme (motifs, patterns, colours) belongs to a section kind within a movement, so A sections
sound like each other; every section then varies it with its own random stream (inversion,
rhythm changes, new endings, different voicings), so no two 8-bar stretches are identical.
Sections are independent: the renderer composes only the ones a block needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import theory
from .accents import apply_accents
from .arrange import ARRANGEMENTS
from .channels import CH_KICK2, NOISE, PULSE1, PULSE2, TRIANGLE
from .notes import NoteBuilder, monophonic
from .plan import Plan, Section
from .streams import S_SECTION, S_THEME, rng

# Rhythm cells over half a bar (8 sixteenths): (onset, length) pairs.
_CELLS = (
    ((0, 2), (2, 2), (4, 4)),
    ((0, 3), (3, 1), (4, 4)),
    ((0, 2), (2, 2), (4, 2), (6, 2)),
    ((0, 4), (4, 2), (6, 2)),
    ((0, 1), (1, 1), (2, 2), (4, 4)),
    ((0, 6), (6, 2)),
    ((0, 2), (2, 4), (6, 2)),
    ((0, 3), (3, 3), (6, 2)),
    ((2, 2), (4, 2), (6, 2)),
)
_LONG_CELLS = (((0, 8),), ((0, 6), (6, 2)), ((0, 4), (4, 4)))
_ARP_STYLES = ("frame", "broken16", "broken8")
_BASS_STYLES = ("octave8", "root5", "gallop")
_COUNTER_STYLES = ("echo", "third", "octave")
# Noise drum voices: (period index, long/short mode, decay seconds, volume).
_KICK = (11, 0, 0.035, 11.0)
_SNARE = (6, 0, 0.09, 12.0)
_HAT = (0, 0, 0.022, 6.0)
_OPEN_HAT = (1, 0, 0.12, 6.0)
_METAL = (3, 1, 0.03, 5.0)
_CRASH = (2, 0, 0.45, 11.0)


@dataclass(frozen=True)
class Motif:
    rhythm: tuple[tuple[int, int], ...]  # over 16 sixteenths
    contour: tuple[int, ...]  # scale steps between consecutive notes


@dataclass(frozen=True)
class Theme:
    motif_a: Motif
    motif_b: Motif
    lead_duty: int
    arp_style: str
    arp_duty: int
    bass_style: str
    counter: str
    drums: tuple[int, int, int]  # pattern index for levels 1, 2, 3
    pad_halves: bool
    staccato: float


def _motif(r: np.random.Generator) -> Motif:
    first = _CELLS[int(r.integers(len(_CELLS)))]
    second = _CELLS[int(r.integers(len(_CELLS)))]
    rhythm = tuple(first) + tuple((on + 8, ln) for on, ln in second)
    steps = r.choice([-2, -1, -1, 1, 1, 2, 3, -3, 0], size=len(rhythm) - 1)
    # After a leap, step back the other way.
    for i in range(1, len(steps)):
        if abs(steps[i - 1]) >= 3:
            steps[i] = -int(np.sign(steps[i - 1]))
    return Motif(rhythm, tuple(int(s) for s in steps))


def make_theme(plan: Plan, theme: int) -> Theme:
    cached = plan.themes.get(theme)
    if cached is not None:
        return cached
    plan.themes[theme] = made = _make_theme(plan, theme)
    return made


def _make_theme(plan: Plan, theme: int) -> Theme:
    r = rng(plan.seed, S_THEME, theme)
    drums = plan.style.drums
    return Theme(
        motif_a=_motif(r),
        motif_b=_motif(r),
        lead_duty=int(r.choice([0, 1, 1, 2])),
        arp_style=_ARP_STYLES[int(r.integers(len(_ARP_STYLES)))],
        arp_duty=int(r.choice([0, 1, 2])),
        bass_style=_BASS_STYLES[int(r.integers(len(_BASS_STYLES)))],
        counter=_COUNTER_STYLES[int(r.integers(len(_COUNTER_STYLES)))],
        drums=tuple(int(r.integers(len(drums[lv]))) for lv in (1, 2, 3)),
        pad_halves=bool(r.integers(2)),
        staccato=float(r.choice([0.55, 0.8, 0.92]))
        if plan.mood == "playful"
        else float(r.choice([0.8, 0.92])),
    )


def compose_section(plan: Plan, index: int) -> np.ndarray:
    """Notes of section ``index`` (sample times), sorted by start."""
    sec = plan.sections[index]
    theme = make_theme(plan, sec.theme)
    r = rng(plan.seed, S_SECTION, index)
    nb = NoteBuilder()
    _Writer(plan, sec, theme, r, nb).write()
    spb = plan.beat_s * plan.sample_rate
    notes = monophonic(nb.table(spb, plan.num_samples))
    arrangement = ARRANGEMENTS.get(plan.style.name)
    if arrangement is not None:
        notes = monophonic(arrangement(plan, index, notes))
    if plan.accents:
        notes = monophonic(apply_accents(plan, index, notes, kick=_KICK, snare=_SNARE,
                                         crash=_CRASH, bass_ch=TRIANGLE, drum_ch=NOISE,
                                         kick_ch=CH_KICK2 if plan.style.accent == "kit"
                                         else None))
    return notes


class _Writer:
    def __init__(
        self, plan: Plan, sec: Section, theme: Theme, r: np.random.Generator, nb: NoteBuilder
    ) -> None:
        self.p, self.sec, self.th, self.r, self.nb = plan, sec, theme, r, nb
        self.scale = plan.scale
        self.last_pad = float(sum(plan.style.registers["pad"]) / 2)
        self.lead_lo, self.lead_hi = plan.style.registers["lead"]
        self.lead_prev: float = (self.lead_lo + self.lead_hi) / 2 - 2
        self.final_bar = plan.n_bars - 1
        # Variation recipes per bar of a 4-bar phrase, drawn once per section.
        self.recipes = [self._recipe(j) for j in range(4)]
        self.groove = int(r.random() < 0.3)  # now and then a neighbouring drum pattern

    # -- helpers ------------------------------------------------------------------------------
    def _key(self, bar: int) -> int:
        return self.p.key_of_bar(bar)

    def _steps(self, bar: int) -> int:
        return int(round(self.p.bar_len[bar] * 4))

    def _beat(self, bar: int, step: float) -> float:
        return float(self.p.bar_beat[bar]) + step / 4.0

    def _recipe(self, j: int) -> dict:
        r, th = self.r, self.th
        motif = th.motif_b if j == 2 and r.random() < 0.7 else th.motif_a
        contour = list(motif.contour)
        if (j == 1 and r.random() < 0.5) or r.random() < 0.15:
            contour = [-c for c in contour]  # inversion
        rhythm = list(motif.rhythm)
        if r.random() < 0.3 and len(rhythm) > 2:  # rhythmic change: split or merge a note
            i = int(r.integers(len(rhythm) - 1))
            on, ln = rhythm[i]
            if ln >= 2:
                rhythm[i : i + 1] = [(on, ln // 2), (on + ln // 2, ln - ln // 2)]
                contour.insert(min(i, len(contour)), int(r.choice([-1, 1])))
            else:
                nxt = rhythm.pop(i + 1)
                rhythm[i] = (on, ln + nxt[1])
                if contour:
                    contour.pop(min(i, len(contour) - 1))
        if r.random() < 0.25 and contour:
            contour[-1] = int(r.choice([-2, -1, 1, 2]))  # a new last note
        return {
            "rhythm": rhythm,
            "contour": contour,
            "lift": [0, 2, 5, -1][j] + int(r.integers(-1, 2)),
        }

    # -- the section --------------------------------------------------------------------------
    def write(self) -> None:
        s = self.sec
        for k in range(s.n_bars):
            bar = s.first_bar + k
            if bar == self.final_bar:
                self._final(bar)
                continue
            level = int(self.p.intensity[bar])
            layers = self.p.layers(bar)
            phrase, j = divmod(k, 4)
            closed = phrase % 2 == 1 or k >= s.n_bars - 1 - ((s.n_bars - 1) % 4)
            last_in_phrase = j == 3 or k == s.n_bars - 1
            if "lead" in layers:
                notes = self._lead_bar(bar, j, closed, last_in_phrase)
                if "counter" in layers:
                    self._counter(bar, notes)
            else:
                self.lead_prev = (self.lead_lo + self.lead_hi) / 2 - 2
            if "pad" in layers:
                self._pad(bar)
            if "arp" in layers:
                self._arp(bar, level)
            if "bass" in layers:
                self._bass(bar, level)
            stings = self._stingers(bar)
            if "drums" in layers:
                self._drums(bar, level, k, stings)
            else:
                for st in stings:
                    self._hit(bar, st, _CRASH, "crash", 0.6)

    # -- lead and counter-melody --------------------------------------------------------------
    def _lead_bar(
        self, bar: int, j: int, closed: bool, cadence: bool
    ) -> list[tuple[int, int, int]]:
        p, key = self.p, self._key(bar)
        ch = p.chords[bar]
        allowed = theory.pitches_in(
            theory.bar_scale(self.scale, ch), key, self.lead_lo, self.lead_hi
        )
        tones = theory.pitches_in(ch.pcs, key, self.lead_lo, self.lead_hi)
        rec = self.recipes[j]
        rhythm, contour = rec["rhythm"], rec["contour"]
        if cadence:  # first half of the motif, then a long note and a breath
            rhythm = [(on, ln) for on, ln in rhythm if on < 8] + [(8, 6)]
        center = (self.lead_lo + self.lead_hi) / 2 - 2 + rec["lift"]
        pitch = theory.nearest(tones, 0.5 * center + 0.5 * self.lead_prev)
        steps = self._steps(bar)
        out: list[tuple[int, int, int]] = []
        for i, (on, ln) in enumerate(rhythm):
            if on >= steps:
                break
            if i > 0:
                pitch = theory.step(
                    allowed, pitch, contour[(i - 1) % len(contour)] if contour else 0
                )
            if on % 8 == 0:
                pitch = theory.nearest(tones, pitch)  # chord tones on strong beats
            if cadence and i == len(rhythm) - 1:
                pcs = [ch.root] if closed else [pc for pc in ch.pcs if pc != ch.root]
                ends = theory.pitches_in(
                    tuple(x % 12 for x in pcs), key, self.lead_lo, self.lead_hi
                )
                pitch = theory.nearest(ends, pitch)
            out.append((on, min(ln, steps - on), pitch))
        prev = None
        for on, ln, pitch in out:
            length = ln / 4.0
            slide = 0.0
            if prev is not None and abs(pitch - prev) >= 4 and self.r.random() < 0.35:
                slide = -1.0 if pitch > prev else 1.0
            vib = 14.0 if length * p.beat_s >= 0.3 else 0.0
            self.nb.add(
                self._beat(bar, on),
                length * self.th.staccato,
                PULSE1,
                "lead",
                pitch,
                11.0,
                # long notes take the hollower duty: the per-note duty change of NES leads
                duty=self.th.lead_duty if length < 1.0 else min(self.th.lead_duty + 1, 2),
                decay=0.35,
                sustain=0.6,
                slide=slide,
                slide_t=0.04,
                vib=vib,
            )
            prev = pitch
        if out:
            self.lead_prev = out[-1][2]
        return out

    def _counter(self, bar: int, lead: list[tuple[int, int, int]]) -> None:
        style, key = self.th.counter, self._key(bar)
        ch = self.p.chords[bar]
        allowed = theory.pitches_in(theory.bar_scale(self.scale, ch), key, 40, 96)
        for on, ln, pitch in lead:
            if style == "echo":
                self.nb.add(
                    self._beat(bar, on + 2),
                    ln / 4.0 * self.th.staccato,
                    PULSE2,
                    "counter",
                    pitch,
                    5.0,
                    duty=self.th.lead_duty,
                    decay=0.3,
                    sustain=0.5,
                )
            elif style == "third":
                self.nb.add(
                    self._beat(bar, on),
                    ln / 4.0 * self.th.staccato,
                    PULSE2,
                    "counter",
                    theory.step(allowed, pitch, -2),
                    7.0,
                    duty=2,
                    decay=0.35,
                    sustain=0.6,
                )
            else:
                self.nb.add(
                    self._beat(bar, on),
                    ln / 4.0 * self.th.staccato,
                    PULSE2,
                    "counter",
                    pitch - 12,
                    7.0,
                    duty=2,
                    decay=0.35,
                    sustain=0.6,
                )

    # -- harmony layers -----------------------------------------------------------------------
    def _pad(self, bar: int) -> None:
        key, ch = self._key(bar), self.p.chords[bar]
        lo, hi = self.p.style.registers["pad"]
        tones = theory.pitches_in(ch.pcs, key, lo, hi)
        steps = self._steps(bar)
        quiet = 4.0 if self.p.speech[bar] else 5.0
        halves = self.th.pad_halves != bool(self.r.random() < 0.25)
        spans = (
            [(0, steps // 2), (steps // 2, steps - steps // 2)]
            if halves and steps >= 8
            else [(0, steps)]
        )
        for on, ln in spans:
            target = self.last_pad + float(self.r.choice([-3, 0, 0, 2, 4]))
            pitch = theory.nearest(tones, target)
            self.last_pad = pitch
            self.nb.add(
                self._beat(bar, on),
                ln / 4.0 * 0.96,
                PULSE1,
                "pad",
                pitch,
                quiet,
                duty=2,
                decay=0.8,
                sustain=0.55,
                vib=10.0,
            )

    def _arp(self, bar: int, level: int) -> None:
        key, ch = self._key(bar), self.p.chords[bar]
        lo, hi = self.p.style.registers["arp"]
        root = lo + (key + ch.root - lo) % 12
        iv = ch.intervals
        steps = self._steps(bar)
        vol = (5.0 if level == 0 else 6.5) * (0.8 if self.p.speech[bar] else 1.0)
        style = (
            self.th.arp_style
            if level > 0
            else ("broken8" if self.th.arp_style != "frame" else "frame")
        )
        duty = self.th.arp_duty
        if style == "frame":
            every = 4 if level > 0 else 8
            for on in range(0, steps, every):
                ln = min(every, steps - on)
                self.nb.add(
                    self._beat(bar, on),
                    ln / 4.0 * 0.9,
                    PULSE2,
                    "arp",
                    root,
                    vol,
                    duty=duty,
                    decay=0.25 if level > 0 else 0.6,
                    sustain=0.35,
                    arp=(iv[1], iv[2]),
                )
            return
        tones = [root + i for i in iv[:3]] + [root + 12]
        shape = int(self.r.integers(3))
        order = ([0, 1, 2, 3], [0, 2, 1, 3, 2, 1], [3, 2, 1, 0, 1, 2])[shape]
        every = 1 if style == "broken16" else 2
        for n, on in enumerate(range(0, steps, every)):
            pitch = tones[order[n % len(order)]]
            self.nb.add(
                self._beat(bar, on),
                every / 4.0 * 0.7,
                PULSE2,
                "arp",
                pitch,
                vol,
                duty=duty,
                decay=0.12,
                sustain=0.4,
            )

    # -- bass (triangle) ----------------------------------------------------------------------
    def _bass(self, bar: int, level: int) -> None:
        key, ch = self._key(bar), self.p.chords[bar]
        root = 36 + (key + ch.root) % 12
        if root > 45:
            root -= 12
        fifth = root + 7
        steps = self._steps(bar)
        nxt_root = None
        if bar + 1 < self.p.n_bars:
            nxt_root = 36 + (self.p.key_of_bar(bar + 1) + self.p.chords[bar + 1].root) % 12
            if nxt_root > 45:
                nxt_root -= 12
        kicks = self._pattern(level)[0] if level >= 2 else "x......."
        if level <= 1:
            hits = [(0, 8, root), (8, 8, fifth if self.r.random() < 0.4 else root)]
        else:
            style = self.th.bass_style
            hits = []
            for on in range(0, steps, 2):
                k = on // 2
                if style == "octave8":
                    hits.append((on, 2, root + 12 * (k % 2)))
                elif style == "root5":
                    hits.append((on, 2, (root, root + 12, fifth, root + 12)[k % 4]))
                elif k % 2 == 0:  # gallop: an eighth and two sixteenths per beat
                    hits.append((on, 2, root))
                else:
                    hits += [(on, 1, root + 12), (on + 1, 1, root + 12)]
            if nxt_root is not None and steps >= 8 and self.r.random() < 0.6:
                on, ln, prev = hits[-1]
                approach = nxt_root + int(self.r.choice([-1, 1, -2, 2]))
                hits[-1] = (on, ln, approach if abs(approach - prev) <= 12 else nxt_root)
        for on, ln, pitch in hits:
            if on >= steps:
                break
            ln = min(ln, steps - on)
            kick = kicks[on % len(kicks)] == "x"
            self.nb.add(
                self._beat(bar, on),
                ln / 4.0 * 0.8,
                TRIANGLE,
                "bass",
                pitch,
                15.0,
                slide=18.0 if kick and level >= 2 else 0.0,
                slide_t=0.035,
            )

    # -- drums (noise) ------------------------------------------------------------------------
    def _pattern(self, level: int) -> tuple[str, str, str]:
        pats = self.p.style.drums[level]
        return pats[(self.th.drums[level - 1] + self.groove) % len(pats)]

    def _hit(
        self, bar: int, step: float, voice: tuple[int, int, float, float], role: str, gain: float
    ) -> None:
        period, mode, decay, vol = voice
        self.nb.add(
            self._beat(bar, step),
            max(decay * 4.0, 0.06) / self.p.beat_s,
            NOISE,
            role,
            period,
            min(15.0, vol * gain),
            decay=decay,
            sustain=0.0,
            mode=mode,
            aux=float(self.r.integers(0, 32767)),
        )

    def _stingers(self, bar: int) -> set[int]:
        """Steps of this bar where a strong cut falls mid-section (an accent, not a new section)."""
        b0 = float(self.p.bar_beat[bar])
        st = self.p.stingers
        lo, hi = np.searchsorted(st, [b0, b0 + float(self.p.bar_len[bar])])
        return {int(round((x - b0) * 4)) for x in st[lo:hi]}

    def _drums(self, bar: int, level: int, k: int, stings: set[int]) -> None:
        kick, snare, hat = self._pattern(level)
        steps = self._steps(bar)
        gain = (0.75 if level == 1 else 1.0) * (0.7 if self.p.speech[bar] else 1.0)
        sec = self.sec
        crash = k == 0 and sec.index > 0 and level >= 2
        fill_from = steps
        if k == sec.n_bars - 1 and sec.index + 1 < len(self.p.sections) and level >= 2:
            fill_from = steps - (4 if self.r.random() < 0.6 else 8)
        fill_kind = int(self.r.integers(3))
        for s in range(steps):
            i = s % 16
            if crash and s == 0:
                self._hit(bar, 0, _CRASH, "crash", gain)
                continue
            if crash and s < 4:
                continue  # let the crash ring
            if s in stings:
                self._hit(bar, s, _CRASH, "crash", gain)
                continue
            if s >= fill_from:
                n = s - fill_from
                span = steps - fill_from
                if fill_kind == 0:  # snare roll, growing
                    self._hit(bar, s, _SNARE, "snare", gain * (0.6 + 0.4 * n / span))
                elif fill_kind == 1 and s % 2 == 0:  # tom run, falling in pitch
                    period = 7 + min(4, 4 * n // max(span, 1))
                    self._hit(bar, s, (period, 0, 0.09, 12.0), "tom", gain)
                elif fill_kind == 2:
                    v = _SNARE if s % 2 == 0 else (8, 0, 0.06, 10.0)
                    self._hit(bar, s, v, "tom" if s % 2 else "snare", gain)
                continue
            if snare[i] == "x":
                self._hit(bar, s, _SNARE, "snare", gain)
            elif kick[i] == "x":
                self._hit(bar, s, _KICK, "kick", gain)
            elif hat[i] == "x":
                accent = 1.0 if i % 4 == 0 else 0.8
                self._hit(bar, s, _HAT, "hat", gain * accent)
            elif hat[i] == "o" and not self.p.speech[bar]:
                self._hit(bar, s, _OPEN_HAT, "hat", gain)
            elif hat[i] == "m":
                self._hit(bar, s, _METAL, "hat", gain)

    # -- the ending ---------------------------------------------------------------------------
    def _final(self, bar: int) -> None:
        """The last chord: tonic on every voice, decaying into the video's last sample."""
        p = self.p
        key = self._key(bar)
        ch = p.chords[bar]
        length = float(p.bar_len[bar])
        tones = theory.pitches_in(ch.pcs, key, self.lead_lo, self.lead_hi)
        top = theory.nearest(
            tones, 0.3 * self.lead_prev + 0.7 * (self.lead_lo + self.lead_hi - 6) / 2
        )
        root = 36 + (key + ch.root) % 12
        if root > 45:
            root -= 12
        iv = ch.intervals
        arp_lo = p.style.registers["arp"][0]
        arp_root = arp_lo + (key + ch.root - arp_lo) % 12
        self.nb.add(
            self._beat(bar, 0),
            length,
            PULSE1,
            "final",
            top,
            11.0,
            duty=2,
            decay=0.0,
            vib=12.0,
            fade=True,
        )
        self.nb.add(
            self._beat(bar, 0),
            length,
            PULSE2,
            "final",
            arp_root,
            8.0,
            duty=1,
            arp=(iv[1], iv[2]),
            fade=True,
        )
        tri_len = min(length * 0.6, 4.0)
        self.nb.add(
            self._beat(bar, 0), tri_len, TRIANGLE, "final", root, 15.0, slide=12.0, slide_t=0.05
        )
        if p.intensity[bar] >= 1 or length > 0:
            self._hit(bar, 0, (2, 0, max(0.3, length * p.beat_s / 5.0), 10.0), "crash", 1.0)
