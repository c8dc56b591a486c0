"""Can the two chip styles be told apart? Audio features and a nearest-neighbour check.

Renders ``--seeds`` takes of chiptune (NES) and gameboy (DMG) for the same made-up gameplay,
prints per take: spectral centroid, energy share below 150 Hz and above 4 kHz, side/mid ratio,
crest factor, onset rate, and the distance to the nearest take of each style over a
standardised feature vector (those scalars plus mean and spread of 13 mel-cepstral
coefficients, the usual timbre summary). A take passes when its nearest other take is of its
own style. The check runs twice: with every feature, and mono-only (no stereo feature, as a
tagger that folds to mono would hear it).

``--baseline REV`` also runs the same measurement on the code of a git revision (exported to a
temporary folder) and prints both side by side; ``--spectrograms DIR`` saves one take of each
style as a PNG (with ``--baseline``, the revision's too).

    python benchmarks/style_features.py [--seeds 1,2,3,4] [--seconds 30] [--baseline main]
                                        [--spectrograms docs/img] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.fft import dct

SR = 48000
STYLES = ("chiptune", "gameboy")
N_FFT, HOP, N_MEL, N_MFCC = 2048, 512, 40, 13
SCALARS = ("centroid_hz", "low_share", "high_share", "side_mid", "crest_db", "onsets_per_s")
STEREO = ("side_mid",)


def gameplay(duration: float):
    """Action that builds from calm to a fight and eases off, cuts every ~10 s, one talk."""
    from game_music.analysis.result import HOP_S, Analysis, Cut

    n = int(math.ceil(duration / HOP_S))
    t = np.arange(n) * HOP_S
    rng = np.random.default_rng(7)
    energy = np.clip(0.3 + 0.6 * np.sin(np.pi * t / duration) + rng.normal(0, 0.03, n), 0, 1)
    speech = ((t > 0.45 * duration) & (t < 0.55 * duration)).astype(np.float32)
    cuts = tuple(Cut(float(c), 0.9) for c in np.arange(10.0, duration - 4.0, 10.0))
    e = energy.astype(np.float32)
    return Analysis(duration, HOP_S, e, speech, e, cuts, 0.5, True)


def render(style: str, seed: int, seconds: float) -> np.ndarray:
    from game_music.music import compose_music
    from game_music.request import MusicRequest

    comp = compose_music(
        gameplay(seconds), MusicRequest(style=style), duration=seconds, seed=seed, sample_rate=SR
    )
    return comp.render_all()


def _mel_bank(n_fft: int, sr: int, n_mel: int, lo: float = 30.0, hi: float = 16000.0):
    mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)  # noqa: E731
    edges = 700.0 * (10 ** (np.linspace(mel(lo), mel(hi), n_mel + 2) / 2595.0) - 1.0)
    f = np.fft.rfftfreq(n_fft, 1.0 / sr)
    bank = np.zeros((n_mel, len(f)))
    for i in range(n_mel):
        a, c, b = edges[i], edges[i + 1], edges[i + 2]
        bank[i] = np.clip(np.minimum((f - a) / (c - a), (b - f) / (b - c)), 0.0, None)
    return bank


def features(audio: np.ndarray) -> dict[str, float | list[float]]:
    x = np.asarray(audio, np.float64)
    mid, side = 0.5 * (x[:, 0] + x[:, 1]), 0.5 * (x[:, 0] - x[:, 1])
    n = 1 + (len(mid) - N_FFT) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n)[:, None]
    power = np.abs(np.fft.rfft(mid[idx] * np.hanning(N_FFT), axis=1)) ** 2
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / SR)
    total = power.sum(axis=1) + 1e-20
    active = total > 1e-4 * total.max()
    w = total[active] / total[active].sum()
    centroid = float(((power * freqs).sum(axis=1) / total)[active] @ w)
    logmel = np.log(power[active] @ _mel_bank(N_FFT, SR, N_MEL).T + 1e-10)
    mfcc = dct(logmel, type=2, norm="ortho", axis=1)[:, 1 : N_MFCC + 1]
    logm = np.log1p(100.0 * np.sqrt(power) / (np.sqrt(power).max() + 1e-12))
    flux = np.maximum(np.diff(logm, axis=0), 0.0).sum(axis=1)
    thr = np.median(flux) + 1.5 * np.median(np.abs(flux - np.median(flux)))
    peaks = np.flatnonzero((flux[1:-1] > thr) & (flux[1:-1] >= flux[:-2]) & (flux[1:-1] > flux[2:]))
    keep, last = 0, -(10**9)
    for p in peaks:  # at most one onset per 70 ms
        if p - last >= int(0.07 * SR / HOP):
            keep, last = keep + 1, p
    rms = math.sqrt(float((x**2).mean()))
    return {
        "centroid_hz": centroid,
        "low_share": float(power[:, freqs < 150].sum() / total.sum()),
        "high_share": float(power[:, freqs > 4000].sum() / total.sum()),
        "side_mid": float((side**2).sum() / ((mid**2).sum() + 1e-20)),
        "crest_db": 20 * math.log10(float(np.abs(x).max()) / (rms + 1e-12)),
        "onsets_per_s": keep / (len(x) / SR),
        "mfcc_mean": mfcc.mean(axis=0).tolist(),
        "mfcc_std": mfcc.std(axis=0).tolist(),
    }


def vector(f: dict, mono: bool) -> tuple[np.ndarray, np.ndarray]:
    """Feature row and per-dimension weights (each MFCC group counts as two features)."""
    names = [s for s in SCALARS if not (mono and s in STEREO)]
    scal = [math.log2(f[s] + 1.0) if s == "centroid_hz" else f[s] for s in names]
    row = np.concatenate([scal, f["mfcc_mean"], f["mfcc_std"]])
    wts = np.concatenate([np.ones(len(names)), np.full(2 * N_MFCC, 2.0 / N_MFCC)])
    return row, wts


def nearest(table: dict[str, dict], mono: bool) -> dict[str, tuple[str, float, float]]:
    """Per take: its nearest other take, distance to the nearest of its own style and of the
    other style (weighted Euclidean over z-scored features)."""
    keys = list(table)
    rows = np.array([vector(table[k], mono)[0] for k in keys])
    wts = vector(table[keys[0]], mono)[1]
    z = (rows - rows.mean(axis=0)) / (rows.std(axis=0) + 1e-9)
    out = {}
    for i, k in enumerate(keys):
        d = np.sqrt(((z - z[i]) ** 2 * wts).sum(axis=1))
        d[i] = np.inf
        own = min(d[j] for j, o in enumerate(keys) if o.split("/")[0] == k.split("/")[0])
        other = min(d[j] for j, o in enumerate(keys) if o.split("/")[0] != k.split("/")[0])
        out[k] = (keys[int(np.argmin(d))], float(own), float(other))
    return out


def _panel(ax, x: np.ndarray, t0: float, n_fft: int, fmax: float, log: bool) -> None:
    from scipy.signal import spectrogram

    f, t, sxx = spectrogram(x, SR, nperseg=n_fft, noverlap=n_fft * 3 // 4, mode="magnitude")
    db = 20 * np.log10(sxx + 1e-9)
    ax.pcolormesh(t + t0, f, db, shading="auto", cmap="magma", vmin=db.max() - 75,
                  vmax=db.max(), rasterized=True)
    if log:
        ax.set_yscale("log")
    ax.set_ylim(40 if log else 0, fmax)
    ax.set_ylabel("Hz")


def spectrogram_png(audio: np.ndarray, path: Path, title: str) -> None:
    """The whole take (log frequency) over a 4 s close-up of its busiest part (to 6 kHz)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mono = audio.mean(axis=1)
    fig, (top, low) = plt.subplots(2, 1, figsize=(10, 7), dpi=72)
    _panel(top, mono, 0.0, 2048, SR / 2, True)
    top.set_title(title)
    t0 = 0.6 * len(mono) / SR
    _panel(low, mono[int(t0 * SR) : int((t0 + 4.0) * SR)], t0, 4096, 6000, False)
    low.set_xlabel("seconds")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def measure(seeds: list[int], seconds: float, png_dir: str | None, tag: str) -> dict:
    table, speed = {}, {}
    for style in STYLES:
        render(style, 0, 4.0)  # warm up: imports and the synth's sample caches
        cpu = 0.0
        for seed in seeds:
            c0 = time.process_time()
            audio = render(style, seed, seconds)
            cpu += time.process_time() - c0
            table[f"{style}/{seed}"] = features(audio)
            if png_dir and seed == seeds[0]:
                path = Path(png_dir) / f"chip-{style}-{tag}.png"
                spectrogram_png(audio, path, f"{style} seed {seed} ({tag})")
        speed[style] = len(seeds) * seconds / cpu
    return {"features": table, "speed": speed}


