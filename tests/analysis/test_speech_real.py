"""Speech activity on real captured gameplay, with and without a voice, on one mixed track
and on a separate mic track (the figures issue 14 asks for)."""

from __future__ import annotations

from pathlib import Path

import pytest

from game_music.analysis import analyse_file, hop_count, speech_curve
from game_music.media.audio import SAMPLE_RATE
from game_music.media.probe import probe
from talk_media import frame_scores, game_track, make_talk_clip

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ["doom_music", "doom_sfx"])
def test_gameplay_without_a_voice_is_not_speech(name: str) -> None:
    game = game_track(name)
    curve = speech_curve(game, hop_count(len(game) / SAMPLE_RATE))
    fraction = float((curve > 0.5).mean())
    print(f"{name}: speech fraction {fraction:.3%}")
    assert fraction < 0.01


@pytest.mark.parametrize("name", ["doom_music", "doom_sfx"])
@pytest.mark.parametrize("two_tracks", [False, True], ids=["mixed", "mic"])
def test_talk_over_gameplay_is_found(tmp_path: Path, name: str, two_tracks: bool) -> None:
    clip = make_talk_clip(tmp_path, name, two_tracks=two_tracks)
    result = analyse_file(probe(clip.path))
    recall, precision = frame_scores(result.speech, clip.talk)
    print(f"{name} {'mic' if two_tracks else 'mixed'}: recall {recall:.3f} "
          f"precision {precision:.3f}")
    assert recall >= 0.85 and precision >= 0.9
    # No talk outside the sentences (at most a blip), and every sentence found.
    assert result.summary()["speech_fraction"] < 1.3 * sum(b - a for a, b in clip.talk) / 75
