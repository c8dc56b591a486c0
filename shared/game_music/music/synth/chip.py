"""NES 2A03 (APU) synthesis: two pulses, the stepped triangle, LFSR noise, DPCM, the mixer.

Every oscillator is a closed-form function of the time since its note began (phase integrals
of slides, vibrato and arpeggios are analytic), so any range of samples can be rendered on its
own. Notes of a channel never overlap, so one vectorised pass per channel renders all of them.
The output filters are the only state; the renderer gives each chunk a pre-roll for them.

The console is mono: every channel sits in the centre. Kick and snare may come as DPCM
samples (notes on channel ``DMC``): 1-bit delta streams decoded by the DMC's 7-bit counter,
mixed with the triangle and noise in the chip's non-linear ``tnd`` group. A pulse note's
``aux`` names a duty macro (the per-frame duty sequences of NES sound drivers).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import signal

from ..channels import NOISE, PULSE1, PULSE2, TRIANGLE
from ..notes import ROLE
from .dsp import add_polyblep, midi_to_hz, polyblep, times

CPU_HZ = 1_789_773.0  # NTSC
NOISE_PERIODS = np.array(
    [4, 8, 16, 32, 64, 96, 128, 160, 202, 254, 380, 508, 762, 1016, 2034, 4068], dtype=np.float64
)
DUTIES = np.array([0.125, 0.25, 0.5, 0.75])
TRIANGLE_STEPS = np.concatenate([np.arange(15, -1, -1), np.arange(0, 16)]).astype(np.float64)
_TRI_NEXT = np.roll(TRIANGLE_STEPS, -1) - TRIANGLE_STEPS  # jump at the end of each step
_TRI_PREV = TRIANGLE_STEPS - np.roll(TRIANGLE_STEPS, 1)  # jump at the start of each step
FRAME_S = 1.0 / 60.0  # sound drivers update pitch and volume once per video frame
VIB_RATE, VIB_DELAY = 5.5, 0.15
GAIN = 1.7  # about -6 dBFS peaks for a busy arrangement
DMC = 15  # note channel of the DPCM drums (above every band style's channels)
# DMC playback rates (NTSC): CPU cycles per sample bit, by rate index 0..15.
DMC_PERIODS = (428, 380, 340, 320, 286, 254, 226, 214, 190, 160, 142, 128, 106, 84, 72, 54)
DMC_REST = 24  # the counter's level between samples (what $4011 was set to)
# Duty macros for pulse notes (aux = index): duty index per driver frame, the last one held.
DUTY_MACROS: tuple[tuple[int, ...], ...] = (
    (),  # none: the note's own duty
    (0, 0, 1, 1, 1, 2),  # thin attack opening to hollow: the classic lead "swell"
    (2, 2, 1, 1, 0),  # hollow attack thinning out: a plucky, nasal tail
    (1, 1, 0, 0, 1, 1, 2, 2),  # wobble: 25/12.5/25/50
)


def _timer_hz(midi, steps: float, t_min: int):
    t = np.clip(np.rint(CPU_HZ / (steps * midi_to_hz(midi)) - 1.0), t_min, 2047)
    out = CPU_HZ / (steps * (t + 1.0))
    return out if np.ndim(out) else float(out)


def pulse_hz(midi):
    """Pitch the pulse timer can really play: f = CPU / (16 (t + 1)), 11-bit t >= 8."""
    return _timer_hz(midi, 16.0, 8)


def triangle_hz(midi):
    """The triangle's timer steps a 32-step sequence: f = CPU / (32 (t + 1))."""
    return _timer_hz(midi, 32.0, 2)


@lru_cache(maxsize=2)
def lfsr_bits(short: bool) -> np.ndarray:
    """Output bit 0 of the 15-bit noise shift register over one full period (from reg = 1)."""
    tap = 6 if short else 1
    reg, out = 1, []
    while True:
        out.append(reg & 1)
        fb = (reg ^ (reg >> tap)) & 1
        reg = (reg >> 1) | (fb << 14)
        if reg == 1:
            break
    return np.array(out, dtype=np.float64)


def smooth_steps(
    wave: np.ndarray, x: np.ndarray, step: np.ndarray, dt: float,
    prev: np.ndarray, nxt: np.ndarray,
) -> None:
    """PolyBLEP corrections in place for a stepped wavetable read at position ``x``
    (``step`` = its integer part): ``prev``/``nxt`` hold each step's jump from the step before
    and to the step after; ``dt`` is how many steps the read advances per sample (<= 0.5)."""
    i, r, j, q = polyblep(x - step, dt)
    wave[i] += 0.5 * prev[step[i]] * r
    wave[j] += 0.5 * nxt[step[j]] * q


