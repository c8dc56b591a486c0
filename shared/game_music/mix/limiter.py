"""True-peak measurement and a look-ahead true-peak limiter, both streamable block by block.

Peaks are found on a 4x oversampled signal (polyphase windowed-sinc interpolator, as BS.1770
Annex 2 describes), so inter-sample peaks that a DAC or an AAC decoder would produce are
caught. The limiter works in the gain-reduction domain (dB):

    required reduction r[n]  ->  running max over the look-ahead window (attack and hold)
    ->  linear release (dB per second, never rises faster)  ->  moving average (smooth ramps)

Taking the max over a window of L samples and then averaging over L samples guarantees the
reduction at every peak is at least what that peak needs, while the gain changes in smooth
ramps of L samples instead of clicks. Every stage carries its state, so any block split gives
the same result as one call over the whole file.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.ndimage import maximum_filter1d
from scipy.signal import firwin

OVERSAMPLE = 4
_HALF_TAPS = 12  # interpolator reaches 12 input samples either side
_FLOOR = 1e-12


def _interpolator() -> np.ndarray:
    """Phases 1..3 of a 4x interpolator, shape (3, 2*_HALF_TAPS + 1) (phase 0 is the input)."""
    taps = 2 * _HALF_TAPS * OVERSAMPLE + 1
    h = firwin(taps, 0.9 / OVERSAMPLE, window=("kaiser", 8.0)) * OVERSAMPLE
    phases = np.zeros((OVERSAMPLE - 1, 2 * _HALF_TAPS + 1))
    for k in range(1, OVERSAMPLE):
        coeffs = h[k::OVERSAMPLE]
        phases[k - 1, : len(coeffs)] = coeffs
    return phases


_PHASES = _interpolator()
_PHASES_REV = np.ascontiguousarray(_PHASES[:, ::-1].T)  # (taps, phases) for window @ phases
# The limiter runs in float32, as the audio it limits is: half the memory traffic.
_PHASES_32 = _PHASES.astype(np.float32)
_PHASES_REV_32 = _PHASES_REV.astype(np.float32)
_TAPS = _PHASES.shape[1]
_BOUND = float(np.abs(_PHASES).sum(axis=1).max())
#: y_k[m] (phase k of input index m) is the value at time m - _DELAY + k / OVERSAMPLE.
_DELAY = _HALF_TAPS


class _PeakStream:
    """Streams ``peak[n]``: the largest |value| over channels and over [n, n + 1) (4x).

    Emits one value per input sample, delayed by ``_DELAY`` samples (zeros before the start).
    Values at or above ``threshold`` are exact; below it only the sample peak is reported, which
    lets loud-enough neighbourhoods alone pay for the oversampling.
    """

    delay = _DELAY

    def __init__(self, channels: int, dtype: type = np.float64) -> None:
        self._hist = np.zeros((_TAPS - 1, channels), dtype)
        single = np.dtype(dtype) == np.float32
        self._phases = _PHASES_32 if single else _PHASES
        self._phases_rev = _PHASES_REV_32 if single else _PHASES_REV

    def push(self, x: np.ndarray, threshold: float = 0.0) -> np.ndarray:
        n = len(x)
        ext = np.concatenate([self._hist, x.astype(self._hist.dtype, copy=False)])
        self._hist = ext[n:]
        mag = _abs_max(ext)
        # Input sample i - _DELAY sits at ext index i - _DELAY + len(hist).
        base = _TAPS - 1 - _DELAY
        peak = mag[base : base + n].copy()
        # |interpolated value| <= L1 norm of the phase * largest |sample| in its window, so
        # only windows holding a sample of at least threshold / _BOUND can reach threshold.
        hot = np.concatenate([[0], np.cumsum(mag >= threshold / _BOUND, dtype=np.int32)])
        cand = np.flatnonzero(hot[_TAPS:] != hot[:-_TAPS])
        if not cand.size:
            return peak
        if cand.size > n // 4:
            for c in range(ext.shape[1]):
                for phase in self._phases:
                    np.maximum(peak, np.abs(np.convolve(ext[:, c], phase, "valid")), out=peak)
            return peak
        windows = sliding_window_view(ext, _TAPS, axis=0)  # (n, channels, taps), no copy
        for i in range(0, cand.size, 16384):
            idx = cand[i : i + 16384]
            # One flat matrix product: numpy's batched matmul over tiny matrices is slow.
            y = windows[idx].reshape(-1, _TAPS) @ self._phases_rev  # (k * channels, phases)
            peak[idx] = np.maximum(peak[idx], np.abs(y).reshape(len(idx), -1).max(axis=1))
        return peak


def _abs_max(x: np.ndarray) -> np.ndarray:
    """Largest |value| over the channels of ``(n, channels)``; a reduction along a 2-long
    axis is several times slower in numpy than channel-wise maxima."""
    mag = np.abs(x[:, 0])
    for c in range(1, x.shape[1]):
        np.maximum(mag, np.abs(x[:, c]), out=mag)
    return mag


def true_peak(audio: np.ndarray) -> float:
    """Linear true peak (4x oversampled) of a whole ``(n, channels)`` or ``(n,)`` array."""
    x = np.asarray(audio, np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if not len(x):
        return 0.0
    stream = _PeakStream(x.shape[1])
    peaks = stream.push(np.concatenate([x, np.zeros((_DELAY, x.shape[1]))]), float(np.abs(x).max()))
    return float(peaks.max())


def true_peak_db(audio: np.ndarray) -> float:
    """True peak in dBTP (``-inf`` for silence)."""
    with np.errstate(divide="ignore"):
        return float(20.0 * np.log10(true_peak(audio)))


class TruePeakMeter:
    """Blockwise true peak: ``add(block)`` then ``peak_db``. ``dtype=np.float32`` runs about
    2.5x faster, for float32 audio (the decoded AAC)."""

    def __init__(self, channels: int = 2, dtype: type = np.float64) -> None:
        self._dtype = dtype
        self._stream = _PeakStream(channels, dtype)
        self._channels = channels
        self._peak = 0.0

    def add(self, block: np.ndarray) -> None:
        if len(block):
            x = np.asarray(block, self._dtype)
            x = x if x.ndim == 2 else x[:, None]
            threshold = max(self._peak, float(np.abs(x).max()))
            self._peak = max(self._peak, float(self._stream.push(x, threshold).max()))

    @property
    def peak_db(self) -> float:
        # The last _DELAY samples are still inside the interpolator: flush a copy of it.
        tail_stream = _PeakStream(self._channels, self._dtype)
        tail_stream._hist = self._stream._hist.copy()
        tail = float(tail_stream.push(np.zeros((_DELAY, self._channels), self._dtype),
                                      self._peak).max())
        peak = max(self._peak, tail)
        with np.errstate(divide="ignore"):
            return float(20.0 * np.log10(peak))


class Limiter:
    """Look-ahead true-peak limiter.

    ``process(block)`` returns the limited audio that is ready so far (the first call returns
    ``latency`` fewer samples than it got); ``flush()`` returns the rest. Concatenated, the
    outputs are aligned with the input and exactly as long.
    """

    def __init__(
        self,
        sample_rate: int = 48000,
        channels: int = 2,
        *,
        ceiling_db: float = -2.0,
        lookahead_s: float = 0.005,
        release_db_per_s: float = 40.0,
    ) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self.ceiling_db = ceiling_db
        self._ceiling = 10.0 ** (ceiling_db / 20.0)
        self._window = max(2, int(round(lookahead_s * sample_rate)))
        self._release = release_db_per_s / sample_rate  # dB per sample
        self._peaks = _PeakStream(channels, np.float32)
        self._max_hist = np.zeros(self._window - 1, np.float32)
        self._rel_last = 0.0
        self._avg_hist = np.zeros(self._window - 1)
        self.latency = _DELAY + self._window - 1
        self._delay_line = np.zeros((self.latency, channels), np.float32)
        self._to_skip = self.latency
        self._flushed = False
        self.max_reduction_db = 0.0
        #: Largest peak of the input (linear): its true peak wherever it reached the ceiling,
        #: the sample peak otherwise (below the ceiling the oversampling is skipped).
        self.max_peak = 0.0
        #: Largest peak of the output (linear), the same way: each input peak times the gain
        #: applied to its sample. Exact wherever the input reached the ceiling (there the
        #: output sits at the ceiling); elsewhere it is the sample peak, under the ceiling.
        self.max_output_peak = 0.0
        # The peaks of the last window - 1 input samples: their gains come in the next block.
        self._peak_hist = np.zeros(self._window - 1, np.float32)

    def process(self, block: np.ndarray) -> np.ndarray:
        if self._flushed:
            raise RuntimeError("Limiter already flushed")
        x = np.asarray(block, np.float32)
        if x.ndim == 1:
            x = x[:, None]
        out = self._run(x)
        if self._to_skip:
            skip = min(self._to_skip, len(out))
            self._to_skip -= skip
            out = out[skip:]
        return out

    def flush(self) -> np.ndarray:
        out = self.process(np.zeros((self.latency, self.channels), np.float32))
        self._flushed = True
        return out

    def _run(self, x: np.ndarray) -> np.ndarray:
        n = len(x)
        if not n:
            return x
        peak = self._peaks.push(x, self._ceiling)
        self.max_peak = max(self.max_peak, float(peak.max()))
        need = np.zeros(n, np.float32)
        over = np.flatnonzero(peak > self._ceiling)
        if over.size:
            need[over] = 20.0 * np.log10(peak[over] / np.float32(self._ceiling))
        # Trailing max over the window (= look-ahead once the audio is delayed).
        ext = np.concatenate([self._max_hist, need])
        self._max_hist = ext[n:]
        held = maximum_filter1d(ext, self._window, origin=(self._window - 1) // 2)[-n:]
        # Linear release: red[i] = max(held[i], red[i-1] - rate), solved with a running max
        # (in float64: the ramp over a long block needs the precision).
        ramp = self._release * np.arange(1, n + 1)
        red = np.maximum.accumulate(np.maximum(held + ramp, self._rel_last)) - ramp
        self._rel_last = float(red[-1])
        # Moving average over the window: smooth gain ramps, still >= every peak's need.
        ext = np.concatenate([self._avg_hist, red])
        self._avg_hist = ext[n:]
        c = np.concatenate([[0.0], np.cumsum(ext)])
        smooth = (c[self._window :] - c[: -self._window])[-n:] / self._window
        if n:
            self.max_reduction_db = max(self.max_reduction_db, float(smooth.max()))
        # Delay the audio by the latency so each gain meets the samples it was made for.
        ext = np.concatenate([self._delay_line, x])
        self._delay_line = ext[n:]
        out = ext[:n]
        act = np.flatnonzero(smooth > 0.0)
        # out[i] is input sample i - latency, whose peak is peak[i - window + 1].
        ext = np.concatenate([self._peak_hist, peak])
        self._peak_hist = ext[n:]
        out_peak = ext[:n]
        if act.size:
            gain = (10.0 ** (-smooth[act] / 20.0)).astype(np.float32)
            out[act] *= gain[:, None]
            out_peak = out_peak.copy()
            out_peak[act] *= gain
        self.max_output_peak = max(self.max_output_peak, float(out_peak.max()))
        return out

    @property
    def output_peak_db(self) -> float:
        """:attr:`max_output_peak` in dB (``-inf`` for silence); at most the ceiling."""
        if self.max_output_peak <= 0.0:
            return float("-inf")
        return float(20.0 * np.log10(self.max_output_peak))


def limit(audio: np.ndarray, sample_rate: int = 48000, **kwargs: float) -> np.ndarray:
    """Whole-array convenience around :class:`Limiter`."""
    x = np.asarray(audio)
    lim = Limiter(sample_rate, 1 if x.ndim == 1 else x.shape[1], **kwargs)
    out = np.concatenate([lim.process(x), lim.flush()])
    return out[:, 0] if x.ndim == 1 else out
