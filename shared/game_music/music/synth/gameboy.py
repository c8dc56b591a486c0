"""Game Boy (DMG) synthesis: two pulses, the 32-sample 4-bit wave channel, the noise LFSR.

Its own engine on the 2A03 model's machinery (closed-form phases, driver frames, PolyBLEP
edges), with the DMG's clocks: pulse f = 131072 / (2048 - x), wave f = 65536 / (2048 - x) over
a 32-sample 4-bit table from wave RAM, noise f = 524288 / (r 2^(s+1)) from a 15- or 7-bit
LFSR, and the DMG's linear volume envelope (one 4-bit step every n/64 s). The mixer is
linear; NR51 puts each channel hard left, hard right or on both sides; the output is the
DMG's: a coupling capacitor's high-pass, no low-pass, no room. The wave channel's stairs are
left raw (no band-limiting), the slightly gritty DAC edge of the handheld.

Note fields as the DMG reads them: a wave note's ``duty`` picks its wave RAM pattern, the
``aux`` of a pulse or wave note its NR51 panning (``PAN_*``; 0: by role).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import signal

from ..channels import NOISE, PULSE1, PULSE2, TRIANGLE
from ..notes import ROLE
from .chip import ChipSynth
from .dsp import midi_to_hz, times

ENV_TICK = 1.0 / 64.0  # the volume envelope clock
FRAME_S = 1.0 / 59.73  # the sound driver runs once per LCD frame
_K = np.arange(32)


def _q4(x: np.ndarray) -> np.ndarray:
    """Scale a shape to the 4-bit range 0..15 and round: one wave RAM pattern."""
    x = (x - x.min()) / (x.max() - x.min())
    return np.rint(15.0 * x)


# Wave RAM patterns (32 4-bit samples), by a wave note's ``duty`` index: the stairs are the
# sound. Bass waves first; "soft" (a stepped sine) is for the final chord and soft leads.
WAVE_NAMES = ("saw", "square", "organ", "pulse25", "soft")
WAVES = {
    "saw": _q4(-_K.astype(np.float64)),  # falling ramp: the bright, buzzy handheld bass
    "square": np.where(_K < 16, 15.0, 0.0),  # hollow, odd harmonics only
    "organ": _q4(  # fundamental, octave and twelfth: a reedy bass
        np.sin(2 * np.pi * _K / 32) + 0.5 * np.sin(4 * np.pi * _K / 32)
        + 0.35 * np.sin(6 * np.pi * _K / 32)
    ),
    "pulse25": np.where(_K < 8, 15.0, 0.0),  # a nasal 25 % pulse in wave RAM
    "soft": _q4(np.sin(2 * np.pi * (_K + 0.5) / 32)),
}
# (r, s) pairs of the noise clock 524288 / (r 2^(s+1)), r = 0 counting as 0.5, by the
# composer's period index 0 (hiss) .. 15 (rumble).
_NOISE_RS = (
    (1, 0), (1, 1), (1, 2), (1, 3), (3, 2), (1, 4), (5, 2), (3, 3),
    (1, 5), (5, 3), (1, 6), (5, 4), (1, 7), (5, 5), (1, 8), (1, 9),
)  # fmt: skip
PAN_ROLE, PAN_LEFT, PAN_RIGHT, PAN_BOTH = 0, 1, 2, 3
# NR51 panning per role when a note does not say: -1 left only, 1 right only, 0 both.
_ROLE_PAN = {ROLE["arp"]: 1, ROLE["counter"]: -1}
_PAN_SIDE = {PAN_LEFT: -1, PAN_RIGHT: 1, PAN_BOTH: 0}
WAVE_LEVEL = 1.3  # the wave channel's full-scale output against a pulse's
NOISE_LEVEL = 0.8
GAIN = 0.018  # about -6 dBFS peaks for a busy arrangement


def _timer(midi, num: float) -> np.ndarray | float:
    x = np.clip(np.rint(2048.0 - num / midi_to_hz(midi)), 0, 2047)
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


def side_of(note) -> int:
    """NR51 for one note: -1 left only, 1 right only, 0 both."""
    code = int(note["aux"]) if int(note["ch"]) != NOISE else PAN_ROLE
    if code in _PAN_SIDE:
        return _PAN_SIDE[code]
    return _ROLE_PAN.get(int(note["role"]), 0) if int(note["ch"]) == PULSE2 else 0


class GameBoySynth(ChipSynth):
    """Renders the note table as a DMG would: pulses, wave channel, noise, NR51, output."""

    pulse_hz = staticmethod(pulse_hz)
    frame_s = FRAME_S
    preroll = 2048  # the 28 Hz capacitor forgets its start in ~8 time constants

    def __init__(self, sample_rate: int, bpm: float | None = None, *, bandlimit: bool = True):
        super().__init__(sample_rate, None, bandlimit=bandlimit)
        self.sos = signal.butter(1, 28.0, "highpass", fs=self.sr, output="sos")
        self.waves = {name: self._wave_tables(w) for name, w in WAVES.items()}

    @staticmethod
    def _wave_tables(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return w, w - np.roll(w, 1), np.roll(w, -1) - w

    # -- channels -----------------------------------------------------------------------------
    def channels(self, notes: np.ndarray, a: int, b: int) -> dict[int, np.ndarray]:
        """Channel DAC inputs for [a, b) by NR51 side: key (ch, side), side -1 left only,
        1 right only, 0 both (pulses 0..15, the wave channel centred on 7.5)."""
        out: dict = {}
        for nt in notes:
            s0, s1 = max(int(nt["start"]), a), min(int(nt["start"] + nt["dur"]), b)
            if s1 <= s0:
                continue
            ch = int(nt["ch"])
            key = (ch, side_of(nt))
            y = out.get(key)
            if y is None:
                y = out[key] = np.zeros(b - a)
            if ch == TRIANGLE:
                self._wave_note(nt, y, a, s0, s1)
            elif ch == NOISE:
                self._noise_note(nt, y, a, s0, s1)
            elif ch in (PULSE1, PULSE2):
                self._pulse_note(nt, y, a, s0, s1)
        return out

    def _levels(self, note, j: np.ndarray, frame: float) -> np.ndarray:
        """The DMG envelope: from the note's volume one step down every n/64 s, to its
        sustain level (the driver stops it there) or to silence."""
        vol = float(np.floor(float(note["vol"]) + 0.5))
        floor_ = float(np.floor(vol * float(note["sustain"]) + 0.5))
        decay = float(note["decay"])
        if decay > 0 and vol > floor_:
            n = min(max(round(96.0 * decay / (vol - floor_)), 1), 7)  # ~1.5 decay to sustain
            lv = np.maximum(vol - np.floor(j / n), floor_)
        else:
            lv = np.full(len(j), vol)
        if note["fade"]:
            lv = np.floor(lv * np.maximum(1.0 - j * frame / (note["dur"] / self.sr), 0.0) ** 2
                          + 0.5)
        return lv

    def _pulse_note(self, note, y: np.ndarray, a: int, s0: int, s1: int) -> None:
        start = int(note["start"])
        n0, n1 = s0 - start, s1 - start
        wave = self._pulse_wave(note, n0, n1)
        j, counts = self._frames(n0, n1, ENV_TICK)
        wave *= np.repeat(self._levels(note, j, ENV_TICK), counts)
        self._edges(wave, note, n0, n1)
        y[s0 - a : s1 - a] = wave

    def wave_table(self, note) -> np.ndarray:
        if int(note["role"]) == ROLE["final"]:
            return self.waves["soft"][0]
        return self.waves[WAVE_NAMES[int(note["duty"]) % len(WAVE_NAMES)]][0]

    def _wave_note(self, note, y: np.ndarray, a: int, s0: int, s1: int) -> None:
        start = int(note["start"])
        n0, n1 = s0 - start, s1 - start
        f = float(wave_hz(note["pitch"]))
        ph = self._phase(note, f, times(n0, n1, self.sr))
        step = ((ph - np.floor(ph)) * 32.0).astype(np.int64)
        wave = self.wave_table(note)[step] - 7.5  # raw stairs: wave RAM straight to the DAC
        # output level code: 100 %, 50 % or 25 % (a right shift of the 4-bit samples)
        vol = float(note["vol"])
        wave *= 1.0 if vol >= 12 else (0.5 if vol >= 6 else 0.25)
        if note["fade"]:
            j, counts = self._frames(n0, n1, ENV_TICK)
            fade = np.maximum(1.0 - j * ENV_TICK / (note["dur"] / self.sr), 0.0) ** 2
            wave *= np.repeat(fade, counts)
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
    _LEVEL = {PULSE1: 1.0, PULSE2: 1.0, TRIANGLE: WAVE_LEVEL, NOISE: NOISE_LEVEL}

    def dac_mix(self, ch: dict) -> np.ndarray:
        """NR51: each channel's DAC output to the left, the right or both terminals."""
        n = len(next(iter(ch.values()))) if ch else 0
        out = np.zeros((2, n))
        for (c, side), y in ch.items():
            g = self._LEVEL[c]
            if side <= 0:
                out[0] += g * y
            if side >= 0:
                out[1] += g * y
        return out

    def mix(self, ch: dict) -> np.ndarray:
        out = signal.sosfilt(self.sos, self.dac_mix(ch), axis=-1)
        out *= GAIN
        return out.T.astype(np.float32)

    def render_chunk(self, notes: np.ndarray, a: int, b: int) -> np.ndarray:
        out = self.mix(self.channels(notes, a, b))
        if len(out) != b - a:  # nothing sounding in this chunk
            return np.zeros((b - a, 2), dtype=np.float32)
        return out
