"""Accents: the music answers the clip's few biggest moments on the beat.

A moment is a burst in the game audio (an explosion, a volley, a kill or win sound: loudness
jumping well above the seconds before it), a flash or a violent change of picture (motion
jumping the same way), or the clip's biggest cut. The strongest few are kept, at most
``PER_MINUTE`` a minute and ``MIN_GAP_S`` apart, never while someone talks, and each is moved
to the nearest strong beat (a bar's downbeat or its middle). There the music builds for a beat
(a snare roll swelling), hits (crash, kick and the bass on the root), and breaks: the drums
leave room for the hit to ring for a beat and a half.

The plan holds the accents (``Plan.accents``); each section's composer adds the ones that land
in it, so they come out the same whichever block of the piece is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage, signal

from ..analysis.result import Analysis
from .notes import ROLE, NoteBuilder

PER_MINUTE = 3.0
MIN_GAP_S = 8.0
MIN_STRENGTH = 0.22  # a jump of this much (0..1 curves) over the seconds before it
_LOOKBACK_S = (3.0, 0.3)  # the "before" a jump is measured against
_SPEECH_GUARD_S = (0.6, 1.6)  # no accent from this long before speech to this long after
_BUILD_BEATS, _BREAK_BEATS = 1.0, 1.5
_DRUMS = ("kick", "snare", "hat", "crash", "tom")


@dataclass(frozen=True)
class Accent:
    time_s: float  # the moment in the video
    beat: float  # the strong beat the hit lands on (beats from the start)
    hit_s: float  # ... in seconds
    source: str  # "burst" (game audio), "flash" (picture) or "cut"
    strength: float

    def summary(self) -> dict[str, object]:
        return {"time_s": round(self.time_s, 2), "hit_s": round(self.hit_s, 3),
                "source": self.source, "strength": round(self.strength, 3)}


def _jumps(curve: np.ndarray, hop: float) -> np.ndarray:
    """How far each value stands above the median of the seconds just before it, counted
    only when it falls back within the seconds after: an explosion is a burst, a fight that
    starts and goes on is a change of action (the plan's sections answer that)."""
    x = np.nan_to_num(np.asarray(curve, dtype=np.float64))
    if x.size < 4:
        return np.zeros_like(x)
    span = max(3, int(round((_LOOKBACK_S[0] - _LOOKBACK_S[1]) / hop)))
    med = ndimage.median_filter(x, size=span, mode="nearest")
    lag = int(round((_LOOKBACK_S[0] + _LOOKBACK_S[1]) / 2 / hop))
    before = np.concatenate([np.full(lag, med[0]), med[:-lag]]) if lag < len(x) else med
    # smoothed over 60 ms: one loud frame of noise is not a moment
    peak = ndimage.maximum_filter1d(ndimage.uniform_filter1d(x, max(1, int(0.06 / hop))), 3)
    jump = np.maximum(peak - before, 0.0)
    ahead = int(round((_LOOKBACK_S[0] + _LOOKBACK_S[1]) / 2 / hop)) + int(round(1.0 / hop))
    after = np.concatenate([med[ahead:], np.full(min(ahead, len(x)), med[-1])])[: len(x)]
    return np.where(peak - after >= 0.5 * jump, jump, 0.0)


def find_moments(a: Analysis) -> list[tuple[float, float, str]]:
    """Candidate moments (time s, strength, source), strongest first."""
    out: list[tuple[float, float, str]] = []
    gap = max(1, int(MIN_GAP_S / a.hop))
    for curve, source, weight in ((a.energy, "burst", 1.0), (a.motion, "flash", 0.8)):
        if curve is None or not len(curve):
            continue
        if source == "burst" and not a.has_audio:
            continue
        score = _jumps(curve, a.hop) * weight
        peaks, _ = signal.find_peaks(score, height=MIN_STRENGTH, distance=gap)
        back = max(1, int(0.5 / a.hop))
        for i in peaks:  # the moment is its onset: where the jump first reaches half its peak
            lo = max(0, i - back)
            onset = lo + int(np.argmax(score[lo : i + 1] >= 0.5 * score[i]))
            out.append((float(onset * a.hop), float(score[i]), source))
    if a.cuts:
        big = max(a.cuts, key=lambda c: c.strength)
        if big.strength >= 0.6:
            out.append((big.time, 0.5 * big.strength, "cut"))
    return sorted(out, key=lambda m: -m[1])


def find_accents(
    a: Analysis, *, duration: float, beat_s: float, bar_beat: np.ndarray, bar_len: np.ndarray,
    intensity: np.ndarray | None = None,
) -> tuple[Accent, ...]:
    """The accents for a piece with this bar grid (see the module doc). A change of picture
    is answered only where the music is already going (``intensity`` >= 2): in a calm
    passage only a burst in the game's sound is a big enough moment."""
    n_bars = len(bar_beat)
    if n_bars < 3 or duration <= 0:
        return ()
    strong = np.concatenate(
        [bar_beat[:-1], (bar_beat + bar_len / 2)[:-1][bar_len[:-1] >= 4]]
    )  # never in the final bar: the ending is its own moment
    strong = np.sort(strong[strong * beat_s >= 2.0])
    if not len(strong):
        return ()
    budget = max(1, int(PER_MINUTE * duration / 60.0))
    speech = np.asarray(a.speech, dtype=np.float64)
    chosen: list[Accent] = []
    for t, strength, source in find_moments(a):
        if len(chosen) >= budget or not 0.0 < t < duration:
            continue
        k = int(np.argmin(np.abs(strong * beat_s - t)))
        beat = float(strong[k])
        hit = beat * beat_s
        if abs(hit - t) > 2.0 * beat_s:
            continue
        bar = int(np.searchsorted(bar_beat, beat, side="right") - 1)
        if source != "burst" and intensity is not None and int(intensity[bar]) < 2:
            continue
        lo = max(0, int((min(t, hit - _BUILD_BEATS * beat_s) - _SPEECH_GUARD_S[0]) / a.hop))
        hi = int((max(t, hit) + _SPEECH_GUARD_S[1]) / a.hop) + 1
        if speech[lo:hi].size and float(speech[lo:hi].max()) > 0.5:
            continue  # never over the streamer's voice
        if any(abs(c.hit_s - hit) < MIN_GAP_S for c in chosen):
            continue
        chosen.append(Accent(t, beat, hit, source, strength))
    return tuple(sorted(chosen, key=lambda c: c.beat))


def apply_accents(
    plan, index: int, notes: np.ndarray, *, kick: tuple, snare: tuple, crash: tuple,
    bass_ch: int, drum_ch: int, kick_ch: int | None,
) -> np.ndarray:
    """Section ``index``'s notes with the build, hit and break of its accents."""
    accents = getattr(plan, "accents", ())
    if not accents:
        return notes
    sec = plan.sections[index]
    b0 = float(plan.bar_beat[sec.first_bar])
    b1 = float(plan.bar_beat[sec.first_bar + sec.n_bars - 1] + plan.bar_len[
        sec.first_bar + sec.n_bars - 1])
    mine = [c for c in accents if b0 <= c.beat < b1]
    if not mine:
        return notes
    spb = plan.beat_s * plan.sample_rate
    drum_roles = [ROLE[r] for r in _DRUMS]
    keep = np.ones(len(notes), dtype=bool)
    nb = NoteBuilder()
    soft = plan.style.accent == "soft"
    for c in mine:
        bar = int(np.searchsorted(plan.bar_beat, c.beat, side="right") - 1)
        level = 0.7 + 0.1 * int(plan.intensity[bar])  # a hit as big as the music around it
        if soft:  # a cymbal swell into the beat and the bass, no kit
            nb.add(c.beat, 1.5, drum_ch, "crash", crash[0], min(15.0, crash[3] * 0.8 * level),
                   decay=crash[2] * 2.0, sustain=0.0, mode=crash[1])
            nb.add(c.beat, 2.0, bass_ch, "bass", _root(plan, bar), 11.0 * level)
            continue
        # room for the build and the ringing hit: the drums step out
        start = max(c.beat - _BUILD_BEATS, b0) * spb
        end = (c.beat + _BREAK_BEATS) * spb
        drums = np.isin(notes["role"], drum_roles)
        keep &= ~(drums & (notes["start"] >= start) & (notes["start"] < end))
        steps = int(round((c.beat - max(c.beat - _BUILD_BEATS, b0)) * 4))
        bs = plan.beat_s
        for s in range(steps):  # the build: sixteenths swelling into the hit
            _noise(nb, c.beat - (steps - s) / 4.0, snare, "snare",
                   (0.55 + 0.45 * s / steps) * level, drum_ch, bs)
        _noise(nb, c.beat, crash, "crash", 1.25 * level, drum_ch, bs, decay_scale=2.0)
        # (the kick on a channel of its own: the drum channel plays one sound at a time; the
        # chip styles have no such channel, and their bass carries the thump)
        if kick_ch is not None:
            _noise(nb, c.beat, kick, "kick", 1.2 * level, kick_ch, bs)
        nb.add(c.beat, 1.0, bass_ch, "bass", _root(plan, bar), 14.0 * level)
    extra = nb.table(spb, plan.num_samples)
    out = np.concatenate([notes[keep], extra])
    return out[np.lexsort((out["ch"], out["start"]))]


def _root(plan, bar: int) -> int:
    lo = plan.style.registers["bass"][0]
    return lo + (plan.key_of_bar(bar) + plan.chords[bar].root - lo) % 12


def _noise(nb: NoteBuilder, beat: float, voice: tuple, role: str, gain: float, ch: int,
           beat_s: float, decay_scale: float = 1.0) -> None:
    period, mode, decay, vol = voice
    decay *= decay_scale
    nb.add(beat, max(decay * 4.0, 0.06) / beat_s, ch, role, period, min(15.0, vol * gain),
           decay=decay, sustain=0.0, mode=mode)
