"""16-bit console FM (YM2612 feel): 4-operator voices, PCM drums, PSG hats, hard panning.

Operators are sines whose phases are closed-form in note-relative time; an operator's output
modulates the next one's phase (FM/PM as the chip does it), the modulation index follows an
envelope, and operator 1's self-feedback is solved by fixed-point iteration of
y = sin(phi + beta y) (exact for the small betas used, and vectorised). Voices by role:

- bass: slap bass, 1:1 with a high index at the attack that decays in ~50 ms, feedback edge;
- lead: brass, 1:1 with the index following the amplitude envelope (brighter when louder),
  40 ms attack, a 1:1 feedback operator for bite;
- arp and pad: e-piano, a 1:14 tine modulator decaying fast plus a 1:1 body pair;
- counter and final: bells, modulator at 3.5 (inharmonic partials), long decay;
- drums: short synthesized kick and snare as 8-bit PCM, hats and cymbals from PSG noise.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from scipy import signal

from ..channels import NOISE
from ..notes import ROLE
from . import dsp
from .analog import Drums, sine

_R = ROLE
# YM2612 panning: L, R or both per channel (-1, 1, 0).
_PAN = {_R["arp"]: -0.8, _R["counter"]: 0.8, _R["pad"]: 0.0, _R["lead"]: 0.0, _R["bass"]: 0.0}
GAIN = 0.23
# release tails (s) past the note's end, by role (others: 0.12)
_TAIL = {_R["counter"]: 0.8, _R["final"]: 0.8, _R["pad"]: 0.25, _R["arp"]: 0.25}
_CACHE_BYTES = 64 << 20  # rendered notes kept for reuse


def op(phase: np.ndarray, mod: np.ndarray | float = 0.0) -> np.ndarray:
    """One operator: sin(2 pi (phase + mod)), phases in cycles."""
    return sine(phase + mod)


def feedback_op(phase: np.ndarray, beta: float, iterations: int = 2) -> np.ndarray:
    """An operator modulating itself: y = sin(2 pi phase + beta y), by fixed-point steps."""
    y = sine(phase)
    for _ in range(iterations):
        y = sine(phase + (beta / (2 * np.pi)) * y)
    return y


class FMSynth:
    """Renders the note table with 4-op FM voices, PCM drums and a small stereo room."""

    def __init__(self, sample_rate: int, bpm: float | None = None) -> None:
        self.sr = sr = int(sample_rate)
        self.room = dsp.Reverb(sr, rt60=1.0, damp=0.25, predelay=0.015, size=0.8)
        self.preroll = max(4096, self.room.tail)
        self.chunk = 1 << 19  # long chunks keep the room's pre-roll cheap
        self.drums = Drums(sr, kick_hz=(210.0, 52.0), kick_decay=0.22)
        # the console's output filter, gently
        self.lp = dsp.sos("lowpass", 11000.0, sr, 2).astype(np.float32)
        self._notes: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._cached = 0

    # -- voices -------------------------------------------------------------------------------
    def voice(self, role: int, f: float, t: np.ndarray, dur: float, vol: float) -> np.ndarray:
        """One FM note (mono) for note-relative times ``t`` (seconds), ``dur`` = note length."""
        ctl = dsp.control
        ph = f * t
        if role == _R["bass"]:
            env = ctl(lambda u: dsp.adsr(u, dur, 0.002, 0.35, 0.45, 0.04), t)
            index = ctl(lambda u: 0.35 + 1.1 * dsp.decay(u, 0.05), t)  # cycles of deviation
            m = feedback_op(ph, 0.9) * index
            y = op(ph, m) + 0.35 * op(0.5 * ph) * ctl(lambda u: dsp.decay(u, 0.2), t)
            return y * env * vol
        if role == _R["lead"]:
            env = ctl(lambda u: dsp.adsr(u, dur, 0.04, 0.4, 0.75, 0.12), t)
            m = op(ph * 1.0005) * (0.25 + 0.55 * env)  # brighter when louder
            y = 0.75 * op(ph, m) + 0.25 * feedback_op(ph * 0.999, 0.8)
            return y * env * vol
        if role in (_R["arp"], _R["pad"]):
            slow = role == _R["pad"]
            env = ctl(lambda u: dsp.adsr(u, dur, 0.02 if slow else 0.002, 1.5, 0.4, 0.25), t)
            tine = op(14.0 * ph) * ctl(lambda u: 0.35 * dsp.decay(u, 0.03), t)
            body = op(ph) * ctl(lambda u: 0.12 + 0.25 * dsp.decay(u, 0.4), t)
            y = 0.6 * op(ph, tine) + 0.4 * op(ph * 1.002, body)
            return y * env * vol
        # counter, final: bells at an inharmonic ratio
        ring = 0.35 if role == _R["final"] else 0.0  # the last chord holds into its fade
        env = ctl(lambda u: dsp.adsr(u, dur, 0.002, 0.9, ring, 0.8), t)
        m = op(3.5 * ph) * ctl(lambda u: 0.1 + 0.45 * dsp.decay(u, 0.6), t)
        return op(ph, m) * env * vol

    def _shape(self, nt, role: int, dur: int, length: int) -> np.ndarray:
        """The whole note at unit volume, tail included: rendered once per distinct note
        (a tune repeats its notes) and then only sliced, whichever chunk asks first."""
        arp = (int(nt["arp1"]), int(nt["arp2"]))
        slap = role == _R["final"] and int(nt["ch"]) == 2  # bass line's last note: slap
        key = (role, float(nt["pitch"]), arp, dur, slap, bool(nt["fade"]))
        y = self._notes.get(key)
        if y is not None:
            self._notes.move_to_end(key)
            return y
        t = dsp.times(0, length, self.sr)
        d = dur / self.sr
        pitch = float(nt["pitch"])
        if slap:
            y = self.voice(_R["bass"], dsp.midi_to_hz(pitch), t, d, 1.0)
        else:
            chord = (0, *arp) if arp != (0, 0) else (0,)
            y = np.zeros(length)
            for iv in chord:
                y += self.voice(role, dsp.midi_to_hz(pitch + iv), t, d, len(chord) ** -0.5)
        if nt["fade"]:  # the last chord dies exactly at the end of the piece
            y *= np.maximum(1.0 - t * (self.sr / max(dur, 1)), 0.0)
        y = y.astype(np.float32)
        self._notes[key] = y
        self._cached += y.nbytes
        while self._cached > _CACHE_BYTES and len(self._notes) > 1:
            self._cached -= self._notes.popitem(last=False)[1].nbytes
        return y

    def _note(self, nt, a: int, b: int, out: np.ndarray) -> None:
        role = int(nt["role"])
        start, dur = int(nt["start"]), int(nt["dur"])
        length = dur + int(_TAIL.get(role, 0.12) * self.sr)
        s0, s1 = max(start, a), min(start + length, b)
        if s1 <= s0:
            return
        y = self._shape(nt, role, dur, length)[s0 - start : s1 - start]
        vol = float(nt["vol"]) / 15.0
        p = _PAN.get(role, 0.0)
        out[0, s0 - a : s1 - a] += y * (vol * (1.0 - 0.5 * p))
        out[1, s0 - a : s1 - a] += y * (vol * (1.0 + 0.5 * p))

    def _drum(self, nt, a: int, b: int, out: np.ndarray) -> None:
        role = int(nt["role"])
        dr, sr = self.drums, self.sr
        start = int(nt["start"])
        length = 2.0 if role == _R["crash"] else 0.4
        s0, s1 = max(start, a), min(start + int(length * sr), b)
        if s1 <= s0:
            return
        n0, n1 = s0 - start, s1 - start
        v = min(float(nt["vol"]) / 15.0 * 1.1, 1.0)
        off = int(nt["aux"]) * 5
        sl = slice(s0 - a, s1 - a)
        if role == _R["kick"]:
            y = dr.kick(n0, n1, v * 1.1)
        elif role == _R["snare"]:
            y = dr.snare(n0, n1, v * 0.9, off)
        elif role == _R["tom"]:
            y = dr.tom(n0, n1, v * 0.9, 170.0 - 12.0 * (float(nt["pitch"]) - 7.0))
        else:  # PSG noise: hats and cymbals, 4-bit stepped envelopes
            tau = 0.6 if role == _R["crash"] else max(float(nt["decay"]), 0.015)
            env = np.floor(15.0 * dsp.control(lambda u: dsp.decay(u, tau), dr.t(n0, n1)) + 0.5)
            y = dsp.noise(off + n0, n1 - n0) * env * (v * 0.05)
            y = y - np.concatenate([[0.0], y[:-1]])  # the PSG's bright hiss: a first difference
            out[0, sl] += y * 0.7
            out[1, sl] += y * 1.3
            return
        y = np.round(y * 127.0) * (1.0 / 127.0)  # 8-bit PCM
        out[:, sl] += y

    def render_chunk(self, notes: np.ndarray, a: int, b: int) -> np.ndarray:
        n = b - a
        # float32 buses: half the memory traffic; the 9-bit DAC is far coarser anyway
        fm = np.zeros((2, n), dtype=np.float32)
        drums = np.zeros((2, n), dtype=np.float32)
        for nt in notes:
            if int(nt["start"]) >= b:
                continue
            if int(nt["ch"]) == NOISE:
                self._drum(nt, a, b, drums)
            else:
                self._note(nt, a, b, fm)
        fm *= 256.0
        np.round(fm, out=fm)
        fm *= 1.0 / 256.0  # the 9-bit DAC
        mix = fm + drums
        send = fm + 0.5 * drums
        mix += 0.18 * self.room(send)
        mix = signal.sosfilt(self.lp, mix, axis=-1)
        mix = dsp.glue(mix, self.sr, threshold_db=-18.0, ratio=2.0)
        out = np.empty((n, 2), dtype=np.float32)
        for c in range(2):  # one side at a time: a transposed copy is several times slower
            np.multiply(mix[c], np.float32(GAIN), out=out[:, c])
        return out
