"""Time the analyse stage on one recording: audio decoding, video pass, audio curves, and the
stage as the engine runs it (the tracks streamed through the meters beside the video pass).

    python benchmarks/bench_analyse.py RECORDING.mkv

Prints wall and CPU seconds per step (CPU of this process only: the video pass of the whole
stage runs in a child), and the video pass as a ratio of a bare demux of the same file (the
floor for anything that reads the bitstream).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import av
import numpy as np

from game_music.analysis import (
    analyse_file,
    analyse_video,
    energy_curve,
    hop_count,
    speech_curve,
)
from game_music.media.audio import iter_audio_blocks, pick_streams
from game_music.media.probe import MediaInfo, probe


def timed(label: str, fn: Callable[[], Any]) -> tuple[Any, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<30} {wall:7.2f} s wall {cpu:7.2f} s cpu")
    return result, wall


def decode(info: MediaInfo, index: int | None) -> np.ndarray:
    """One whole track, decoded as the engine decodes it (10 s blocks)."""
    return np.concatenate(list(iter_audio_blocks(info, index, 10.0)))


def demux_only(path: str) -> int:
    with av.open(path) as container:
        return sum(p.size for p in container.demux(container.streams.video[0]))


def main(path: str) -> None:
    info, _ = timed("probe", lambda: probe(path))
    v = info.video
    print(f"{info.path.name}: {info.duration:.1f} s {v.width}x{v.height} {float(v.fps):.2f} fps "
          f"{v.codec}, {len(info.audio)} audio track(s), {info.size_bytes / 1e6:.0f} MB")
    n = hop_count(info.duration)
    game_idx, voice_idx = pick_streams(info)
    _, base = timed("baseline: demux only", lambda: demux_only(path))
    game, _ = timed("  decode (game)", lambda: decode(info, game_idx))
    voice = None
    if voice_idx is not None:
        voice, _ = timed("  decode (voice)", lambda: decode(info, voice_idx))
    video, t_video = timed("  video pass (cuts/motion)", lambda: analyse_video(info, n))
    timed("  energy", lambda: energy_curve(game, n))
    timed("  speech", lambda: speech_curve(voice if voice is not None else game, n))
    result, total = timed("analyse stage (video || audio)", lambda: analyse_file(info))
    print(f"analyse stage: {total:.2f} s = {info.duration / total:.0f}x real time")
    print(f"video pass / bare demux: {t_video / base:.2f}x")
    print(f"cuts: {[round(c.time, 2) for c in video.cuts]}")
    print(f"summary: {result.summary()}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
