"""Generated test media for the analysis tests: scene clips with cuts at known times."""

from __future__ import annotations

from pathlib import Path

from game_music.media.ffmpeg import run_ffmpeg

# Visually distinct lavfi scenes (each takes "{size}" and "{fps}"). The random ones (noise,
# gradients, cellauto) are seeded: unseeded, each run drew other pictures, and a cut between
# two of them was missed now and then.
SCENES = (
    "testsrc2=s={size}:r={fps}",
    "smptebars=s={size}:r={fps}",
    "mandelbrot=s={size}:r={fps}",
    "color=c=0x806040:s={size}:r={fps},noise=alls=25:allf=t:all_seed=1",
    "testsrc2=s={size}:r={fps},hue=h=140,negate",
    "gradients=s={size}:r={fps}:speed=0.004:c0=0x0040ff:c1=0xffd000:seed=1",
    "cellauto=s={size}:r={fps}:rule=110:seed=1,scale={size}",
)

VIDEO_CODECS = {
    # OBS-like x264: veryfast, 2-4 s GOP, scene-cut I-frames.
    "x264": ["-c:v", "libx264", "-preset", "veryfast", "-g", "120", "-pix_fmt", "yuv420p"],
    # Like a hardware encoder without look-ahead: fixed GOP, no scene-cut I-frames, B-frames.
    "x264-nosc": ["-c:v", "libx264", "-preset", "veryfast", "-g", "120", "-bf", "3",
                  "-x264-params", "scenecut=0", "-pix_fmt", "yuv420p"],
    "hevc": ["-c:v", "libx265", "-preset", "ultrafast", "-g", "120",
             "-x265-params", "log-level=error", "-pix_fmt", "yuv420p"],
    "vp9": ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "600k",
            "-g", "120"],
    "mpeg4": ["-c:v", "mpeg4", "-q:v", "5", "-g", "120"],
}


def scene_clip(
    path: Path,
    durations: list[float],
    *,
    codec: str = "x264",
    size: str = "320x180",
    fps: int | list[int] = 30,
    audio: str | None = "sine=f=330:r=48000",
) -> list[float]:
    """Write a clip of consecutive scenes; return the true cut times."""
    rates = fps if isinstance(fps, list) else [fps] * len(durations)
    args: list[str] = []
    for k, (d, r) in enumerate(zip(durations, rates, strict=True)):
        src = SCENES[k % len(SCENES)].format(size=size, fps=r)
        args += ["-f", "lavfi", "-i", f"{src},trim=duration={d},setpts=PTS-STARTPTS"]
    n = len(durations)
    graph = "".join(f"[{k}:v]" for k in range(n)) + f"concat=n={n}:v=1:a=0,format=yuv420p[v]"
    if audio:
        args += ["-f", "lavfi", "-i", f"{audio}:d={sum(durations)}"]
    args += ["-filter_complex", graph, "-map", "[v]"]
    if audio:
        args += ["-map", f"{n}:a", "-c:a", "aac" if path.suffix != ".webm" else "libopus"]
    if isinstance(fps, list):
        args += ["-fps_mode", "vfr"]
    run_ffmpeg([*args, *VIDEO_CODECS[codec], str(path)], what="scene clip")
    cuts, t = [], 0.0
    for d in durations[:-1]:
        t += d
        cuts.append(round(t, 6))
    return cuts
