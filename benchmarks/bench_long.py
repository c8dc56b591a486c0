"""Issue-7 benchmark: whole streams. Peak memory must stay flat and time grow linearly.

Builds long recordings of a few kinds and runs the engine on each as a user would, printing
wall time, x real time, CPU seconds and peak PSS summed over the process tree (sampled every
0.15 s, see treemem.py), with the stage and process where memory peaked:

* ``stream``: a generated 2-minute 1080p60 H.264/AAC MKV with a separate mic track,
  stream-copied end to end (no re-encode, so building it is quick);
* ``vod``: a small VOD, 320x180 10 fps H.264, one AAC track of game-like sound with 10 s
  stretches of digital silence (menus, loading screens, a muted capture) and talk mixed in;
  a 30-minute base built once, copied end to end;
* ``vod-mic``: the same with the talk on its own mic track, which is silent while muted.

Generated recordings are cached in ``--keep`` (default: a ``gm-long`` folder in the system's
cache directory) and reused.

    .venv/bin/python benchmarks/bench_long.py [--kind stream vod vod-mic] [--minutes 10 60 180]
        [--keep DIR] [--prompt "retro chiptune"]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from game_music.demo import SR, game_like, make_sample_clip, scene_cuts, voice_like
from game_music.media.ffmpeg import run_ffmpeg
from treemem import measure

STREAM_BASE_S = 120.0
VOD_BASE_S = 30 * 60.0
VOD_FPS = 10
SILENCE_S = 10.0
_CHUNK_S = 60.0


def _cache() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(tempfile.gettempdir(), ".cache")
    return Path(root) / "gm-long"


def stream_base(folder: Path) -> Path:
    base = folder / "base-120s-1080p60.mkv"
    if not base.exists():
        print("generating the 2-minute base recording ...", file=sys.stderr)
        make_sample_clip(base, seconds=STREAM_BASE_S, width=1920, height=1080, fps=60,
                         video_bitrate="6M", mean_scene=6.0, voice_track=True)
    return base


def _vod_audio(seconds: float, seed: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(game, voice) mono float32 chunks of a minute: game sounds that fall to exact zeros
    for ``SILENCE_S`` every one to three minutes, talk on about a third of the time."""
    rng = np.random.default_rng(seed)
    silent_from = float(rng.uniform(30, 90))
    for c in range(int(np.ceil(seconds / _CHUNK_S))):
        t0 = c * _CHUNK_S
        dur = min(_CHUNK_S, seconds - t0)
        game = game_like(dur, scene_cuts(dur, 6.0, rng), rng)
        voice, _ = voice_like(dur, rng)
        voice *= 0.6 if rng.random() < 0.5 else 0.0  # some minutes nobody talks
        t = t0 + np.arange(len(game)) / SR
        while silent_from < t0 + dur:
            quiet = (t >= silent_from) & (t < silent_from + SILENCE_S)
            game[quiet] = 0.0
            voice[quiet] = 0.0  # the mic is muted too (a menu, a break)
            if silent_from + SILENCE_S > t0 + dur:
                break
            silent_from += SILENCE_S + float(rng.uniform(60, 180))
        yield game, voice


def vod_base(folder: Path, mic: bool) -> Path:
    name = f"vod-base-{int(VOD_BASE_S / 60)}min-320x180-10fps{'-mic' if mic else ''}.mkv"
    out = folder / name
    if out.exists():
        return out
    print(f"generating {name} ...", file=sys.stderr)
    game_raw, voice_raw = folder / ".vod-game.f32", folder / ".vod-voice.f32"
    with game_raw.open("wb") as g, voice_raw.open("wb") as v:
        for game, voice in _vod_audio(VOD_BASE_S, seed=7):
            if mic:
                g.write(np.repeat(game[:, None], 2, axis=1).tobytes())
                v.write(voice.tobytes())
            else:
                mix = np.clip(game + voice, -1.0, 1.0)
                g.write(np.repeat(mix[:, None], 2, axis=1).tobytes())
    # A screen that changes place every ~7 s (hue jumps: scene cuts), grain so it is not free.
    video = (f"testsrc2=s=320x180:r={VOD_FPS},hue=h='47*floor(t/7)':s=0.8,"
             "noise=alls=6:allf=t,format=yuv420p")
    args = ["-f", "lavfi", "-i", video,
            "-f", "f32le", "-ar", str(SR), "-ac", "2", "-i", str(game_raw)]
    maps = ["-map", "0:v", "-map", "1:a"]
    if mic:
        args += ["-f", "f32le", "-ar", str(SR), "-ac", "1", "-i", str(voice_raw)]
        maps += ["-map", "2:a", "-metadata:s:a:0", "title=Track 1",
                 "-metadata:s:a:1", "title=Mic/Aux"]
    part = out.with_name(f".{out.name}.part.mkv")
    try:
        run_ffmpeg([*args, *maps, "-c:v", "libx264", "-preset", "veryfast", "-crf", "28",
                    "-g", str(2 * VOD_FPS), "-c:a", "aac", "-b:a", "128k",
                    "-t", f"{VOD_BASE_S:.3f}", str(part)], what="making the VOD base")
        part.replace(out)
    finally:
        for f in (game_raw, voice_raw, part):
            f.unlink(missing_ok=True)
    return out


