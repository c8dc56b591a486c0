"""The game track's own music, estimated on the captured Freedoom gameplay."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from game_music.analysis import hop_count, speech_curve
from game_music.analysis.game_music import MUSIC_SHARE, GameMusicMeter
from game_music.media.audio import SAMPLE_RATE
from talk_media import game_track, make_talk_clip

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("name", "music"), [("doom_music", True), ("doom_sfx", False)])
def test_music_in_the_game_track_is_found(name: str, music: bool) -> None:
    game = game_track(name)
    meter = GameMusicMeter()
    meter.feed(game)
    est = meter.estimate()
    print(f"{name}: music share {est.share:.3f}")
    assert est.carries_music is music
    assert (est.share >= 2 * MUSIC_SHARE) if music else (est.share < MUSIC_SHARE / 3)


def test_blocks_give_the_same_estimate() -> None:
    game = game_track("doom_music")
    whole = GameMusicMeter()
    whole.feed(game)
    parts = GameMusicMeter()
    step = int(3.3 * SAMPLE_RATE) + 7
    for i in range(0, len(game), step):
        parts.feed(game[i : i + step])
    assert parts.estimate() == whole.estimate()


def test_a_voice_on_the_track_is_not_music(tmp_path: Path) -> None:
    clip = make_talk_clip(tmp_path, "doom_sfx", two_tracks=False)
    mixed = clip.game + clip.voice
    meter = GameMusicMeter()
    meter.feed(mixed)
    speech = speech_curve(mixed, hop_count(len(mixed) / SAMPLE_RATE))
    est = meter.estimate(speech)
    print(f"doom_sfx + voice: music share {est.share:.3f} (talk left out)")
    assert not est.carries_music
    assert np.isfinite(est.share)
