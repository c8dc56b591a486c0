"""Mastering: two-pass loudness normalisation to -14 LUFS plus a true-peak limiter.

Pass 1 measures integrated loudness and true peak. When the gain would push peaks over the
ceiling, a dry run through the limiter measures how much loudness limiting costs, and the gain
is corrected for it. The last pass applies one constant gain and the limiter: no loudness AGC
(ffmpeg's single-pass/dynamic ``loudnorm`` pumps on music), no resampling.

The ceiling defaults to -2 dBTP on the PCM master so that the AAC encode, which overshoots by
a few tenths of a dB on ordinary material (more on hard transients), still ends at or below
-1 dBTP; :func:`game_music.media.mux.mux_pcm` measures the encoded track, and the engine
renders once more with a lower ceiling when it still overshoots.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from .limiter import Limiter, TruePeakMeter
from .loudness import LoudnessMeter

TARGET_LUFS = -14.0
CEILING_DBTP = -2.0
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
