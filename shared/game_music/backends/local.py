"""The offline engine: probe -> analyse -> compose -> synthesize -> mix -> master -> mux.

Each stage is a module with data in and data out; :mod:`._local_engine` runs them in order.
This module stays light: the video pass needs only PyAV, so it starts first, in a process of its
own beside this one (see :mod:`game_music._fork`), and the DSP and synthesis imports (about a
second: scipy and the synths) happen while it reads the video. Audio flows in
fixed blocks, so memory stays flat for recordings of any length (a 3-hour stream holds a few
blocks, never the whole PCM):

1. analyse: the video pass (cuts, motion) runs beside us while the game and voice tracks are
   decoded block by block into the energy, speech and loudness meters;
2. compose + synthesize: the music is rendered block by block into a raw temp file while its
   loudness is measured (the mix levels depend on it);
3. plan the mix: gains per hop; the mix's loudness is predicted from the tracks' K-weighted
   energy per 100 ms and those gains (independent sources add in energy), so the mix needs no
   pass of its own;
4. render: music, game and voice blocks (the latter read back from the analysis pass's copy
   on disk) are mixed, gained and true-peak limited, encoded to AAC by parallel segment
   encoders (:mod:`game_music.media.aac`), and the one spliced stream goes to the ffmpeg
   that muxes it with the video (copied when it fits) and to a meter, so the shipped track's
   loudness and true peak are known when the file is. A prediction that missed by more than
   0.5 LU, or AAC overshoot, costs one more render (rare).

The audio stays PCM until that single final encode.
"""

from __future__ import annotations

import functools
from pathlib import Path

from .._errors import UsageError
from .._fork import Beside, can_fork
from .._memory import reuse_freed_blocks
from .._scipy_import import import_dsp
from ..analysis.cuts import VideoAnalysis, read_video, video_analysis
from ..analysis.result import hop_count
from ..events import ProgressFn
from ..media.probe import MediaInfo
from ..request import MusicRequest
from .base import PREVIEW_SECONDS, RenderOptions, RenderResult

#: Videos at least this long are read in two halves at once (see :class:`VideoPass`).
SPLIT_VIDEO_FROM_S = 10 * 60


class LocalBackend:
    name = "local"
    weights = (
        ("analyse", 2.0),
        ("compose", 0.2),
        ("synthesize", 1.5),
        ("render", 2.5),  # mix, master, encode and mux in one pass
    )

    def render(
        self,
        media: MediaInfo,
        request: MusicRequest,
        output: Path,
        *,
        workdir: Path,
        progress: ProgressFn,
        options: RenderOptions,
    ) -> RenderResult:
        span = source_range(media, options)
        reuse_freed_blocks()
        with VideoPass(media) as video:
            # The heavy imports, while the video pass runs.
            import_dsp()
            from . import _local_engine

            return _local_engine.render(
                media, request, output, workdir=workdir, progress=progress, options=options,
                span=span, video=video,
            )


def source_range(media: MediaInfo, options: RenderOptions) -> tuple[float, float]:
    """The span of the input to use: a source range (Resolve) and/or the preview cut."""
    total = media.video.duration
    start = min(max(0.0, options.start_s or 0.0), total)
    end = min(total, options.end_s) if options.end_s else total
    if options.preview:
        end = min(end, start + PREVIEW_SECONDS)
    if end - start <= 0:
        raise UsageError(f"the range {start:.2f}-{end:.2f} s is empty for this {total:.2f} s video")
    return start, end


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

