"""Does the game track carry music of its own? A music/no-music estimate.

Music holds tones: spectral peaks that stay on one frequency for a few hundred ms (notes,
chords, pads). Game sound effects (gunfire, explosions, footsteps, monsters) are broadband or
glide; a voice glides too. So, on 16 kHz mono in 64 ms frames (32 ms apart): a frame's tonal
peaks (8 dB above the spectrum around them, 80 Hz-5 kHz) count when a peak within one bin is
present in every frame of a ``RUN``-frame stretch around it. A second of audio holds music when
it averages ``MIN_TONES`` such peaks per frame, and the track carries music when at least
``MUSIC_SHARE`` of its seconds (outside speech) do. On the captured Freedoom fixtures: 34 % of
the seconds with the game's OPL music, 0 % with effects only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal
from scipy.ndimage import maximum_filter1d, uniform_filter1d

from .decimate import VAD_RATE, Decimator

NFFT = 1024
HOP = 512
FRAME_S = HOP / VAD_RATE
RUN = 8  # frames (~0.26 s) a tone must hold
PEAK_DB = 8.0
MIN_TONES = 2.0
MUSIC_SHARE = 0.15
_WINDOW = signal.get_window("hann", NFFT).astype(np.float32)
_FREQS = np.fft.rfftfreq(NFFT, 1 / VAD_RATE)
_BAND = (_FREQS > 80) & (_FREQS < 5000)


@dataclass(frozen=True)
class GameMusicEstimate:
    share: float  # fraction of the seconds (outside speech) that hold music
    carries_music: bool

    def summary(self) -> dict[str, float | bool]:
        return {"game_music_share": round(self.share, 3), "game_carries_music": self.carries_music}


NO_MUSIC = GameMusicEstimate(0.0, False)


class GameMusicMeter:
    """Feed 48 kHz ``(n, channels)`` blocks in order; :meth:`estimate` gives the result."""

    def __init__(self) -> None:
        self._decimate = Decimator()
        self._pending = np.zeros(0, np.float32)
        self._tail = np.zeros((int(_BAND.sum()), 0), bool)  # peaks kept as context
        self._judged = 0  # leading tail frames already counted
        self._counts: list[np.ndarray] = []

    def feed(self, block: np.ndarray) -> None:
        x = np.concatenate([self._pending, self._decimate(block)])
        n = max(0, (len(x) - NFFT) // HOP + 1)
        if n:
            frames = np.lib.stride_tricks.sliding_window_view(x, NFFT)[::HOP][:n]
            self._judge(_peaks(frames * _WINDOW), final=False)
        self._pending = x[n * HOP :]

    def _judge(self, peaks: np.ndarray, *, final: bool) -> None:
        # A frame is judged once the RUN - 1 frames either side of it are known; the tail
        # keeps that context from one block to the next.
        buf = np.concatenate([self._tail, peaks], axis=1)
        counts = _held_counts(buf)
        upto = buf.shape[1] if final else max(self._judged, buf.shape[1] - (RUN - 1))
        self._counts.append(counts[self._judged : upto])
        start = max(0, upto - (RUN - 1))
        self._tail, self._judged = buf[:, start:], upto - start

    def estimate(self, speech: np.ndarray | None = None, hop: float = 0.02) -> GameMusicEstimate:
        """The estimate; ``speech`` (a curve on ``hop``) marks seconds to leave out."""
        self._judge(np.zeros((self._tail.shape[0], 0), bool), final=True)
        counts = np.concatenate(self._counts) if self._counts else np.zeros(0)
        per_s = int(round(1.0 / FRAME_S))
        if len(counts) < per_s:
            return NO_MUSIC
        tones = uniform_filter1d(counts.astype(np.float64), per_s)
        keep = np.ones(len(counts), bool)
        if speech is not None and len(speech):
            idx = np.minimum((np.arange(len(counts)) * FRAME_S / hop).astype(int), len(speech) - 1)
            keep = np.asarray(speech)[idx] <= 0.5
        if not keep.any():
            return NO_MUSIC
        share = float((tones[keep] >= MIN_TONES).mean())
        return GameMusicEstimate(share, share >= MUSIC_SHARE)


def _held_counts(peaks: np.ndarray) -> np.ndarray:
    """Per frame, how many of its peaks belong to a tone held (within one bin) through some
    RUN consecutive frames."""
    near = maximum_filter1d(peaks.astype(np.uint8), 3, axis=0).astype(np.int32)
    n = near.shape[1]
    if n < RUN:
        return np.zeros(n, np.int64)
    c = np.concatenate([np.zeros((len(near), 1), np.int32), np.cumsum(near, axis=1)], axis=1)
    held = (c[:, RUN:] - c[:, :-RUN]) == RUN  # held[:, k]: frames k..k+RUN-1 all near a peak
    h = np.concatenate([np.zeros((len(near), 1), np.int32), np.cumsum(held, axis=1)], axis=1)
    k = np.arange(n)
    lo, hi = np.clip(k - RUN + 1, 0, held.shape[1]), np.clip(k + 1, 0, held.shape[1])
    stay = (h[:, hi] - h[:, lo]) > 0  # some held window covers frame k
    return (stay & peaks).sum(axis=0)


def _peaks(frames: np.ndarray) -> np.ndarray:
    """Tonal peaks per frame: (band bins, frames) bool."""
    spec = np.abs(np.fft.rfft(frames, axis=1))[:, _BAND].T
    level = 20 * np.log10(spec + 1e-9)
    local = level == maximum_filter1d(level, 5, axis=0)
    above = level > uniform_filter1d(level, 31, axis=0) + PEAK_DB
    audible = level > level.max(axis=0, keepdims=True) - 60
    return local & above & audible
