"""A backend for tests: a valid MP4 in a fraction of a second, and failures on demand.

Like httpx's ``MockTransport``, it lets the code around a backend (the job runner, batches,
``refine``, the CLI) be tested in-process without the cost of the real engine. It is honest
about the runner's contract: the output is a real MP4 written by the same mux path as the
local engine (``mux_pcm``: the input's video, copied where it fits, with a quiet generated
tone as the music), the optional stem is a real WAV, and progress runs through the local
engine's stages.

    from game_music.backends.fake import FakeBackend
    backend = FakeBackend(fail=NoCredits("out of credits"), fail_at="compose")

It is not an engine a user can pick: tests pass it where a backend is chosen
(``run_job(..., backend)``, ``run_batch(specs, backend_for, ...)``,
``run_refinement(plan, make_backend=...)``) or patch ``game_music.cli.make_backend``.
"""

from __future__ import annotations

import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._errors import GameMusicError
from ..events import ProgressFn
from ..media.mux import mux_pcm, write_pcm_mov
from ..media.probe import MediaInfo
from ..request import MusicRequest
from .base import RenderOptions, RenderResult
from .local import source_range

SAMPLE_RATE = 48000
TONE_HZ = 440.0
TONE_LEVEL = 0.05  # about -26 dBFS: audible, far from clipping


@dataclass(frozen=True)
class FakeCall:
    """What one ``render`` was asked to do, for assertions."""

    input: Path
    request: MusicRequest
    output: Path
    options: RenderOptions


@dataclass
class FakeBackend:
    """A test backend; every knob defaults to "succeed quickly".

    fail: raised (a :class:`GameMusicError` of the tree) when stage ``fail_at`` starts.
    crash: an unexpected exception (a bug) at ``fail_at``; the runner reports ``internal``.
    no_output: return without writing the file (a broken backend).
    seconds: time spent in ``synthesize``, in small steps that a Ctrl-C/SIGTERM interrupts.
    hold: ``synthesize`` waits until this event is set (to line up parallel jobs).
    cancel: when set during ``synthesize``, the job is interrupted as by Ctrl-C.
    """

    fail: GameMusicError | None = None
    fail_at: str = "analyse"
    crash: bool = False
    no_output: bool = False
    seconds: float = 0.0
    hold: threading.Event | None = None
    cancel: threading.Event | None = None
    name: str = "local"  # the engine this one stands in for (sidecars, job keys, events)
    calls: list[FakeCall] = field(default_factory=list)

    weights: tuple[tuple[str, float], ...] = (
        ("analyse", 2.0),
        ("compose", 0.2),
        ("synthesize", 1.5),
        ("render", 2.5),
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
        self.calls.append(FakeCall(media.path, request, output, options))
        start, end = source_range(media, options)
        self._stage("analyse", progress)
        self._stage("compose", progress)
        self._stage("synthesize", progress)
        self._wait(progress)
        progress("synthesize", 1.0)
        self._stage("render", progress)
        if self.no_output:
            return RenderResult(output)
        music = tone(end - start)
        report, _ = mux_pcm(
            media, output, lambda write: write(music), aspect=request.aspect,
            duration=end - start, start_s=start if start > 0 else None,
            end_s=end if end < media.video.duration else None,
        )
        extra: list[Path] = []
        if options.stem_path is not None:
            write_tone(options.stem_path, end - start)
            extra.append(options.stem_path)
        if options.pcm_mov_path is not None:
            write_pcm_mov(output, output, options.pcm_mov_path)
            extra.append(options.pcm_mov_path)
        progress("render", 1.0)
        summary = {
            "fake": True,
            "music": {"seed": request.seed, "style": request.style or "chiptune"},
            "analysis": {"duration_s": round(end - start, 3)},
            "video": {"copied": report.video_copied, "reason": report.reason},
        }
        return RenderResult(output, summary, tuple(extra))

    def _stage(self, stage: str, progress: ProgressFn) -> None:
        if stage == self.fail_at:
            if self.crash:
                raise RuntimeError(f"the fake backend crashed in {stage}")
            if self.fail is not None:
                raise self.fail
        progress(stage, 0.0)
        if stage != "synthesize":
            progress(stage, 1.0)

    def _wait(self, progress: ProgressFn) -> None:
        deadline = time.monotonic() + self.seconds
        while True:
            if self.cancel is not None and self.cancel.is_set():
                raise KeyboardInterrupt
            held = self.hold is not None and not self.hold.is_set()
            left = deadline - time.monotonic()
            if not held and left <= 0:
                return
            if self.seconds > 0:
                progress("synthesize", min(1.0, 1.0 - max(left, 0.0) / self.seconds))
            time.sleep(0.01)


def tone(seconds: float) -> np.ndarray:
    """A quiet stereo sine, float32 ``(n, 2)`` at 48 kHz, ``seconds`` long."""
    n = max(1, round(seconds * SAMPLE_RATE))
    mono = TONE_LEVEL * np.sin(2 * np.pi * TONE_HZ * np.arange(n) / SAMPLE_RATE)
    return np.repeat(mono.astype(np.float32)[:, None], 2, axis=1)


def write_tone(path: Path, seconds: float) -> None:
    """:func:`tone` as a 16-bit WAV."""
    pcm = (tone(seconds) * 32767).astype("<i2")
    # The file is opened first: a wave.open that fails leaves a half-made writer behind.
    with open(path, "wb") as fh, wave.open(fh, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm.tobytes())
