"""Drum kits as cached one-shots: acoustic rock, dusty lo-fi, orchestral (big drum, timpani).

Each hit is synthesized once per (kit, piece, variant, rate) and then copied, scaled by the
note's level; the variant comes from the note's ``aux`` (the composer's random offset), so
repeated hits differ a little, as a drummer's do.
"""

from __future__ import annotations

from functools import lru_cache, partial

import numpy as np
from scipy import signal

from .band import Voice, play
from .dsp import decay, midi_to_hz, sos, white_noise

VARIANTS = 4
# 808-style metal: six square waves at inharmonic ratios make a cymbal's clang.
_METAL_HZ = (205.3, 304.4, 369.6, 522.7, 540.0, 800.0)
# The kits were voiced with exp(-t / tau) computed by division (the kit's other rounding would
# change every hit in the last bit).
_decay = partial(decay, divide=True)


def _sweep_sine(t: np.ndarray, f_end: float, f_start: float, tau: float) -> np.ndarray:
    """A sine whose pitch falls exponentially from ``f_start`` to ``f_end`` (phase integrated)."""
    ph = f_end * t + (f_start - f_end) * tau * (1.0 - np.exp(-t / tau))
    return np.sin(2.0 * np.pi * ph)


def _metal(t: np.ndarray, sr: int, scale: float) -> np.ndarray:
    out = np.zeros_like(t)
    for f in _METAL_HZ:
        f *= scale
        if f * 5 < sr / 2:
            # the sign of sin(2 pi f t + f), read off the phase in cycles (no sine needed)
            cyc = f * t + f / (2.0 * np.pi)
            cyc -= np.floor(cyc)
            out += np.where(cyc < 0.5, 1.0, -1.0)
        else:
            out += np.sin(2.0 * np.pi * f * t + f)
    return out / 6.0


@lru_cache(maxsize=256)
def shot(kit: str, piece: str, variant: int, sr: int) -> np.ndarray:
    seed = sum(ord(c) * (i + 1) for i, c in enumerate(kit + piece)) * 16 + variant
    n = int(_length(piece) * sr)
    t = np.arange(n) / sr
    nz = white_noise(n, seed)
    v = 1.0 + 0.03 * (variant - 1.5)
    if piece in ("kick", "boom"):
        if kit == "orchestral" or piece == "boom":  # big drum: low, long, soft-edged thump
            body = _sweep_sine(t, 48.0 * v, 95.0, 0.05) * _decay(t, 0.45)
            thump = signal.sosfilt(sos("lowpass", 260.0, sr), nz) * _decay(t, 0.06) * 0.9
            y = body + thump
        elif kit == "lofi":
            body = _sweep_sine(t, 52.0 * v, 130.0, 0.03) * _decay(t, 0.22)
            click = signal.sosfilt(sos("lowpass", 1800.0, sr), nz) * _decay(t, 0.006) * 0.4
            y = body + click
        else:  # rock: punchy, with a beater click
            body = _sweep_sine(t, 56.0 * v, 170.0, 0.025) * _decay(t, 0.18)
            click = signal.sosfilt(sos("highpass", 2500.0, sr), nz) * _decay(t, 0.004) * 0.9
            y = np.tanh(1.6 * body) + click
    elif piece == "snare":
        if kit == "lofi":
            body = (
                np.sin(2 * np.pi * 180.0 * v * t) + 0.5 * np.sin(2 * np.pi * 330.0 * t)
            ) * _decay(t, 0.06)
            sn = signal.sosfilt(sos("bandpass", (900.0, 5000.0), sr), nz) * _decay(t, 0.13)
            y = 0.5 * body + 1.1 * sn
        elif kit == "orchestral":  # field snare: tight, crisp
            body = np.sin(2 * np.pi * 220.0 * v * t) * _decay(t, 0.04)
            sn = signal.sosfilt(sos("highpass", 1800.0, sr), nz) * _decay(t, 0.09)
            y = 0.4 * body + sn
        else:
            body = (
                np.sin(2 * np.pi * 190.0 * v * t) + 0.6 * np.sin(2 * np.pi * 340.0 * v * t)
            ) * _decay(t, 0.07)
            sn = signal.sosfilt(sos("highpass", 1200.0, sr), nz) * _decay(t, 0.16)
            y = 0.8 * body + 1.2 * sn
    elif piece in ("hat", "open"):
        tau = 0.035 if piece == "hat" else 0.22
        metal = _metal(t, sr, 1.9 * v) + 0.6 * nz / 3.0
        y = signal.sosfilt(sos("highpass", 6500.0 if kit != "lofi" else 5000.0, sr), metal)
        y *= _decay(t, tau) * 2.2
        if kit == "lofi":  # softer, darker tick
            y = signal.sosfilt(sos("lowpass", 7000.0, sr), y)
    elif piece == "shaker":
        y = signal.sosfilt(sos("bandpass", (4000.0, 9000.0), sr), nz)
        y *= np.minimum(t / 0.012, 1.0) * _decay(t, 0.05)
    elif piece == "crash":
        metal = _metal(t, sr, 2.6 * v) * 0.6 + nz * 0.5
        y = signal.sosfilt(sos("highpass", 3500.0, sr), metal) * _decay(t, 0.7)
        y += signal.sosfilt(sos("bandpass", (2000.0, 6000.0), sr), nz) * _decay(t, 0.08) * 0.6
    elif piece == "tom":
        y = _sweep_sine(t, 95.0 * v, 150.0, 0.05) * _decay(t, 0.25)
        y += signal.sosfilt(sos("lowpass", 900.0, sr), nz) * _decay(t, 0.02) * 0.4
    else:
        y = np.zeros(n)
    fade = min(n, int(0.03 * sr))
    y[-fade:] *= np.linspace(1.0, 0.0, fade)
    return (y / max(np.abs(y).max(), 1e-9)).astype(np.float32)


