"""The interface every backend implements; the job runner owns everything around it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..events import ProgressFn
from ..media.probe import MediaInfo
from ..request import MusicRequest


@dataclass(frozen=True)
class RenderOptions:
    """Per-job knobs that are not part of the musical request."""

    preview: bool = False  # render only the first PREVIEW_SECONDS, fast
    start_s: float | None = None  # source range of the input to use (Resolve clips)
    end_s: float | None = None
    stem_path: Path | None = None  # also write the music stem (WAV) here
    pcm_mov_path: Path | None = None  # also write a PCM-audio MOV variant here
    soundfont: Path | None = None  # the user's SoundFont for the recorded-instrument styles
    accents: bool = True  # hits on the clip's big moments (local engine)
    report: bool = False  # also draw <output>.report.png (what the engine heard and did)
    # Audio tracks (1-based, as OBS numbers them) for the game/mix and the voice; None picks
    # them from names and OBS's convention, voice_track 0 means "no voice track".
    game_track: int | None = None
    voice_track: int | None = None


PREVIEW_SECONDS = 20.0


@dataclass(frozen=True)
class RenderResult:
    output: Path
    #: Goes into the sidecar: seed, chosen style/tempo/key, analysis summary, measurements.
    summary: dict[str, Any] = field(default_factory=dict)
    extra_outputs: tuple[Path, ...] = ()
    report: Path | None = None  # the report picture, in the workdir (the runner places it)


class Backend(Protocol):
    name: str
    #: Stages this backend reports, with their rough share of the wall time.
    weights: tuple[tuple[str, float], ...]

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
        """Write the finished MP4 to ``output`` (a temp name the runner renames atomically).

        ``workdir`` is a private folder the runner deletes afterwards. Raise
        :class:`~game_music.GameMusicError` subclasses for failures a user can act on.
        """
        ...
