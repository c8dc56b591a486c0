"""Synthesis speed per style on one core: plan + compose + synthesize, block by block.

For each implemented style, renders the same analysed video (energy waves, cuts, talking)
at 48 kHz stereo and prints CPU and wall seconds, times faster than real time (CPU time is
the figure that counts on a shared machine; the goal is >= 50x for every style, recorded
instruments included), and the cost relative to chiptune (the baseline, run first in the same
process). Styles of recorded instruments start cold, as a one-off job does: their SoundFont
loaded and every note rendered within the timed run (``--soundfont`` picks the bank; default:
the one a job would choose).

    python benchmarks/bench_styles.py [--seconds 120] [--block 1.0] [--styles edm,rock]
"""

from __future__ import annotations

import os

# One core: no BLAS/FFT worker threads, and the process pinned to a single CPU.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from bench_synth import analysis  # noqa: E402 - the same made-up gameplay for both benchmarks
from game_music.music import STYLE_INFO, compose_music  # noqa: E402
from game_music.music.synth import sampled  # noqa: E402
from game_music.request import STYLES, MusicRequest  # noqa: E402

SR = 48000
GOAL = 50.0


def run(style: str, duration: float, block: int, soundfont=None) -> tuple[float, float, float]:
    """(cpu s, wall s, peak dBFS) for the whole piece."""
    a = analysis(duration)
    sampled._SHARED.clear()  # cold: no notes kept from an earlier run
    w0, c0 = time.perf_counter(), time.process_time()
    comp = compose_music(a, MusicRequest(style=style), duration=duration, seed=1, sample_rate=SR,
                         soundfont=soundfont)
    peak = 0.0
    for start in range(0, comp.num_samples, block):
        peak = max(peak, float(np.abs(comp.render(start, block)).max()))
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return cpu, wall, 20 * math.log10(max(peak, 1e-12))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=120.0, help="music length per style")
    ap.add_argument("--block", type=float, default=1.0, help="block length in seconds")
    ap.add_argument("--styles", help="comma-separated subset (default: every implemented)")
    ap.add_argument("--soundfont", help="SoundFont for the recorded-instrument styles")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    wanted = args.styles.split(",") if args.styles else list(STYLES)
    styles = [s for s in STYLES if s in wanted and STYLE_INFO[s]["implemented"]]
    missing = [s for s in wanted if s in STYLES and not STYLE_INFO[s]["implemented"]]
    block = int(args.block * SR)
    for s in styles:  # warm up: imports, caches, first-call costs
        compose_music(analysis(3.0), MusicRequest(style=s), duration=3.0, seed=0).render_all()

    d = args.seconds
    baseline = run("chiptune", d, block)  # the baseline, same process, same input
    base_cpu = baseline[0]
    print(f"{d:.0f} s of 48 kHz stereo per style, one core, {args.block:g} s blocks")
    print(f"{'style':<11} {'cpu s':>7} {'x rt (cpu)':>11} {'wall s':>7} {'x rt (wall)':>12} "
          f"{'vs chiptune':>12} {'peak dBFS':>10}  goal {GOAL:.0f}x")
    worst = math.inf
    for s in styles:
        cpu, wall, peak = baseline if s == "chiptune" else run(s, d, block, args.soundfont)
        worst = min(worst, d / cpu)
        print(f"{s:<11} {cpu:7.2f} {d / cpu:10.1f}x {wall:7.2f} {d / wall:11.1f}x "
              f"{cpu / base_cpu:11.2f}x {peak:10.1f}  {'ok' if d / cpu >= GOAL else 'SLOW'}")
    print(f"slowest style: {worst:.1f}x real time on CPU time")
    if missing:
        print(f"not implemented yet: {', '.join(missing)}")


if __name__ == "__main__":
    main()
