"""The video pass of the analyse stage, run beside the audio analysis (its own process)."""

from __future__ import annotations

import functools

from .._fork import Beside, can_fork
from ..media.probe import MediaInfo
from .cuts import VideoAnalysis, read_video, video_analysis
from .result import hop_count

#: Videos at least this long are read in two halves at once (see :class:`VideoPass`).
SPLIT_VIDEO_FROM_S = 10 * 60


class VideoPass:
    """Cuts, motion and brightness of the whole video (cropped to the span later), worked out
    beside us. A long video is read as two halves at once, each by its own process on one
    thread: two plain decoders cost ~15 % less CPU than one decoding with frame threads."""

    def __init__(self, media: MediaInfo) -> None:
        self._media = media
        if can_fork() and media.video.duration >= SPLIT_VIDEO_FROM_S:
            mid = media.video.duration / 2
            self._parts = [
                Beside(functools.partial(read_video, media, stop_at=mid, threads=False)),
                Beside(functools.partial(read_video, media, start_at=mid, threads=False)),
            ]
        else:
            self._parts = [Beside(functools.partial(read_video, media))]

    @property
    def fraction(self) -> float:
        return sum(p.fraction for p in self._parts) / len(self._parts)

    def result(self) -> VideoAnalysis:
        parts = [p.result() for p in self._parts]
        return video_analysis(parts, self._media, hop_count(self._media.video.duration))

    def __enter__(self) -> VideoPass:
        return self

    def __exit__(self, *exc: object) -> None:
        for p in self._parts:
            p.stop()
