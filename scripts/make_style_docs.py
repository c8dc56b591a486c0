"""Render 30 s of every style and write its spectrogram to docs/img/spectrogram-<style>.png.

The same 30 s of "video" drives every style (action that builds, two scene cuts, someone
talking for a few seconds, a calmer end), so the pictures compare like with like. It also
prints the audio features the listening notes in docs/styles.md are written from.

Needs matplotlib (a development tool only, not a dependency of the package):

    python scripts/make_style_docs.py [--styles rock,edm] [--seed 1] [--out docs/img]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from game_music.analysis.result import HOP_S, Analysis, Cut
from game_music.music import STYLE_INFO, compose_music
from game_music.request import STYLES, MusicRequest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "music"))
from audio_features import features  # noqa: E402

SR = 48000
SECONDS = 30.0


def analysis() -> Analysis:
    n = int(np.ceil(SECONDS / HOP_S))
    t = np.arange(n) * HOP_S
    energy = np.interp(t, [0, 8, 10, 20, 24, 30], [0.15, 0.35, 0.7, 0.9, 0.5, 0.4])
    speech = ((t >= 13.0) & (t < 17.0)).astype(np.float32)
    e = energy.astype(np.float32)
    return Analysis(SECONDS, HOP_S, e, speech, e.copy(), (Cut(10.0, 0.9), Cut(20.0, 0.9)), 0.5,
                    True)


def spectrogram_png(audio: np.ndarray, summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.signal import stft

    mono = audio.mean(axis=1).astype(np.float64)
    f, t, z = stft(mono, SR, nperseg=4096, noverlap=4096 - 1024)
    db = 20 * np.log10(np.abs(z) + 1e-9)
    db -= db.max()
    # a log-frequency grid, 30 Hz - 20 kHz, like the ear reads it
    grid = np.geomspace(30.0, 20000.0, 240)
    img = np.stack([np.interp(grid, f, col) for col in db.T], axis=1)
    fig, ax = plt.subplots(figsize=(9, 3.2), dpi=90)
    ax.imshow(img, origin="lower", aspect="auto", cmap="magma", vmin=-90, vmax=0,
              extent=(0.0, float(t[-1]), 0.0, 1.0))
    ticks = [50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000]
    ax.set_yticks([np.log(x / 30.0) / np.log(20000.0 / 30.0) for x in ticks])
    ax.set_yticklabels([f"{x // 1000}k" if x >= 1000 else str(x) for x in ticks])
    for sec in summary["sections"][1:]:
        ax.axvline(sec["start_s"], color="white", lw=0.6, ls="--", alpha=0.6)
    ax.axvspan(13.0, 17.0, ymin=0.965, ymax=1.0, color="cyan")
    ax.set_xlabel("seconds (dashed: section changes at the scene cuts; cyan bar: someone talks)")
    ax.set_ylabel("Hz")
    ax.set_title(
        f"{summary['style']}: {summary['tempo_bpm']:.0f} bpm, {summary['key']} {summary['mode']}, "
        f"mood {summary['mood']}", fontsize=10,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    _shrink(path)


def _shrink(path: Path) -> None:
    """A 64-colour palette PNG: the picture reads the same at a fraction of the size."""
    from PIL import Image

    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--styles", help="comma-separated subset (default: every implemented)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = ap.parse_args()
    wanted = args.styles.split(",") if args.styles else list(STYLES)
    a = analysis()
    print("| style | bpm (heard) | centroid Hz | rolloff Hz | onsets/s | <150 Hz | >4 kHz |"
          " flatness | width | dyn dB | chroma (from strongest) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for style in wanted:
        if not STYLE_INFO[style]["implemented"]:
            print(f"| {style} | not implemented |")
            continue
        comp = compose_music(a, MusicRequest(style=style), duration=SECONDS, seed=args.seed)
        audio = comp.render_all()
        spectrogram_png(audio, comp.summary, args.out / f"spectrogram-{style}.png")
        f = features(audio, SR)
        chroma = " ".join(f"{x:.2f}" for x in f["chroma"])
        print(
            f"| {style} | {comp.summary['tempo_bpm']:.0f} ({f['tempo_bpm']:.0f}) | "
            f"{f['centroid_hz']:.0f} | {f['rolloff_hz']:.0f} | {f['onsets_per_s']:.1f} | "
            f"{f['low_ratio']:.2f} | {f['high_ratio']:.3f} | {f['flatness']:.3f} | "
            f"{f['width']:.3f} | {f['dynamics_db']:.1f} | {chroma} |"
        )


if __name__ == "__main__":
    main()
