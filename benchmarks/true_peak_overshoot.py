"""How far the shipped AAC's true peak lands above the limiter's output peak.

The engine guarantees <= -1 dBTP on the final MP4 without decoding it again: the limiter's
ceiling plus a bound for the AAC encode's overshoot (``game_music.mix.master``). This
measures that overshoot on a broad set of renders: every style, several seeds, loud and quiet
music prompts, clips with game audio and a voice track, game audio only, and no audio at all.
For each render it records the limiter's oversampled output peak (metered exactly on the PCM
that goes to the encoder) and the true peak of the final MP4 as ffmpeg's ebur128 reads it.

    .venv/bin/python benchmarks/true_peak_overshoot.py [--seeds 3] [--seconds 15]
        [--ceiling style|-2.0] [--styles chiptune,gameboy] [--out results.json]

Each render runs in a child process with the engine's re-render on overshoot switched off,
so every figure is a first encode.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from game_music.demo import make_sample_clip
from game_music.media.ffmpeg import ffmpeg_exe, run_ffmpeg
from game_music.mix.limiter import TruePeakMeter
from game_music.request import STYLES

PROMPTS = {"loud": "loud intense music at 100%", "quiet": "calm quiet music at 25%"}
CLIPS = {  # name -> make_sample_clip options
    "game+voice": {"voice_track": True},
    "game": {"voice": False},
    "silent": {"audio": False},
}

# Run in the child: record the limiter's exact output peak, never re-render.
_CHILD = r"""
import json, sys
import numpy as np
import game_music.backends._local_engine as engine
from game_music.mix.limiter import TruePeakMeter

record, ceiling = sys.argv[1], sys.argv[2]
engine.MAX_TRUE_PEAK_DBTP = 99.0
if ceiling != "style":
    engine.ceiling_for = lambda style: float(ceiling)
original = engine.apply_master
seen = {}

def apply_master(blocks, write, gain_db, **kw):
    meter = TruePeakMeter(2, np.float32)
    def metered(out):
        meter.add(out)
        write(out)
    limiter = original(blocks, metered, gain_db, **kw)
    seen.update(pcm_peak_dbtp=meter.peak_db, limiting_db=limiter.max_reduction_db,
                limiter_peak_dbtp=getattr(limiter, "output_peak_db", None),
                ceiling_dbtp=kw.get("ceiling_dbtp"))
    return limiter

engine.apply_master = apply_master
from game_music.cli import main
code = main(sys.argv[3:])
with open(record, "w") as fh:
    json.dump(seen, fh)
sys.exit(code)
"""


def shipped_peak(path: Path) -> float:
    """The final MP4's true peak, as ebur128 prints it (0.1 dB steps) and as the engine's
    meter reads the decoded track, whichever is higher."""
    pcm = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:a:0",
                          "-f", "f32le", "-ac", "2", "-"], capture_output=True, check=True).stdout
    meter = TruePeakMeter(2, np.float32)
    meter.add(np.frombuffer(pcm, np.float32).reshape(-1, 2))
    stderr = run_ffmpeg(["-nostats", "-i", str(path), "-map", "0:a:0",
                         "-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"])
    summary = stderr[stderr.rfind("Summary:"):]
    match = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    return max(meter.peak_db, float(match.group(1)) if match else float("-inf"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--ceiling", default="style",
                    help="limiter ceiling dBTP, or 'style': the engine's own per style")
    ap.add_argument("--styles", default=",".join(STYLES))
    ap.add_argument("--clips", default=",".join(CLIPS))
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="gm-overshoot-"))
    clips = {}
    for name in args.clips.split(","):
        clips[name] = folder / f"{name.replace('+', '-')}.mkv"
        make_sample_clip(clips[name], seconds=args.seconds, **CLIPS[name])  # type: ignore[arg-type]
    rows = []
    # Every style once before any style twice: a cut-short run still covers them all.
    for seed in range(args.seeds):
        for style in args.styles.split(","):
            for loudness, prompt in PROMPTS.items():
                for clip, src in clips.items():
                    out, record = folder / "out.mp4", folder / "record.json"
                    proc = subprocess.run(
                        [sys.executable, "-c", _CHILD, str(record), str(args.ceiling), "add",
                         str(src), "-o", str(out), "--style", style, "--seed", str(seed),
                         f"--prompt={prompt}", "--force"],
                        capture_output=True, text=True, check=False)
                    if proc.returncode != 0:
                        sys.exit(f"render failed: {proc.stderr[-2000:]}")
                    seen = json.loads(record.read_text())
                    row = {"style": style, "seed": seed, "prompt": loudness, "clip": clip,
                           **seen, "shipped_dbtp": shipped_peak(out)}
                    row["overshoot_db"] = row["shipped_dbtp"] - row["pcm_peak_dbtp"]
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    over = [r["overshoot_db"] for r in rows]
    above = [r["shipped_dbtp"] - r["ceiling_dbtp"] for r in rows]
    print(f"{len(rows)} renders, ceiling {args.ceiling}; "
          f"shipped at most {max(r['shipped_dbtp'] for r in rows):.2f} dBTP")
    print(f"overshoot over the limiter's output peak: median {statistics.median(over):.2f}, "
          f"max {max(over):.2f} dB; shipped above the ceiling: max {max(above):.2f} dB")
    for style in args.styles.split(","):
        mine = [r["overshoot_db"] for r in rows if r["style"] == style]
        print(f"  {style:10s} max {max(mine):.2f}  median {statistics.median(mine):.2f}")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