def _length(piece: str) -> float:
    return {"crash": 2.2, "open": 0.5, "tom": 0.7, "kick": 0.6, "boom": 1.6}.get(piece, 0.45)


_PIECE = {"kick": "kick", "snare": "snare", "hat": "hat", "crash": "crash", "tom": "tom"}


def kit_voice(kit: str, piece: str, **kw) -> Voice:
    """A one-shot voice: the composer's decay tells a closed hat (short) from an open one."""

    def cached(note, sr: int, gate: float = 0.0) -> tuple[np.ndarray, float]:
        p = piece
        if p == "hat" and float(note["decay"]) >= 0.1:
            p = "open"
        return shot(kit, p, int(note["aux"]) % VARIANTS, sr), (float(note["vol"]) / 15.0) ** 1.5

    def render(note, t: np.ndarray, sr: int, gate: float) -> np.ndarray:
        s, scale = cached(note, sr)
        return play(s, t, sr) * np.float32(scale)

    tail = max(_length(piece), _length("open") if piece == "hat" else 0.0)
    return Voice(render, tail=tail, oneshot=True, shot=cached, **kw)


@lru_cache(maxsize=128)
def timpani_shot(midi: int, sr: int) -> np.ndarray:
    """Timpani: a low membrane (partials 1, 1.5, 2, 2.5 of the tuned pitch) with a small pitch
    drop after the stroke, a felt-mallet thump, a long decay."""
    n = int(3.0 * sr)
    t = np.arange(n) / sr
    f = midi_to_hz(midi)
    y = np.zeros(n)
    for ratio, amp, tau in (
        (1.0, 1.0, 1.1),
        (1.504, 0.5, 0.7),
        (1.742, 0.3, 0.5),
        (2.0, 0.25, 0.4),
    ):
        fr = f * ratio
        if fr < 0.45 * sr:
            ph = fr * t + fr * 0.015 * 0.08 * (1.0 - np.exp(-t / 0.08))  # starts ~25 cents sharp
            y += amp * np.sin(2 * np.pi * ph) * _decay(t, tau)
    nz = white_noise(n, midi)
    y += signal.sosfilt(sos("lowpass", 500.0, sr), nz) * _decay(t, 0.03) * 1.2
    y *= np.minimum(t / 0.003, 1.0)
    fade = int(0.05 * sr)
    y[-fade:] *= np.linspace(1.0, 0.0, fade)
    return (y / np.abs(y).max()).astype(np.float32)


def timpani_voice(**kw) -> Voice:
    def cached(note, sr: int, gate: float = 0.0) -> tuple[np.ndarray, float]:
        s = timpani_shot(int(round(float(note["pitch"]))), sr)
        return s, (float(note["vol"]) / 15.0) ** 1.3

    def render(note, t: np.ndarray, sr: int, gate: float) -> np.ndarray:
        s, scale = cached(note, sr)
        return play(s, t, sr) * np.float32(scale)

    return Voice(render, tail=3.0, oneshot=True, shot=cached, **kw)
