"""Issue-7 benchmark: whole streams. Peak memory must stay flat and time grow linearly.

Builds 10-minute, 1-hour and 3-hour recordings by stream-copying a generated 2-minute
1080p60 H.264/AAC MKV end to end (no re-encode, so building them is quick), then runs the
engine on each as a user would and prints wall time, x real time and peak RSS.

    .venv/bin/python benchmarks/bench_long.py [--keep DIR] [--minutes 10 60 180]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from game_music.demo import make_sample_clip
from game_music.media.ffmpeg import run_ffmpeg

BASE_S = 120.0

# Runs one command and prints the largest RSS of its process tree (KiB -> MB) as JSON.
_MEASURE = (
    "import resource, subprocess, sys, json;"
    "rc = subprocess.run(sys.argv[1:]).returncode;"
    "print(json.dumps({'rc': rc, 'rss_mb': "
    "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))"
)


def build(base: Path, minutes: int, folder: Path) -> Path:
    out = folder / f"stream-{minutes}min.mkv"
    if out.exists():
        return out
    copies = int(round(minutes * 60 / BASE_S))
    listing = folder / f"concat-{minutes}.txt"
    listing.write_text("".join(f"file '{base.as_posix()}'\n" for _ in range(copies)))
    print(f"building {out.name} from {copies} copies ...", file=sys.stderr)
    run_ffmpeg(["-f", "concat", "-safe", "0", "-i", str(listing), "-map", "0", "-c", "copy",
                str(out)], what="building the long recording")
    return out


def run_engine(src: Path, out: Path) -> tuple[float, float, dict]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, sys.executable, "-m", "game_music", "add", str(src),
         "-o", str(out), "--json", "-p", "retro chiptune"],
        capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    lines = proc.stdout.strip().splitlines()
    measured = json.loads(lines[-1])
    if measured["rc"] != 0:
        sys.exit(f"engine failed on {src.name}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    sidecar = json.loads(Path(str(out) + ".game-music.json").read_text())
    return wall, measured["rss_mb"], sidecar


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", type=Path, help="folder to keep the generated recordings in")
    ap.add_argument("--minutes", type=int, nargs="+", default=[10, 60, 180])
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="gm-long-"))
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / "base-120s-1080p60.mkv"
    if not base.exists():
        print("generating the 2-minute base recording ...", file=sys.stderr)
        make_sample_clip(base, seconds=BASE_S, width=1920, height=1080, fps=60,
                         video_bitrate="6M", mean_scene=6.0, voice_track=True)
    rows = []
    for minutes in args.minutes:
        src = build(base, minutes, folder)
        print(f"{minutes} min: load average before {os.getloadavg()[0]:.2f} (2 cores)",
              file=sys.stderr)
        wall, rss, sidecar = run_engine(src, folder / f"out-{minutes}min.mp4")
        seconds = minutes * 60
        loud = sidecar["summary"]["loudness"]
        rows.append((minutes, wall, seconds / wall, rss, loud.get("output_lufs"),
                     loud.get("true_peak_dbtp"), sidecar["summary"]["video"]["copied"]))
        src.unlink() if minutes >= 60 and not args.keep else None
    print(f"{'length':>8} {'wall s':>8} {'x real time':>12} {'peak RSS MB':>12} "
          f"{'LUFS':>7} {'dBTP':>6} copied")
    for minutes, wall, speed, rss, lufs, tp, copied in rows:
        print(f"{minutes:>6} m {wall:>8.1f} {speed:>12.1f} {rss:>12.0f} {lufs:>7} {tp:>6} {copied}")
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        print(f"time ratio {last[0]}m/{first[0]}m: {last[1] / first[1]:.1f} "
              f"(length ratio {last[0] / first[0]:.0f}); RSS ratio {last[3] / first[3]:.2f}")
    print("goals: peak RSS <= 600 MB and flat; >= 30x real time with the video copied")


if __name__ == "__main__":
    main()
