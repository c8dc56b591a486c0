"""Audio features a listener would name, from numpy/scipy only (tests and docs use them).

Tempo (onset autocorrelation), spectral centroid/rolloff/flatness, onset density, a
key-independent chroma profile, low/high band energy shares, stereo width and dynamics.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks

N_FFT = 2048
HOP = 512


def _frames(x: np.ndarray) -> np.ndarray:
    n = 1 + max(0, (len(x) - N_FFT) // HOP)
    x = np.pad(x, (0, max(0, N_FFT - len(x))))
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n)[:, None]
    return x[idx] * np.hanning(N_FFT)[None, :]


def spectrogram(audio: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Magnitude STFT (frames x bins) of the mono mix and the bin frequencies."""
    mono = np.asarray(audio, np.float64).reshape(len(audio), -1).mean(axis=1)
    mag = np.abs(np.fft.rfft(_frames(mono), axis=1))
    return mag, np.fft.rfftfreq(N_FFT, 1.0 / sr)


def onset_envelope(mag: np.ndarray) -> np.ndarray:
    """Spectral flux of log magnitude: how much new energy each frame brings."""
    logm = np.log1p(100.0 * mag / (mag.max() + 1e-12))
    return np.maximum(np.diff(logm, axis=0), 0.0).sum(axis=1)


def tempo_bpm(env: np.ndarray, sr: int, lo: float = 55.0, hi: float = 200.0) -> float:
    return beat(env, sr, lo, hi)[0]


def beat(env: np.ndarray, sr: int, lo: float = 55.0, hi: float = 200.0) -> tuple[float, float]:
    """Beat rate from the autocorrelation of the onset envelope (may be an octave off), and
    how clear the pulse is (0: none; 1.75: a metronome).

    Each candidate tempo scores the (interpolated) autocorrelation at one, two and four beats,
    so a beat that falls between two frame lags is still found."""
    e = env - env.mean()
    ac = np.correlate(e, e, mode="full")[len(e) - 1 :]
    ac = ac / (ac[0] + 1e-12)
    fps = sr / HOP
    bpm = np.arange(lo, hi + 0.01, 0.5)
    lag = 60.0 * fps / bpm
    score = np.zeros_like(bpm)
    for k, w in ((1, 1.0), (2, 0.5), (4, 0.25)):
        ok = k * lag < len(ac) - 1
        score[ok] += w * np.interp(k * lag[ok], np.arange(len(ac)), ac)
    # a mild preference for ~120 bpm, as beat trackers have, against octave flips
    score *= np.exp(-0.5 * (np.log2(bpm / 120.0) / 1.4) ** 2)
    best = int(np.argmax(score))
    return float(bpm[best]), float(score[best])


def chroma_profile(mag: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """Mean pitch-class energy (55 Hz-4 kHz), rotated so the strongest class comes first."""
    band = (freqs >= 55.0) & (freqs <= 4000.0)
    pc = np.rint(12 * np.log2(freqs[band] / 440.0) + 69).astype(int) % 12
    per_frame = np.zeros((mag.shape[0], 12))
    for k in range(12):
        per_frame[:, k] = (mag[:, band][:, pc == k] ** 2).sum(axis=1)
    per_frame /= per_frame.sum(axis=1, keepdims=True) + 1e-12
    c = per_frame.mean(axis=0)
    return np.roll(c, -int(np.argmax(c)))


OCTAVES = (62.5, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0)


def band_profile(power: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """Share of the energy in each octave band (below 62.5 Hz ... above 8 kHz), in dB: a
    coarse spectral envelope, the timbre a listener names first."""
    edges = (0.0, *OCTAVES, np.inf)
    total = power.sum() + 1e-20
    pairs = zip(edges[:-1], edges[1:], strict=True)
    shares = [power[:, (freqs >= a) & (freqs < b)].sum() / total for a, b in pairs]
    return 10 * np.log10(np.asarray(shares) + 1e-6)


def features(audio: np.ndarray, sr: int) -> dict[str, float | np.ndarray]:
    audio = np.asarray(audio, np.float64)
    mag, freqs = spectrogram(audio, sr)
    power = mag**2
    total = power.sum(axis=1) + 1e-20
    active = total > 1e-4 * total.max()
    w = total[active] / total[active].sum()
    centroid = (power * freqs).sum(axis=1) / total
    cum = np.cumsum(power, axis=1) / total[:, None]
    rolloff = freqs[np.argmax(cum >= 0.85, axis=1)]
    band = (freqs >= 50) & (freqs <= 16000)
    p = power[:, band] + 1e-20
    flatness = np.exp(np.log(p).mean(axis=1)) / p.mean(axis=1)
    env = onset_envelope(mag)
    peaks, _ = find_peaks(
        env, height=np.median(env) + 1.5 * np.median(np.abs(env - np.median(env))),
        distance=max(1, int(0.07 * sr / HOP)),
    )
    seconds = len(audio) / sr
    bpm, pulse = beat(env, sr)
    frame_db = 10 * np.log10(total[active] / N_FFT)
    side = 0.5 * (audio[:, 0] - audio[:, 1]) if audio.shape[1] > 1 else np.zeros(len(audio))
    return {
        "tempo_bpm": bpm,
        "pulse": pulse,
        "centroid_hz": float((centroid[active] * w).sum()),
        "centroid_spread": float(np.std(np.log2(centroid[active] + 1.0))),
        "rolloff_hz": float((rolloff[active] * w).sum()),
        "flatness": float((flatness[active] * w).sum()),
        "low_ratio": float(power[:, freqs < 150].sum() / total.sum()),
        "high_ratio": float(power[:, freqs > 4000].sum() / total.sum()),
        "onsets_per_s": len(peaks) / max(seconds, 1e-9),
        "width": float((side**2).sum() / ((audio**2).sum() / audio.shape[1] + 1e-20)),
        "dynamics_db": float(np.std(frame_db)),
        "chroma": chroma_profile(mag, freqs),
        "bands": band_profile(power, freqs),
    }


SCALARS = (
    "tempo_bpm", "centroid_hz", "centroid_spread", "rolloff_hz", "flatness", "low_ratio",
    "high_ratio", "onsets_per_s", "width", "dynamics_db", "pulse",
)


def vector(f: dict[str, float | np.ndarray]) -> np.ndarray:
    """One row for a classifier: the scalars on musical (log) scales, bands, then chroma."""
    scal = [
        np.log2(max(float(f["tempo_bpm"]), 1.0)),
        np.log2(float(f["centroid_hz"]) + 1.0),
        float(f["centroid_spread"]),
        np.log2(float(f["rolloff_hz"]) + 1.0),
        float(f["flatness"]),
        float(f["low_ratio"]),
        float(f["high_ratio"]),
        float(f["onsets_per_s"]),
        float(f["width"]),
        float(f["dynamics_db"]),
        float(f["pulse"]),
    ]
    return np.concatenate([scal, np.asarray(f["bands"]), np.asarray(f["chroma"], np.float64)])


# Weights of the standardised dimensions: the 12 chroma bins count as one feature together.
WEIGHTS = np.concatenate(
    [np.ones(len(SCALARS)), np.ones(len(OCTAVES) + 1), np.full(12, 1.0 / np.sqrt(12.0))]
)
