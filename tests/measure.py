"""Independent measurements of outputs with ffmpeg (not the engine's own meters)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np

from game_music.media.ffmpeg import ffmpeg_exe


def loudness(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of the first audio stream, by ffmpeg's ebur128."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0",
         "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )
    summary = proc.stderr[proc.stderr.rfind("Summary:"):]
    integrated = float(re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))  # type: ignore[union-attr]
    return integrated, peak


def decode_audio(path: Path, stream: str = "0:a:0", sr: int = 48000) -> np.ndarray:
    """Float32 (n, 2) PCM of one audio stream, decoded by ffmpeg."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(path), "-map", stream,
         "-f", "f32le", "-ac", "2", "-ar", str(sr), "-"],
        capture_output=True, check=True,
    )
    return np.frombuffer(proc.stdout, dtype=np.float32).reshape(-1, 2)
