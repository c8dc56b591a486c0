"""Issue-18 benchmark: a backlog on a Dask cluster. 8 clips on 1 worker, then on 2 workers.

Generates one gameplay-like clip, copies it to 8 recordings, and runs the batch the CLI runs
(``run_batch`` with the cluster runner) on a ``LocalCluster`` of 1 worker process, then of
2 (one thread each), in this one process. Prints wall time, clips per minute and the ratio
to the 1-worker run. Each worker's engine uses a process and ffmpeg of its own, so the
ratio is bounded by the machine's free cores, not by the cluster.

    .venv/bin/python benchmarks/bench_cluster.py [--clips 8] [--seconds 20] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from distributed import LocalCluster

from game_music._cluster import PathMap, connect
from game_music.batch import JobSpec, run_batch
from game_music.cli import make_backend
from game_music.demo import make_sample_clip
from game_music.jobs import resolve_output
from game_music.prompt import parse_prompt


def run(workers: int, src: Path, clips: int, root: Path) -> float:
    folder = root / f"w{workers}"
    folder.mkdir()
    inputs = []
    for i in range(clips):
        dst = folder / f"rec {i}.mkv"
        shutil.copy2(src, dst)
        inputs.append(dst)
    request = parse_prompt("upbeat retro game music")
    specs = [JobSpec(p, request, resolve_output(p, None)) for p in inputs]
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=40) as cluster:
        with connect(cluster.scheduler_address, PathMap(), make_backend) as runner:
            t0 = time.monotonic()
            outcomes = run_batch(specs, lambda: make_backend("local", None), lambda e: None,
                                 batch=True, jobs=len(specs), runner=runner)
            wall = time.monotonic() - t0
    bad = [o for o in outcomes if o.status != "done"]
    if bad:
        raise SystemExit(f"{len(bad)} job(s) not done: {bad[0]}")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each clip")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        root = Path(tmp)
        src = make_sample_clip(root / "src.mkv", seconds=args.seconds, width=640, height=360).path
        print(f"{args.clips} clips of {args.seconds:.0f} s (640x360), local engine")
        print(f"{'workers':>7} {'wall s':>8} {'clips/min':>10} {'vs 1 worker':>12}")
        base: float | None = None
        for w in args.workers:
            wall = run(w, src, args.clips, root)
            base = base or wall
            print(f"{w:>7} {wall:>8.1f} {args.clips * 60 / wall:>10.1f} {base / wall:>11.2f}x",
                  flush=True)


if __name__ == "__main__":
    main()
