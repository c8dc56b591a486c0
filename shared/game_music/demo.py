"""A built-in sample: a gameplay-like clip with game sounds and a talking streamer.

Used by ``game-music demo``, the tests and the benchmarks, so nobody needs real footage.
Everything is generated: lavfi video scenes with hard cuts at known times, numpy game audio
(explosions, lasers, engine hum) and a formant-synthesised voice-like track.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal
from scipy.io import wavfile

from .media.ffmpeg import run_ffmpeg

SR = 48000

# Vowel formants (F1, F2, F3) in Hz: enough variety for a voice-activity detector to hear speech.
_VOWELS = ((730, 1090, 2440), (530, 1840, 2480), (270, 2290, 3010), (570, 840, 2410),
           (300, 870, 2240), (660, 1720, 2410))

# The random scenes take a seed (from the clip's): a clip is the same picture every time it is
# made, so what the engine makes of it (cuts, then the music) is too.
_SCENES = (
    "testsrc2=s={w}x{h}:r={fps}",
    "gradients=s={w}x{h}:r={fps}:speed=0.02:n=4:c0=0x2050c0:c1=0xe0a020:c2=0x30c060"
    ":c3=0xc03080:seed={seed}",
    "life=s={w}x{h}:r={fps}:mold=10:ratio=0.1:death_color=#102040:life_color=#30ff60"
    ":seed={seed}",
    "testsrc2=s={w}x{h}:r={fps},hue=h=140:s=2,vflip",
    "cellauto=s={w}x{h}:r={fps}:rule=110:seed={seed}",
    "smptehdbars=s={w}x{h}:r={fps},hue=H=2*PI*t/3",
)


@dataclass(frozen=True)
class SampleClip:
    path: Path
    duration: float
    cuts: tuple[float, ...]  # true scene-cut times (s)
    speech: tuple[tuple[float, float], ...]  # true speech spans (s)


def scene_cuts(seconds: float, mean_scene: float, rng: np.random.Generator) -> list[float]:
    cuts, t = [], 0.0
    while True:
        t += float(rng.uniform(0.6, 1.4) * mean_scene)
        if t > seconds - 1.0:
            return cuts
        cuts.append(round(t, 2))


def voice_like(
    seconds: float, rng: np.random.Generator
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Phrases of formant-filtered glottal pulses with syllable rhythm and pitch contour."""
    out = np.zeros(int(seconds * SR), dtype=np.float64)
    spans: list[tuple[float, float]] = []
    t = float(rng.uniform(0.8, 2.0))
    while t < seconds - 1.5:
        phrase = float(rng.uniform(1.5, 3.5))
        end = min(t + phrase, seconds - 0.5)
        spans.append((round(t, 3), round(end, 3)))
        s = t
        f0_base = float(rng.uniform(105, 160))
        while s < end - 0.1:
            syl = float(rng.uniform(0.12, 0.26))
            n = int(syl * SR)
            i0 = int(s * SR)
            tt = np.arange(n) / SR
            f0 = f0_base * (1 + 0.12 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * (s + tt)))
            phase = np.cumsum(f0 / SR)
            pulses = (np.diff(np.floor(phase), prepend=0) > 0).astype(np.float64)
            src = signal.lfilter([1.0], [1.0, -0.97], pulses) + 0.02 * rng.standard_normal(n)
            f1, f2, f3 = _VOWELS[int(rng.integers(len(_VOWELS)))]
            voiced = np.zeros(n)
            for f, bw, g in ((f1, 90, 1.0), (f2, 110, 0.6), (f3, 160, 0.3)):
                b, a = signal.iirpeak(f, f / bw, fs=SR)
                voiced += g * signal.lfilter(b, a, src)
            env = np.sin(np.pi * np.clip(tt / syl, 0, 1)) ** 0.6
            out[i0:i0 + n] += voiced * env
            s += syl + float(rng.uniform(0.0, 0.06))
        t = end + float(rng.uniform(1.0, 3.0))
    peak = np.max(np.abs(out)) or 1.0
    return (0.5 * out / peak).astype(np.float32), spans