def build(kind: str, minutes: int, folder: Path) -> Path:
    base = stream_base(folder) if kind == "stream" else vod_base(folder, kind == "vod-mic")
    base_s = STREAM_BASE_S if kind == "stream" else VOD_BASE_S
    copies = max(1, int(round(minutes * 60 / base_s)))
    if copies == 1 and abs(minutes * 60 - base_s) < 1:
        return base
    out = folder / f"{kind}-{minutes}min.mkv"
    if out.exists():
        return out
    listing = folder / f"concat-{kind}-{minutes}.txt"
    listing.write_text("".join(f"file '{base.as_posix()}'\n" for _ in range(copies)))
    print(f"building {out.name} from {copies} copies ...", file=sys.stderr)
    # A whole number of copies; a shorter length is the base cut at that point.
    run_ffmpeg(["-f", "concat", "-safe", "0", "-i", str(listing), "-map", "0", "-c", "copy",
                "-t", str(minutes * 60), str(out)], what="building the long recording")
    listing.unlink()
    return out


def run_engine(src: Path, out: Path, prompt: str) -> tuple[object, dict]:
    for old in (out, Path(str(out) + ".game-music.json")):
        old.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "game_music", "add", str(src), "-o", str(out), "--json"]
    if prompt:
        cmd += ["-p", prompt]
    m = measure(cmd)
    if m.rc != 0:
        sys.exit(f"engine failed on {src.name}: {m.stdout[-2000:]}{m.stderr[-2000:]}")
    sidecar = json.loads(Path(str(out) + ".game-music.json").read_text())
    return m, sidecar


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", type=Path, help="folder for the generated recordings (cache)")
    ap.add_argument("--kind", nargs="+", choices=("stream", "vod", "vod-mic"),
                    default=["stream", "vod"])
    ap.add_argument("--minutes", type=int, nargs="+", default=[10, 60, 180])
    ap.add_argument("--prompt", default="retro chiptune", help="'' for the automatic style")
    args = ap.parse_args()
    folder = args.keep or _cache()
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for kind in args.kind:
        for minutes in args.minutes:
            src = build(kind, minutes, folder)
            load = os.getloadavg()[0]
            m, sidecar = run_engine(src, folder / f"out-{kind}-{minutes}min.mp4", args.prompt)
            seconds = minutes * 60
            loud = sidecar["summary"]["loudness"]
            rows.append((kind, minutes, m, seconds / m.wall_s, load, loud.get("output_lufs"),
                         loud.get("true_peak_dbtp"), sidecar["summary"]["video"]["copied"]))
            print(f"{kind} {minutes} min: peak PSS {m.describe_peak()}; per stage "
                  + ", ".join(f"{k} {v:.0f}" for k, v in m.stage_peaks().items()),
                  file=sys.stderr)
    print(f"{'kind':>8} {'length':>7} {'wall s':>7} {'x real':>7} {'CPU s':>7} {'CPU/h':>6} "
          f"{'PSS MB':>7} {'peak in':>11} {'load':>5} {'LUFS':>6} {'dBTP':>5} copied")
    for kind, minutes, m, speed, load, lufs, tp, copied in rows:
        print(f"{kind:>8} {minutes:>5} m {m.wall_s:>7.1f} {speed:>7.1f} {m.cpu_s:>7.1f} "
              f"{m.cpu_s * 60 / minutes:>6.0f} {m.peak_mb:>7.0f} {m.peak.stage:>11} "
              f"{load:>5.2f} {lufs:>6} {tp:>5} {copied}")
    print("goals: peak PSS <= 400 MB and flat; >= 40x real time with the video copied "
          "(wall time counts on an idle 2-core machine: 'load' is the 1-min load before)")


if __name__ == "__main__":
    main()
