"""Record the real-gameplay test clips in tests/data/gameplay/.

Freedoom (Debian ``freedoom``) played by Chocolate Doom (``chocolate-doom``) under Xvfb: its
attract loop runs the title screen and real demo levels. The picture is grabbed with ffmpeg's
x11grab and the game's own audio with SDL's disk audio driver (raw s16le 44.1 kHz stereo,
written in real time); the byte count of that file when the grab starts gives the audio offset.
The output is what OBS writes by default: H.264 High, yuv420p, 30 fps, AAC 48 kHz stereo.

    python scripts/capture_gameplay.py [--seconds 75] [--out tests/data/gameplay]

Two clips: ``doom_music.mp4`` (game music and effects) and ``doom_sfx.mp4`` (``-nomusic``:
effects only). Voices are added at test time (tests/gameplay/voice.py).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg

IWAD = "/usr/share/games/doom/freedoom1.wad"
DOOM = "/usr/games/chocolate-doom"
SCREEN = (640, 480)
BYTES_PER_S = 44100 * 2 * 2


def capture(name: str, seconds: float, out: Path, extra: list[str], display: int) -> Path:
    ff = imageio_ffmpeg.get_ffmpeg_exe()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "audio.raw"
        env = dict(os.environ, DISPLAY=f":{display}", HOME=tmp, SDL_AUDIODRIVER="disk",
                   SDL_DISKAUDIOFILE=str(raw))  # fmt: skip
        xvfb = subprocess.Popen(
            ["Xvfb", f":{display}", "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
             "-nolisten", "tcp"]
        )
        try:
            time.sleep(1.0)
            doom = subprocess.Popen(
                [DOOM, "-iwad", IWAD, "-window", "-geometry", f"{SCREEN[0]}x{SCREEN[1]}",
                 "-nograbmouse", *extra],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                time.sleep(2.0)
                video = Path(tmp) / "video.mkv"
                offset = raw.stat().st_size if raw.exists() else 0
                subprocess.run(
                    [ff, "-y", "-loglevel", "error", "-f", "x11grab", "-draw_mouse", "0",
                     "-framerate", "30", "-video_size", f"{SCREEN[0]}x{SCREEN[1]}",
                     "-i", f":{display}", "-t", str(seconds), "-c:v", "libx264",
                     "-preset", "ultrafast", "-qp", "0", str(video)],
                    env=env, check=True,
                )  # fmt: skip
                time.sleep(0.5)
            finally:
                doom.terminate()
                doom.wait()
        finally:
            xvfb.terminate()
            xvfb.wait()
        offset -= offset % 4
        dest = out / f"{name}.mp4"
        # 4:3 game on a 16:9 canvas (854x480), as an OBS scene with the game window centred.
        subprocess.run(
            [ff, "-y", "-loglevel", "error", "-i", str(video),
             "-f", "s16le", "-ar", "44100", "-ac", "2", "-ss", f"{offset / BYTES_PER_S:.4f}",
             "-i", str(raw), "-map", "0:v", "-map", "1:a", "-t", str(seconds),
             "-vf", "scale=640:480,pad=854:480:107:0,format=yuv420p",
             "-c:v", "libx264", "-profile:v", "high", "-preset", "medium", "-crf", "30",
             "-g", "60", "-r", "30", "-c:a", "aac", "-ar", "48000", "-ac", "2", "-b:a", "128k",
             "-movflags", "+faststart", str(dest)],
            check=True,
        )  # fmt: skip
    return dest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=75.0)
    ap.add_argument("--out", type=Path, default=Path("tests/data/gameplay"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(capture("doom_music", args.seconds, args.out, [], 93))
    print(capture("doom_sfx", args.seconds, args.out, ["-nomusic"], 94))


if __name__ == "__main__":
    main()
