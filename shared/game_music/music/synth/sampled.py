"""Recorded instruments in the band mixer: SoundFont notes as :class:`~.band.Voice` s.

A sampled voice asks the SoundFont player for each note whole (key held for the note's
length, then released), keeps it, and hands the mixer the slice it asks for, so a note sounds
the same whichever chunk it falls in (chunk-independent, bit for bit). Sampled synths run
the mixer at the full rate (recordings carry their own top end); a voice asked for another
rate resamples the note once.

The note table's ``mode`` field picks the articulation (legato, marcato, tremolo, pizzicato),
which a voice maps to a preset of its own; chords for one channel (power chords) come from the
voice's ``chord`` intervals.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Protocol

import numpy as np
from scipy import signal

from ..notes import LEGATO, MARCATO, PIZZICATO, TREMOLO  # noqa: F401  (re-exported)
from .band import Voice
from .dsp import F32

Preset = tuple[int, int]  # (bank, program); drum kits are bank 128

_CACHE_BYTES = 32 << 20  # whole notes kept for reuse, per synth


class NotePlayer(Protocol):
    """What a sampled voice needs of a SoundFont player (``soundfont.SoundFontPlayer``)."""

    sample_rate: int

    def note(
        self, preset: Preset, key: int, velocity: int, hold: int, *, max_tail: int
    ) -> np.ndarray: ...


class NoteCache:
    """Whole notes by (rate, preset, keys, velocity, hold): riffs and ostinati repeat."""

    def __init__(self, player: NotePlayer) -> None:
        self.player = player
        self.sr = int(player.sample_rate)
        # One LRU for the player's notes and the voices' finished (layered) ones, whose keys
        # never collide (a voice's key starts with its identity tuple, a note's with a rate).
        self._notes: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.RLock()

    def get(
        self, preset: Preset, keys: Sequence[int], velocity: int, hold: int, tail: int, sr: int
    ) -> np.ndarray:
        """(2, n) float32 at rate ``sr``: ``keys`` held ``hold`` samples (at the player's rate),
        then released, ringing at most ``tail`` samples."""
        with self._lock:  # jobs on threads (macOS, Windows) may share one cache
            return self._get(preset, keys, velocity, hold, tail, sr)

    def _get(
        self, preset: Preset, keys: Sequence[int], velocity: int, hold: int, tail: int, sr: int
    ) -> np.ndarray:
        key = (sr, preset, tuple(keys), velocity, hold, tail)
        y = self._notes.get(key)
        if y is not None:
            self._notes.move_to_end(key)
            return y
        if sr != self.sr:
            full = self._get(preset, keys, velocity, hold, tail, self.sr)
            ratio = Fraction(sr, self.sr).limit_denominator(64)
            y = signal.resample_poly(full, ratio.numerator, ratio.denominator, axis=-1)
            y = np.ascontiguousarray(y, dtype=F32)
        else:
            parts = [
                self.player.note(preset, int(k), velocity, hold, max_tail=tail)
                for k in keys
                if 0 <= int(k) <= 127
            ]
            n = max((len(p) for p in parts), default=0)
            y = np.zeros((2, n), F32)
            for p in parts:
                y[:, : len(p)] += p.T
        y.flags.writeable = False
        self._notes[key] = y
        self._bytes += y.nbytes
        self._trim()
        return y

    def find(self, key: tuple) -> np.ndarray | None:
        """A voice's finished note kept under ``key``, if it still is."""
        with self._lock:
            y = self._notes.get(key)
            if y is not None:
                self._notes.move_to_end(key)
            return y

    def keep(self, key: tuple, y: np.ndarray) -> None:
        """Keep a voice's finished note (layers summed, swell applied) under ``key``."""
        with self._lock:
            self._notes[key] = y
            self._bytes += y.nbytes
            self._trim()

    def _trim(self) -> None:
        while self._bytes > _CACHE_BYTES and len(self._notes) > 1:
            self._bytes -= self._notes.popitem(last=False)[1].nbytes


def velocity(vol: float, *, floor: int = 24, curve: float = 0.8) -> tuple[int, float]:
    """The note table's level (0..15) as a MIDI velocity, and a gain for the rest: SoundFonts
    switch samples and open filters with velocity, so loud notes also sound harder, as
    played ones do. The velocity goes in steps of 16 (each step a rendered note to keep); the
    fine level a player's hand gives comes as gain on top (velocity's level follows about
    its square, the SoundFont default curve), so humanised dynamics cost no extra renders."""
    v = floor + (127 - floor) * (min(max(vol, 0.0), 15.0) / 15.0) ** curve
    coarse = int(min(max(16 * round(v / 16), 16), 127))
    return coarse, float((v / coarse) ** 2)


_HOLD_STEP = 0.01  # seconds: a key released 5 ms earlier or later sounds the same


def _hold(gate: float, sr: int) -> int:
    """Samples the key is held: on a 10 ms grid, and on a grid of 1/25 of the note for long
    ones (a two-second chord let go 40 ms later, under its own release, sounds the same; the
    same chord held for slightly different bar lengths is then rendered once)."""
    step = int(_HOLD_STEP * sr)
    step *= max(1, int(gate / 25.0 / _HOLD_STEP))
    return max(step, step * int(round(gate * sr / step)))


def sampled_voice(
    cache: NoteCache,
    preset: Preset,
    *,
    articulations: Mapping[int, Preset] | None = None,
    layers: Sequence[tuple[Preset, int, float]] = (),
    chord: Sequence[int] = (0,),
    transpose: int = 0,
    tail: float = 1.0,
    min_hold: float = 0.0,
    vel_floor: int = 24,
    **kw,
) -> Voice:
    """A voice that plays ``preset`` (or the articulation's preset) from the SoundFont.

    ``layers`` double each note on other presets (preset, semitones, gain): a melody in
    violins and the section behind them. ``chord`` adds intervals above each note (a power
    chord is (0, 7, 12)); ``min_hold`` keeps very short notes down long enough for the
    sample's attack to speak. A note with a ``swell`` starts at that level and grows to full
    over its length (a brass or string crescendo)."""
    arts = dict(articulations or {})
    sr_full = cache.sr
    tail_n = int(tail * sr_full)
    # What makes this voice's notes its own, by value: the cache outlives the synth (and
    # object ids are reused), and two voices on one preset may stack or ring differently.
    ident = (preset, tuple(layers), tuple(chord), tail_n)

    def whole(note, sr: int, gate: float) -> np.ndarray:
        pre = arts.get(int(note["mode"]), preset)
        root = int(round(float(note["pitch"]))) + transpose
        hold = _hold(max(gate, min_hold), sr_full)
        vel = velocity(float(note["vol"]), floor=vel_floor)[0]
        swell = float(note["swell"])
        key = (ident, sr, pre, root, vel, hold, swell)
        y = cache.find(key)
        if y is not None:
            return y
        y = cache.get(pre, [root + c for c in chord], vel, hold, tail_n, sr)
        if layers or 0.0 < swell < 1.0:
            y = y.copy()
            for lp, shift, g in layers:
                z = cache.get(lp, [root + shift + c for c in chord], vel, hold, tail_n, sr)
                n = min(y.shape[1], z.shape[1])
                y[:, :n] += z[:, :n] * F32(g)
            if 0.0 < swell < 1.0:  # over the kept hold: the key says what the note is
                n = min(max(hold * sr // sr_full, 1), y.shape[1])
                y[:, :n] *= np.linspace(swell, 1.0, n, dtype=F32) ** 2
            y.flags.writeable = False
        cache.keep(key, y)
        return y

    def render(note, t: np.ndarray, sr: int, gate: float) -> np.ndarray:
        gain = velocity(float(note["vol"]), floor=vel_floor)[1]
        return _slice(whole(note, sr, gate), t, sr, gain)

    def shot(note, sr: int, gate: float) -> tuple[np.ndarray, float]:  # mixed in place
        return whole(note, sr, gate), velocity(float(note["vol"]), floor=vel_floor)[1]

    return Voice(render, tail=tail, shot=shot, **kw)


# Toms by the composer's noise period (7 high .. 12 low): a fill runs down the kit.
TOMS = {7: 50, 8: 48, 9: 47, 10: 45, 11: 43, 12: 41}


def drum_voice(
    cache: NoteCache,
    kit: Preset,
    keys: Sequence[int],
    *,
    open_key: int | None = None,
    by_pitch: Mapping[int, int] | None = None,
    tail: float = 1.2,
    **kw,
) -> Voice:
    """A kit piece: the note's ``aux`` (the composer's variant) picks among ``keys`` (a
    drummer's alternating hands, closed and pedal hats), its level the velocity; a hat whose
    composer decay is long is the open hat (``open_key``); ``by_pitch`` maps the composer's
    pitch to a key (toms)."""
    pieces = tuple(int(k) for k in keys)
    sr_full = cache.sr
    tail_n = int(tail * sr_full)

    def shot(note, sr: int, gate: float = 0.0) -> tuple[np.ndarray, float]:
        k = pieces[int(note["aux"]) % len(pieces)]
        if by_pitch:
            k = by_pitch.get(int(round(float(note["pitch"]))), k)
        if open_key is not None and float(note["decay"]) >= 0.1:
            k = open_key
        vel, gain = velocity(float(note["vol"]), floor=30, curve=1.0)
        return cache.get(kit, [k], vel, _hold(0.05, sr_full), tail_n, sr), gain

    def render(note, t: np.ndarray, sr: int, gate: float) -> np.ndarray:
        y, gain = shot(note, sr)
        return _slice(y, t, sr, gain)

    return Voice(render, tail=tail, oneshot=True, shot=shot, **kw)


def _slice(y: np.ndarray, t: np.ndarray, sr: int, gain: float = 1.0) -> np.ndarray:
    """The whole note ``y`` at the times ``t`` since its onset (silence past its end)."""
    i0 = max(int(round(float(t[0]) * sr)), 0) if len(t) else 0
    out = np.zeros((2, len(t)), F32)
    part = y[:, i0 : i0 + len(t)]
    np.multiply(part, F32(gain), out=out[:, : part.shape[1]])
    return out


def concert_hall(
    *,
    room: float = 0.82,
    damping: float = 0.55,
    width: float = 1.0,
    predelay: float = 0.025,
    low_cut: float = 180.0,
    high_cut: float = 6500.0,
):
    """An algorithmic hall (pedalboard's Freeverb network) for the mixer's send: a pre-delay
    keeps the attacks dry and clear ahead of the room, and the send is band-limited first so
    the tail neither booms nor hisses. Fresh state per call: deterministic per chunk."""
    from pedalboard import HighpassFilter, LowpassFilter, Pedalboard, Reverb

    def hall(send: np.ndarray, sr: int) -> np.ndarray:
        board = Pedalboard(
            [
                HighpassFilter(low_cut),
                LowpassFilter(high_cut),
                Reverb(room_size=room, damping=damping, wet_level=1.0, dry_level=0.0,
                       width=width),
            ]
        )
        pre = int(round(predelay * sr))
        x = np.zeros((2, len(send)), F32)
        x[:, pre:] = send[: len(send) - pre]
        return board(x, sr, reset=True)

    return hall


# The last style's loaded presets and rendered notes, kept for the next job in this process
# (a batch, or refining a take): loading costs a second, and every note is a pure function of
# its key, so sharing changes no sample.
_SHARED: OrderedDict[tuple, NoteCache] = OrderedDict()
_SHARED_LOCK = threading.Lock()


def release_shared() -> None:
    """Drop the kept bank and notes (a job done with its music frees the memory)."""
    with _SHARED_LOCK:
        _SHARED.clear()


def open_cache(bank, presets: Sequence[Preset], sample_rate: int) -> NoteCache | None:
    """The style's presets loaded from ``bank`` (a ``bank.BankChoice``; None: the default
    one), or None with one warning line when no SoundFont can be played here (the style
    then plays its synthesized instruments)."""
    import logging

    from .bank import choose_bank
    from .soundfont import SoundFontError, SoundFontPlayer

    choice = bank if bank is not None else choose_bank()
    try:
        st = choice.path.stat()
        stamp: tuple = (st.st_size, st.st_mtime_ns)
    except OSError:
        stamp = ()
    key = (choice, stamp, tuple(presets), int(sample_rate))
    with _SHARED_LOCK:
        cache = _SHARED.get(key)
        if cache is not None:
            return cache
        try:
            cache = NoteCache(SoundFontPlayer(choice, presets, sample_rate))
        except SoundFontError as exc:
            logging.getLogger("game_music").warning("%s; using synthesized instruments", exc)
            return None
        _SHARED.clear()  # one style's notes at a time: memory stays that of one job
        _SHARED[key] = cache
        return cache
