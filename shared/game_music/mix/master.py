"""Mastering: two-pass loudness normalisation to -14 LUFS plus a true-peak limiter.

Pass 1 measures integrated loudness and true peak. When the gain would push peaks over the
ceiling, a dry run through the limiter measures how much loudness limiting costs, and the gain
is corrected for it. The last pass applies one constant gain and the limiter: no loudness AGC
(ffmpeg's single-pass/dynamic ``loudnorm`` pumps on music), no resampling.

The shipped track's true peak is guaranteed, for most styles without decoding the AAC again:
the limiter's output never exceeds the ceiling (its peaks are found 4x oversampled), and the
AAC encode adds at most :data:`AAC_OVERSHOOT_DB` on top (its quantisation noise), so the
ceiling (:func:`ceiling_for` the style, -2.3 dBTP) sits that far, plus a margin, under the
-1 dBTP the output promises. Pulse-wave styles overshoot without a usable bound: their
ceiling stays at -2 dBTP and the encoded track is measured (and re-rendered if need be).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from .limiter import Limiter, TruePeakMeter
from .loudness import LoudnessMeter

TARGET_LUFS = -14.0
CEILING_DBTP = -2.0  # when the shipped track is measured (see ceiling_for)
#: How far the decoded AAC's true peak can land above the PCM's it was encoded from (the
#: native encoder at 192 kb/s, as :mod:`game_music.media.aac` runs it): its quantisation
#: noise riding on the peaks. Measured with benchmarks/true_peak_overshoot.py on 162 renders
#: (every style, 3 seeds, loud and quiet music, with game audio and voice, game audio only,
#: no audio) at a -2 dBTP ceiling, and on 84 more (7 styles, 6 seeds, loud and quiet, game
#: audio and voice): median 0.11 dB, 90th percentile 0.54; at most 0.93 (fm16) for every
#: style but those in UNBOUNDED_STYLES.
AAC_OVERSHOOT_DB = 1.0
#: Styles built on pulse waves: the AAC's 15 kHz band limit takes their upper harmonics off
#: (Gibbs overshoot). Gameboy: up to 2.0 dB at a -2 dBTP ceiling and 3.1 dB at -3.3 (more
#: limiting, more edges at the ceiling). Chiptune (NES-like pulses): 5 of 48 renders over
#: 1.0 dB, up to 1.33 (and a take at 1.5 dB). No bound holds: their encoded track is measured.
UNBOUNDED_STYLES = frozenset({"gameboy", "chiptune"})
MAX_TRUE_PEAK_DBTP = -1.0  # what the output promises (the design's Contract 4)
_MARGIN_DB = 0.3  # beyond the largest overshoot seen


def aac_overshoot_db(style: str | None) -> float | None:
    """The AAC overshoot bound for ``style``; None when the encoded track must be measured."""
    return None if style is None or style in UNBOUNDED_STYLES else AAC_OVERSHOOT_DB


def ceiling_for(style: str | None) -> float:
    """The limiter ceiling (dBTP) for ``style``: the bound plus a margin under -1 dBTP, or
    CEILING_DBTP when the encoded track is measured (and rendered again if it overshot)."""
    bound = aac_overshoot_db(style)
    return CEILING_DBTP if bound is None else MAX_TRUE_PEAK_DBTP - bound - _MARGIN_DB


MAX_GAIN_DB = 40.0  # near-silence is not blown up into noise
_TOLERANCE_LU = 0.1
_CORRECTIONS = 4

Blocks = Callable[[], Iterable[np.ndarray]]


@dataclass(frozen=True)
class MasterReport:
    input_lufs: float
    input_true_peak_dbtp: float
    gain_db: float
    output_lufs: float
    true_peak_dbtp: float
    max_limiting_db: float
    target_lufs: float = TARGET_LUFS
    ceiling_dbtp: float = CEILING_DBTP


def master(
    mix: np.ndarray,
    sample_rate: int = 48000,
    *,
    target_lufs: float = TARGET_LUFS,
    ceiling_dbtp: float = CEILING_DBTP,
) -> tuple[np.ndarray, MasterReport]:
    """Normalise a whole ``(n, channels)`` array; returns float32 audio and the report."""
    x = np.asarray(mix, np.float32)
    if x.ndim == 1:
        x = x[:, None]
    parts: list[np.ndarray] = []
    report = master_blocks(
        lambda: (x,), parts.append, sample_rate, channels=x.shape[1],
        target_lufs=target_lufs, ceiling_dbtp=ceiling_dbtp,
    )
    out = np.concatenate(parts) if parts else np.zeros_like(x)
    return out.astype(np.float32).reshape(np.asarray(mix).shape), report


def master_blocks(
    blocks: Blocks,
    write: Callable[[np.ndarray], None],
    sample_rate: int = 48000,
    *,
    channels: int = 2,
    target_lufs: float = TARGET_LUFS,
    ceiling_dbtp: float = CEILING_DBTP,
    progress: Callable[[float], None] | None = None,
    measured: tuple[float, float] | None = None,
) -> MasterReport:
    """Streaming mastering. ``blocks()`` must return a fresh iterable over the same audio each
    time it is called (it is read two or three times); ``write`` receives the mastered audio
    (float64 blocks, together exactly as long as the input). ``measured`` = (integrated LUFS,
    true peak dBTP) of the input when the caller already metered it (saves a pass)."""
    if measured is None:
        meter = LoudnessMeter(sample_rate, channels)
        peaks = TruePeakMeter(channels)
        for block in blocks():
            meter.add(block)
            peaks.add(block)
        measured = (meter.integrated(), peaks.peak_db)
    input_lufs, input_peak = measured
    if progress:
        progress(0.3)
    gain_db = gain_for(input_lufs, target_lufs)
    if math.isfinite(input_lufs):
        # Only a limiter that will act changes the loudness: check it with dry runs.
        for _ in range(_CORRECTIONS):
            if input_peak + gain_db <= ceiling_dbtp:
                break
            measured = _run(blocks, gain_db, sample_rate, channels, ceiling_dbtp, None).output_lufs
            if not math.isfinite(measured) or abs(measured - target_lufs) <= _TOLERANCE_LU:
                break
            gain_db = min(MAX_GAIN_DB, gain_db + (target_lufs - measured))
    if progress:
        progress(0.6)
    result = _run(blocks, gain_db, sample_rate, channels, ceiling_dbtp, write)
    if progress:
        progress(1.0)
    return MasterReport(
        input_lufs=input_lufs,
        input_true_peak_dbtp=input_peak,
        gain_db=gain_db,
        output_lufs=result.output_lufs,
        true_peak_dbtp=result.true_peak_dbtp,
        max_limiting_db=result.max_limiting_db,
        target_lufs=target_lufs,
        ceiling_dbtp=ceiling_dbtp,
    )


def gain_for(input_lufs: float, target_lufs: float = TARGET_LUFS) -> float:
    """The constant gain (dB) that takes ``input_lufs`` to the target; none for silence."""
    if not math.isfinite(input_lufs):
        return 0.0
    return min(MAX_GAIN_DB, target_lufs - input_lufs)


def apply_master(
    blocks: Iterable[np.ndarray],
    write: Callable[[np.ndarray], None],
    gain_db: float,
    *,
    sample_rate: int = 48000,
    channels: int = 2,
    ceiling_dbtp: float = CEILING_DBTP,
) -> Limiter:
    """Gain and true-peak limiter over ``blocks``; ``write`` gets float32 blocks, together
    exactly as long as the input. Returns the flushed limiter (its largest reduction and the
    largest input peak it saw)."""
    gain = np.float32(10.0 ** (gain_db / 20.0))
    limiter = Limiter(sample_rate, channels, ceiling_db=ceiling_dbtp)
    for block in blocks:
        b = np.asarray(block, np.float32)
        out = limiter.process((b if b.ndim == 2 else b[:, None]) * gain)
        if len(out):
            write(out)
    out = limiter.flush()
    if len(out):
        write(out)
    return limiter


@dataclass(frozen=True)
class _Pass:
    output_lufs: float
    true_peak_dbtp: float
    max_limiting_db: float


def _run(
    blocks: Blocks,
    gain_db: float,
    sample_rate: int,
    channels: int,
    ceiling_dbtp: float,
    write: Callable[[np.ndarray], None] | None,
) -> _Pass:
    meter = LoudnessMeter(sample_rate, channels)
    peaks = TruePeakMeter(channels) if write else None

    def emit(out: np.ndarray) -> None:
        meter.add(out)
        if peaks is not None:
            peaks.add(out)
        if write is not None:
            write(out)

    limiter = apply_master(blocks(), emit, gain_db, sample_rate=sample_rate,
                           channels=channels, ceiling_dbtp=ceiling_dbtp)
    return _Pass(
        output_lufs=meter.integrated(),
        true_peak_dbtp=peaks.peak_db if peaks is not None else float("nan"),
        max_limiting_db=limiter.max_reduction_db,
    )
