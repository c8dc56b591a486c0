"""The analyse stage: scene cuts, motion and brightness from the video; game-audio loudness
and speech activity from the audio. Curves share one hop (:data:`HOP_S`) and have exactly
``ceil(duration / HOP_S)`` values.

The video pass (PyAV, mostly in C without the GIL) runs on a worker thread while the audio
curves are computed, so the two overlap on a multi-core machine.

Importing this package (or :mod:`.cuts`) stays light: the audio modules, which need
scipy.signal, load on first use, so a video pass can start before them.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from .._errors import Cancelled
from ..media.audio import SAMPLE_RATE, iter_audio_blocks, pick_streams
from ..media.probe import MediaInfo
from .cuts import VideoAnalysis, analyse_video
from .result import HOP_S, Analysis, Cut, empty_analysis, hop_count

if TYPE_CHECKING:
    from .energy import EnergyMeter, energy_curve
    from .speech import SpeechDetector, spans, speech_curve

_LAZY = {"EnergyMeter": "energy", "energy_curve": "energy",
         "SpeechDetector": "speech", "spans": "speech", "speech_curve": "speech"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "HOP_S",
    "Analysis",
    "Cut",
    "EnergyMeter",
    "SpeechDetector",
    "VideoAnalysis",
    "analyse",
    "analyse_file",
    "analyse_video",
    "empty_analysis",
    "energy_curve",
    "hop_count",
    "spans",
    "speech_curve",
]

ProgressCallback = Callable[[float], None]

# Rough shares of the stage's wall time, for progress.
_VIDEO, _AUDIO = 0.6, 0.4


def analyse(
    info: MediaInfo,
    game_audio: np.ndarray | None,
    voice_audio: np.ndarray | None,
    progress: ProgressCallback | None = None,
    *,
    audio_start: float = 0.0,
) -> Analysis:
    """Analyse a probed input whose audio is already decoded (48 kHz ``(n, 2)`` float32).

    ``game_audio`` is the game/mix track, ``voice_audio`` a separate microphone track when the
    recording has one (see :func:`game_music.media.audio.pick_streams`). Speech is detected on
    the voice track when there is one, else on the mix. ``audio_start`` says at which second
    of the video the arrays begin (a range decoded with ``decode_audio(start=...)``); the
    curves always cover the whole video, zero where no audio was given.
    ``progress(fraction)`` reports 0..1.
    """
    from .energy import energy_curve
    from .speech import speech_curve

    n = hop_count(info.duration)
    offset = max(0, int(round(audio_start / HOP_S)))
    report = _Progress(progress)
    audio_part = report.part("audio", _AUDIO)
    with ThreadPoolExecutor(1, thread_name_prefix="analyse-video") as pool:
        video = pool.submit(analyse_video, info, n, report.part("video", _VIDEO))
        try:
            energy = _place(energy_curve, game_audio, offset, n)
            audio_part(0.3)
            speech_source = voice_audio if voice_audio is not None else game_audio
            speech = _place(speech_curve, speech_source, offset, n)
            audio_part(1.0)
            result = video.result()
        except (KeyboardInterrupt, Cancelled):
            report.cancel()  # the video thread stops at its next progress report
            raise Cancelled("interrupted") from None
    report.done()
    has_audio = bool(info.audio) and (game_audio is not None or voice_audio is not None)
    return _assemble(info, n, energy, speech, result, has_audio)


def analyse_file(
    info: MediaInfo,
    progress: ProgressCallback | None = None,
    block_seconds: float = 30.0,
) -> Analysis:
    """Like :func:`analyse`, decoding the audio itself block by block: flat memory for inputs
    of any length (a 3-hour stream needs a few MB, not 4 GB of PCM)."""
    from .energy import EnergyMeter
    from .speech import SpeechDetector

    n = hop_count(info.duration)
    game_idx, voice_idx = pick_streams(info)
    report = _Progress(progress)
    audio_part = report.part("audio", _AUDIO)
    with ThreadPoolExecutor(1, thread_name_prefix="analyse-video") as pool:
        video = pool.submit(analyse_video, info, n, report.part("video", _VIDEO))
        try:
            energy = np.zeros(n, dtype=np.float32)
            speech = np.zeros(n, dtype=np.float32)
            if game_idx is not None:
                meter, detector = EnergyMeter(), SpeechDetector()
                voice = SpeechDetector() if voice_idx is not None else None
                passes = 2 if voice is not None else 1
                total = max(1, int(np.ceil(info.duration / block_seconds)))
                for i, block in enumerate(iter_audio_blocks(info, game_idx, block_seconds)):
                    meter.feed(block)
                    if voice is None:
                        detector.feed(block)
                    audio_part((i + 1) / total / passes)
                if voice is not None:
                    for i, block in enumerate(iter_audio_blocks(info, voice_idx, block_seconds)):
                        voice.feed(block)
                        audio_part((total + i + 1) / total / passes)
                energy = meter.curve(n)
                speech = (voice or detector).curve(n)
            audio_part(1.0)
            result = video.result()
        except (KeyboardInterrupt, Cancelled):
            report.cancel()
            raise Cancelled("interrupted") from None
    report.done()
    return _assemble(info, n, energy, speech, result, game_idx is not None)


def _place(
    curve: Callable[[np.ndarray | None, int], np.ndarray], audio: np.ndarray | None,
    offset: int, n: int,
) -> np.ndarray:
    """The curve of ``audio`` placed ``offset`` hops into an ``n``-value curve."""
    out = np.zeros(n, dtype=np.float32)
    if audio is None or offset >= n:
        return out
    own = hop_count(len(audio) / SAMPLE_RATE) if len(audio) else 0
    values = curve(audio, own)[: n - offset] if own else out[:0]
    out[offset : offset + len(values)] = values
    return out


def _assemble(
    info: MediaInfo, n: int, energy: np.ndarray, speech: np.ndarray, video: VideoAnalysis,
    has_audio: bool,
) -> Analysis:
    cuts = tuple(c for c in video.cuts if 0.0 < c.time < info.duration)
    return Analysis(
        duration=info.duration, hop=HOP_S, energy=energy, speech=speech, motion=video.motion,
        cuts=cuts, brightness=video.brightness, has_audio=has_audio,
    )  # fmt: skip


class _Progress:
    """Sums weighted part fractions reported from several threads; never goes backwards."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = callback
        self._parts: dict[str, float] = {}
        self._weights: dict[str, float] = {}
        self._sent = 0.0
        self._lock = threading.Lock()
        self._cancelled = threading.Event()

    def part(self, name: str, weight: float) -> ProgressCallback:
        self._weights[name] = weight
        self._parts.setdefault(name, 0.0)

        def report(fraction: float) -> None:
            if self._cancelled.is_set():
                raise Cancelled("interrupted")
            with self._lock:
                self._parts[name] = max(self._parts[name], min(1.0, max(0.0, fraction)))
                total = sum(self._weights[k] * v for k, v in self._parts.items())
                total = min(1.0, total / (sum(self._weights.values()) or 1.0))
                if total > self._sent and self._callback:
                    self._sent = total
                    self._callback(total)

        return report

    def cancel(self) -> None:
        self._cancelled.set()

    def done(self) -> None:
        with self._lock:
            if self._callback and self._sent < 1.0:
                self._sent = 1.0
                self._callback(1.0)
