"""The analyse stage end to end: a generated recording with a game track and a mic track."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from game_music.analysis import HOP_S, analyse, analyse_file, spans
from game_music.media.audio import decode_audio, pick_streams
from game_music.media.ffmpeg import run_ffmpeg
from game_music.media.probe import MediaInfo, probe
from talk_media import sentence

from .media import scene_clip
from .signals import SR, explosion, music, place

DURATIONS = [2.2, 2.5, 2.3]
WORDS = [(1.0, "Fall back and regroup."), (4.5, "Nice shot, that was close.")]
TALK: list[tuple[float, float]] = []  # filled in by the fixture from the spoken lengths


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[MediaInfo, list[float]]:
    folder = tmp_path_factory.mktemp("rec")
    video = folder / "video.mkv"
    cuts = scene_clip(video, DURATIONS, audio=None)
    total = sum(DURATIONS)
    rng = np.random.default_rng(7)
    game = place(total, [(0.0, music(total, level=0.2)), (3.0, explosion(1.0, rng))])
    said = [(a, 0.4 * sentence(text, folder)) for a, text in WORDS]
    TALK[:] = [(a, a + len(x) / SR) for a, x in said]
    mic = place(total, said)
    for name, x in (("game.wav", game), ("mic.wav", mic)):
        wavfile.write(folder / name, SR, x)
    out = folder / "recording.mkv"
    run_ffmpeg(["-i", str(video), "-i", str(folder / "game.wav"), "-i", str(folder / "mic.wav"),
                "-map", "0:v", "-map", "1:a", "-map", "2:a", "-c:v", "copy", "-c:a", "aac",
                "-metadata:s:a:1", "title=Mic/Aux", str(out)])
    return probe(out), cuts


def test_analyse_uses_the_mic_track_for_speech(recording: tuple[MediaInfo, list[float]]) -> None:
    info, cuts = recording
    game_idx, voice_idx = pick_streams(info)
    assert voice_idx is not None
    game, voice = decode_audio(info, game_idx), decode_audio(info, voice_idx)
    seen: list[float] = []
    result = analyse(info, game, voice, progress=seen.append)
    n = math.ceil(info.duration / HOP_S)
    for curve in (result.energy, result.speech, result.motion):
        assert curve.shape == (n,) and curve.dtype == np.float32
    assert result.hop == HOP_S and result.duration == info.duration and result.has_audio
    assert seen == sorted(seen) and seen[-1] == 1.0
    # Speech where the mic talks (the game track is music and an explosion only).
    found = spans(result.speech)
    assert len(found) == len(TALK)
    for (a, b), (fa, fb) in zip(TALK, found, strict=True):
        assert abs(fa - a) < 0.3 and abs(fb - b) < 0.6
    # The explosion is the loudest moment of the game track.
    assert 3.0 <= np.argmax(result.energy) * HOP_S <= 4.0
    assert all(any(abs(c.time - t) <= 0.1 for c in result.cuts) for t in cuts)
    assert set(result.summary()) >= {"cuts", "speech_fraction", "mean_energy"}

    # Without the mic track, speech comes from the mix (here: no one talks on it).
    mix_only = analyse(info, game, None)
    assert (mix_only.speech > 0.5).mean() < 0.1


def test_streaming_analysis_matches(recording: tuple[MediaInfo, list[float]]) -> None:
    info, _ = recording
    game_idx, voice_idx = pick_streams(info)
    whole = analyse(info, decode_audio(info, game_idx), decode_audio(info, voice_idx))
    streamed = analyse_file(info, block_seconds=1.3)
    np.testing.assert_allclose(streamed.energy, whole.energy, atol=1e-4)
    np.testing.assert_array_equal(streamed.speech, whole.speech)
    assert streamed.cuts == whole.cuts


def test_no_audio_gives_flat_curves(tmp_path: Path) -> None:
    path = tmp_path / "silent.mp4"
    scene_clip(path, [1.5, 1.2], audio=None)
    info = probe(path)
    result = analyse(info, decode_audio(info), None)
    assert not result.has_audio
    assert not result.energy.any() and not result.speech.any()
    assert result.motion.shape == (math.ceil(info.duration / HOP_S),)
    assert analyse_file(info).speech.shape == result.speech.shape


def test_audio_of_a_range_lands_at_its_place(recording: tuple[MediaInfo, list[float]]) -> None:
    info, _ = recording
    _, voice_idx = pick_streams(info)
    part = decode_audio(info, voice_idx, start=4.0, duration=3.0)
    result = analyse(info, None, part, audio_start=4.0)
    assert result.speech.shape == (math.ceil(info.duration / HOP_S),)
    found = spans(result.speech)
    assert len(found) == 1 and abs(found[0][0] - TALK[1][0]) < 0.3
    assert not result.speech[: int(3.9 / HOP_S)].any()