def dpcm_encode(target: np.ndarray, start: int = DMC_REST) -> np.ndarray:
    """The DMC's 1-bit delta stream for ``target`` (levels 0..127): each bit steps the 7-bit
    counter by +-2 towards the target (the counter stops at the rails, as the chip's does)."""
    bits = np.zeros(len(target), dtype=np.uint8)
    c = start
    for i, t in enumerate(target.tolist()):
        if t > c:
            bits[i] = 1
            if c <= 125:
                c += 2
        elif c >= 2:
            c -= 2
    return bits


def dpcm_decode(bits: np.ndarray, start: int = DMC_REST) -> np.ndarray:
    """Counter level after each bit (0..127), clamped like the chip's."""
    c, out = start, np.empty(len(bits), dtype=np.float64)
    for i, b in enumerate(bits.tolist()):
        if b:
            if c <= 125:
                c += 2
        elif c >= 2:
            c -= 2
        out[i] = c
    return out


# DPCM drum samples as data: (rate index, seconds, body Hz start, end, drop s, decay s,
# noise share). Kick: a pitch-dropping thump; snare: a short tone under a noise burst.
DPCM_DRUMS = {
    "kick": (15, 0.16, 160.0, 48.0, 0.03, 0.055, 0.05),
    "snare": (15, 0.14, 240.0, 170.0, 0.02, 0.05, 0.7),
}
DPCM_LEVELS = 4  # each sample recorded at four loudnesses (the DMC has no volume control)


@lru_cache(maxsize=32)
def dpcm_sample(kind: str, level: int, sr: int) -> np.ndarray:
    """A drum's DMC output (counter level minus the rest level) at ``sr``, zero-order held."""
    rate_i, secs, f0, f1, drop, decay, noise = DPCM_DRUMS[kind]
    rate = CPU_HZ / DMC_PERIODS[rate_i]
    t = np.arange(int(secs * rate)) / rate
    f = f1 + (f0 - f1) * np.exp(-t / drop)
    body = np.sin(2 * np.pi * np.cumsum(f) / rate)
    hiss = np.random.default_rng(len(kind)).uniform(-1, 1, len(t))  # fixed: a recorded sample
    env = np.exp(-t / decay) * np.minimum(t / 0.001, 1.0)
    amp = 80.0 * (level + 1) / DPCM_LEVELS
    target = DMC_REST + amp * env * ((1 - noise) * body + noise * hiss)
    target[-int(0.01 * rate) :] = DMC_REST  # the last bits walk the counter back to rest
    levels = dpcm_decode(dpcm_encode(target))
    n = int(secs * sr)
    return (levels[np.minimum((np.arange(n) * rate / sr).astype(np.int64), len(levels) - 1)]
            - DMC_REST)


@lru_cache(maxsize=64)
def _noise_table(period: int, short: bool, sr: int) -> np.ndarray:
    """The LFSR's output sampled at ``sr`` for a few seconds; notes read it from an offset."""
    bits = lfsr_bits(short)
    rate = CPU_HZ / NOISE_PERIODS[min(max(period, 0), 15)] / sr
    clocks = np.floor(np.arange(1 << 18) * rate).astype(np.int64)
    return (1.0 - bits[clocks % len(bits)]).astype(np.float32)


