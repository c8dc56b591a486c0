"""Game Boy (DMG) synthesis: two pulses, the 32-step 4-bit wave channel, the noise LFSR.

Built on the 2A03 model's machinery (closed-form phases, driver frames, PolyBLEP edges), with
the DMG's own clocks: pulse f = 131072 / (2048 - x), wave f = 65536 / (2048 - x) over a
32-sample 4-bit table, noise f = 524288 / (r 2^(s+1)) from a 15- or 7-bit LFSR, volume
envelopes ticking at 64 Hz. The mixer is linear, each channel hard-panned by NR51 (left,
right or both), and the output is thinner and brighter than the NES: a capacitor high-pass,
a low shelf cut, no low-pass short of the ear.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import signal

from ..channels import NOISE, PULSE1, PULSE2, TRIANGLE
from ..notes import ROLE
from . import fx
from .chip import ChipSynth, smooth_steps

ENV_TICK = 1.0 / 64.0  # the volume envelope clock
FRAME_S = 1.0 / 59.73  # the sound driver runs once per LCD frame
# Wave RAM patterns (32 4-bit samples). Bass: a rounded pulse with a strong second harmonic;
# soft: a stepped sine for the pad; the edges are 4-bit stairs, which is the sound.
_K = np.arange(32)
WAVES = {
    "bass": np.clip(
        np.rint(7.5 + 5.2 * np.sin(2 * np.pi * _K / 32) + 2.6 * np.sin(4 * np.pi * _K / 32)), 0, 15
    ),
    "soft": np.clip(np.rint(7.5 + 7.5 * np.sin(2 * np.pi * (_K + 0.5) / 32)), 0, 15),
}
# (r, s) pairs of the noise clock 524288 / (r 2^(s+1)), r = 0 counting as 0.5, by the
# composer's period index 0 (hiss) .. 15 (rumble).
_NOISE_RS = (
    (1, 0), (1, 1), (1, 2), (1, 3), (3, 2), (1, 4), (5, 2), (3, 3),
    (1, 5), (5, 3), (1, 6), (5, 4), (1, 7), (5, 5), (1, 8), (1, 9),
)  # fmt: skip
# NR51 panning per role: -1 left only, 1 right only, 0 both.
_PAN = {ROLE["arp"]: 1, ROLE["counter"]: -1, ROLE["pad"]: 0, ROLE["lead"]: 0, ROLE["final"]: 0}
GAIN = 0.016  # about -6 dBFS peaks for a busy arrangement


def _timer(midi, num: float) -> np.ndarray | float:
    f = 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69.0) / 12.0)
    x = np.clip(np.rint(2048.0 - num / f), 0, 2047)
    out = num / (2048.0 - x)
    return out if out.ndim else float(out)


def pulse_hz(midi):
    """Pitch the DMG pulse can play: 131072 / (2048 - x), 11-bit x."""
    return _timer(midi, 131072.0)


def wave_hz(midi):
    """Pitch of the wave channel: its 32 samples play at 65536 / (2048 - x) cycles a second."""
    return _timer(midi, 65536.0)


@lru_cache(maxsize=2)
def lfsr_bits(short: bool) -> np.ndarray:
    """Output (inverted bit 0) of the DMG noise LFSR over one period: 15 bits, or 7 bits."""
    reg, out = 0x7FFF, []
    for _ in range(32767 if not short else 127):
        out.append(1 - (reg & 1))
        fb = (reg ^ (reg >> 1)) & 1
        reg = (reg >> 1) | (fb << 14)
        if short:
            reg = (reg & ~(1 << 6)) | (fb << 6)
    return np.array(out, dtype=np.float64)


@lru_cache(maxsize=64)
def _noise_table(period: int, short: bool, sr: int) -> np.ndarray:
    r, s = _NOISE_RS[min(max(period, 0), 15)]
    rate = 524288.0 / (max(r, 0.5) * 2 ** (s + 1)) / sr
    bits = lfsr_bits(short)
    clocks = np.floor(np.arange(1 << 18) * rate).astype(np.int64)
    return bits[clocks % len(bits)].astype(np.float32)


class GameBoySynth(ChipSynth):
    """Renders the note table as a DMG would: pulses, wave channel, noise, NR51, output."""

    pulse_hz = staticmethod(pulse_hz)
    frame_s = FRAME_S

    def __init__(self, sample_rate: int, bpm: float | None = None, *, bandlimit: bool = True):
        super().__init__(sample_rate, None, bandlimit=bandlimit)
        sr = self.sr
        self.lookback = 0
        # A small room (the handheld through a speaker is dry; a little air glues the mix).
        self.room = fx.Reverb(sr, rt60=0.7, damp=0.3, predelay=0.01, size=0.6)
        self.preroll = max(2048, self.room.tail)
        self.chunk = 1 << 19  # long chunks keep the room's pre-roll cheap
        hp = signal.butter(1, 28.0, "highpass", fs=sr, output="sos")  # the output capacitor
        # thin: half of the signal below ~250 Hz goes (a -6 dB low shelf)
        w = 2 * np.pi * 250.0
        z, p, k = signal.bilinear_zpk([-0.5 * w], [-w], 1.0, fs=sr)
        self.sos = np.concatenate([hp, signal.zpk2sos(z, p, k)])
        self.waves = {name: self._wave_tables(w) for name, w in WAVES.items()}

    @staticmethod
    def _wave_tables(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return w, w - np.roll(w, 1), np.roll(w, -1) - w

    # -- channels -----------------------------------------------------------------------------
    def channels(self, notes: np.ndarray, a: int, b: int) -> dict[int, np.ndarray]:
        """Channel DAC inputs (0..15, centred on 7.5 for the wave channel) for [a, b), plus
        pulse 2 split by side: key ``-1`` left-only, ``1`` right-only."""
        out = {ch: np.zeros(b - a) for ch in (PULSE1, PULSE2, TRIANGLE, NOISE, -1)}
        for nt in notes:
            s0, s1 = max(int(nt["start"]), a), min(int(nt["start"] + nt["dur"]), b)
            if s1 <= s0:
                continue
            ch = int(nt["ch"])
            if ch == TRIANGLE:
                self._wave_note(nt, out[TRIANGLE], a, s0, s1)
            elif ch == NOISE:
                self._noise_note(nt, out[NOISE], a, s0, s1)
            else:
                side = _PAN.get(int(nt["role"]), 0) if ch == PULSE2 else 0
                self._pulse_note(nt, out[{0: ch, 1: PULSE2, -1: -1}[side]], a, s0, s1)
        return out

    def _pulse_note(self, note, y: np.ndarray, a: int, s0: int, s1: int) -> None:
        start = int(note["start"])
        n0, n1 = s0 - start, s1 - start
        wave = self._pulse_wave(note, n0, n1)
        j, counts = self._frames(n0, n1, ENV_TICK)
        wave *= np.repeat(self._levels(note, j, ENV_TICK), counts)
        self._edges(wave, note, n0, n1)
        y[s0 - a : s1 - a] = wave

    def _edges(self, wave: np.ndarray, note, n0: int, n1: int) -> None:
        """Short linear ramps at note edges: the 4-bit steps stay, the clicks go."""
        att, rel = int(0.001 * self.sr), int(0.004 * self.sr)
        if n0 < att:
            wave[: att - n0] *= np.arange(n0, att)[: len(wave)] / att
        dur = int(note["dur"])
        if n1 > dur - rel:
            k = max(dur - rel, n0)
            wave[k - n0 :] *= (dur - np.arange(k, n1)) / rel

    def _wave_note(self, note, y: np.ndarray, a: int, s0: int, s1: int) -> None:
        start = int(note["start"])
        n0, n1 = s0 - start, s1 - start
        f = float(wave_hz(note["pitch"]))
        table, prev, nxt = self.waves["soft" if int(note["role"]) == ROLE["final"] else "bass"]
        ph = self._phase(note, f, self._time(n0, n1))
        x = (ph - np.floor(ph)) * 32.0
        step = x.astype(np.int64)
        wave = table[step] - 7.5
        if self.bandlimit:
            smooth_steps(wave, x, step, min(32.0 * f / self.sr, 0.5), prev, nxt)
        # output level code: 100 %, 50 % or 25 % (a right shift of the 4-bit samples)
        vol = float(note["vol"])
        wave *= 1.0 if vol >= 12 else (0.5 if vol >= 6 else 0.25)
        self._edges(wave, note, n0, n1)
        y[s0 - a : s1 - a] = wave

    def _noise_note(self, note, y: np.ndarray, a: int, s0: int, s1: int) -> None:
        start = int(note["start"])
        n0, n1 = s0 - start, s1 - start
        table = _noise_table(int(note["pitch"]), bool(note["mode"]), self.sr)
        off = int(note["aux"]) % (len(table) // 2)
        wave = np.take(table, np.arange(off + n0, off + n1), mode="wrap").astype(np.float64)
        j, counts = self._frames(n0, n1, ENV_TICK)
        wave *= np.repeat(self._levels(note, j, ENV_TICK), counts)
        y[s0 - a : s1 - a] = wave

    # -- mixer and output ---------------------------------------------------------------------
    def dac_mix(self, ch: dict[int, np.ndarray]) -> np.ndarray:
        """NR51: pulse 1, wave and noise on both sides, pulse 2 hard left or hard right."""
        both = ch[PULSE1] + ch[TRIANGLE] * 1.6 + ch[NOISE] * 0.8
        return np.stack([both + ch[-1], both + ch[PULSE2]])

    def mix(self, ch: dict[int, np.ndarray]) -> np.ndarray:
        out = signal.sosfilt(self.sos, self.dac_mix(ch), axis=-1)
        out += 0.12 * self.room(out)
        out *= GAIN
        return out.T.astype(np.float32)

    def render_chunk(self, notes: np.ndarray, a: int, b: int) -> np.ndarray:
        return self.mix(self.channels(notes, a, b))
