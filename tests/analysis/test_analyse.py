"""The analyse stage the engine runs, end to end: a generated recording with a game track and a
mic track."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from game_music.analysis import HOP_S, analyse_file, spans
from game_music.media.audio import pick_streams
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
    _, voice_idx = pick_streams(info)
    assert voice_idx is not None
    seen: list[float] = []
    result = analyse_file(info, progress=seen.append)
    n = math.ceil(info.video.duration / HOP_S)
    for curve in (result.energy, result.speech, result.motion):
        assert curve.shape == (n,) and curve.dtype == np.float32
    assert result.hop == HOP_S and result.duration == info.video.duration and result.has_audio
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
    mix_only = analyse_file(info, voice_track=0)
    assert (mix_only.speech > 0.5).mean() < 0.1
    np.testing.assert_array_equal(mix_only.energy, result.energy)


def test_block_size_does_not_change_the_analysis(
        recording: tuple[MediaInfo, list[float]]) -> None:
    info, _ = recording
    whole = analyse_file(info, block_s=info.duration + 1.0)  # the whole track in one block
    streamed = analyse_file(info, block_s=1.3)
    np.testing.assert_allclose(streamed.energy, whole.energy, atol=1e-4)
    np.testing.assert_array_equal(streamed.speech, whole.speech)
    assert streamed.cuts == whole.cuts
    assert streamed.game_music_share == pytest.approx(whole.game_music_share, abs=0.02)


def test_no_audio_gives_flat_curves(tmp_path: Path) -> None:
    path = tmp_path / "silent.mp4"
    scene_clip(path, [1.5, 1.2], audio=None)
    info = probe(path)
    result = analyse_file(info)
    assert not result.has_audio
    assert not result.energy.any() and not result.speech.any()
    assert result.motion.shape == result.speech.shape == (math.ceil(info.duration / HOP_S),)
    assert result.cuts and result.game_music_share == 0.0


def test_a_range_is_analysed_on_its_own_timeline(
        recording: tuple[MediaInfo, list[float]]) -> None:
    info, cuts = recording
    whole = analyse_file(info)
    start, end = 4.0, 7.0
    part = analyse_file(info, span=(start, end))
    n = math.ceil((end - start) / HOP_S)
    assert part.duration == end - start
    for curve in (part.energy, part.speech, part.motion):
        assert curve.shape == (n,)
    # The second sentence starts at 4.5 s of the video: 0.5 s into the range.
    found = spans(part.speech)
    assert len(found) == 1 and abs(found[0][0] - (TALK[1][0] - start)) < 0.3
    assert [round(c.time + start, 6) for c in part.cuts] == \
        [round(c.time, 6) for c in whole.cuts if start < c.time < end]
    assert any(abs(c.time - (cuts[-1] - start)) <= 0.1 for c in part.cuts)  # the cut at 4.7 s
    i0 = int(round(start / HOP_S))
    np.testing.assert_array_equal(part.motion, whole.motion[i0 : i0 + n])
