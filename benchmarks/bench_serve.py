"""Issue-18 benchmark: a 2-minute 1080p60 job cold (a spawned CLI) vs warm (through serve).

Runs, in this one process and interleaved so a busy moment hits both alike:
- cold: ``game-music add --json --no-serve`` spawned, as a host without a server runs it;
- warm, host: the stdlib client a host shim uses (``serve_client.run``) against a running
  ``game-music serve``;
- warm, CLI: ``game-music add --json`` spawned while the server runs (pays the interpreter and
  the CLI's import, not numpy/scipy/banks: what the Lua entry gets).

``--footage gameplay`` (the default) is the clip ``bench_engine.py`` uses (footage.py: decodes
like gameplay); ``--footage pattern`` the demo's test-pattern scenes.

    .venv/bin/python benchmarks/bench_serve.py [--footage gameplay|pattern] [--seconds 120]
        [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from footage import FOOTAGE, bench_recording
from game_music import serve_client


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--runs", type=int, default=5, help="runs of each kind (the median counts)")
    ap.add_argument("--keep", type=Path, help="folder to keep the generated recording in")
    ap.add_argument("--footage", choices=FOOTAGE, default="gameplay")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="gm-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    src = bench_recording(folder, args.footage, args.seconds)
    # A private server for this benchmark, never the user's own.
    runtime = Path(tempfile.mkdtemp(prefix="gm-rt-"))
    os.environ[serve_client.ENV_RUNTIME_DIR] = str(runtime / "rt")
    engine = [sys.executable, "-m", "game_music"]
    server = subprocess.Popen([*engine, "serve", "--idle-timeout", "600"],
                              stderr=subprocess.PIPE, text=True)
    assert server.stderr is not None
    t0 = time.perf_counter()
    server.stderr.readline()  # "serving on ..." once it is bound and warm
    print(f"server up and warm in {time.perf_counter() - t0:.1f} s")
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores, shared with other work)")
    print(f"input: {src.name} ({args.footage} footage), {src.stat().st_size / 1e6:.1f} MB, "
          f"{args.seconds:.0f} s 1920x1080 60 fps H.264 + AAC")

    out = folder / "out.mp4"
    job = ["add", str(src), "-o", str(out), "--json", "--prompt=retro chiptune"]

    def clean() -> None:
        for old in (out, Path(str(out) + ".game-music.json")):
            old.unlink(missing_ok=True)

    def cold() -> float:
        clean()
        t = time.perf_counter()
        proc = subprocess.run([*engine, *job, "--no-serve"], capture_output=True, text=True)
        if proc.returncode:
            sys.exit(f"cold run failed: {proc.stderr}")
        return time.perf_counter() - t

    def warm_host() -> float:
        clean()
        t = time.perf_counter()
        lines: list[str] = []
        code = serve_client.run(job, on_stdout=lines.append, on_stderr=lambda s: None)
        if code != 0 or '"done"' not in lines[-1]:
            sys.exit(f"warm run failed ({code}): {lines[-1:]}")
        return time.perf_counter() - t

    def warm_cli() -> float:
        clean()
        t = time.perf_counter()
        proc = subprocess.run([*engine, *job], capture_output=True, text=True)
        if proc.returncode:
            sys.exit(f"warm CLI run failed: {proc.stderr}")
        return time.perf_counter() - t

    times: dict[str, list[float]] = {"cold (spawned CLI)": [], "warm (host client -> serve)": [],
                                     "warm (CLI -> serve)": []}
    try:
        for i in range(args.runs):
            for (name, fn) in zip(times, (cold, warm_host, warm_cli), strict=True):
                times[name].append(fn())
            print(f"run {i + 1}/{args.runs}: "
                  + ", ".join(f"{k.split()[0]} {v[-1]:.2f} s" for k, v in times.items()),
                  file=sys.stderr)
    finally:
        server.terminate()
        server.wait(30)
        clean()
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    for name, walls in times.items():
        print(f"{name:<30} median {statistics.median(walls):5.2f} s  "
              f"(min {min(walls):.2f}, max {max(walls):.2f}, {len(walls)} runs)")
    cold_m = statistics.median(times["cold (spawned CLI)"])
    warm_m = statistics.median(times["warm (host client -> serve)"])
    print(f"warm/cold: {warm_m / cold_m:.2f} (goal: warm <= 2 s)")


if __name__ == "__main__":
    main()