class ChipSynth:
    """Renders the note table as a 2A03 would, then its mixer and output filters, in stereo."""

    preroll = 1024  # samples for the output filters to forget their start (HP 90 Hz: ~12 tau)

    def __init__(
        self, sample_rate: int, bpm: float | None = None, *, bandlimit: bool = True
    ) -> None:
        self.sr = int(sample_rate)
        self.bandlimit = bandlimit
        self.lookback = 0
        nyq = self.sr / 2
        hp90 = signal.butter(1, 90.0, "highpass", fs=self.sr, output="sos")
        # The console's 440 Hz high-pass, gentle: half the signal bypasses it (a 6 dB low shelf),
        # so the triangle bass survives under a video.
        w = 2 * np.pi * 440.0
        z, p, k = signal.bilinear_zpk([-0.5 * w], [-w], 1.0, fs=self.sr)
        shelf = signal.zpk2sos(z, p, k)
        lp = signal.butter(1, min(14000.0, 0.9 * nyq), "lowpass", fs=self.sr, output="sos")
        self.sos = np.concatenate([hp90, shelf, lp])

    # -- channels -----------------------------------------------------------------------------
    def channels(self, notes: np.ndarray, a: int, b: int) -> dict[int, np.ndarray]:
        """Raw DAC values per channel for samples [a, b): 0..15, the DMC's counter level
        relative to its rest level."""
        out = {}
        for ch in (PULSE1, PULSE2, TRIANGLE, NOISE, DMC):
            lo = a
            n = notes[notes["ch"] == ch]
            ends = n["start"] + n["dur"]
            y = np.full(b - lo, 15.0) if ch == TRIANGLE else np.zeros(b - lo)
            draw = {
                TRIANGLE: self._triangle_note, NOISE: self._noise_note, DMC: self._dmc_note
            }.get(ch, self._pulse_note)
            for note, s0, s1 in zip(
                n, np.maximum(n["start"], lo), np.minimum(ends, b), strict=True
            ):
                if s1 > s0:
                    draw(note, y, lo, int(s0), int(s1))
            out[ch] = y
        return out

    def _phase(self, note, f: float, t: np.ndarray) -> np.ndarray:
        """Cycles since note start, with the note's slide and delayed vibrato integrated exactly."""
        ph = t * f
        slide = float(note["slide"])
        if slide:
            T = max(float(note["slide_t"]), 1e-4)
            c = slide / 12.0 * np.log(2.0)
            k = int(np.searchsorted(t, T))
            # integral of f exp(c (1 - t/T)) dt, minus the f t counted above; constant after T
            tt = t[:k]
            ph[:k] += f * (np.exp(c) * T / c * (1.0 - np.exp(-c * tt / T)) - tt)
            ph[k:] += f * (T * np.expm1(c) / c - T)
        vib = float(note["vib"])
        if vib and t[-1] > VIB_DELAY:
            k = int(np.searchsorted(t, VIB_DELAY))
            depth = f * vib * np.log(2.0) / 1200.0 / (2.0 * np.pi * VIB_RATE)
            # The offset is smooth (5.5 Hz): evaluate it once per 16 samples of the note.
            m0 = int(round(t[k] * self.sr))
            blocks = np.arange(m0 >> 4, ((m0 + len(t) - k - 1) >> 4) + 1)
            tv = np.maximum(blocks * 16.0 / self.sr - VIB_DELAY, 0.0)
            off = depth * (1.0 - np.cos(2.0 * np.pi * VIB_RATE * tv))
            ph[k:] += np.repeat(off, 16)[m0 & 15 : (m0 & 15) + len(t) - k]
        return ph

    def _frames(self, n0: int, n1: int, frame: float) -> tuple[np.ndarray, np.ndarray]:
        """Driver frames touching note-relative samples [n0, n1): indices and sample counts."""
        fs = frame * self.sr
        j0, j1 = int(n0 // fs), int((n1 - 1) // fs) + 1
        edges = np.ceil(np.arange(j0, j1 + 1) * fs).astype(np.int64)
        edges[0], edges[-1] = n0, n1  # the inner edges already lie inside (n0, n1)
        return np.arange(j0, j1), np.diff(edges)

    def _levels(self, note, j: np.ndarray, frame: float) -> np.ndarray:
        tq = j * frame
        decay, sus, vol = float(note["decay"]), float(note["sustain"]), float(note["vol"])
        if decay > 0:
            shape = sus + (1.0 - sus) * np.exp(-tq / decay)
        else:
            shape = np.ones(len(j))
        if note["fade"]:
            shape *= np.maximum(1.0 - tq / (note["dur"] / self.sr), 0.0) ** 2
        return np.floor(vol * shape + 0.5)  # vol <= 15 and shape <= 1: already 4-bit

    # The pulse channels' pitch clock and the sound driver's frame (the Game Boy has its own).
    pulse_hz = staticmethod(pulse_hz)
    frame_s = FRAME_S

    def _pulse_wave(
        self, note, n0: int, n1: int, macro: tuple[int, ...] = ()
    ) -> np.ndarray:
        """Samples [n0, n1) of a pulse note before its volume envelope: duty cycle (or a duty
        ``macro``, one duty per driver frame), arpeggio (pitch cycling root / arp1 / arp2 every
        frame, phase continuous), PolyBLEP edges."""
        t = times(n0, n1, self.sr)
        if note["arp1"] or note["arp2"]:
            j, counts = self._frames(n0, n1, self.frame_s)
            fa = self.pulse_hz(note["pitch"] + np.array([0.0, note["arp1"], note["arp2"]]))
            cyc = fa * self.frame_s
            prefix = np.concatenate([[0.0], np.cumsum(cyc)[:2]])
            fj = fa[j % 3]
            ph0 = (j // 3) * cyc.sum() + prefix[j % 3] - fj * j * self.frame_s
            ph = t * np.repeat(fj, counts) + np.repeat(ph0, counts)
            dt: np.ndarray | float = np.minimum(np.repeat(fj / self.sr, counts), 0.5)
        else:
            f0 = float(self.pulse_hz(note["pitch"]))
            ph = self._phase(note, f0, t)
            dt = min(f0 / self.sr, 0.5)
        frac = ph - np.floor(ph)
        duty: np.ndarray | float = float(DUTIES[note["duty"]])
        if macro:
            j, counts = self._frames(n0, n1, self.frame_s)
            steps = np.asarray(macro)[np.minimum(j, len(macro) - 1)]
            duty = np.repeat(DUTIES[steps], counts)
        wave = (frac < duty).astype(np.float64)
        if self.bandlimit:
            fall = frac - duty
            fall += fall < 0
            add_polyblep(wave, frac, dt, 0.5)
            add_polyblep(wave, fall, dt, -0.5)
        return wave

    def _pulse_note(self, note, y: np.ndarray, a: int, s0: int, s1: int) -> None:
        start = int(note["start"])
        n0, n1 = s0 - start, s1 - start
        macro = DUTY_MACROS[int(note["aux"]) % len(DUTY_MACROS)]
        wave = self._pulse_wave(note, n0, n1, macro)
        j, counts = self._frames(n0, n1, FRAME_S)
        wave *= np.repeat(self._levels(note, j, FRAME_S), counts)
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

    def _triangle_note(self, note, y: np.ndarray, a: int, s0: int, s1: int) -> None:
        # Idle and between notes the triangle holds its last step; notes end on whole cycles,
        # which is step 31 = 15, so the held value is always 15 and note edges are seamless.
        start = int(note["start"])
        n0, n1 = s0 - start, s1 - start
        f = float(triangle_hz(note["pitch"]))
        dur = int(note["dur"])
        whole = np.floor(self._phase(note, f, times(dur - 1, dur, self.sr))[-1])
        ph = self._phase(note, f, times(n0, n1, self.sr))
        n_keep = int(np.searchsorted(ph, whole))
        if n_keep == 0:
            return
        ph = ph[:n_keep]
        x = (ph - np.floor(ph)) * 32.0
        step = x.astype(np.int64)
        wave = np.abs(step - 15.5) - 0.5  # the 32-step 15..0, 0..15 sequence
        if self.bandlimit:
            smooth_steps(wave, x, step, min(32.0 * f / self.sr, 0.5), _TRI_PREV, _TRI_NEXT)
        y[s0 - a : s0 - a + n_keep] = wave

    def _noise_note(self, note, y: np.ndarray, a: int, s0: int, s1: int) -> None:
        start = int(note["start"])
        n0, n1 = s0 - start, s1 - start
        table = _noise_table(int(note["pitch"]), bool(note["mode"]), self.sr)
        off = int(note["aux"]) % (len(table) // 2)
        if off + n1 <= len(table):
            wave = table[off + n0 : off + n1].astype(np.float64)
        else:
            wave = np.take(table, np.arange(off + n0, off + n1), mode="wrap").astype(np.float64)
        # The hardware envelope ticks at 240 Hz.
        j, counts = self._frames(n0, n1, 1.0 / 240.0)
        wave *= np.repeat(self._levels(note, j, 1.0 / 240.0), counts)
        y[s0 - a : s1 - a] = wave

    def _dmc_note(self, note, y: np.ndarray, a: int, s0: int, s1: int) -> None:
        kind = "kick" if int(note["role"]) == ROLE["kick"] else "snare"
        level = min(int(float(note["vol"]) * DPCM_LEVELS / 15.5), DPCM_LEVELS - 1)
        smp = dpcm_sample(kind, level, self.sr)
        start = int(note["start"])
        n0, n1 = s0 - start, min(s1 - start, len(smp))
        if n1 > n0:
            y[s0 - a : s0 - a + n1 - n0] = smp[n0:n1]

    # -- mixer and output ---------------------------------------------------------------------
    def dac_mix(self, ch: dict[int, np.ndarray]) -> np.ndarray:
        """The 2A03's non-linear mixer: the pulse group and the triangle/noise/DMC group."""
        p = ch[PULSE1] + ch[PULSE2]
        pulse = p / (p + 81.28)  # 95.88 p / (8128 + 100 p)
        pulse *= 0.9588
        s = ch[TRIANGLE] * (1.0 / 8227.0)
        s += ch[NOISE] * (1.0 / 12241.0)
        s += (ch.get(DMC, 0.0) + DMC_REST) * (1.0 / 22638.0)
        tnd = s / (s + 0.01)  # 159.79 s / (1 + 100 s) = 1.5979 s / (s + 0.01)
        tnd *= 1.5979
        return pulse + tnd

    def mix(self, ch: dict[int, np.ndarray]) -> np.ndarray:
        """Mixer, then the output filters (HP 90 Hz, gentle HP 440 Hz, LP 14 kHz): mono in
        both sides of (n, 2)."""
        out = signal.sosfilt(self.sos, self.dac_mix(ch))
        out *= GAIN
        return np.repeat(out.astype(np.float32)[:, None], 2, axis=1)

    def render_chunk(self, notes: np.ndarray, a: int, b: int) -> np.ndarray:
        """Stereo float32 samples [a, b); the caller discards the first ``preroll`` of them."""
        return self.mix(self.channels(notes, a, b))
