"""The video pass of the analyse stage, run beside the audio analysis (its own process)."""

from __future__ import annotations

import functools

from .._fork import Beside, can_fork
from ..media.probe import MediaInfo
from .cuts import VideoAnalysis, VideoPart, analyse_video, read_video, video_analysis
from .result import hop_count

#: Videos at least this long are read in two halves at once (see :class:`VideoPass`).
SPLIT_VIDEO_FROM_S = 10 * 60


class VideoPass:
    """Cuts, motion and brightness of the whole video (cropped to the span later), worked out
    beside us: demuxing, and decoding the few keyframes the decisions need. A long video is
    demuxed as two halves at once, each by its own process, and the keyframes are decoded
    here once both are in."""

    def __init__(self, media: MediaInfo) -> None:
        self._media = media
        n_hops = hop_count(media.video.duration)
        self._parts: list[Beside[VideoPart]] = []
        self._whole: Beside[VideoAnalysis] | None = None
        if can_fork() and media.video.duration >= SPLIT_VIDEO_FROM_S:
            mid = media.video.duration / 2
            self._parts = [
                Beside(functools.partial(read_video, media, stop_at=mid)),
                Beside(functools.partial(read_video, media, start_at=mid)),
            ]
        else:
            self._whole = Beside(functools.partial(analyse_video, media, n_hops))

    @property
    def fraction(self) -> float:
        if self._whole is not None:
            return self._whole.fraction
        return sum(p.fraction for p in self._parts) / len(self._parts)

    def result(self) -> VideoAnalysis:
        if self._whole is not None:
            return self._whole.result()
        parts = [p.result() for p in self._parts]
        return video_analysis(parts, self._media, hop_count(self._media.video.duration))

    def __enter__(self) -> VideoPass:
        return self

    def __exit__(self, *exc: object) -> None:
        for p in [*self._parts, *([self._whole] if self._whole else [])]:
            p.stop()
