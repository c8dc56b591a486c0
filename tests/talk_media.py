"""Real gameplay with a streamer talking at known times, built at test time.

The game audio is one of the captured Freedoom fixtures (tests/data/gameplay); the voice is
espeak-ng reading sentences. Written as OBS writes it: one mixed track (its default), or two
tracks (track 1 the game, track 2 the microphone).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from scipy import signal
from scipy.io import wavfile

from decoded import decode_track
from game_music.media.ffmpeg import run_ffmpeg
from game_music.media.probe import probe

SR = 48000
GAMEPLAY = Path(__file__).parent / "data" / "gameplay"
SENTENCES = (
    "The enemy is pushing through the middle, fall back and regroup.",
    "Nice shot, that was really close.",
    "I need some health before the next room.",
    "Watch out, there is a monster behind that door.",
    "Okay, let's try the other way around.",
    "Grab the shotgun and follow me.",
    "This level is much harder than I remembered.",
)
FIRST_S = 4.0  # the first sentence starts here
GAP_S = 6.5  # silence between sentences
VOICE_OVER_GAME_DB = 3.0  # a streamer's voice sits a little above the game


@dataclass(frozen=True)
class TalkClip:
    path: Path
    game: np.ndarray  # (n, 2) the game's own audio
    voice: np.ndarray  # (n, 2) the voice alone, as placed
    talk: tuple[tuple[float, float], ...]  # true speech spans, seconds
    two_tracks: bool


def espeak_exe() -> str:
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if not exe:
        pytest.skip("espeak-ng is not installed")
    return exe


def sentence(text: str, folder: Path) -> np.ndarray:
    """One spoken sentence, mono 48 kHz, trimmed to where the voice is."""
    wav = folder / f"say{abs(hash(text))}.wav"
    subprocess.run([espeak_exe(), "-w", str(wav), text], check=True, capture_output=True)
    rate, x = wavfile.read(wav)
    y = signal.resample_poly(x.astype(np.float64) / 32768.0, SR, rate)
    loud = np.flatnonzero(np.abs(y) > 0.01)
    return y[loud[0] : loud[-1] + 1]


def game_track(name: str) -> np.ndarray:
    info = probe(GAMEPLAY / f"{name}.mp4")
    return decode_track(info, info.audio[0].index)


def make_talk_clip(folder: Path, game_name: str, *, two_tracks: bool,
                   sentences: tuple[str, ...] = SENTENCES) -> TalkClip:
    game = game_track(game_name)
    meter = pyloudnorm.Meter(SR)
    game_lufs = meter.integrated_loudness(game)
    voice = np.zeros(len(game))
    talk, t = [], FIRST_S
    for text in sentences:
        x = sentence(text, folder)
        x *= 10 ** ((game_lufs + VOICE_OVER_GAME_DB - meter.integrated_loudness(x)) / 20)
        a = int(t * SR)
        if a + len(x) > len(game) - SR:
            break
        voice[a : a + len(x)] += x
        talk.append((t, t + len(x) / SR))
        t += len(x) / SR + GAP_S
    voice2 = np.repeat(voice[:, None], 2, axis=1).astype(np.float32)
    video = GAMEPLAY / f"{game_name}.mp4"
    out = folder / f"{game_name}_{'2tracks' if two_tracks else 'mixed'}.mkv"
    if two_tracks:
        wavfile.write(folder / "game.wav", SR, game)
        wavfile.write(folder / "mic.wav", SR, voice2)
        inputs = ["-i", str(folder / "game.wav"), "-i", str(folder / "mic.wav")]
        maps = ["-map", "1:a", "-map", "2:a"]
    else:
        wavfile.write(folder / "mix.wav", SR, np.clip(game + voice2, -1, 1))
        inputs, maps = ["-i", str(folder / "mix.wav")], ["-map", "1:a"]
    run_ffmpeg(["-i", str(video), *inputs, "-map", "0:v", *maps, "-c:v", "copy",
                "-c:a", "aac", "-b:a", "192k", "-shortest", str(out)], what="talk clip")
    return TalkClip(out, game, voice2, tuple(talk), two_tracks)


def frame_scores(curve: np.ndarray, talk: tuple[tuple[float, float], ...], hop: float = 0.02,
                 *, early: float = 0.2, late: float = 0.5) -> tuple[float, float]:
    """Frame recall inside the true spans, and precision against the spans widened by the
    lead and hangover a ducking detector is meant to add."""
    t = (np.arange(len(curve)) + 0.5) * hop
    truth = np.zeros(len(curve), bool)
    near = np.zeros(len(curve), bool)
    for a, b in talk:
        truth |= (t >= a) & (t < b)
        near |= (t >= a - early) & (t < b + late)
    on = curve > 0.5
    return float(on[truth].mean()), float(near[on].mean()) if on.any() else 1.0
