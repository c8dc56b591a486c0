"""Auto style: pick a style from the video and the mood words when the request names none.

The video is reduced to a few signals in 0..1; each style scores the weighted sum of the
signals in its row of :data:`VIDEO_WEIGHTS`, plus the bonus the mood word gives it in
:data:`MOOD_BONUS`. The best implemented style wins (ties go to the earlier style in
``request.STYLES``), so the choice is deterministic and a new style only needs a row here.

=========  ==========================================================================
signal     what it measures
=========  ==========================================================================
pace       strong scene cuts per minute, 15/min and more = 1
energy     mean game-audio loudness
swing      how much that loudness moves (std of 2 s means; 0.2 = 1): fights and lulls
motion     mean picture change
calm       the opposite of busy (busy = 0.6 energy + 0.4 motion, 0.5 = fully busy)
bright     mean luma, 0.3 -> 0, 0.7 -> 1
dark       1 - bright
talk       share of the video with someone talking
=========  ==========================================================================

Rules in words: fast cuts and loud, varied action -> rock or edm; calm, low motion -> ambient
or lofi (lofi when someone talks a lot); bright and lively -> chiptune / gameboy / fm16; dark
-> synthwave or orchestral; mood words add their weight (heroic/triumphant -> orchestral,
tense -> rock/edm, playful -> chiptune/gameboy, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from ..analysis.result import Analysis
from ..request import STYLES
from .styles import STYLE_INFO

_STRONG_CUT = 0.5

# style -> {signal: weight}. Rows sum to about the same total so no style wins by having more.
VIDEO_WEIGHTS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "rock": {"pace": 0.9, "energy": 0.9, "swing": 0.5, "dark": 0.2},
        "edm": {"pace": 1.1, "motion": 0.8, "energy": 0.5, "bright": 0.1},
        "orchestral": {"swing": 0.9, "energy": 0.5, "dark": 0.5, "calm": 0.2},
        "synthwave": {"dark": 0.9, "motion": 0.5, "energy": 0.3, "pace": 0.2},
        "ambient": {"calm": 1.2, "dark": 0.4, "talk": 0.2},
        "lofi": {"calm": 0.9, "talk": 0.7, "bright": 0.2},
        "chiptune": {"bright": 0.8, "motion": 0.5, "pace": 0.3, "energy": 0.2},
        "gameboy": {"bright": 0.9, "calm": 0.5, "talk": 0.2},
        "fm16": {"bright": 0.6, "energy": 0.5, "pace": 0.4, "swing": 0.2},
    }
)
# mood word -> {style: bonus}. A mood word outweighs a mild video preference, not a strong one.
MOOD_BONUS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "heroic": {"orchestral": 0.9, "rock": 0.4, "fm16": 0.3},
        "triumphant": {"orchestral": 0.9, "fm16": 0.4, "edm": 0.2},
        "tense": {"rock": 0.7, "edm": 0.6, "orchestral": 0.3, "synthwave": 0.2},
        "dark": {"synthwave": 0.7, "orchestral": 0.6, "ambient": 0.3},
        "calm": {"ambient": 0.7, "lofi": 0.7, "gameboy": 0.2},
        "sad": {"lofi": 0.6, "ambient": 0.6, "orchestral": 0.3},
        "mysterious": {"ambient": 0.8, "synthwave": 0.4, "orchestral": 0.2},
        "happy": {"chiptune": 0.6, "gameboy": 0.5, "fm16": 0.5},
        "playful": {"chiptune": 0.8, "gameboy": 0.7, "fm16": 0.3},
    }
)
# How a signal is said in a reason (its value, then the measurement behind it).
_SAY = {
    "pace": "fast cuts ({cpm:.0f}/min)",
    "energy": "loud game audio ({energy:.2f})",
    "swing": "action that comes and goes (energy swing {swing:.2f})",
    "motion": "lots of motion ({motion:.2f})",
    "calm": "calm video (activity {busy:.2f})",
    "bright": "bright picture (luma {luma:.2f})",
    "dark": "dark picture (luma {luma:.2f})",
    "talk": "much talking ({talk:.0%} of the time)",
}


def _nan_mean(x: np.ndarray) -> float:
    return float(np.nan_to_num(x, nan=0.0).mean()) if x.size else 0.0


def video_signals(a: Analysis) -> tuple[dict[str, float], dict[str, float]]:
    """The 0..1 signals of :data:`VIDEO_WEIGHTS` and the raw measurements they come from."""
    minutes = max(a.duration, 1.0) / 60.0
    cpm = sum(1 for c in a.cuts if c.strength >= _STRONG_CUT) / minutes
    energy = _nan_mean(a.energy) if a.has_audio else _nan_mean(a.motion)
    motion = _nan_mean(a.motion)
    step = max(1, int(round(2.0 / a.hop)))
    e = np.nan_to_num(a.energy, nan=0.0)
    blocks = e[: e.size // step * step].reshape(-1, step).mean(axis=1) if e.size >= step else e
    swing = float(blocks.std()) if a.has_audio and blocks.size > 1 else 0.0
    busy = 0.6 * energy + 0.4 * motion
    luma = float(a.brightness) if np.isfinite(a.brightness) else 0.5
    talk = float((np.nan_to_num(a.speech, nan=0.0) > 0.5).mean()) if a.speech.size else 0.0
    bright = float(np.clip((luma - 0.3) / 0.4, 0.0, 1.0))
    signals = {
        "pace": float(np.clip(cpm / 15.0, 0.0, 1.0)),
        "energy": float(np.clip(energy, 0.0, 1.0)),
        "swing": float(np.clip(swing / 0.2, 0.0, 1.0)),
        "motion": float(np.clip(motion, 0.0, 1.0)),
        "calm": float(np.clip(1.0 - busy / 0.5, 0.0, 1.0)),
        "bright": bright,
        "dark": 1.0 - bright,
        "talk": float(np.clip(talk, 0.0, 1.0)),
    }
    raw = {
        "cpm": cpm, "energy": energy, "swing": swing, "motion": motion, "busy": busy,
        "luma": luma, "talk": talk,
    }
    return signals, raw


def implemented_styles() -> tuple[str, ...]:
    return tuple(s for s in STYLES if STYLE_INFO.get(s, {}).get("implemented"))


def style_scores(a: Analysis, mood: str | None) -> dict[str, float]:
    """Score of every style in :data:`VIDEO_WEIGHTS` (implemented or not), for inspection."""
    signals, _ = video_signals(a)
    bonus = MOOD_BONUS.get(mood or "", {})
    return {
        style: sum(w * signals[k] for k, w in row.items()) + bonus.get(style, 0.0)
        for style, row in VIDEO_WEIGHTS.items()
    }


def choose_style(a: Analysis, mood: str | None = None) -> tuple[str, tuple[str, ...]]:
    """The style to play and the reasons, strongest first (for the job summary)."""
    candidates = implemented_styles() or ("chiptune",)
    scores = style_scores(a, mood)
    style = max(candidates, key=lambda s: (round(scores.get(s, 0.0), 9), -STYLES.index(s)))
    signals, raw = video_signals(a)
    parts = [(w * signals[k], k) for k, w in VIDEO_WEIGHTS.get(style, {}).items()]
    reasons = [
        _SAY[k].format(**raw) for c, k in sorted(parts, key=lambda p: -p[0]) if c >= 0.15
    ][:3]
    if mood and MOOD_BONUS.get(mood, {}).get(style):
        reasons.insert(0, f"mood '{mood}'")
    if len(candidates) < len(STYLES):
        reasons.append(f"best of the {len(candidates)} available styles")
    return style, tuple(reasons) or ("default style",)
