"""Game-audio loudness per hop: K-weighted (ITU-R BS.1770) power, smoothed, mapped to 0..1.

Works block by block (:class:`EnergyMeter`) so hours of audio need flat memory; the curve
itself is small (50 values per second).
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from ..media.audio import SAMPLE_RATE
from .result import HOP_S

FLOOR_LUFS = -60.0  # maps to 0: quieter than this is "silence" for the planner
TOP_LUFS = -10.0  # maps to 1: very loud game audio
SMOOTH_S = 0.4  # BS.1770 momentary-loudness window
_CHUNK = 5 * SAMPLE_RATE

# BS.1770-4 K-weighting at 48 kHz: high shelf (head) then high-pass (RLB), as biquads.
_K_WEIGHTING = np.array(
    [
        [1.53512485958697, -2.69169618940638, 1.19839281085285,
         1.0, -1.69065929318241, 0.73248077421585],
        [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621],
    ]
)  # fmt: skip


def fit_length(curve: np.ndarray, n: int, fill: float = 0.0) -> np.ndarray:
    """Trim or pad ``curve`` to ``n`` float32 values."""
    out = np.full(n, fill, dtype=np.float32)
    m = min(n, len(curve))
    out[:m] = curve[:m]
    return out


class EnergyMeter:
    """Feed 48 kHz ``(n, channels)`` float blocks in order; :meth:`curve` gives the result."""

    def __init__(self) -> None:
        self._hop = int(round(HOP_S * SAMPLE_RATE))
        self._zi: np.ndarray | None = None
        self._rest = np.zeros((1, 0), dtype=np.float32)  # (channels, samples) < one hop
        self._powers: list[np.ndarray] = []

    def feed(self, block: np.ndarray) -> None:
        # Chunks of a few seconds keep the temporaries small and cached.
        for i in range(0, len(block), _CHUNK):
            self._feed(block[i : i + _CHUNK])

    def _feed(self, block: np.ndarray) -> None:
        # Channels-first float32 rows filter about 4x faster than interleaved float64.
        x = np.asarray(block, dtype=np.float32)
        x = np.ascontiguousarray(x[None, :] if x.ndim == 1 else x.T)
        if self._zi is None:
            self._zi = np.zeros((_K_WEIGHTING.shape[0], x.shape[0], 2), dtype=np.float32)
            self._rest = np.zeros((x.shape[0], 0), dtype=np.float32)
        y, self._zi = signal.sosfilt(_K_WEIGHTING.astype(np.float32), x, axis=1, zi=self._zi)
        y = np.concatenate([self._rest, y], axis=1) if self._rest.shape[1] else y
        whole = y.shape[1] // self._hop * self._hop
        if whole:
            # BS.1770 sums the channels' mean squares (stereo weights are 1.0).
            hops = y[:, :whole].reshape(y.shape[0], -1, self._hop)
            power = np.einsum("chk,chk->h", hops, hops, dtype=np.float64) / self._hop
            self._powers.append(power)
        self._rest = y[:, whole:]

    def curve(self, n_hops: int) -> np.ndarray:
        """The 0..1 loudness curve with exactly ``n_hops`` values."""
        parts = list(self._powers)
        if self._rest.shape[1]:
            rest = self._rest.astype(np.float64)
            parts.append(np.square(rest).mean(axis=1).sum(keepdims=True))
        power = np.concatenate(parts) if parts else np.zeros(0)
        power = fit_length(power, n_hops)
        return loudness_to_unit(_smooth(power.astype(np.float64), SMOOTH_S))


def energy_curve(audio: np.ndarray | None, n_hops: int) -> np.ndarray:
    """Loudness curve of a whole 48 kHz ``(n, 2)`` array (zeros when there is no audio)."""
    if audio is None or not len(audio):
        return np.zeros(n_hops, dtype=np.float32)
    meter = EnergyMeter()
    meter.feed(audio)
    return meter.curve(n_hops)


def loudness_to_unit(power: np.ndarray) -> np.ndarray:
    """Mean-square K-weighted power -> LUFS -> 0..1 between FLOOR_LUFS and TOP_LUFS."""
    lufs = -0.691 + 10.0 * np.log10(np.maximum(power, 1e-12))
    return np.clip((lufs - FLOOR_LUFS) / (TOP_LUFS - FLOOR_LUFS), 0.0, 1.0).astype(np.float32)


def _smooth(x: np.ndarray, seconds: float) -> np.ndarray:
    """Centred moving average over ``seconds`` (edges use the available values)."""
    width = max(1, int(round(seconds / HOP_S)))
    if width <= 1 or len(x) < 2:
        return x
    kernel = np.ones(width)
    num = np.convolve(x, kernel, mode="same")
    den = np.convolve(np.ones_like(x), kernel, mode="same")
    return num / den
