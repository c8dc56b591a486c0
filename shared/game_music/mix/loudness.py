"""Blockwise ITU-R BS.1770-4 loudness: feed audio block by block, read integrated LUFS.

The K-weighting filters are pyloudnorm's (so whole-file results agree with
``pyloudnorm.Meter.integrated_loudness``), run with carried filter state; only the K-weighted
energy of every 100 ms sub-block is kept, so a 3-hour file costs ~100k floats.
"""

from __future__ import annotations

import numpy as np
import pyloudnorm
from scipy.signal import sosfilt

ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0
_OFFSET = -0.691
_SUB_S = 0.1  # gating blocks are 400 ms long and advance by 100 ms: four sub-blocks
_SUBS_PER_BLOCK = 4


def lufs_from_energy(energy: float | np.ndarray) -> float | np.ndarray:
    """K-weighted mean square (summed over channels) to LUFS; silence is -inf."""
    with np.errstate(divide="ignore"):
        return _OFFSET + 10.0 * np.log10(energy)


class LoudnessMeter:
    """Stateful BS.1770 meter. ``add(block)`` with ``(n, channels)`` arrays, then ``integrated()``.

    Blocks may have any length; the result does not depend on how the audio was cut.
    """

    def __init__(self, sample_rate: int = 48000, channels: int = 2) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        meter = pyloudnorm.Meter(sample_rate)
        # Both K-weighting biquads as one second-order-sections cascade: one sosfilt call
        # runs ~2x faster than two lfilter calls and agrees to 1e-12.
        filters = list(meter._filters.values())
        self._sos = np.array([np.concatenate([np.asarray(f.b, float), np.asarray(f.a, float)])
                              / float(f.a[0]) for f in filters]).astype(np.float32)
        self._gain = float(np.prod([f.passband_gain for f in filters]))
        self._zi = np.zeros((len(filters), channels, 2), np.float32)
        # BS.1770 channel weights: L, R, C = 1; surrounds 1.41.
        self._weights = np.array([1.0, 1.0, 1.0, 1.41, 1.41][:channels] + [1.0] * (channels - 5),
                                 np.float32)
        self._sub_len = int(round(_SUB_S * sample_rate))
        self._partial = 0.0  # energy sum of the unfinished sub-block
        self._partial_n = 0
        self._subs: list[np.ndarray] = []  # per sub-block energy sums (not yet divided)
        self.samples = 0

    def prime(self, block: np.ndarray) -> None:
        """Run ``block`` through the filters without measuring it: a meter that starts in the
        middle of a signal, primed with half a second before its start, measures what one
        meter over the whole signal would (the K-weighting forgets within ~0.15 s)."""
        self._filter(_as_2d(block, self.channels))

    def join(self, later: LoudnessMeter) -> None:
        """Append what ``later`` measured right after this meter's audio (primed with it)."""
        if self._partial_n:
            raise ValueError("join needs this meter to end on a 100 ms sub-block boundary")
        self._subs += later._subs
        self._partial, self._partial_n = later._partial, later._partial_n
        self._zi = later._zi.copy()
        self.samples += later.samples

    def _filter(self, x: np.ndarray) -> np.ndarray:
        # (channels, n) float32 rows: ~1.6x faster filtering than float64, and the float32
        # rounding (1e-7 of the signal, even after the high-pass's gain near DC) is far below
        # what a loudness reading shows. Sums are accumulated in float64.
        y = np.ascontiguousarray(x.T, dtype=np.float32)
        y, self._zi = sosfilt(self._sos, y, axis=1, zi=self._zi)
        if self._gain != 1.0:
            y *= np.float32(self._gain)
        return y

    def add(self, block: np.ndarray) -> None:
        x = _as_2d(block, self.channels)
        if not len(x):
            return
        self.samples += len(x)
        y = self._filter(x)
        y *= y
        sq = y[0] * self._weights[0]
        for c in range(1, self.channels):
            sq += y[c] * self._weights[c]
        # Close the pending sub-block first, then whole sub-blocks, then keep the rest.
        pos = 0
        if self._partial_n:
            take = min(self._sub_len - self._partial_n, len(sq))
            self._partial += float(sq[:take].sum(dtype=np.float64))
            self._partial_n += take
            pos = take
            if self._partial_n == self._sub_len:
                self._subs.append(np.array([self._partial]))
                self._partial, self._partial_n = 0.0, 0
        whole = (len(sq) - pos) // self._sub_len
        if whole:
            chunk = sq[pos : pos + whole * self._sub_len].reshape(whole, self._sub_len)
            self._subs.append(chunk.sum(axis=1, dtype=np.float64))
            pos += whole * self._sub_len
        if pos < len(sq):
            self._partial += float(sq[pos:].sum(dtype=np.float64))
            self._partial_n += len(sq) - pos

    @property
    def sub_energy(self) -> np.ndarray:
        """K-weighted mean square of every complete 100 ms sub-block (channel-weighted sum)."""
        if not self._subs:
            return np.zeros(0)
        return np.concatenate(self._subs) / self._sub_len

    @property
    def sub_seconds(self) -> float:
        return self._sub_len / self.sample_rate

    def block_energy(self) -> np.ndarray:
        """Mean square of every complete 400 ms gating block (75 % overlap)."""
        return block_energy(self.sub_energy)

    def integrated(self, select: np.ndarray | None = None) -> float:
        """Gated integrated loudness in LUFS (``-inf`` for silence or too little audio).

        ``select`` (bool per gating block, see :meth:`block_energy`) restricts the measurement
        to some blocks, e.g. those where someone talks.
        """
        z = self.block_energy()
        if select is not None:
            z = z[np.asarray(select, bool)[: len(z)]] if len(z) else z
        return gated_loudness(z)


def block_energy(subs: np.ndarray) -> np.ndarray:
    """400 ms gating-block energies (75 % overlap) from 100 ms sub-block energies."""
    n = len(subs) - _SUBS_PER_BLOCK + 1
    if n <= 0:
        return np.zeros(0)
    c = np.concatenate([[0.0], np.cumsum(subs)])
    return (c[_SUBS_PER_BLOCK : _SUBS_PER_BLOCK + n] - c[:n]) / _SUBS_PER_BLOCK


def gated_loudness(z: np.ndarray) -> float:
    """BS.1770 two-stage gating over block energies ``z``."""
    if not len(z):
        return float("-inf")
    lj = lufs_from_energy(z)
    kept = z[lj >= ABSOLUTE_GATE]
    if not len(kept):
        return float("-inf")
    rel = float(lufs_from_energy(kept.mean())) + RELATIVE_GATE
    kept = z[(lj > rel) & (lj > ABSOLUTE_GATE)]
    if not len(kept):
        return float("-inf")
    return float(lufs_from_energy(kept.mean()))


def integrated_loudness(audio: np.ndarray, sample_rate: int = 48000) -> float:
    """Integrated loudness of a whole array, in LUFS."""
    x = np.asarray(audio)
    meter = LoudnessMeter(sample_rate, 1 if x.ndim == 1 else x.shape[1])
    meter.add(x)
    return meter.integrated()


def _as_2d(block: np.ndarray, channels: int) -> np.ndarray:
    x = np.asarray(block)
    if x.ndim == 1:
        x = x[:, None]
    if x.shape[1] != channels:
        if x.shape[1] == 1:
            x = np.repeat(x, channels, axis=1)
        else:
            raise ValueError(f"expected {channels} channels, got {x.shape[1]}")
    return x
