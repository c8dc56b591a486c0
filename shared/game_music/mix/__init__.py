"""Mixing and mastering: levels, voice ducking, fades, loudness, true-peak limiting.

In-process numpy/scipy (no ffmpeg ``amix``): every stage also runs block by block for long
recordings, with the same result as one whole-file call.
"""

from .duck import DuckTiming, speech_envelope
from .levels import LevelMeter, Levels, measure_levels
from .limiter import Limiter, TruePeakMeter, limit, true_peak_db
from .loudness import LoudnessMeter, integrated_loudness
from .master import (
    CEILING_DBTP,
    MAX_GAIN_DB,
    TARGET_LUFS,
    MasterReport,
    apply_master,
    ceiling_for,
    gain_for,
    master,
    master_blocks,
)
from .mixer import MixBlock, Mixer, MixPlan, MixResult, mix_tracks, plan_mix, resolve_span

__all__ = [
    "CEILING_DBTP",
    "MAX_GAIN_DB",
    "TARGET_LUFS",
    "DuckTiming",
    "LevelMeter",
    "Levels",
    "Limiter",
    "LoudnessMeter",
    "MasterReport",
    "MixBlock",
    "MixPlan",
    "MixResult",
    "Mixer",
    "TruePeakMeter",
    "apply_master",
    "ceiling_for",
    "gain_for",
    "integrated_loudness",
    "limit",
    "master",
    "master_blocks",
    "measure_levels",
    "mix_tracks",
    "plan_mix",
    "resolve_span",
    "speech_envelope",
    "true_peak_db",
]
