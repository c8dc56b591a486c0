"""Chiptune synthesis speed: plan + compose + synthesize, streamed block by block.

Prints, for 120 s and 600 s of music at 48 kHz stereo: build time, render time (wall and CPU),
times faster than real time, peak RSS; then the same measured for a naive per-sample Python
pulse oscillator (2 s, extrapolated to four channels and the same length) and the ratio; and
the build time of a 3-hour piece plus one block rendered from its middle.

    python benchmarks/bench_synth.py [--block SECONDS]
"""

from __future__ import annotations

import argparse
import math
import resource
import time

import numpy as np

from game_music.analysis.result import HOP_S, Analysis, Cut
from game_music.music import compose_music
from game_music.request import MusicRequest

CHIP = MusicRequest(style="chiptune")
SR = 48000


def analysis(duration: float) -> Analysis:
    n = int(math.ceil(duration / HOP_S))
    t = np.arange(n) * HOP_S
    rng = np.random.default_rng(0)
    energy = np.clip(0.5 + 0.4 * np.sin(2 * np.pi * t / 90.0) + rng.normal(0, 0.05, n), 0, 1)
    speech = ((t % 60.0) > 45.0).astype(np.float32)
    cuts = tuple(Cut(float(c), 0.9) for c in np.arange(11.0, duration - 15, 19.0))
    return Analysis(
        duration,
        HOP_S,
        energy.astype(np.float32),
        speech,
        energy.astype(np.float32),
        cuts,
        0.5,
        True,
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(duration: float, block: int) -> tuple[float, float]:
    a = analysis(duration)
    w0, c0 = time.perf_counter(), time.process_time()
    comp = compose_music(a, CHIP, duration=duration, seed=1, sample_rate=SR)
    build = time.perf_counter() - w0
    peak = 0.0
    for start in range(0, comp.num_samples, block):
        peak = max(peak, float(np.abs(comp.render(start, block)).max()))
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    print(
        f"{duration:6.0f} s  build {build:6.3f} s  render wall {wall:7.2f} s "
        f"({duration / wall:6.1f}x)  cpu {cpu:7.2f} s ({duration / cpu:6.1f}x real time)  "
        f"peak {20 * math.log10(peak):5.1f} dBFS  peak RSS {peak_rss_mb():6.1f} MB"
    )
    return wall, cpu


def naive_pulse(seconds: float) -> float:
    """One pulse channel, the same algorithm one Python iteration per sample (vibrato phase,
    PolyBLEP at both edges, 4-bit frame-quantised envelope): CPU seconds."""

    def blep(x: float, dt: float) -> float:
        if x < dt:
            u = x / dt
            return u + u - u * u - 1.0
        if x > 1.0 - dt:
            u = (x - 1.0) / dt
            return u * u + u + u + 1.0
        return 0.0

    c0 = time.process_time()
    n = int(seconds * SR)
    out = [0.0] * n
    phase, f, duty = 0.0, 440.0, 0.25
    for i in range(n):
        t = (i % 12000) / SR  # a new note every quarter second
        vib = 1.0 + 0.008 * math.sin(2 * math.pi * 5.5 * t) if t > 0.15 else 1.0
        dt = f * vib / SR
        phase += dt
        if phase >= 1.0:
            phase -= 1.0
        fall = phase - duty + (1.0 if phase < duty else 0.0)
        wave = (1.0 if phase < duty else 0.0) + 0.5 * (blep(phase, dt) - blep(fall, dt))
        env = math.floor(15 * (0.6 + 0.4 * math.exp(-math.floor(t * 60) / 60 / 0.35)) + 0.5)
        out[i] = wave * env
    return time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--block", type=float, default=1.0, help="block length in seconds")
    args = ap.parse_args()
    block = int(args.block * SR)
    compose_music(analysis(5.0), CHIP, duration=5.0, seed=0).render_all()  # warm up
    results = {d: run(d, block) for d in (120.0, 600.0)}

    per_s = naive_pulse(2.0) / 2.0
    print(f"naive baseline: {per_s * 1000:.1f} ms CPU per second of one pulse channel")
    for d, (_, cpu) in results.items():
        naive = per_s * d * 4  # four channels, before any mixing or filtering
        print(
            f"{d:6.0f} s  naive (extrapolated) {naive:8.1f} s CPU  ours {cpu:6.2f} s  "
            f"ratio {naive / cpu:6.1f}x"
        )

    d = 3 * 3600.0
    a = analysis(d)
    w0 = time.perf_counter()
    comp = compose_music(a, CHIP, duration=d, seed=1, sample_rate=SR)
    build = time.perf_counter() - w0
    w1 = time.perf_counter()
    comp.render(int(1.5 * 3600 * SR), block)
    print(
        f"3 h piece: {comp.summary['bars']} bars, build {build:.3f} s, one block from the "
        f"middle {time.perf_counter() - w1:.3f} s, peak RSS {peak_rss_mb():.1f} MB"
    )


if __name__ == "__main__":
    main()
