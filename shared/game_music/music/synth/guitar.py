"""Guitars: Karplus-Strong strings, power chords, palm mutes, an amp and a cabinet.

A plucked string is rendered once per (pitch, mute, take, rate) with Karplus-Strong,
vectorised one period at a time, then resampled to the exact pitch and cached; a chord is the
sum of its strings. Distortion is applied to each take's bus (so chord tones intermodulate as
through a real amp), then the cabinet: high-pass 80 Hz, a bump near 120 Hz, low-pass ~5 kHz.
Two takes with their own strings and timing sit hard left and right (double tracking).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import signal
from scipy.special import comb

from .band import BandSynth, Voice, play, shaped_table
from .drums import kit_voice
from .dsp import F32, chain, compress, env_fast, midi_to_hz, osc, peak, phase, shelf, sos
from .keys import sub_bass_voice

_PLUCK_S = 2.5


@lru_cache(maxsize=256)
def pluck(midi: int, mute: bool, take: int, sr: int) -> np.ndarray:
    """One plucked string at ``midi`` (integer pitch), ``_PLUCK_S`` seconds (or less muted)."""
    f = midi_to_hz(midi)
    period = sr / f
    N = int(np.floor(period))
    seconds = 0.45 if mute else _PLUCK_S
    total = int(seconds * sr * (N / period)) + 2 * N
    r = np.random.default_rng((midi, int(mute), take, sr))
    exc = r.uniform(-1.0, 1.0, N)
    # Pick position and brightness: a comb and a gentle low-pass on the burst.
    exc = exc - np.roll(exc, N // 5)
    exc = signal.lfilter([0.5, 0.5], [1.0], exc)
    g = 0.985 if mute else 0.9995
    w = 0.35 if mute else 0.5  # muted strings lose highs faster
    y = _string(exc, total, g * (1.0 - w), g * w)
    # The loop plays at sr / (N + 1/2); stretch it to the exact pitch.
    actual = sr / (N + 0.5)
    pos = np.arange(int(seconds * sr)) * (f / actual)
    out = np.interp(pos, np.arange(total), y)
    fade = int(0.02 * sr)
    out[-fade:] *= np.linspace(1.0, 0.0, fade)
    return (out / max(np.abs(out).max(), 1e-9)).astype(F32)


def _string(exc: np.ndarray, total: int, c0: float, c1: float) -> np.ndarray:
    """The Karplus-Strong loop ``y[n] = exc[n] + c0 y[n - N] + c1 y[n - N - 1]`` (``N`` the
    burst's length) for ``total`` samples. Unrolled ``k`` times the loop reads
    ``y[n] = sum_j C(k, j) c0^(k-j) c1^j y[n - kN - j]``, so once the burst has gone round
    ``k`` times, each step computes ``kN`` samples with one short convolution."""
    N = len(exc)
    k = max(1, 2048 // N)
    y = np.zeros(total + k * N)
    y[:N] = exc
    start = min(k * N + k, total)
    prev = 0.0
    for s in range(N, start, N):  # the first rounds, one period at a time
        blk = y[s - N : s]
        e = min(N, start - s)
        y[s : s + e] = (c0 * blk + c1 * np.concatenate([[prev], blk[:-1]]))[:e]
        prev = blk[-1]
    j = np.arange(k + 1)
    taps = comb(k, j) * c0 ** (k - j) * c1**j
    step = k * N
    for s in range(start, total, step):
        y[s : s + step] = np.convolve(y[s - step - k : s], taps, mode="valid")
    return y[:total]


@lru_cache(maxsize=256)
def power_chord(root: int, mute: bool, take: int, sr: int) -> np.ndarray:
    """Root, fifth and octave strummed down (4 ms apart), summed once and cached."""
    lag = int(0.004 * sr)
    parts = [pluck(root + iv, mute, take * 3 + k, sr) for k, iv in enumerate((0, 7, 12))]
    out = np.zeros(len(parts[0]) + 2 * lag, F32)
    for k, p in enumerate(parts):
        out[k * lag : k * lag + len(p)] += p
    return out


def power_chord_voice(take: int, *, drive: float, **kw) -> Voice:
    """Root, fifth and octave; ``mode`` 1 = palm-muted."""

    def render(note, t, sr, gate):
        n = len(t)
        if note["mode"]:  # a palm mute is gone (even through the amp) 0.25 s after its release
            n = int(np.searchsorted(t, gate + 0.25))
        if n and t[0] * sr < 1.0:  # from its start: the same strum as every other like it
            half = int(round(float(t[0]) * sr * 2.0))  # onsets fall on half samples at most
            y = _strum(int(round(float(note["pitch"]))), int(note["mode"]), take,
                       float(note["vol"]), gate, half, sr)
            return y[:n]
        return _chord_note(int(round(float(note["pitch"]))), int(note["mode"]), take,
                           float(note["vol"]), gate, t[:n], sr)

    return Voice(render, tail=0.4, post=_amp(drive), **kw)


def _chord_note(root: int, mute: int, take: int, vol: float, gate: float, t, sr: int):
    s = power_chord(root, bool(mute), take, sr)
    env = env_fast(t, gate, 0.001, 10.0, 1.0, 0.03 if mute else 0.06, every=16)
    env *= F32(vol / 15.0)
    return play(s, t, sr) * env


@lru_cache(maxsize=512)
def _strum(root: int, mute: int, take: int, vol: float, gate: float, half: int, sr: int):
    """One whole chord note (strum, envelope, level), cached: riffs repeat their chords."""
    t = np.arange(int((gate + 0.4) * sr) + 1) / sr + half / (2.0 * sr)
    y = _chord_note(root, mute, take, vol, gate, t, sr)
    y.flags.writeable = False
    return y


def clean_voice(**kw) -> Voice:
    def render(note, t, sr, gate):
        y = play(pluck(int(round(float(note["pitch"]))), False, 7, sr), t, sr)
        env = env_fast(t, gate, 0.001, 10.0, 1.0, 0.2, every=16)
        return y * (env * F32(float(note["vol"]) / 15.0))

    return Voice(render, tail=1.2, cache=True, **kw)


def lead_voice(*, drive: float, **kw) -> Voice:
    """A sustaining lead: a bright saw with vibrato and bends into the same amp."""

    def render(note, t, sr, gate):
        m = float(note["pitch"])
        f = midi_to_hz(m)
        slide = float(note["slide"]) * 2.0
        ph = phase(
            f,
            t,
            vib=max(float(note["vib"]), 10.0) * 1.6,
            vib_rate=5.8,
            vib_delay=0.2,
            slide=slide,
            slide_t=0.07,
        )
        tab = shaped_table("lead", int(round(m)), sr)
        y = osc(tab, ph, inplace=True)
        env = env_fast(t, gate, 0.005, 0.8, 0.8, 0.12, every=16)
        return y * (env * F32(float(note["vol"]) / 15.0))

    return Voice(render, tail=0.8, post=_amp(drive, lead=True), cache=True, **kw)


def _amp(drive: float, *, lead: bool = False):
    def post(x: np.ndarray, i0: int, sr: int) -> np.ndarray:
        if x.ndim == 2:
            x = x.mean(axis=0)
        # float32 filters: the signal stays float32 end to end (no widening copies)
        y = signal.sosfilt(_pre_sos(sr, lead), x)
        y *= F32(drive)
        np.tanh(y, out=y)
        y *= F32(1.25)
        np.clip(y, -1.0, 1.0, out=y)  # the power amp's hard edge
        y = signal.sosfilt(_cab_sos(sr), y)
        y *= F32(0.5)
        return y

    return post


@lru_cache(maxsize=16)
def _pre_sos(sr: int, lead: bool) -> np.ndarray:
    # Tighten the lows before the gain (no flub), a mid push the way a tube screamer does.
    return chain(
        sos("bandpass", (160.0 if not lead else 250.0, 4500.0), sr, 1),
        peak(800.0, 6.0, 0.8, sr),
    ).astype(F32)


@lru_cache(maxsize=16)
def _cab_sos(sr: int) -> np.ndarray:
    return chain(
        sos("highpass", 80.0, sr, 2),
        peak(120.0, 4.0, 1.0, sr),
        sos("lowpass", 5000.0, sr, 4),
    ).astype(F32)


def _rock_bus(x: np.ndarray, sr: int) -> np.ndarray:
    x = signal.sosfilt(_bus_sos(sr), x, axis=-1)
    return compress(x, sr, thresh_db=-12.0, ratio=2.5, release=0.12)


@lru_cache(maxsize=8)
def _bus_sos(sr: int) -> np.ndarray:
    return chain(sos("highpass", 30.0, sr, 2), peak(350.0, -2.0, 0.9, sr), shelf(10000.0, -2.0, sr))


def rock_synth(sample_rate: int, bpm: float) -> BandSynth:
    from ..channels import CH_GTR_L, CH_GTR_R, CH_HAT2, CH_KICK2

    voices: dict[int | str, Voice] = {
        CH_GTR_L: power_chord_voice(0, drive=14.0, pan=-0.9, gain=0.6),
        CH_GTR_R: power_chord_voice(1, drive=14.0, pan=0.9, gain=0.6),
        "lead": lead_voice(drive=9.0, gain=0.36, send=0.3, pan=0.05),
        "counter": lead_voice(drive=9.0, gain=0.22, pan=-0.3),
        "arp": clean_voice(gain=0.45, send=0.3, pan=0.3),
        "final": lead_voice(drive=6.0, gain=0.3, send=0.4),
        "bass": sub_bass_voice(gain=0.7, rel=0.05, drive=2.5),
        "kick": kit_voice("rock", "kick", gain=0.8, high=True),
        CH_KICK2: kit_voice("rock", "kick", gain=0.8, high=True),
        "snare": kit_voice("rock", "snare", gain=0.7, send=0.25, high=True),
        "hat": kit_voice("rock", "hat", gain=0.22, high=True, pan=0.25),
        CH_HAT2: kit_voice("rock", "hat", gain=0.2, high=True, pan=0.25),
        "crash": kit_voice("rock", "crash", gain=0.35, high=True, pan=-0.2),
        "tom": kit_voice("rock", "tom", gain=0.6, high=True),
    }
    # Guitars render at 24 kHz: the cabinet ends near 5 kHz, and half the rate halves the amp.
    return BandSynth(
        sample_rate,
        voices,
        gain=0.6,
        reverb=(1.1, 1.0, 4000.0, 0.01),
        low_rate=24000.0,
        bus=_rock_bus,
        bus_low=True,
    )


# -- recorded band -----------------------------------------------------------------------------
DIST_GTR, OD_GTR, MUTED_GTR, CLEAN_GTR = (0, 30), (0, 29), (0, 28), (0, 27)
PICK_BASS, POWER_KIT = (0, 34), (128, 16)
ROCK_PRESETS = (DIST_GTR, OD_GTR, MUTED_GTR, CLEAN_GTR, PICK_BASS, POWER_KIT)


def sampled_rock_synth(sample_rate: int, bpm: float, cache) -> BandSynth:
    """A recorded rock band: two rhythm guitars panned hard (different amps, so the double
    track is heard as two players), palm mutes on the arrangement's muted notes, an overdriven
    lead, picked bass, a power kit with its crashes; a short room."""
    from ..channels import CH_GTR_L, CH_GTR_R, CH_HAT2, CH_KICK2
    from .sampled import MARCATO, TOMS, concert_hall, drum_voice, sampled_voice

    power = (0, 7, 12)

    def rhythm(preset, pan: float) -> Voice:
        return sampled_voice(cache, preset, articulations={MARCATO: MUTED_GTR}, chord=power,
                             tail=0.35, pan=pan, gain=0.42, send=0.08, min_hold=0.06)

    kit = POWER_KIT
    voices: dict[int | str, Voice] = {
        CH_GTR_L: rhythm(DIST_GTR, -0.95),
        CH_GTR_R: rhythm(OD_GTR, 0.95),
        "lead": sampled_voice(cache, DIST_GTR, tail=0.6, pan=0.05, gain=0.42, send=0.2),
        "counter": sampled_voice(cache, OD_GTR, tail=0.5, pan=-0.3, gain=0.22, send=0.2),
        "arp": sampled_voice(cache, CLEAN_GTR, tail=1.0, pan=0.35, gain=0.3, send=0.25),
        "final": sampled_voice(cache, DIST_GTR, chord=power, tail=2.0, gain=0.4, send=0.25),
        "bass": sampled_voice(cache, PICK_BASS, tail=0.3, gain=0.7, min_hold=0.08),
        "kick": drum_voice(cache, kit, (36, 35), gain=0.8),
        CH_KICK2: drum_voice(cache, kit, (36, 35), gain=0.75),
        "snare": drum_voice(cache, kit, (38, 40), gain=0.6, send=0.2),
        "hat": drum_voice(cache, kit, (42, 44), open_key=46, gain=0.22, pan=0.3),
        CH_HAT2: drum_voice(cache, kit, (42, 44), open_key=46, gain=0.2, pan=0.3),
        "crash": drum_voice(cache, kit, (49, 57), tail=2.5, gain=0.4, pan=-0.25, send=0.15),
        "tom": drum_voice(cache, kit, (45,), by_pitch=TOMS, gain=0.55, send=0.15),
    }
    return BandSynth(
        sample_rate,
        voices,
        gain=0.8,
        reverb=(1.0, 1.6, 5000.0, 0.01),
        hall=concert_hall(room=0.45, damping=0.6, predelay=0.012, high_cut=7000.0),
        low_rate=float(sample_rate),
        bus=_rock_bus,
    )
