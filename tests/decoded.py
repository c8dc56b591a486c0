"""An input's audio track as one array, read by the engine's own block decoder."""

from __future__ import annotations

import numpy as np

from game_music.media.audio import CHANNELS, iter_audio_blocks
from game_music.media.probe import MediaInfo


def decode_track(info: MediaInfo, stream_index: int | None = None, start: float = 0.0,
                 duration: float | None = None, block_seconds: float = 10.0) -> np.ndarray:
    """Float32 ``(n, 2)``: the blocks :func:`iter_audio_blocks` yields, joined (``None``: the
    game/mix track; ``duration=None``: to the end of the video)."""
    blocks = list(iter_audio_blocks(info, stream_index, block_seconds, start, duration))
    return np.concatenate(blocks) if blocks else np.zeros((0, CHANNELS), np.float32)
