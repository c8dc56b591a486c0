"""Scene cuts, motion and brightness on generated clips with cuts at known times."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from game_music.analysis.cuts import (
    VideoAnalysis,
    analyse_video,
    read_video,
    video_analysis,
)
from game_music.analysis.result import hop_count
from game_music.media.ffmpeg import run_ffmpeg
from game_music.media.probe import probe

from .media import scene_clip

DURATIONS = [2.3, 1.9, 2.6, 1.7, 2.2, 2.8, 1.5]  # cuts off the 4 s GOP grid
TOLERANCE_S = 0.1


def _score(found: list[float], truth: list[float]) -> tuple[int, int]:
    """(true cuts found within the tolerance, detections far from every true cut)."""
    hits = sum(any(abs(f - t) <= TOLERANCE_S for f in found) for t in truth)
    false = sum(all(abs(f - t) > TOLERANCE_S for t in truth) for f in found)
    return hits, false


@pytest.mark.parametrize(
    ("codec", "ext", "fps"),
    [
        ("x264", ".mkv", 30),  # OBS-like x264: scene-cut keyframes
        ("x264", ".mp4", 60),
        ("x264-nosc", ".mp4", 30),  # no scene-cut keyframes: size spikes and jumps only
        ("x264", ".mkv", [30, 24, 30, 24, 30, 24, 30]),  # variable frame rate
    ],
    ids=["x264-mkv", "x264-mp4-60fps", "no-scenecut-mp4", "vfr-mkv"],
)
def test_h264_cuts_are_found_at_the_right_time(tmp_path: Path, codec: str, ext: str,
                                                fps: int | list[int]) -> None:
    path = tmp_path / f"scenes{ext}"
    truth = scene_clip(path, DURATIONS, codec=codec, fps=fps)
    info = probe(path)
    video = analyse_video(info, hop_count(info.duration))
    found = [c.time for c in video.cuts]
    hits, false = _score(found, truth)
    assert hits == len(truth), (found, truth)
    assert false <= 1, (found, truth)
    assert all(0.0 <= c.strength <= 1.0 for c in video.cuts)


@pytest.mark.parametrize(("codec", "ext"), [("hevc", ".mkv"), ("vp9", ".webm"),
                                            ("mpeg4", ".avi")])
def test_other_codecs_degrade_gracefully(tmp_path: Path, codec: str, ext: str) -> None:
    path = tmp_path / f"scenes{ext}"
    truth = scene_clip(path, DURATIONS[:4], codec=codec)
    info = probe(path)
    n = hop_count(info.duration)
    video = analyse_video(info, n)
    hits, false = _score([c.time for c in video.cuts], truth)
    assert hits >= len(truth) - 1 and false <= 2
    assert video.motion.shape == (n,)


def test_motion_and_brightness_follow_the_picture(tmp_path: Path) -> None:
    # A moving test pattern, then static colour bars: motion must fall in the second half.
    path = tmp_path / "still_then_busy.mkv"
    scene_clip(path, [3.0, 3.0], fps=30, audio=None, size="320x180")
    info = probe(path)
    n = hop_count(info.duration)
    video = analyse_video(info, n)
    assert video.motion.shape == (n,) and video.motion.dtype == np.float32
    assert 0.0 <= video.motion.min() and video.motion.max() <= 1.0
    first, second = video.motion[25:125].mean(), video.motion[175:275].mean()
    assert first > second

    dark, light = tmp_path / "dark.mp4", tmp_path / "light.mp4"
    for p, colour in ((dark, "0x101010"), (light, "0xe0e0e0")):
        run_ffmpeg(["-f", "lavfi", "-i", f"color=c={colour}:s=160x90:r=25:d=2",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(p)])
    b_dark = analyse_video(probe(dark), 100).brightness
    b_light = analyse_video(probe(light), 100).brightness
    assert b_dark < 0.1 < 0.8 < b_light


def test_progress_is_monotonic_and_finishes(tmp_path: Path) -> None:
    path = tmp_path / "p.mkv"
    scene_clip(path, [1.5, 1.5], audio=None)
    info = probe(path)
    seen: list[float] = []
    analyse_video(info, hop_count(info.duration), progress=seen.append)
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)


def _same(a: VideoAnalysis, b: VideoAnalysis) -> None:
    assert a.cuts == b.cuts
    np.testing.assert_array_equal(a.motion, b.motion)
    assert a.brightness == b.brightness


@pytest.mark.parametrize(
    ("codec", "ext", "fps"),
    [("x264", ".mkv", 30), ("x264", ".mp4", 60), ("vp9", ".webm", 30),
     ("x264", ".mkv", [30, 24, 30, 24, 30, 24, 30])],
    ids=["x264-mkv", "x264-mp4-60fps", "vp9-webm", "vfr-mkv"],
)
def test_halves_read_at_once_join_into_the_whole(tmp_path: Path, codec: str, ext: str,
                                                 fps: int | list[int]) -> None:
    path = tmp_path / f"scenes{ext}"
    scene_clip(path, DURATIONS, codec=codec, fps=fps)
    info = probe(path)
    n = hop_count(info.duration)
    whole = read_video(info)
    expected = video_analysis([whole], info, n)
    assert expected.cuts  # the comparison below is about something
    key_times = whole.packets.time[whole.packets.key]
    # Mid-GOP, exactly on a keyframe, and right after one.
    for split in (info.duration / 2, float(key_times[2]), float(key_times[2]) + 0.01):
        first = read_video(info, stop_at=split, threads=False)
        second = read_video(info, start_at=split, threads=False)
        assert first.stop_key is not None and first.stop_key == second.first_key
        assert len(first.packets.time) + len(second.packets.time) == len(whole.packets.time)
        assert len(first.thumbs) + len(second.thumbs) == len(whole.thumbs)
        _same(video_analysis([first, second], info, n), expected)


def test_parts_that_do_not_meet_are_not_trusted(tmp_path: Path) -> None:
    path = tmp_path / "scenes.mkv"
    scene_clip(path, DURATIONS)
    info = probe(path)
    n = hop_count(info.duration)
    expected = analyse_video(info, n)
    first = read_video(info, stop_at=info.duration / 2)
    second = read_video(info, start_at=info.duration / 2)
    # As if the container had seeked past the keyframe where the first part stopped.
    loose = dataclasses.replace(second, first_key=(second.first_key or 0) + 1)
    _same(video_analysis([first, loose], info, n), expected)
    # A second part that found nothing at all, while the first stopped early.
    empty = dataclasses.replace(second, packets=dataclasses.replace(
        second.packets, time=second.packets.time[:0]), thumbs=[], first_key=None)
    _same(video_analysis([first, empty], info, n), expected)
