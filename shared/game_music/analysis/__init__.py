"""The analyse stage: scene cuts, motion and brightness from the video; game-audio loudness
and speech activity from the audio. Curves share one hop (:data:`HOP_S`) and have exactly
``ceil(duration / HOP_S)`` values.

:func:`analyse_tracks` (in :mod:`.stage`) is the stage the engine runs: the tracks stream
through the audio meters block by block while the video pass (:mod:`.video_pass`) reads the
picture in a process of its own (see :mod:`game_music._fork`), so the two overlap on a
multi-core machine. :func:`analyse_file` runs the same stage on a file, decoding its tracks.

Importing this package (or :mod:`.cuts`, :mod:`.video_pass`) stays light: the audio modules,
which need scipy.signal, load on first use, so a video pass can start before them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .cuts import VideoAnalysis, analyse_video
from .result import HOP_S, Analysis, Cut, crop_analysis, hop_count

if TYPE_CHECKING:
    from .energy import EnergyMeter, energy_curve
    from .speech import SpeechDetector, spans, speech_curve
    from .stage import analyse_file, analyse_tracks

_LAZY = {"EnergyMeter": "energy", "energy_curve": "energy",
         "SpeechDetector": "speech", "spans": "speech", "speech_curve": "speech",
         "analyse_file": "stage", "analyse_tracks": "stage"}


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
    "analyse_file",
    "analyse_tracks",
    "analyse_video",
    "crop_analysis",
    "energy_curve",
    "hop_count",
    "spans",
    "speech_curve",
]
