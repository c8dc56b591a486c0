"""What the analysis stage hands to the planner: curves on a fixed hop, cuts, picture stats."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

HOP_S = 0.02  # 50 values per second: fine enough for ducking envelopes, small for 3-hour files


def hop_count(duration: float) -> int:
    """Values a curve has for ``duration`` seconds: ceil(duration / HOP_S), at least one."""
    return max(1, math.ceil(round(duration / HOP_S, 6)))


@dataclass(frozen=True)
class Cut:
    time: float  # seconds from the start of the video
    strength: float  # 0..1, how big a change of picture


@dataclass(frozen=True, eq=False)
class Analysis:
    duration: float  # seconds of video
    hop: float  # seconds per curve value
    energy: np.ndarray  # float32, game-audio loudness mapped to 0..1 (0 = silence)
    speech: np.ndarray  # float32, 0..1 probability that someone talks (smoothed VAD)
    motion: np.ndarray  # float32, 0..1 amount of picture change (from the bitstream)
    cuts: tuple[Cut, ...]
    brightness: float  # mean luma 0..1 of sampled frames
    has_audio: bool
    game_music_share: float = 0.0  # seconds of the game track holding music (.game_music)
    game_carries_music: bool = False

    def summary(self) -> dict[str, Any]:
        return {
            "duration_s": round(self.duration, 3),
            "cuts": [round(c.time, 2) for c in self.cuts if c.strength >= 0.5][:200],
            "cut_count": len(self.cuts),
            "mean_energy": round(float(self.energy.mean()) if self.energy.size else 0.0, 3),
            "speech_fraction": round(
                float((self.speech > 0.5).mean()) if self.speech.size else 0.0, 3
            ),
            "mean_motion": round(float(self.motion.mean()) if self.motion.size else 0.0, 3),
            "brightness": round(self.brightness, 3),
            "game_music_share": round(self.game_music_share, 3),
            "game_carries_music": self.game_carries_music,
        }


def crop_analysis(a: Analysis, start: float, end: float) -> Analysis:
    """The analysis of [start, end) with times relative to ``start``."""
    if start <= 0 and end >= a.duration:
        return a
    i0, i1 = int(round(start / a.hop)), int(math.ceil(end / a.hop))
    cuts = tuple(Cut(c.time - start, c.strength) for c in a.cuts if start < c.time < end)
    return dataclasses.replace(
        a, duration=end - start, energy=a.energy[i0:i1], speech=a.speech[i0:i1],
        motion=a.motion[i0:i1], cuts=cuts,
    )
