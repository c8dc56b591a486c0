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

from pathlib import Path

from .._errors import UsageError
from .._memory import reuse_freed_blocks
from .._scipy_import import import_dsp
from ..analysis.video_pass import VideoPass
from ..events import ProgressFn
from ..media.probe import MediaInfo
from ..request import MusicRequest
from .base import PREVIEW_SECONDS, RenderOptions, RenderResult


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

