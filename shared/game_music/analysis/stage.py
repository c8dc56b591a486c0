"""The analyse stage as the engine runs it: the game and voice tracks stream through the audio
meters block by block while the video pass (:mod:`.video_pass`, in a process of its own)
reads the picture; the two meet in one :class:`~.result.Analysis` of the span.

Memory stays flat for inputs of any length: a 3-hour stream holds a few blocks, never its
whole PCM.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Iterator

import numpy as np

from ..media.audio import iter_audio_blocks, pick_streams, samples_for
from ..media.probe import MediaInfo
from .energy import EnergyMeter, fit_length
from .game_music import GameMusicMeter
from .result import HOP_S, Analysis, crop_analysis, hop_count
from .speech import SpeechDetector
from .video_pass import VideoPass

Tracks = tuple[np.ndarray | None, np.ndarray | None]  # (game, voice) blocks

#: Seconds of audio per block the engine decodes (the render pass reuses the same blocks).
BLOCK_S = 10.0

# Rough shares of the stage's wall time, for progress.
_VIDEO, _AUDIO = 0.6, 0.4


def analyse_tracks(
    media: MediaInfo,
    span: tuple[float, float],
    tracks: Iterable[Tracks],
    video: VideoPass,
    progress: Callable[[float], None] | None = None,
    *,
    block_s: float = BLOCK_S,
) -> Analysis:
    """The analysis of ``span`` (seconds of the video) with times relative to its start.

    ``tracks`` gives the span's (game, voice) blocks of ``block_s`` seconds, either part
    ``None`` when that track is absent (see :func:`decode_tracks`); speech is heard on the
    voice's own track when there is one, else on the game track. ``video`` is the video pass
    of the whole input, already running. ``progress(fraction)`` reports 0..1.
    """
    start, end = span
    duration = end - start
    n_hops = hop_count(duration)
    n_blocks = max(1, math.ceil(samples_for(duration) / samples_for(block_s)))
    report = progress or _ignore

    energy, speech_game, speech_voice = EnergyMeter(), SpeechDetector(), SpeechDetector()
    game_music = GameMusicMeter()
    has_voice = has_game = False
    for i, (game, voice) in enumerate(tracks):
        if game is not None:
            has_game = True
            energy.feed(game)
            game_music.feed(game)
        if voice is not None:
            has_voice = True
            speech_voice.feed(voice)
        elif game is not None:
            speech_game.feed(game)
        report(_VIDEO * video.fraction + _AUDIO * ((i + 1) / n_blocks))
    result = video.result()
    report(1.0)
    zeros = np.zeros(n_hops, np.float32)
    speech = (speech_voice if has_voice else speech_game).curve(n_hops) if has_game or has_voice \
        else zeros
    full = Analysis(
        duration=media.video.duration, hop=HOP_S, energy=zeros, speech=zeros,
        motion=result.motion, cuts=tuple(c for c in result.cuts if 0 < c.time < media.duration),
        brightness=result.brightness, has_audio=has_game or has_voice,
    )
    cropped = crop_analysis(full, start, end)
    own_music = game_music.estimate(speech) if has_game else None
    return dataclasses.replace(
        cropped, duration=duration,
        energy=energy.curve(n_hops) if has_game else zeros,
        speech=speech.astype(np.float32),
        motion=fit_length(cropped.motion, n_hops),
        game_music_share=own_music.share if own_music else 0.0,
        game_carries_music=bool(own_music and own_music.carries_music),
    )


def decode_tracks(
    media: MediaInfo, game_idx: int | None, voice_idx: int | None, start: float,
    duration: float, block_s: float = BLOCK_S,
) -> Iterator[Tracks]:
    """(game, voice) blocks of ``block_s`` seconds over the range, decoded side by side."""
    game = (iter_audio_blocks(media, game_idx, block_s, start, duration)
            if game_idx is not None else None)
    voice = (iter_audio_blocks(media, voice_idx, block_s, start, duration)
             if voice_idx is not None else None)
    for _ in range(math.ceil(samples_for(duration) / samples_for(block_s))):
        yield (next(game) if game else None), (next(voice) if voice else None)


def analyse_file(
    media: MediaInfo,
    progress: Callable[[float], None] | None = None,
    *,
    span: tuple[float, float] | None = None,
    game_track: int | None = None,
    voice_track: int | None = None,
    block_s: float = BLOCK_S,
) -> Analysis:
    """What the engine's analyse stage makes of ``media`` (or of ``span`` of it), decoding the
    tracks itself; ``game_track``/``voice_track`` choose them as ``add`` does."""
    start, end = span or (0.0, media.video.duration)
    game_idx, voice_idx = pick_streams(media, game_track, voice_track)
    with VideoPass(media) as video:
        tracks = decode_tracks(media, game_idx, voice_idx, start, end - start, block_s)
        return analyse_tracks(media, (start, end), tracks, video, progress, block_s=block_s)


def _ignore(fraction: float) -> None:
    pass
