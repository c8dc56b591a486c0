"""Cost of the speech detector per 10 minutes of audio.

    python benchmarks/bench_speech.py [RECORDING]

Takes the game track of RECORDING (default: the Freedoom fixture with its music), repeats it
to 10 minutes and times, in this process on the same audio: the speech detector (Silero VAD
with its 48 -> 16 kHz decimation and smoothing), and as baselines the game-audio energy curve
(the cheapest audio curve of the analysis) and, when ``webrtcvad`` is importable, the bare
WebRTC VAD on the same 16 kHz audio (the detector before Silero, without its guards).
Prints wall and CPU seconds per 10 minutes, times real time, and the speech fraction found.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy import signal

from game_music.analysis import EnergyMeter, SpeechDetector, hop_count
from game_music.media.audio import SAMPLE_RATE, iter_audio_blocks
from game_music.media.probe import probe

TEN_MINUTES = 600.0
DEFAULT = Path(__file__).parent.parent / "tests" / "data" / "gameplay" / "doom_music.mp4"


def timed(label: str, fn: Callable[[], Any]) -> tuple[Any, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<34} {wall:6.2f} s wall {cpu:6.2f} s cpu  {TEN_MINUTES / wall:6.0f}x real time")
    return result, wall


def feed(meter: Any, audio: np.ndarray, n: int) -> np.ndarray:
    for i in range(0, len(audio), 10 * SAMPLE_RATE):  # the engine's 10 s blocks
        meter.feed(audio[i : i + 10 * SAMPLE_RATE])
    return meter.curve(n)


def webrtc(audio: np.ndarray) -> float:
    import webrtcvad

    vad = webrtcvad.Vad(2)
    mono = signal.resample_poly(audio.mean(axis=1), 1, 3)
    pcm = (np.clip(mono, -1, 1) * 32767).astype("<i2")
    frames = pcm[: len(pcm) // 320 * 320].reshape(-1, 320)
    return float(np.mean([vad.is_speech(f.tobytes(), 16000) for f in frames]))


def main(path: Path) -> None:
    info = probe(path)
    game = np.concatenate(list(iter_audio_blocks(info, info.audio[0].index)))
    reps = int(np.ceil(TEN_MINUTES * SAMPLE_RATE / len(game)))
    audio = np.tile(game, (reps, 1))[: int(TEN_MINUTES * SAMPLE_RATE)]
    n = hop_count(TEN_MINUTES)
    print(f"{path.name}: game track repeated to {TEN_MINUTES:.0f} s")
    timed("baseline: energy curve", lambda: feed(EnergyMeter(), audio, n))
    try:
        fraction, _ = timed("baseline: bare WebRTC VAD", lambda: webrtc(audio))
        print(f"{'':<34} WebRTC frames called speech: {fraction:.1%}")
    except ImportError:
        print("baseline: bare WebRTC VAD           (webrtcvad not installed)")
    curve, _ = timed("speech detector (Silero VAD)", lambda: feed(SpeechDetector(), audio, n))
    print(f"{'':<34} speech fraction: {float((curve > 0.5).mean()):.1%}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
