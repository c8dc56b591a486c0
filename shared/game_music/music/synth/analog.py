"""Subtractive "analog" synthesis: detuned saws, a swept 24 dB low-pass, a drum machine.

Voices (all closed-form in note-relative time, so any sample range renders on its own):

- ``saw(phase, dt)``: a PolyBLEP saw; ``unison(...)``: N detuned saws spread in stereo, with
  slow analog pitch drift from a given LFO phase (supersaw: ``voices=7``).
- ``Drums``: kick (sine with a pitch drop and a click), snare (tone + noise), clap, hats,
  crash, toms, a gated-reverb burst for the 80s snare, from pre-filtered noise tables.
- ``AnalogSynth``: renders the shared note table with a ``Patch`` (synthwave, edm): plucked
  arpeggios expanded from chord notes, sixteenth or sub basses, pads with chorus, sidechain
  pumping from the kick, risers into section changes, an FDN plate/hall and bus glue.
  A tune repeats its notes, so each distinct note is rendered and filtered once, whole, and
  then mixed as slices (the drift starts from an LFO phase set by the pitch, so a note always
  sounds the same); the sidechain gain, slow next to the filters, is applied after them.

Other synths reuse ``saw``, ``unison``, ``Drums`` and the kit in ``dsp``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import signal

from ..channels import NOISE, PULSE1, PULSE2, TRIANGLE
from ..notes import ROLE
from . import dsp

_LN2_1200 = np.log(2.0) / 1200.0


def saw(phase: np.ndarray, dt: float) -> np.ndarray:
    """Band-limited saw (-1..1) for ``phase`` in cycles, ``dt`` = f / sr."""
    x = phase - np.floor(phase)
    y = 2.0 * x - 1.0
    dsp.add_polyblep(y, x, min(dt, 0.5), -1.0)
    return y


def square(phase: np.ndarray, dt: float, duty: float = 0.5) -> np.ndarray:
    x = phase - np.floor(phase)
    y = np.where(x < duty, 1.0, -1.0)
    d = min(dt, 0.5)
    dsp.add_polyblep(y, x, d)
    fall = x - duty
    fall += fall < 0
    dsp.add_polyblep(y, fall, d, -1.0)
    return y


def sine(phase: np.ndarray) -> np.ndarray:
    """sin(2 pi phase) in float32 precision (fast; phase wrapped first)."""
    x = (phase - np.floor(phase)).astype(np.float32)
    return np.sin(x * np.float32(2 * np.pi)).astype(np.float64)


def drift_phase(f: float, t: np.ndarray, t0: float, cents: float = 3.0, rate: float = 0.23):
    """Cycles of a tone at ``f`` whose pitch wanders ``cents`` on a slow LFO of absolute time
    (``t0`` = note start in seconds): the integral in closed form, so notes never jump."""
    w = 2 * np.pi * rate
    c = f * cents * _LN2_1200 / w
    th = w * t0
    return f * t + dsp.control(lambda u: c * (np.cos(th) - np.cos(w * u + th)), t)


def unison(
    f: float,
    t: np.ndarray,
    t0: float,
    voices: int = 2,
    detune: float = 8.0,
    spread: float = 0.8,
    sr: int = 48000,
    drift: float = 3.0,
) -> np.ndarray:
    """``voices`` saws spread over +-``detune`` cents, panned across +-``spread``: (2, m)."""
    base = drift_phase(f, t, t0, drift) if drift else f * t
    x = np.linspace(-1.0, 1.0, voices) if voices > 1 else np.zeros(1)
    ratio = 2.0 ** (x * detune / 1200.0)
    # a fixed, different start phase per voice (the same for every note: deterministic);
    # the phases are wrapped in float64 one voice at a time in two reused rows (no large
    # temporaries), then kept in float32, which holds a cycle's phase finely enough
    off = 0.37 * np.arange(voices)
    m = base.shape[-1]
    ph = np.empty((voices, m), dtype=np.float32)
    row, whole = np.empty(m), np.empty(m)
    for v in range(voices):
        np.multiply(base, ratio[v], out=row)
        row += off[v]
        np.floor(row, out=whole)
        row -= whole
        ph[v] = row
    dt = np.minimum(f * ratio / sr, 0.5).astype(np.float32)
    p = x * spread
    w = (np.stack([1.0 - p, 1.0 + p]) * (1.0 / voices)).astype(np.float32)  # pan weights
    # sum_v w_v (2 ph_v - 1 - blep_v): the naive saws mixed in one pass (einsum: no BLAS
    # threads), then each voice's PolyBLEP corrections, which touch only samples next to a
    # wrap, subtracted from the mix
    out = np.einsum("cv,vm->cm", w, ph)
    out *= np.float32(2.0)
    out -= w.sum(axis=1, keepdims=True)
    for v in range(voices):
        i, r, j, q = dsp.polyblep(ph[v], dt[v])
        for c in range(2):
            out[c, i] -= w[c, v] * r
            out[c, j] -= w[c, v] * q
    return out


# -- drum machine ------------------------------------------------------------------------------
@lru_cache(maxsize=16)
def _noise_band(kind: str, sr: int) -> np.ndarray:
    """A few seconds of white noise shaped once for one drum voice (float32)."""
    return _noise_band64(kind, sr).astype(np.float32)


def _noise_band64(kind: str, sr: int) -> np.ndarray:
    n = dsp.noise(0, 1 << 17).copy()
    if kind == "hat":
        return dsp.filt(n, "highpass", 7000.0, sr, 4)
    if kind == "snare":
        return dsp.filt(dsp.filt(n, "highpass", 900.0, sr, 2), "lowpass", 9000.0, sr, 2)
    if kind == "clap":
        return dsp.filt(n, "bandpass", 1300.0, sr, q=0.9) * 1.8
    if kind == "crash":
        return dsp.filt(n, "highpass", 3500.0, sr, 2)
    if kind == "gated":  # the dense, dark body of a gated room
        return dsp.filt(dsp.filt(n, "highpass", 400.0, sr, 2), "lowpass", 5000.0, sr, 2)
    if kind == "riser":
        return n
    raise ValueError(kind)


class Drums:
    """Drum-machine voices: each returns the note-relative samples [n0, n1) of one hit.

    A hit's shape (pitch sweeps, envelopes) depends only on time since the hit, so each is
    computed once over ``SHOT_S`` seconds and sliced; noise comes from fixed tables."""

    SHOT_S = 3.0  # every hit has died away by then

    def __init__(self, sr: int, *, kick_hz=(160.0, 48.0), kick_decay=0.32, tone=1.0) -> None:
        self.sr = sr
        self.kick_hz = kick_hz
        self.kick_decay = kick_decay
        self.tone = tone
        self._t = dsp.times(0, int(self.SHOT_S * sr), sr)
        self._shots: dict[tuple, np.ndarray] = {}

    def t(self, n0: int, n1: int) -> np.ndarray:
        return dsp.times(n0, n1, self.sr)

    def _shot(self, key: tuple, fn, n0: int, n1: int) -> np.ndarray:
        """Samples [n0, n1) of the cached shape ``fn(t)`` (silence past ``SHOT_S``)."""
        s = self._shots.get(key)
        if s is None:
            if len(self._shots) > 256:  # (only a safety net: content never depends on it)
                self._shots.clear()
            s = self._shots[key] = fn(self._t).astype(np.float32)
        if n1 <= len(s):
            return s[n0:n1]
        out = np.zeros(n1 - n0, dtype=np.float32)
        m = max(len(s) - n0, 0)
        out[:m] = s[n0 : n0 + m]
        return out

    def _kick(self, t: np.ndarray) -> np.ndarray:
        f0, f1 = self.kick_hz
        k = 28.0  # pitch drop rate (1/s)
        ph = f1 * t + (f0 - f1) / k * (1.0 - np.exp(-k * t))
        body = sine(ph) * dsp.control(lambda u: dsp.decay(u, self.kick_decay), t)
        click = dsp.control(lambda u: dsp.decay(u, 0.004), t) * 0.5
        y = body + click * sine(1200.0 * t)
        y[:48] *= np.linspace(0.0, 1.0, 48)
        return y

    def kick(self, n0: int, n1: int, vol: float) -> np.ndarray:
        return self._shot(("kick",), self._kick, n0, n1) * vol

    def tom(self, n0: int, n1: int, vol: float, f: float) -> np.ndarray:
        def shape(t: np.ndarray) -> np.ndarray:
            ph = f * t + 0.6 * f / 20.0 * (1.0 - np.exp(-20.0 * t))
            return sine(ph) * dsp.control(lambda u: dsp.decay(u, 0.18), t)

        return self._shot(("tom", float(f)), shape, n0, n1) * vol

    def _decay(self, tau: float, n0: int, n1: int) -> np.ndarray:
        return self._shot(("decay", float(tau)), lambda t: dsp.decay(t, tau), n0, n1)

    def _noise(self, kind: str, n0: int, n1: int, off: int) -> np.ndarray:
        table = _noise_band(kind, self.sr)
        o = (off + n0) % (len(table) - (n1 - n0)) if n1 - n0 < len(table) else 0
        return table[o : o + n1 - n0]

    def noisy(self, kind: str, n0: int, n1: int, off: int, tau: float, vol: float) -> np.ndarray:
        return self._noise(kind, n0, n1, off) * self._decay(tau, n0, n1) * vol

    def _snare_tone(self, t: np.ndarray) -> np.ndarray:
        tone = sine(185.0 * t + 60.0 / 30.0 * (1.0 - np.exp(-30.0 * t)))
        return tone * dsp.control(lambda u: dsp.decay(u, 0.06), t) * 0.55

    def snare(self, n0: int, n1: int, vol: float, off: int) -> np.ndarray:
        tone = self._shot(("snare",), self._snare_tone, n0, n1)
        return (tone + self.noisy("snare", n0, n1, off, 0.13, 1.3)) * vol

    def clap(self, n0: int, n1: int, vol: float, off: int) -> np.ndarray:
        def shape(t: np.ndarray) -> np.ndarray:
            # three quick re-triggers (hands) before the tail
            env = np.maximum.reduce(
                [dsp.decay(np.maximum(t - d, 0.0), 0.008) * (t >= d) for d in (0.0, 0.011, 0.022)]
            )
            return (0.35 + 1.4 * env) * dsp.decay(t, 0.16)

        return self._noise("clap", n0, n1, off) * self._shot(("clap",), shape, n0, n1) * vol

    def gated(self, n0: int, n1: int, vol: float, off: int, hold: float = 0.24) -> np.ndarray:
        """The 80s gated reverb: a dense room that stops dead ``hold`` s after the hit."""

        def shape(t: np.ndarray) -> np.ndarray:
            env = np.clip((hold + 0.015 - t) / 0.015, 0.0, 1.0) * (
                0.55 + 0.45 * dsp.control(lambda u: dsp.decay(u, 0.08), t)
            )
            env *= np.minimum(t / 0.006, 1.0)
            return env * dsp.decay(t, 10.0) * 0.5

        return self._noise("gated", n0, n1, off + 7919) * (
            self._shot(("gated", hold), shape, n0, n1) * vol
        )


# -- patches -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Patch:
    """What makes a style out of the analog voices (levels are linear, 1 = a full note)."""

    lead_voices: int = 2
    lead_detune: float = 9.0
    lead_cut: tuple[float, float] = (3.6, 2.7)  # ladder positions: attack, sustain
    pad_voices: int = 3
    pad_detune: float = 11.0
    pad_cut: float = 2.2
    arp_steps: float = 0.5  # beats per step when a chord note is spread into an arpeggio
    arp_cut: tuple[float, float] = (3.4, 1.6)  # pluck: the filter closes over ``arp_decay``
    arp_decay: float = 0.12
    bass_steps: float = 0.25  # 0: play bass notes as written; else re-trigger every so often
    bass_sub: bool = False  # a sine sub an octave down (EDM) instead of a saw+square bass
    bass_cut: tuple[float, float] = (2.2, 0.8)
    clap: bool = False
    gated_snare: bool = True
    duck_db: float = 0.0  # sidechain depth from the kick
    risers: bool = False
    reverb_rt60: float = 2.2
    reverb_mix: float = 0.28
    drift: float = 3.0
    kick_hz: tuple[float, float] = (150.0, 48.0)
    kick_decay: float = 0.3
    kick_gain: float = 1.2
    gain: float = 0.4


SYNTHWAVE = Patch()
EDM = Patch(
    lead_voices=7,
    lead_detune=22.0,
    lead_cut=(3.8, 3.2),
    pad_voices=5,
    pad_detune=18.0,
    pad_cut=2.6,
    arp_steps=0.25,
    arp_cut=(3.6, 2.0),
    arp_decay=0.09,
    bass_steps=0.0,
    bass_sub=True,
    clap=True,
    gated_snare=False,
    duck_db=7.0,
    risers=True,
    reverb_rt60=1.6,
    reverb_mix=0.2,
    drift=1.0,
    kick_hz=(190.0, 50.0),
    kick_decay=0.36,
    kick_gain=2.0,
    gain=0.32,
)

_R = ROLE
_PUMPED = {_R["pad"], _R["arp"], _R["bass"], _R["final"], _R["counter"]}
# release (s) after a note's end, by role (others: 0.08)
_REL = {_R["pad"]: 0.7, _R["final"]: 0.5, _R["lead"]: 0.18, _R["counter"]: 0.15, _R["bass"]: 0.03}
_CACHE_BYTES = 96 << 20  # rendered notes kept for reuse


class AnalogSynth:
    """Renders the note table with analog voices, a drum machine and a mix bus."""

    def __init__(self, sample_rate: int, bpm: float, patch: Patch = SYNTHWAVE) -> None:
        self.sr = sr = int(sample_rate)
        self.bpm = float(bpm)
        self.beat = 60.0 / self.bpm
        self.p = patch
        self.reverb = dsp.Reverb(sr, rt60=patch.reverb_rt60, damp=0.2, predelay=0.025)
        self.preroll = max(self.reverb.tail, int(1.2 * sr))
        self.chunk = 1 << 20  # long chunks keep the reverb pre-roll cheap
        # risers are drawn before the section change they lead into: look ahead two bars
        self.lookahead = int(8 * self.beat * sr) if patch.risers else 0
        self.ladder = dsp.FilterLadder(sr, (180.0, 600.0, 2000.0, 6500.0), q=1.2)
        self.drums = Drums(sr, kick_hz=patch.kick_hz, kick_decay=patch.kick_decay)
        self.hp = dsp.sos("highpass", 25.0, sr, 2).astype(np.float32)
        self._notes: OrderedDict[tuple, tuple[np.ndarray, object]] = OrderedDict()
        self._cached = 0

    # -- note expansion -----------------------------------------------------------------------
    def _events(self, notes: np.ndarray) -> list[tuple[int, int, float, float, int, object]]:
        """(start, dur, pitch, vol, role, note) per sounding event: chord notes become
        arpeggios, bass notes re-trigger on a grid (sixteenth bass)."""
        spb = self.beat * self.sr
        out = []
        for nt in notes:
            role, ch = int(nt["role"]), int(nt["ch"])
            start, dur = int(nt["start"]), int(nt["dur"])
            pitch, vol = float(nt["pitch"]), float(nt["vol"]) / 15.0
            if ch == NOISE:
                out.append((start, dur, pitch, vol, role, nt))
                beat = start / spb
                if self.p.clap and role == _R["snare"] and abs(beat - round(beat)) < 0.01:
                    out.append((start, dur, 11.0, vol, _R["kick"], nt))  # the floor under a clap
                continue
            if ch == TRIANGLE:
                role = _R["bass"]  # the final note of the bass line is still the bass
            arp = (int(nt["arp1"]), int(nt["arp2"]))
            if role == _R["arp"] and arp != (0, 0):
                step = int(round(self.p.arp_steps * spb))
                tones = (0, arp[0], arp[1], 12, arp[1], arp[0])
                for k, s in enumerate(range(start, start + dur, step)):
                    out.append((s, min(step, start + dur - s), pitch + tones[k % 6], vol, role, nt))
                continue
            if role == _R["final"] and arp != (0, 0):
                for iv in (0, arp[0], arp[1]):
                    out.append((start, dur, pitch + iv, vol * 0.6, role, nt))
                continue
            if role == _R["bass"] and self.p.bass_steps and dur > 1.2 * self.p.bass_steps * spb:
                step = int(round(self.p.bass_steps * spb))
                for s in range(start, start + dur, step):
                    out.append((s, min(step, start + dur - s), pitch, vol, role, nt))
                continue
            out.append((start, dur, pitch, vol, role, nt))
        return out

    # -- voices -------------------------------------------------------------------------------
    def _melodic(self, ev, a: int, b: int, pads: np.ndarray, direct: np.ndarray, pump) -> None:
        start, dur, pitch, vol, role, nt = ev
        # notes repeat: each distinct one is rendered and filtered whole once, then sliced;
        # the sidechain gain, slow next to the filters, is applied after them
        z, pan = self._shape(role, pitch, dur, nt)
        s0, s1 = max(start, a), min(start + z.shape[-1], b)
        if s1 <= s0:
            return
        g = pump[s0 - a : s1 - a] * np.float32(vol) if role in _PUMPED else vol
        seg = z[:, s0 - start : s1 - start] * g
        out = pads if role == _R["pad"] else direct  # pads: chorus on the bus
        out[:, s0 - a : s1 - a] += seg if pan is None else seg * pan

    def _shape(self, role: int, pitch: float, dur: int, nt) -> tuple[np.ndarray, object]:
        """A whole note at unit volume, through its filter sweep,
        release and the filters' ring-out included (float32, stereo or mono), and its pan
        gains (2, 1) if it is a panned mono note; cached: the same note always sounds the
        same."""
        slide = (float(nt["slide"]), float(nt["slide_t"])) if role == _R["lead"] else (0.0, 0.0)
        key = (role, pitch, dur, bool(nt["fade"]), slide)
        hit = self._notes.get(key)
        if hit is not None:
            self._notes.move_to_end(key)
            return hit
        p, sr = self.p, self.sr
        rel = _REL.get(role, 0.08)
        t = dsp.times(0, dur + int(rel * sr), sr)
        # the analog drift starts from a phase of its slow LFO chosen by the pitch
        t0 = (pitch * 0.618034) % 1.0 / 0.23
        d = dur / sr
        f = dsp.midi_to_hz(pitch)
        pos: object
        pan = None
        if role in (_R["pad"], _R["final"]):
            env = dsp.control(
                lambda u: dsp.adsr(u, d, 0.35 if role == _R["pad"] else 0.02, 1.2, 0.75, rel), t
            )
            y = unison(f, t, t0, p.pad_voices, p.pad_detune, 0.9, sr, p.drift)
            y += 0.5 * unison(f / 2, t, t0, 2, p.pad_detune, 0.5, sr, p.drift)
            y *= env * 1.1
            pos = p.pad_cut if role == _R["pad"] else p.pad_cut + 0.6
        elif role == _R["lead"]:
            env = dsp.control(lambda u: dsp.adsr(u, d, 0.008, 0.3, 0.7, rel), t)
            ph_t = t
            if slide[0]:
                # the pitch glides in over slide_t seconds (approximate: linear in time)
                st = max(slide[1], 1e-3)
                ph_t = t + slide[0] / 12.0 * np.log(2.0) * np.where(
                    t < st, t - t * t / (2 * st), st / 2
                )
            y = unison(f, ph_t, t0, p.lead_voices, p.lead_detune, 0.35, sr, p.drift)
            y *= env * 0.9
            c0, c1 = p.lead_cut
            pos = c1 + (c0 - c1) * dsp.control(lambda u: dsp.decay(u, 0.25), t)
        elif role == _R["bass"]:
            env = dsp.control(lambda u: dsp.adsr(u, d, 0.003, 0.18, 0.6, rel), t)
            if p.bass_sub:
                fs = f
                while fs > 62.0:
                    fs /= 2
                sub = (
                    sine(fs * t)
                    * dsp.control(lambda u: dsp.adsr(u, d, 0.004, 1.0, 0.9, rel), t)
                    * 1.1
                )
                y = unison(f, t, t0, 2, 14.0, 0.0, sr, 0.0)[:1] * env * 0.55  # centred: mono
                y += sub
                pos = 1.0 + 0.9 * dsp.control(lambda u: dsp.decay(u, 0.12), t)
            else:
                y0 = 0.6 * saw(f * t, f / sr) + 0.5 * square(f * t * 1.003, f / sr)
                y = (y0 * (env * 0.9))[None, :]  # mono, both sides
                c0, c1 = p.bass_cut
                pos = c1 + (c0 - c1) * dsp.control(lambda u: dsp.decay(u, 0.07), t)
        elif role == _R["arp"]:  # plucks
            env = dsp.control(lambda u: dsp.adsr(u, d, 0.002, 0.2, 0.25, rel), t)
            y = unison(f, t, t0, 2, 6.0, 0.7, sr, p.drift) * (env * 0.9)
            c0, c1 = p.arp_cut
            pos = c1 + (c0 - c1) * dsp.control(lambda u: dsp.decay(u, p.arp_decay), t)
        else:  # counter: a softer second line
            env = dsp.control(lambda u: dsp.adsr(u, d, 0.01, 0.25, 0.6, rel), t)
            y0 = square(drift_phase(f, t, t0, p.drift), f / sr, 0.3)
            y = (y0 * (env * 0.6))[None, :]
            pan = dsp.pan(np.ones(1), 0.35).astype(np.float32)  # (2, 1), after the filters
            pos = 2.6
        if nt["fade"]:  # the last chord dies exactly at the end of the piece
            y *= np.maximum(1.0 - t / max(d, 1e-3), 0.0)
        # mono notes are filtered once (not once per side) and spread when mixed
        z = self.ladder.render(y.astype(np.float32), pos, dsp.RING)
        self._notes[key] = (z, pan)
        self._cached += z.nbytes
        while self._cached > _CACHE_BYTES and len(self._notes) > 1:
            self._cached -= self._notes.popitem(last=False)[1][0].nbytes
        return z, pan

    def _drum(self, ev, a: int, b: int, out: np.ndarray, wet: np.ndarray) -> None:
        start, dur, pitch, vol, role, nt = ev
        dr, sr = self.drums, self.sr
        length = {
            _R["kick"]: 0.5,
            _R["snare"]: 0.45,
            _R["hat"]: 0.3,
            _R["crash"]: 2.2,
            _R["tom"]: 0.5,
        }.get(role, 0.5)
        s0, s1 = max(start, a), min(start + int(length * sr), b)
        if s1 <= s0:
            return
        n0, n1 = s0 - start, s1 - start
        off = int(nt["aux"]) * 7
        v = min(vol * 1.1, 1.0)
        sl = slice(s0 - a, s1 - a)
        if role == _R["kick"]:
            out[:, sl] += dr.kick(n0, n1, v * self.p.kick_gain)
        elif role == _R["snare"]:
            if self.p.clap:
                y = dr.clap(n0, n1, v * 0.9, off)
                out[0, sl] += y * 0.9
                out[1, sl] += y * 1.1
                wet[:, sl] += y * 0.35
            else:
                y = dr.snare(n0, n1, v * 0.85, off)
                out[:, sl] += y
                if self.p.gated_snare:
                    g = dr.gated(n0, n1, v, off)
                    out[0, sl] += g * 0.8
                    out[1, sl] += dr.gated(n0, n1, v, off + 3001) * 0.8
                else:
                    wet[:, sl] += y * 0.3
        elif role == _R["hat"]:
            tau = float(nt["decay"]) * (1.6 if float(nt["decay"]) > 0.05 else 1.0)
            y = dr.noisy("hat", n0, n1, off, max(tau, 0.012), v * 0.55)
            out[0, sl] += y * 0.8
            out[1, sl] += y * 1.2
        elif role == _R["crash"]:
            y = dr.noisy("crash", n0, n1, off, 0.9, v * 0.45)
            out[0, sl] += y
            out[1, sl] += dr.noisy("crash", n0, n1, off + 5003, 0.9, v * 0.45)
            wet[:, sl] += y * 0.3
        elif role == _R["tom"]:
            f = 190.0 - 12.0 * (pitch - 7.0)
            y = dr.tom(n0, n1, v * 0.9, f)
            out[:, sl] += y
            wet[:, sl] += y * 0.25

    def _riser(self, crash: int, a: int, b: int, mel: np.ndarray, out: np.ndarray) -> None:
        """A noise sweep over the two bars before a section change, and a drop hit on it."""
        sr, span = self.sr, int(8 * self.beat * self.sr)
        z = self._riser_shape(crash // sr % 4)
        s0, s1 = max(crash - span, a), min(crash - span + z.shape[-1], b)
        if s1 > s0:
            mel[:, s0 - a : s1 - a] += z[:, s0 - (crash - span) : s1 - (crash - span)]
        # the impact: a sub drop right on the downbeat
        s0, s1 = max(crash, a), min(crash + int(1.2 * sr), b)
        if s1 > s0:
            t = dsp.times(s0 - crash, s1 - crash, sr)
            ph = 40.0 * t + 60.0 / 6.0 * (1.0 - np.exp(-6.0 * t))
            out[:, s0 - a : s1 - a] += sine(ph) * dsp.control(lambda u: dsp.decay(u, 0.45), t) * 0.6

    def _riser_shape(self, variant: int) -> np.ndarray:
        """The sweep (stereo, through the opening filter, its ring-out included): one of four
        noise takes, rendered once."""
        key = ("riser", variant)
        hit = self._notes.get(key)
        if hit is not None:
            return hit[0]
        span = int(8 * self.beat * self.sr)
        u = np.arange(span) / span  # 0 -> 1
        off = 7919 * variant
        y = np.stack([dsp.noise(off, span), dsp.noise(off + 777, span)]) * (u * u * 0.55)
        z = self.ladder.render(y.astype(np.float32), 0.8 + 3.0 * u, dsp.RING)
        self._notes[key] = (z, None)
        self._cached += z.nbytes
        return z

    # -- the chunk ----------------------------------------------------------------------------
    def render_chunk(self, notes: np.ndarray, a: int, b: int) -> np.ndarray:
        sr, p, n = self.sr, self.p, b - a
        kicks = notes["start"][notes["role"] == _R["kick"]]
        if p.clap:  # claps on the beat sit on a kick (four on the floor)
            snares = notes["start"][notes["role"] == _R["snare"]]
            spb = self.beat * sr
            on = np.abs(snares / spb - np.rint(snares / spb)) < 0.01
            kicks = np.union1d(kicks, snares[on])
        pump = (
            dsp.duck(kicks, a, n, sr, p.duck_db, release=min(0.6 * self.beat, 0.22),
                    dtype=np.float32)
            if p.duck_db
            else np.ones(n, dtype=np.float32)
        )
        # float32 buses: half the memory traffic; rounding stays ~140 dB down
        pads = np.zeros((2, n), dtype=np.float32)
        drums = np.zeros((2, n), dtype=np.float32)
        wet = np.zeros((2, n), dtype=np.float32)
        direct = np.zeros((2, n), dtype=np.float32)  # notes filtered on their own
        for ev in self._events(notes[notes["start"] < b]):
            if ev[4] in (_R["kick"], _R["snare"], _R["hat"], _R["crash"], _R["tom"]):
                self._drum(ev, a, b, drums, wet)
            elif int(ev[5]["ch"]) in (PULSE1, PULSE2, TRIANGLE):
                self._melodic(ev, a, b, pads, direct, pump)
        if pads.any():  # (filtered already: the chorus's slow delays commute with it)
            dsp.chorus(pads, a, sr, depth_ms=3.0, rate=0.5, out=direct)
        mel = direct
        if p.risers:
            crashes = notes["start"][notes["role"] == _R["crash"]]
            for c in np.unique(crashes):
                if c - a > 4 * self.beat * sr or c < a:  # section crashes, in reach
                    self._riser(int(c), a, b, mel, drums)
        wet += mel
        mix = drums  # (the buses are summed in place: fresh pages cost more than the adds)
        mix += mel
        self.reverb(wet, out=mix, gain=np.float32(p.reverb_mix / 0.28))
        # The high-pass runs on both sides at once as one complex signal (left real, right
        # imaginary: half the filter's serial work), which is also the interleaved output.
        z = np.empty(n, dtype=np.complex64)
        z.real = mix[0]
        z.imag = mix[1]
        out = signal.sosfilt(self.hp, z).view(np.float32).reshape(n, 2)
        return dsp.glue(
            out, sr, threshold_db=-20.0, ratio=2.0, inplace=True, channels_last=True,
            makeup=p.gain,
        )


def synthwave_synth(sample_rate: int, bpm: float) -> AnalogSynth:
    return AnalogSynth(sample_rate, bpm, SYNTHWAVE)


def edm_synth(sample_rate: int, bpm: float) -> AnalogSynth:
    return AnalogSynth(sample_rate, bpm, EDM)
