"""Plan a mix that reaches the loudness target without raising the game audio.

Mastering applies one gain to the whole mix. When the game track is quieter than the target
(a quiet game, or a track of hiss), a positive master gain would lift the game's own noise
with the music, so mastering only ever turns the mix down, and the music alone is raised
(``lift_db``, the bed only: the music under speech keeps its depth under the voice) until the
predicted mix reaches the target. The prediction comes from the tracks' measured energies
(:meth:`.mixer.Mixer.predicted_lufs`), so this costs no pass over the audio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .master import TARGET_LUFS
from .mixer import Mixer, MixPlan, plan_mix

MAX_LIFT_DB = 40.0  # near-silent music is not blown up into noise either
_TOLERANCE_LU = 0.1
_STEPS = 8


@dataclass(frozen=True, eq=False)
class FittedMix:
    plan: MixPlan
    predicted_lufs: float  # of the mix before the master gain
    master_gain_db: float  # never above 0 dB: the game audio is never raised

    @property
    def lift_db(self) -> float:
        return float(self.plan.info.get("music_lift_db", 0.0))


def plan_to_target(
    energies: tuple[np.ndarray, np.ndarray | None, np.ndarray | None],
    sub_seconds: float,
    *plan_args: Any,
    target_lufs: float = TARGET_LUFS,
    lift_db: float = 0.0,
    **plan_kwargs: Any,
) -> FittedMix:
    """:func:`.mixer.plan_mix` (``plan_args``/``plan_kwargs``) with the bed lifted, from
    ``lift_db`` up, until the predicted mix reaches ``target_lufs``; ``energies`` are the
    music, game and voice K-weighted energies per sub-block
    (:meth:`.levels.LevelMeter.sub_energies`)."""
    lift = max(0.0, lift_db)
    for _ in range(_STEPS):
        plan = plan_mix(*plan_args, lift_db=lift, **plan_kwargs)
        predicted = Mixer(plan).predicted_lufs(*energies, sub_seconds)
        short = target_lufs - predicted if math.isfinite(predicted) else math.inf
        if short <= _TOLERANCE_LU or not _music_plays(plan) or lift >= MAX_LIFT_DB:
            break
        # The game shares the mix's energy, so a lift raises the mix by less than itself:
        # stepping by the shortfall approaches the target from below.
        lift = min(MAX_LIFT_DB, lift + (short if math.isfinite(short) else MAX_LIFT_DB))
    gain = min(0.0, target_lufs - predicted) if math.isfinite(predicted) else 0.0
    return FittedMix(plan=plan, predicted_lufs=predicted, master_gain_db=gain)


def _music_plays(plan: MixPlan) -> bool:
    return bool(np.isfinite(plan.music_gain_db).any()) and math.isfinite(plan.bed_lufs) \
        and math.isfinite(plan.levels.music_lufs)