def game_like(seconds: float, cuts: list[float], rng: np.random.Generator) -> np.ndarray:
    """Engine hum, laser blips and explosions (louder around cuts: 'action')."""
    n = int(seconds * SR)
    tt = np.arange(n) / SR
    hum = 0.04 * np.sin(2 * np.pi * 55 * tt) * (1 + 0.3 * np.sin(2 * np.pi * 0.2 * tt))
    out = hum.astype(np.float64)
    events = sorted([*cuts, *rng.uniform(0, seconds, size=int(seconds / 2)).tolist()])
    for ev in events:
        i0 = int(ev * SR)
        if rng.random() < 0.5:  # explosion: low-passed noise burst
            m = min(n - i0, int(0.8 * SR))
            burst = rng.standard_normal(m) * np.exp(-np.arange(m) / (0.18 * SR))
            b, a = signal.butter(2, 900, fs=SR)
            out[i0:i0 + m] += 0.35 * signal.lfilter(b, a, burst)
        else:  # laser: falling square sweep
            m = min(n - i0, int(0.25 * SR))
            f = np.linspace(1800, 300, m)
            out[i0:i0 + m] += 0.08 * np.sign(np.sin(2 * np.pi * np.cumsum(f) / SR)) * np.exp(
                -np.arange(m) / (0.08 * SR))
    return np.clip(out, -1, 1).astype(np.float32)


def make_sample_clip(
    path: str | Path,
    *,
    seconds: float = 20.0,
    width: int = 1280,
    height: int = 720,
    fps: int = 30,
    vcodec: str = "libx264",
    voice: bool = True,
    voice_track: bool = False,
    audio: bool = True,
    mean_scene: float = 4.0,
    video_bitrate: str | None = None,
    seed: int = 0,
) -> SampleClip:
    """Write a gameplay-like clip to ``path`` (container from its suffix) and describe it.

    The voice is mixed into track 1 like OBS's default; ``voice_track`` also puts it alone on
    a second track titled "Mic/Aux" (OBS multi-track recording).
    """
    path = Path(path)
    rng = np.random.default_rng(seed)
    cuts = scene_cuts(seconds, mean_scene, rng)
    bounds = [0.0, *cuts, seconds]
    args: list[str] = []
    for k in range(len(bounds) - 1):
        dur = bounds[k + 1] - bounds[k]
        src = _SCENES[k % len(_SCENES)].format(w=width, h=height, fps=fps, seed=seed * 101 + k)
        args += ["-f", "lavfi", "-i", f"{src},trim=duration={dur:.3f},setpts=PTS-STARTPTS"]
    nv = len(bounds) - 1
    vf = "".join(f"[{i}:v]" for i in range(nv)) + f"concat=n={nv}:v=1:a=0,format=yuv420p[v]"
    speech: list[tuple[float, float]] = []
    wavs: list[Path] = []
    if audio:
        game = game_like(seconds, cuts, rng)
        mix = game.copy()
        vo = np.zeros_like(game)
        if voice:
            vo, speech = voice_like(seconds, rng)
            mix = np.clip(game + vo, -1, 1)
        wavs.append(path.with_name(f".{path.stem}.mix.wav"))
        wavfile.write(wavs[-1], SR, np.stack([mix, mix], axis=1))
        if voice_track:
            wavs.append(path.with_name(f".{path.stem}.voice.wav"))
            wavfile.write(wavs[-1], SR, vo)
    for w in wavs:
        args += ["-i", str(w)]
    args += ["-filter_complex", vf, "-map", "[v]"]
    for i in range(len(wavs)):
        args += ["-map", f"{nv + i}:a"]
    vopts = ["-c:v", vcodec]
    if vcodec == "libx264":
        vopts += ["-preset", "veryfast", "-g", str(2 * fps), "-bf", "2"]
    if video_bitrate:
        vopts += ["-b:v", video_bitrate, "-maxrate", video_bitrate, "-bufsize", video_bitrate]
    else:
        vopts += ["-crf", "26"] if vcodec in ("libx264", "libx265") else []
    args += vopts
    if wavs:
        args += ["-c:a", "aac", "-b:a", "160k", "-ar", "48000"]
    if voice_track:
        args += ["-metadata:s:a:0", "title=Track 1", "-metadata:s:a:1", "title=Mic/Aux"]
    args += ["-t", f"{seconds:.3f}", str(path)]
    try:
        run_ffmpeg(args, what="making the sample clip")
    finally:
        for w in wavs:
            w.unlink(missing_ok=True)
    return SampleClip(path, seconds, tuple(cuts), tuple(speech))
