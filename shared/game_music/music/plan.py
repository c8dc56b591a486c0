"""Plan: tempo, bar grid, sections, intensity and speech per bar, harmony, ending.

Everything here is per bar and vectorised where it matters, so planning a 3-hour video is
milliseconds. Bars are 4/4; when a strong cut cannot reach a regular bar line within one beat,
the bar before it is shortened or extended (3, 5 or 6 beats) so the section still changes on
the cut, as game scores do when they sync to a cutscene.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..analysis.result import Analysis
from ..request import MusicRequest
from . import theory
from .accents import find_accents
from .auto_style import choose_style
from .streams import S_HARMONY, S_KEY, S_TEMPO, rng
from .styles import MAJOR_MOODS, MOOD_TEMPO, Style, resolve
from .theory import Chord

KINDS = ("intro", "A", "B", "bridge", "climax", "outro")
_FORM = ("A", "A", "B", "A", "bridge", "B")
_FORM_FLAT = ("A", "A", "B", "A", "bridge", "climax")  # no energy curve: give it a shape anyway
_MOVEMENT_S = 100.0  # a new set of themes (and key) about every this many seconds
_MOVEMENT_KEYS = (0, 5, 2, 7, -3, 3, -2, 4)
_KIND_INTENSITY = {"intro": 1, "A": 2, "B": 2, "bridge": 1, "climax": 3, "outro": 2}
STRONG_CUT = 0.5
# A section lasts a musical span, 8 to 12 bars (so 16 to 24 between two changes of scene),
# split where the action changes most, on a 4-bar phrase when that is as good. Real cuts, the
# intro and the ending make shorter ones. (Longer sections would repeat their themes: a
# section's material is per kind and movement.)
SECTION_BARS = (8, 12)




@dataclass(frozen=True)
class Section:
    index: int
    kind: str
    first_bar: int
    n_bars: int
    start_s: float
    end_s: float
    intensity: int  # the section's typical level (bars may differ)
    movement: int
    key_shift: int  # semitones above the home key
    theme: int  # which bar-independent material (motifs, patterns) the section uses


@dataclass(frozen=True, eq=False)
class Plan:
    style: Style
    style_fallback: bool
    mood: str
    mode: str  # "major" | "minor"
    tonic: int  # pitch class of the home key, 0 = C
    bpm: float
    sample_rate: int
    duration: float
    num_samples: int
    seed: int
    bar_beat: np.ndarray  # float64 start of each bar in beats
    bar_len: np.ndarray  # float64 length in beats (the final bar holds to the end)
    bar_section: np.ndarray  # int32
    intensity: np.ndarray  # int8 0..3
    speech: np.ndarray  # bool
    chords: tuple[Chord, ...]  # one per bar, relative to the bar's key
    sections: tuple[Section, ...]
    stingers: np.ndarray = field(default_factory=lambda: np.zeros(0))  # beats: cuts mid-section
    themes: dict[int, Any] = field(default_factory=dict)  # composer's cache, theme id -> Theme
    accents: tuple[Any, ...] = ()  # accents.Accent: hits on the clip's big moments
    style_reasons: tuple[str, ...] | None = None  # why auto style chose it (None: requested)

    @property
    def beat_s(self) -> float:
        return 60.0 / self.bpm

    @property
    def n_bars(self) -> int:
        return len(self.bar_beat)

    @property
    def scale(self) -> tuple[int, ...]:
        return theory.MAJOR if self.mode == "major" else theory.MINOR

    def beat_to_sample(self, beat: np.ndarray | float) -> np.ndarray:
        return np.rint(
            np.asarray(beat, dtype=np.float64) * (self.beat_s * self.sample_rate)
        ).astype(np.int64)

    def bar_at(self, t: float) -> int:
        b = int(np.searchsorted(self.bar_beat, t / self.beat_s, side="right")) - 1
        return min(max(b, 0), self.n_bars - 1)

    def key_of_bar(self, bar: int) -> int:
        """Tonic pitch class sounding in ``bar`` (movements and the climax modulate)."""
        return (self.tonic + self.sections[int(self.bar_section[bar])].key_shift) % 12

    def layers(self, bar: int) -> tuple[str, ...]:
        level = int(self.intensity[bar])
        out = ["pad", "arp"]
        if level >= 1:
            out += ["bass", "drums"]
        if level >= 2 and not self.speech[bar]:
            out.remove("pad")
            out.append("lead")
            if level >= 3:
                out.remove("arp")
                out.append("counter")
        return tuple(out)

    def summary(self) -> dict[str, Any]:
        return {
            "style": self.style.name,
            "style_fallback": self.style_fallback,
            "style_auto": self.style_reasons is not None,
            "style_reasons": list(self.style_reasons or ()),
            "mood": self.mood,
            "tempo_bpm": round(self.bpm, 2),
            "key": theory.NOTE_NAMES[self.tonic],
            "mode": self.mode,
            "time_signature": "4/4",
            "bars": self.n_bars,
            "sections": [
                {
                    "start_s": round(s.start_s, 3),
                    "end_s": round(s.end_s, 3),
                    "kind": s.kind,
                    "intensity": s.intensity,
                }
                for s in self.sections
            ],
            "odd_bars": int(np.count_nonzero(self.bar_len[:-1] != 4)),
            "movements": (self.sections[-1].movement + 1) if self.sections else 0,
            "seed": self.seed,
            "accents": [a.summary() for a in self.accents],
        }


def make_plan(
    analysis: Analysis, request: MusicRequest, *, duration: float, seed: int, sample_rate: int,
    accents: bool = True,
) -> Plan:
    auto = choose_style(analysis, request.mood) if request.style is None else None
    style, fallback = resolve(auto[0] if auto else request.style)
    duration = max(0.0, float(duration))
    mood = request.mood or _infer_mood(analysis)
    mode = "major" if mood in MAJOR_MOODS else "minor"
    cuts = sorted(
        c.time for c in analysis.cuts if c.strength >= STRONG_CUT and 0 < c.time < duration
    )
    bpm = _choose_tempo(style, mood, analysis, cuts, duration, seed, request.tempo_bpm)
    tonic = int(rng(seed, S_KEY).integers(0, 12))

    bar_beat, bar_len, forced = _bar_grid(cuts, duration, 60.0 / bpm)
    n_bars = len(bar_beat)
    beat_s = 60.0 / bpm
    starts_s = bar_beat * beat_s
    ends_s = np.minimum((bar_beat + bar_len) * beat_s, duration)
    level_raw, flat = _bar_levels(analysis, starts_s, ends_s)
    speech = _bar_speech(analysis, starts_s, ends_s)

    bounds = _section_bounds(n_bars, forced, level_raw)
    kinds = _section_kinds(bounds, level_raw, flat)
    sections: list[Section] = []
    bar_section = np.zeros(n_bars, dtype=np.int32)
    intensity = np.zeros(n_bars, dtype=np.int8)
    movement, movement_start = 0, 0.0
    for i, ((b0, b1), kind) in enumerate(zip(bounds, kinds, strict=True)):
        s0, s1 = float(starts_s[b0]), float(ends_s[b1 - 1])
        if kind not in ("intro", "outro") and s0 - movement_start >= _MOVEMENT_S:
            movement, movement_start = movement + 1, s0
        lv = (np.full(b1 - b0, _KIND_INTENSITY[kind]) if flat else level_raw[b0:b1]).astype(np.int8)
        if kind == "intro":
            lv = np.minimum(lv, np.minimum(1 + np.arange(b1 - b0) // 2, 2)).astype(np.int8)
        elif kind == "climax":
            lv = np.maximum(lv, 2).astype(np.int8)
        elif kind == "outro":
            lv = np.clip(lv, 1, 2).astype(np.int8)
        intensity[b0:b1] = lv
        bar_section[b0:b1] = i
        shift = _MOVEMENT_KEYS[movement % len(_MOVEMENT_KEYS)] + (2 if kind == "climax" else 0)
        theme = movement * len(KINDS) + KINDS.index("A" if kind == "climax" else kind)
        sections.append(
            Section(
                i, kind, b0, b1 - b0, s0, s1, int(round(float(lv.mean()))), movement, shift, theme
            )
        )
    # The ending is in the home key of the last movement, never a climax transposition.
    if sections:
        last = sections[-1]
        sections[-1] = Section(
            last.index,
            last.kind,
            last.first_bar,
            last.n_bars,
            last.start_s,
            last.end_s,
            last.intensity,
            last.movement,
            _MOVEMENT_KEYS[last.movement % len(_MOVEMENT_KEYS)],
            last.theme,
        )
    chords = _harmony(style, mode, mood, sections, seed)
    return Plan(
        style,
        fallback,
        mood,
        mode,
        tonic,
        bpm,
        sample_rate,
        duration,
        int(round(duration * sample_rate)),
        seed,
        bar_beat,
        bar_len,
        bar_section,
        intensity,
        speech,
        chords,
        tuple(sections),
        _stingers(
            cuts,
            beat_s,
            bar_beat[[s.first_bar for s in sections]] if sections else np.zeros(0),
            float(bar_beat[-1]) if n_bars else 0.0,
        ),
        style_reasons=auto[1] if auto else None,
        accents=find_accents(analysis, duration=duration, beat_s=beat_s, bar_beat=bar_beat,
                             bar_len=bar_len, intensity=intensity) if accents else (),
    )


def _mean(curve: np.ndarray) -> float:
    return float(np.nan_to_num(curve, nan=0.0).mean()) if curve.size else 0.0


def _infer_mood(a: Analysis) -> str:
    energy = _mean(a.energy)
    motion = _mean(a.motion)
    busy = 0.6 * energy + 0.4 * motion
    if busy > 0.45:
        return "heroic" if a.brightness >= 0.35 else "tense"
    if busy > 0.2:
        return "playful" if a.brightness >= 0.45 else "mysterious"
    return "calm" if a.brightness >= 0.35 else "dark"


def _choose_tempo(
    style: Style,
    mood: str,
    a: Analysis,
    cuts: list[float],
    duration: float,
    seed: int,
    requested: int | None,
) -> float:
    if requested:
        return float(min(max(requested, 40), 300))
    lo, hi = style.tempo_range
    energy = _mean(a.energy)
    pos = (
        MOOD_TEMPO.get(mood, 0.5) + 0.15 * (energy - 0.4) + rng(seed, S_TEMPO).uniform(-0.08, 0.08)
    )
    pref = lo + min(max(pos, 0.0), 1.0) * (hi - lo)
    usable = np.asarray([c for c in cuts if 2.0 < c < duration - 8.0][:4000])
    if usable.size == 0:
        return float(round(pref))
    cands = np.arange(lo, hi + 0.001, 0.5)
    bar = 240.0 / cands[:, None]
    err_beats = np.abs(usable[None, :] / bar - np.rint(usable[None, :] / bar)) * 4.0
    aligned = (err_beats <= 0.75).mean(axis=1)
    score = aligned - 0.15 * np.abs(cands - pref) / (hi - lo)
    return float(cands[int(np.argmax(score))])


def _fill(bars: list[tuple[float, float]], cursor: int, target: int) -> None:
    """Append 4/4 bars from beat ``cursor`` to ``target``; absorb a remainder in the last bar."""
    n = target - cursor
    full, rest = divmod(n, 4)
    lens = [4] * full
    if rest == 3 or not lens:
        lens.append(rest)
    elif rest:
        lens[-1] += rest  # 5- or 6-beat bar
    b = cursor
    for ln in lens:
        if ln > 0:
            bars.append((b, ln))
            b += ln


def _bar_grid(cuts: list[float], duration: float, beat: float):
    total = duration / beat
    bars: list[tuple[float, float]] = []
    forced: list[int] = []
    cursor = 0
    # Leave room for at least two bars of cadence plus the final chord.
    last_ok = total - 4 - 8 - 4
    # A section lasts at least 7 beats, or 4.5 s in slow styles (7 beats of ambient at 60 bpm
    # would swallow most cuts), and never under 3 beats.
    min_gap = max(3.0, min(7.0, 4.5 / beat))
    for c in cuts:
        cb = c / beat
        if cb < cursor + min_gap:
            continue  # too close to the previous section change
        k = round((cb - cursor) / 4)
        target = cursor + 4 * k if abs(cb - (cursor + 4 * k)) <= 1.0 else int(round(cb))
        if target > last_ok:
            break
        _fill(bars, cursor, target)
        forced.append(len(bars))
        cursor = target
    if total >= 4:
        final = cursor + 4 * int(np.floor((total - 4 - cursor) / 4))
    else:
        final = 0
    final = max(final, cursor)
    _fill(bars, cursor, final)
    bars.append((final, max(total - final, 1e-9)))
    arr = np.asarray(bars, dtype=np.float64).reshape(-1, 2)
    return arr[:, 0].copy(), arr[:, 1].copy(), forced


def _stingers(cuts: list[float], beat: float, sec_beats: np.ndarray, final: float) -> np.ndarray:
    """Strong cuts that did not become a section change get an accent on the nearest eighth."""
    if not cuts or sec_beats.size == 0:
        return np.zeros(0)
    b = np.rint(np.asarray(cuts) / beat * 2.0) / 2.0
    near = np.abs(b[:, None] - sec_beats[None, :]).min(axis=1) <= 1.0
    b = np.unique(b[~near & (b < final)])
    keep = np.concatenate([[True], np.diff(b) >= 4.0]) if b.size else b.astype(bool)
    return b[keep]


def _bar_means(a: Analysis, curve: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    if curve.size == 0:
        return np.zeros(len(t0))
    curve = np.nan_to_num(curve, nan=0.0, posinf=1.0, neginf=0.0)
    cs = np.concatenate([[0.0], np.cumsum(curve, dtype=np.float64)])
    i0 = np.clip((t0 / a.hop).astype(np.int64), 0, curve.size - 1)
    i1 = np.clip((t1 / a.hop).astype(np.int64), i0 + 1, curve.size)
    return (cs[i1] - cs[i0]) / (i1 - i0)


def _bar_levels(a: Analysis, t0: np.ndarray, t1: np.ndarray) -> tuple[np.ndarray, bool]:
    x = 0.65 * _bar_means(a, a.energy, t0, t1) + 0.35 * _bar_means(a, a.motion, t0, t1)
    if x.size == 0 or float(x.max() - x.min()) < 0.05:
        return np.zeros(len(t0), dtype=np.int8), True
    lo, hi = np.percentile(x, 10), np.percentile(x, 90)
    rel = np.clip((x - lo) / max(hi - lo, 1e-6), 0.0, 1.0)
    s = 0.6 * rel + 0.4 * np.clip(x / 0.5, 0.0, 1.0)
    s = 0.5 * (s + np.concatenate([s[:1], s[:-1]]))  # two-bar memory: no flapping
    return np.clip(np.rint(s * 3.0), 0, 3).astype(np.int8), False


def _bar_speech(a: Analysis, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    talking = (a.speech > 0.5).astype(np.float32)
    return _bar_means(a, talking, t0, t1) >= 0.3


def _section_bounds(
    n_bars: int, forced: list[int], levels: np.ndarray | None = None
) -> list[tuple[int, int]]:
    if n_bars <= 1:
        return [(0, n_bars)] if n_bars else []
    body_end = n_bars - 1 - min(2, n_bars - 1)  # outro = up to two cadence bars + final chord
    cuts = [b for b in forced if 0 < b < body_end]
    segs = list(zip([0, *cuts], [*cuts, body_end], strict=True)) if body_end > 0 else []
    lv = np.zeros(n_bars) if levels is None else np.asarray(levels, dtype=np.float64)
    bounds: list[tuple[int, int]] = []
    for si, (b0, b1) in enumerate(segs):
        if si == 0 and b1 - b0 >= 6:
            intro = 4 if b1 - b0 >= 12 else 2
            bounds.append((b0, b0 + intro))
            b0 += intro
        for e in _splits(b0, b1, lv):
            bounds.append((b0, e))
            b0 = e
    bounds.append((body_end, n_bars))
    return bounds


def _splits(b0: int, b1: int, levels: np.ndarray) -> list[int]:
    """Section ends for the bars [b0, b1) between two cuts: spans of SECTION_BARS, each ending
    where the action level changes most (on a 4-bar phrase when that is as good)."""
    lo, hi = SECTION_BARS
    ends: list[int] = []
    while b1 - b0 > hi:
        rem = b1 - b0
        # Too long for one section, too short for two full ones: two about equal halves.
        first, last = (b0 + lo, b0 + hi) if rem >= 2 * lo else (b0 + rem // 2, b0 + rem // 2 + 1)
        best, best_score = first, -1.0
        for e in range(first, last + 1):
            if b1 - e < min(lo, rem - rem // 2 - 1):
                break
            change = abs(float(levels[e : e + 2].mean()) - float(levels[e - 2 : e].mean()))
            score = change + (0.6 if (e - b0) % 4 == 0 else 0.0) + (0.1 if e - b0 == lo else 0.0)
            if score > best_score:
                best, best_score = e, score
        ends.append(best)
        b0 = best
    if b1 > b0:
        ends.append(b1)
    return ends


def _section_kinds(bounds: list[tuple[int, int]], levels: np.ndarray, flat: bool) -> list[str]:
    kinds: list[str] = []
    form = _FORM_FLAT if flat else _FORM
    k = 0
    for i, (b0, b1) in enumerate(bounds):
        if i == len(bounds) - 1:
            kinds.append("outro")
        elif i == 0 and len(bounds) > 2 and b1 - b0 <= 4 and b0 == 0:
            kinds.append("intro")
        elif not flat and float(levels[b0:b1].mean()) >= 2.5:
            kinds.append("climax")
        else:
            kinds.append(form[k % len(form)])
            k += 1
    return kinds


def _harmony(
    style: Style, mode: str, mood: str, sections: list[Section], seed: int
) -> tuple[Chord, ...]:
    key = "major" if mode == "major" else "minor"
    moods = (
        style.progressions.get(mood) or style.progressions["heroic" if mode == "major" else "tense"]
    )
    chosen: dict[int, tuple[Chord, ...]] = {}
    out: list[Chord] = []
    for s in sections:
        if s.theme not in chosen:
            r = rng(seed, S_HARMONY, s.theme)
            pool = style.bridges[key] if s.kind == "bridge" else moods
            # B sections avoid A's progression of the same movement.
            a_theme = s.movement * len(KINDS) + KINDS.index("A")
            avoid = chosen.get(a_theme) if s.kind == "B" else None
            options = [p for p in pool if theory.progression(p) != avoid] or list(pool)
            chosen[s.theme] = theory.progression(options[int(r.integers(len(options)))])
        prog = chosen[s.theme]
        for j in range(s.n_bars):
            out.append(prog[j % len(prog)])
        if s.kind == "outro":
            r = rng(seed, S_HARMONY, 10_000 + s.index)
            cad = theory.progression(style.cadences[key][int(r.integers(len(style.cadences[key])))])
            tail = cad[-s.n_bars :] if s.n_bars <= len(cad) else cad
            out[len(out) - len(tail) :] = list(tail)
    return tuple(out)