def _baseline(rev: str, args: argparse.Namespace) -> dict:
    """The same measurement on the code of ``rev``, in a child process."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        tar = subprocess.run(
            ["git", "-C", str(root), "archive", rev, "shared"], check=True, capture_output=True
        ).stdout
        tar_path = Path(tmp) / "rev.tar"
        tar_path.write_bytes(tar)
        with tarfile.open(tar_path) as tf:
            tf.extractall(tmp, filter="data")
        env = {**os.environ, "PYTHONPATH": str(Path(tmp) / "shared")}
        cmd = [sys.executable, __file__, "--json", "--tag", "before",
               "--seeds", args.seeds, "--seconds", str(args.seconds)]
        if args.spectrograms:
            cmd += ["--spectrograms", str(Path(args.spectrograms).resolve())]
        got = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, cwd=tmp)
        return json.loads(got.stdout)


def report(name: str, res: dict) -> None:
    table = res["features"]
    print(f"\n== {name} ==")
    print(f"{'take':<12}" + "".join(f"{s:>13}" for s in SCALARS))
    for k, f in table.items():
        print(f"{k:<12}" + "".join(f"{f[s]:13.3f}" for s in SCALARS))
    for style in STYLES:
        rows = [f for k, f in table.items() if k.startswith(style + "/")]
        print(f"{style + ' mean':<12}" + "".join(
            f"{np.mean([r[s] for r in rows]):13.3f}" for s in SCALARS))
    for mono in (False, True):
        nn = nearest(table, mono)
        ok = sum(v[0].split("/")[0] == k.split("/")[0] for k, v in nn.items())
        margin = np.median([other / max(own, 1e-9) for own, other in
                            ((v[1], v[2]) for v in nn.values())])
        label = "mono features" if mono else "all features"
        print(f"nearest neighbour ({label}): {ok}/{len(nn)} takes nearest their own style; "
              f"median other/own distance {margin:.2f}")
        for k, (nb, own, other) in nn.items():
            print(f"    {k:<12} -> {nb:<12} own {own:6.2f}  other {other:6.2f}")
    print("synthesis speed (x real time, one process CPU): "
          + ", ".join(f"{s} {v:.0f}x" for s, v in res["speed"].items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1,2,3,4")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--baseline", help="git revision to compare with (e.g. main)")
    ap.add_argument("--spectrograms", help="folder for the spectrogram PNGs")
    ap.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    ap.add_argument("--tag", default="after", help=argparse.SUPPRESS)
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    before = _baseline(args.baseline, args) if args.baseline else None
    now = measure(seeds, args.seconds, args.spectrograms, args.tag)
    if args.json:
        print(json.dumps(now))
        return
    if before is not None:
        report(f"before ({args.baseline})", before)
    report("now (this tree)", now)


if __name__ == "__main__":
    main()
