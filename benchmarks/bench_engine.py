"""The local engine on a 2-minute 1080p60 H.264 recording (6 Mb/s, AAC, MKV).

Prints wall and CPU time, peak memory, and the ratio against a naive pipeline that re-encodes
the video while mixing (ffmpeg ``amix`` + libx264 veryfast), both run here in the same
process. ``--footage gameplay`` (the default) uses footage that decodes like gameplay
(benchmarks/footage.py: textured world panning, grain, OBS's x264 settings);
``--footage pattern`` the demo's test-pattern scenes, which cost a decoder far less.

    .venv/bin/python benchmarks/bench_engine.py [--footage gameplay|pattern] [--seconds 120]
        [--keep DIR] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from footage import FOOTAGE, bench_recording
from game_music.media.ffmpeg import run_ffmpeg


def peak_child_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def children_cpu_s() -> float:
    """User + system CPU seconds of every finished child process tree so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--keep", type=Path, help="folder to keep the generated recording in")
    ap.add_argument("--runs", type=int, default=5, help="engine runs (the median counts)")
    ap.add_argument("--footage", choices=FOOTAGE, default="gameplay")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="gm-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    src = bench_recording(folder, args.footage, args.seconds)
    size_mb = src.stat().st_size / 1e6
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores)")
    print(f"input: {src.name} ({args.footage} footage), {size_mb:.1f} MB, {args.seconds:.0f} s "
          "1920x1080 60 fps H.264 + AAC")

    # The engine, as a user runs it (a separate process, so its peak RSS is its own), a few
    # times: on a shared machine one run can land on a busy moment. The median counts.
    out = folder / "engine.mp4"
    walls, cpus = [], []
    for _ in range(args.runs):
        for old in (out, Path(str(out) + ".game-music.json")):
            old.unlink(missing_ok=True)
        t0, c0 = time.perf_counter(), children_cpu_s()
        proc = subprocess.run(
            [sys.executable, "-m", "game_music", "add", str(src), "-o", str(out), "--json",
             "-p", "retro chiptune"], capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - t0)
        cpus.append(children_cpu_s() - c0)
        if proc.returncode != 0:
            sys.exit(f"engine failed: {proc.stdout}{proc.stderr}")
    engine_s = statistics.median(walls)
    engine_rss = peak_child_rss_mb()
    sidecar = json.loads(Path(str(out) + ".game-music.json").read_text())
    copied = sidecar["summary"]["video"]["copied"]

    # Naive baseline: mix a music track with amix and re-encode the video with libx264.
    music = folder / "music.wav"
    run_ffmpeg(["-f", "lavfi", "-i", f"sine=f=220:d={args.seconds}", "-ac", "2", str(music)])
    naive = folder / "naive.mp4"
    t0 = time.perf_counter()
    run_ffmpeg(["-i", str(src), "-i", str(music), "-filter_complex",
                "[0:a][1:a]amix=inputs=2[a]", "-map", "0:v", "-map", "[a]",
                "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", str(naive)])
    naive_s = time.perf_counter() - t0

    print(f"engine runs: {', '.join(f'{w:.2f}' for w in walls)} s wall, "
          f"{', '.join(f'{c:.2f}' for c in cpus)} CPU-s (median {statistics.median(cpus):.2f})")
    print(f"engine: {engine_s:.2f} s wall median ({args.seconds / engine_s:.1f}x real time), "
          f"video {'copied' if copied else 're-encoded'}, peak RSS {engine_rss:.0f} MB "
          f"(largest single process incl. ffmpeg)")
    print(f"naive amix + libx264 veryfast: {naive_s:.2f} s wall")
    print(f"ratio naive/engine: {naive_s / engine_s:.1f}x")
    print("goals: engine <= 3.3 s, ratio >= 40x, peak PSS of the process tree <= 400 MB")


if __name__ == "__main__":
    main()
