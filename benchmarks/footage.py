"""Benchmark footage that decodes like gameplay, not like a test pattern.

Test patterns (``testsrc2``, bars, gradients) are flat colour: their frames cost a decoder
little, so a benchmark on them flatters every stage that touches pixels. This clip is built
the way a game screen behaves: a detailed textured world (fractal terrain, about 1/f like
natural scenes) that the camera pans and sways across in the lower half, a slower sky above,
a sprite moving through, light temporal grain on everything (sensor-like noise that defeats
skip blocks), hard cuts to a new place every few seconds, encoded as OBS writes it by
default: x264 veryfast, High profile, constant 6 Mb/s, a keyframe every 2 s. Audio is the
demo's game sounds with a talking streamer.

    from footage import gameplay_clip
    clip = gameplay_clip(Path("rec.mkv"), seconds=120)   # cached: built once per path

``bench_recording`` is the 1080p60 input the engine benchmarks share, of either footage.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.io import wavfile

from game_music.demo import SR, SampleClip, game_like, make_sample_clip, scene_cuts, voice_like
from game_music.media.ffmpeg import run_ffmpeg


def _fractal(h: int, w: int, beta: float, rng: np.random.Generator) -> np.ndarray:
    """Noise with a 1/f**beta spectrum, 0..1: soft for large beta, detailed for small."""
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    f = np.hypot(fx, fy)
    f[0, 0] = 1.0
    spec = (rng.normal(size=f.shape) + 1j * rng.normal(size=f.shape)) / f**beta
    x = np.fft.irfft2(spec, s=(h, w))
    return (x - x.min()) / (x.max() - x.min())


def _texture(path: Path, height: int, width: int, rng: np.random.Generator) -> None:
    """A world twice the screen's width: terrain colours with detail at every scale."""
    a, b, c = (_fractal(height, 2 * width, beta, rng) for beta in (1.1, 0.6, 1.6))
    img = np.stack([0.35 + 0.5 * a, 0.25 + 0.45 * a * b + 0.2 * b, 0.15 + 0.3 * b], -1)
    img = np.clip(img * (0.6 + 0.8 * c)[..., None], 0.0, 1.0)
    Image.fromarray((img * 255).astype(np.uint8)).save(path)


def _scene(k: int, w: int, h: int, fps: int, dur: float) -> str:
    """One place of the world: where the camera stands, the sky's hue, how it sways."""
    half = h // 2
    x0, y0, hue = (k * 733) % w, (k * 211) % max(1, h - half), (k * 47) % 360
    sway = 0.6 + 0.15 * (k % 4)
    return (
        f"[i{k}]trim=duration={dur:.3f},setpts=PTS-STARTPTS,split[s{k}][f{k}];"
        f"[s{k}]crop={w}:{half}:x='mod({x0}+t*40,{w})':y=0,hue=h={hue}:s=0.6[t{k}];"
        f"[f{k}]crop={w}:{h - half}:x='{w // 2}+{w // 3}*sin(t*{sway:.2f}+{k})"
        f"+{w // 10}*sin(t*2.3)':y='{(h - half) // 2}+{y0 // 3}*sin(t*0.7)'[b{k}];"
        f"[t{k}][b{k}]vstack[w{k}];"
        f"testsrc2=s={w // 8}x{h // 8}:r={fps},trim=duration={dur:.3f}[p{k}];"
        f"[w{k}][p{k}]overlay=x='mod(t*{w // 6},W)':y='{half}+{h // 6}*sin(t*3)'[v{k}];"
    )


def gameplay_clip(path: Path, *, seconds: float = 120.0, width: int = 1920, height: int = 1080,
                  fps: int = 60, bitrate: str = "6M", seed: int = 0) -> SampleClip:
    """Write (once: an existing file is reused) a gameplay-like recording to ``path``."""
    rng = np.random.default_rng(seed)
    cuts = scene_cuts(seconds, 6.0, rng)
    game = game_like(seconds, cuts, rng)
    voice, speech = voice_like(seconds, rng)
    clip = SampleClip(path, seconds, tuple(cuts), tuple(speech))
    if path.exists():
        return clip
    bounds = [0.0, *cuts, seconds]
    with tempfile.TemporaryDirectory(prefix="footage-") as tmp:
        tex, wav = Path(tmp) / "world.png", Path(tmp) / "audio.wav"
        _texture(tex, height, width, rng)
        mix = np.clip(game + voice, -1, 1)
        wavfile.write(wav, SR, np.stack([mix, mix], axis=1))
        n = len(bounds) - 1
        # Each scene reads its own copy of the looped world picture.
        graph = f"[0:v]split={n}" + "".join(f"[i{k}]" for k in range(n)) + ";" + "".join(
            _scene(k, width, height, fps, bounds[k + 1] - bounds[k]) for k in range(n))
        graph += ("".join(f"[v{k}]" for k in range(n))
                  + f"concat=n={n}:v=1:a=0,noise=alls=5:allf=t,format=yuv420p[v]")
        part = path.with_name(f".{path.name}.part{path.suffix}")
        run_ffmpeg([
            "-loop", "1", "-framerate", str(fps), "-i", str(tex), "-i", str(wav),
            "-filter_complex", graph, "-map", "[v]", "-map", "1:a",
            "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high",
            "-g", str(2 * fps), "-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate,
            "-c:a", "aac", "-b:a", "160k", "-ar", str(SR), "-t", f"{seconds:.3f}", str(part),
        ], what="making the gameplay-like clip")  # fmt: skip
        part.replace(path)
    return clip


FOOTAGE = ("gameplay", "pattern")


def bench_recording(folder: Path, footage: str, seconds: float) -> Path:
    """The benchmarks' 1920x1080 60 fps recording in ``folder`` (made once): ``gameplay``
    footage, or ``pattern`` (the demo's test-pattern scenes, which cost a decoder far less)."""
    src = folder / f"{footage}-{int(seconds)}s-1080p60.mkv"
    if not src.exists():
        print(f"generating {src} ...", file=sys.stderr)
        if footage == "gameplay":
            gameplay_clip(src, seconds=seconds)
        else:
            make_sample_clip(src, seconds=seconds, width=1920, height=1080, fps=60,
                             video_bitrate="6M", mean_scene=6.0, voice_track=False)
    return src
