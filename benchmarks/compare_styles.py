"""Render every style for a fixed seed and analysis and save the audio, so two versions of
the code can be compared sample for sample (a refactor must leave the music unchanged).

    python benchmarks/compare_styles.py OUT.npz [--seconds 20]
    python benchmarks/compare_styles.py --compare A.npz B.npz
"""

from __future__ import annotations

import argparse
import hashlib

import numpy as np

from game_music.analysis.result import HOP_S, Analysis, Cut
from game_music.music import compose_music
from game_music.request import STYLES, MusicRequest


def analysis(duration: float) -> Analysis:
    n = int(np.ceil(duration / HOP_S))
    t = np.arange(n) * HOP_S
    energy = (0.5 + 0.4 * np.sin(t / 3.0)).astype(np.float32)
    speech = ((t > 6) & (t < 9)).astype(np.float32)
    return Analysis(duration, HOP_S, energy, speech, energy, (Cut(5.0, 0.9), Cut(12.0, 0.8)),
                    0.5, True)


def render(seconds: float) -> dict[str, np.ndarray]:
    out = {}
    for style in STYLES:
        comp = compose_music(analysis(seconds), MusicRequest(style=style), duration=seconds,
                             seed=7, sample_rate=48000)
        out[style] = np.asarray(comp.render_all())
        comp.release()
        print(style, hashlib.sha256(out[style].tobytes()).hexdigest()[:16], flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--compare", nargs=2)
    args = ap.parse_args()
    if args.compare:
        a, b = (np.load(p) for p in args.compare)
        for style in sorted(set(a) | set(b)):
            if style not in a or style not in b or a[style].shape != b[style].shape:
                print(f"{style}: missing or shape differs")
                continue
            diff = float(np.max(np.abs(a[style].astype(np.float64) - b[style])))
            print(f"{style}: {'identical' if diff == 0 else 'DIFFERS'} (max abs diff {diff:g})")
        return
    np.savez(args.out, **render(args.seconds))


if __name__ == "__main__":
    main()
