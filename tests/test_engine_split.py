"""The local engine shares the synthesis with a forked child: the music and its measured
loudness are what one process rendering everything alone gets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from game_music._fork import FORK
from game_music.analysis.result import HOP_S, Analysis, Cut
from game_music.backends import _local_engine as engine
from game_music.mix import LevelMeter
from game_music.music import compose_music
from game_music.request import MusicRequest


def _analysis(seconds: float) -> Analysis:
    n = int(np.ceil(seconds / HOP_S))
    t = np.arange(n) * HOP_S
    energy = (0.5 + 0.4 * np.sin(2 * np.pi * t / 9.0)).astype(np.float32)
    return Analysis(seconds, HOP_S, energy, np.zeros(n, np.float32), energy,
                    (Cut(8.0, 0.9), Cut(17.0, 0.8)), 0.5, True)


def _render(tmp: Path, fork: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, float]:
    monkeypatch.setattr(engine, "can_fork", lambda: fork)
    seconds, sr = 25.0, 48000
    comp = compose_music(_analysis(seconds), MusicRequest(style="chiptune"), duration=seconds,
                         seed=3, sample_rate=sr)
    levels = LevelMeter(None, sr, hop=HOP_S, game=False)
    pcm = tmp / f"music-{fork}.f32"
    seen: list[float] = []
    engine._synthesize(comp, 0, comp.num_samples, 10 * sr, pcm, levels, seen.append)
    assert seen and seen[-1] == pytest.approx(1.0) and seen == sorted(seen)
    return pcm.read_bytes(), levels.levels().music_lufs


@pytest.mark.skipif(not FORK, reason="the split needs fork")
def test_split_synthesis_equals_one_process(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    alone, alone_lufs = _render(tmp_path, False, monkeypatch)
    split, split_lufs = _render(tmp_path, True, monkeypatch)
    assert len(alone) == 25 * 48000 * 8
    assert split == alone  # sample for sample
    # The halves' K-weighting states meet to float32 rounding (the meter filters in float32).
    assert split_lufs == pytest.approx(alone_lufs, abs=1e-5)


@pytest.mark.slow
def test_render_reads_back_the_decoded_tracks(tmp_path: Path, make_clip,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The render pass reads the game and voice blocks the analysis decoded from disk; with
    no room on the disk it decodes them again. The tracks, and so the output, are the same."""
    from game_music.analysis.stage import decode_tracks
    from game_music.media.audio import pick_streams, samples_for
    from game_music.media.probe import probe

    info = probe(make_clip("voice.mkv", seconds=23.0, voice_track=True).path)
    game, voice = pick_streams(info)
    assert game is not None and voice is not None
    n = samples_for(info.video.duration)

    def decode() -> list:
        return list(decode_tracks(info, game, voice, 0.0, info.video.duration))

    def blocks(cache: engine._TrackCache) -> tuple[list, list]:
        first = list(cache.first())
        return first, list(cache.again())

    cache = engine._TrackCache(lambda: iter(decode()), tmp_path / "tracks.f32", n, 2)
    first, again = blocks(cache)
    assert (tmp_path / "tracks.f32").stat().st_size == n * 8 * 2
    assert len(first) == len(again) == 3  # 10 s blocks
    for (g1, v1), (g2, v2) in zip(first, again, strict=True):
        assert np.array_equal(g1, g2) and np.array_equal(v1, v2)
        assert g2.flags.writeable and g2.dtype == np.float32 and g2.shape[1] == 2
    cache.drop()
    assert not (tmp_path / "tracks.f32").exists()

    calls = []
    monkeypatch.setattr(engine, "_free_bytes", lambda folder: 0)
    full = engine._TrackCache(lambda: calls.append(1) or iter(decode()),
                              tmp_path / "full.f32", n, 2)
    first, again = blocks(full)
    assert not (tmp_path / "full.f32").exists() and len(calls) == 2
    for (g1, v1), (g2, v2) in zip(first, again, strict=True):
        assert np.array_equal(g1, g2) and np.array_equal(v1, v2)


@pytest.mark.skipif(not FORK, reason="the split needs fork")
def test_a_long_video_is_read_in_two_halves_at_once(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes reading the halves give what one reading it all gives."""
    from analysis.media import scene_clip
    from game_music.analysis import video_pass as local
    from game_music.media.probe import probe

    path = tmp_path / "scenes.mkv"
    scene_clip(path, [2.3, 1.9, 2.6, 1.7, 2.2, 2.8, 1.5])
    info = probe(path)
    results = []
    for split_from in (float("inf"), 0.0):
        monkeypatch.setattr(local, "SPLIT_VIDEO_FROM_S", split_from)
        with local.VideoPass(info) as video:
            assert len(video._parts) == (1 if split_from else 2)
            results.append(video.result())
            assert video.fraction == 1.0
    whole, halves = results
    assert whole.cuts and halves.cuts == whole.cuts
    np.testing.assert_array_equal(halves.motion, whole.motion)
    assert halves.brightness == whole.brightness
