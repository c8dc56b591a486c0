"""The local engine's stages, run in order; imported by :mod:`.local` once the video pass
is under way (see there).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .._errors import InternalError
from .._fork import Beside, can_fork
from .._memory import release_free_memory
from ..analysis.result import HOP_S, Analysis, crop_analysis
from ..analysis.stage import BLOCK_S, Tracks, analyse_tracks, decode_tracks
from ..analysis.video_pass import VideoPass
from ..events import ProgressFn
from ..media.audio import SAMPLE_RATE, AudioWriter, pick_streams, samples_for
from ..media.mux import EncodedAudio, MuxReport, mux_pcm, write_pcm_mov
from ..media.probe import MediaInfo
from ..mix import (
    TARGET_LUFS,
    LevelMeter,
    Limiter,
    LoudnessMeter,
    MasterReport,
    Mixer,
    apply_master,
    ceiling_for,
    resolve_span,
)
from ..mix.fit import MAX_LIFT_DB, plan_to_target
from ..mix.master import MAX_TRUE_PEAK_DBTP, aac_overshoot_db
from ..music import compose_music
from ..request import MusicRequest
from .base import RenderOptions, RenderResult

CHANNELS = 2
_FRAME = 4 * CHANNELS  # bytes per stereo float32 sample
# The final loudness is measured on the encoded track; only heavy limiting can move it this far
# from the target (the contract allows 1 LU), and then the render runs once more.
_LOUDNESS_TOLERANCE_LU = 0.5
_RENDER_TRIES = 3
_METER_WARMUP_S = 0.5
_MIX_SLICE = samples_for(BLOCK_S / 4)  # samples mixed and limited at a time in the render


def render(
    media: MediaInfo,
    request: MusicRequest,
    output: Path,
    *,
    workdir: Path,
    progress: ProgressFn,
    options: RenderOptions,
    span: tuple[float, float],
    video: VideoPass,
) -> RenderResult:
    """Render ``span`` of ``media``; ``video`` is the video pass, already running."""
    start, end = span
    duration = end - start
    n = samples_for(duration)
    block = samples_for(BLOCK_S)
    game_idx, voice_idx = pick_streams(media, options.game_track, options.voice_track)

    tracks = _TrackCache(
        functools.partial(decode_tracks, media, game_idx, voice_idx, start, duration, BLOCK_S),
        workdir / "tracks.f32", n, (game_idx is not None) + (voice_idx is not None))

    # 1. analyse (+ game/voice loudness for the mix levels, from the same blocks)
    levels = LevelMeter(None, SAMPLE_RATE, hop=HOP_S, game=game_idx is not None,
                        voice=voice_idx is not None)
    analysis = analyse_tracks(media, span, _metered(tracks.first(), levels), video,
                              functools.partial(progress, "analyse"), block_s=BLOCK_S)

    release_free_memory()  # the decode's blocks: before the synthesis forks its child
    # 2. compose for the span the music plays in, and render it once into a temp file
    progress("compose", 0.0)
    music_span = resolve_span(request, duration)
    music_from = samples_for(music_span[0])
    comp = compose_music(
        crop_analysis(analysis, *music_span), request, duration=music_span[1] - music_span[0],
        seed=int(request.seed or 0), sample_rate=SAMPLE_RATE, soundfont=options.soundfont,
        accents=options.accents,
    )
    progress("compose", 1.0)
    pcm = workdir / "audio.f32"
    _synthesize(comp, music_from, n, block, pcm, levels,
                functools.partial(progress, "synthesize"))
    comp.release()  # the music is on disk: its notes and instruments need no memory now
    release_free_memory()

    # 3. plan the mix; its loudness follows from the tracks' measured energies. The master
    #    gain only ever turns the mix down: the music is raised on its own when the game
    #    track is too quiet to reach the target (see game_music.mix.fit).
    fit = functools.partial(
        plan_to_target, levels.sub_energies(), levels.sub_seconds,
        levels.levels(analysis.speech), analysis.speech, request, n, SAMPLE_RATE,
        hop=analysis.hop, has_game=game_idx is not None, has_voice=voice_idx is not None,
        music_ending=True, game_has_music=analysis.game_carries_music,
    )
    fitted = fit()
    plan, predicted = fitted.plan, fitted.predicted_lufs

    # 4. mix, master and render in one streaming pass into one ffmpeg that encodes the
    #    AAC, muxes it with the video and hands it to a meter: the shipped track's
    #    loudness and true peak come back with the finished file.
    # The ceiling leaves room for the AAC's overshoot on this style (see mix.master).
    style = comp.plan.style.name
    gain, ceiling = fitted.master_gain_db, ceiling_for(style)
    overshoot = aac_overshoot_db(style)
    stem = _stem_writer(options, workdir, duration)
    try:
        for attempt in range(_RENDER_TRIES):
            if attempt:  # the stem of the pass that ships is the one kept
                stem = _stem_writer(options, workdir, duration)
            limiter, muxed, encoded = _render(
                pcm, n, block, tracks.again, Mixer(plan), media, output, request.aspect,
                (start, end), gain, ceiling, stem,
                functools.partial(progress, "render") if attempt == 0 else None,
                overshoot)
            measured = encoded.integrated_lufs
            if encoded.true_peak_dbtp > MAX_TRUE_PEAK_DBTP:
                # AAC overshot on hard transients: once more with a lower ceiling.
                ceiling -= encoded.true_peak_dbtp - MAX_TRUE_PEAK_DBTP + 0.2
            elif math.isfinite(measured) and abs(measured - TARGET_LUFS) > _LOUDNESS_TOLERANCE_LU:
                # The prediction missed (a voice also in the game track) or heavy limiting
                # cost loudness: turn the mix down, or raise the music (never the game).
                wanted = gain + TARGET_LUFS - measured
                if wanted <= 0.0 or gain < 0.0:
                    gain = min(0.0, wanted)
                elif fitted.lift_db < MAX_LIFT_DB:
                    fitted = fit(lift_db=fitted.lift_db + TARGET_LUFS - measured)
                    plan, predicted = fitted.plan, fitted.predicted_lufs
                else:
                    break
            else:
                break
        stem.finish(options.stem_path)
    finally:
        if stem.tmp is not None:
            stem.tmp.unlink(missing_ok=True)
    report = MasterReport(
        input_lufs=predicted,
        input_true_peak_dbtp=_db(limiter.max_peak) - gain,
        gain_db=gain,
        output_lufs=encoded.integrated_lufs, true_peak_dbtp=encoded.true_peak_dbtp,
        max_limiting_db=limiter.max_reduction_db, ceiling_dbtp=ceiling,
    )
    pcm.unlink()
    tracks.drop()
    extra: list[Path] = []
    if options.stem_path is not None:
        extra.append(options.stem_path)
    if options.pcm_mov_path is not None:
        _write_pcm_variant(output, options.pcm_mov_path)
        extra.append(options.pcm_mov_path)
    picture = _report(options, workdir, media, analysis, comp.plan, plan, span)
    progress("render", 1.0)

    summary: dict[str, Any] = {
        "music": comp.summary,
        "analysis": analysis.summary(),
        "mix": plan.summary(),
        "loudness": _finite(dataclasses.asdict(report)),
        "video": {"copied": muxed.video_copied, "reason": muxed.reason},
        "range": [round(start, 3), round(end, 3)],
        # Audio tracks used, numbered as OBS numbers them (1 = the first audio track).
        "tracks": {"game": _track_number(media, game_idx),
                   "voice": _track_number(media, voice_idx)},
    }
    return RenderResult(output=output, summary=summary, extra_outputs=tuple(extra),
                        report=picture)


def _report(
    options: RenderOptions, workdir: Path, media: MediaInfo, analysis: Analysis, music: Any,
    mix: Any, span: tuple[float, float],
) -> Path | None:
    """The report picture in ``workdir`` when asked for (the job runner places it)."""
    if not options.report:
        return None
    from ..report import write_report

    title = f"{media.path.name}: {span[1] - span[0]:.1f} s"
    return write_report(workdir / "report.png", analysis, music, mix, (media, *span),
                        title=title)


def _metered(tracks: Iterator[Tracks], levels: LevelMeter) -> Iterator[Tracks]:
    """``tracks`` as they pass, measured for the mix levels."""
    for game, voice in tracks:
        levels.add(None, game, voice)
        yield game, voice


class _TrackCache:
    """The game and voice blocks as the analysis pass decodes them, kept on disk for the
    render pass: reading them back costs a fraction of decoding them again (about 1.7 s of
    CPU per 10 minutes). Skipped when the disk is short of room; any write error just
    means decoding again."""

    def __init__(self, decode: Callable[[], Iterator[Tracks]], path: Path, n: int,
                 tracks: int) -> None:
        self._decode = decode
        size = n * _FRAME * tracks
        # Leave room for the music (same size per track) and an output as big as the input.
        room = tracks and _free_bytes(path.parent) > 3 * size + (2 << 30)
        self._path: Path | None = path if room else None
        self._layout: list[tuple[int | None, int | None]] = []  # rows per block and track
        self._complete = False

    def first(self) -> Iterator[Tracks]:
        if self._path is None:
            yield from self._decode()
            return
        kept = True
        # Unbuffered: a full disk shows in a write below, never in a flush at close.
        with self._path.open("wb", buffering=0) as fh:
            for game, voice in self._decode():
                self._layout.append((_rows(game), _rows(voice)))
                kept = kept and _append(fh, game, voice)
                yield game, voice
        if not kept:
            self.drop()
        self._complete = self._path is not None

    def again(self) -> Iterator[Tracks]:
        if not self._complete or self._path is None:
            yield from self._decode()
            return
        with self._path.open("rb") as fh:
            for game, voice in self._layout:
                yield _read_rows(fh, game), _read_rows(fh, voice)

    def drop(self) -> None:
        if self._path is not None:
            self._path.unlink(missing_ok=True)
        self._path = None
        self._complete = False


def _append(fh: BinaryIO, *blocks: np.ndarray | None) -> bool:
    """Write the blocks; False when the disk refuses (full): the render then decodes again."""
    try:
        for b in blocks:
            if b is not None:
                data = np.ascontiguousarray(b, np.float32).data
                if fh.write(data) != data.nbytes:
                    return False
    except OSError:
        return False
    return True


def _rows(block: np.ndarray | None) -> int | None:
    return None if block is None else len(block)


def _read_rows(fh: BinaryIO, rows: int | None) -> np.ndarray | None:
    if rows is None:
        return None
    block = np.fromfile(fh, np.float32, rows * CHANNELS)
    if len(block) != rows * CHANNELS:
        raise InternalError("the decoded audio kept for the render is cut short")
    return block.reshape(rows, CHANNELS)


def _free_bytes(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0


def _synthesize(
    comp: Any, music_from: int, n: int, block: int, pcm: Path, levels: LevelMeter,
    progress: Callable[[float], None],
) -> None:
    """Render the music into ``pcm`` and meter it. Where a child process can share the work
    (see :mod:`game_music._fork`), the second half renders there at the same time: any
    stretch of the music renders the same on its own."""
    starts = range(0, n, block)
    # (Recorded instruments keep their notes in memory per process: two of them would hold
    # two sets, over the job's memory budget, so they render in one.)
    split = (starts[len(starts) // 2] if can_fork() and len(starts) >= 2
             and getattr(comp, "bank", None) is None else n)
    with pcm.open("wb") as fh:
        fh.truncate(n * _FRAME)

    def second_half(report: Callable[[float], None]) -> LoudnessMeter:
        meter = LoudnessMeter(SAMPLE_RATE, CHANNELS)
        warm = min(split, samples_for(_METER_WARMUP_S))
        meter.prime(_music_block(comp, music_from, split - warm, warm))
        with pcm.open("r+b") as fh:
            fh.seek(split * _FRAME)
            for a in range(split, n, block):
                m = _music_block(comp, music_from, a, min(block, n - a))
                meter.add(m)
                fh.write(m.tobytes())
                report((a + len(m) - split) / (n - split))
        return meter

    with contextlib.ExitStack() as stack:
        later = stack.enter_context(Beside(second_half)) if split < n else None
        with pcm.open("r+b") as fh:
            for a in range(0, split, block):
                m = _music_block(comp, music_from, a, min(block, split - a))
                levels.add(m)
                fh.write(m.tobytes())
                done = a + len(m)
                progress((done + (later.fraction * (n - split) if later else 0)) / n)
        if later is not None:
            levels.join_music(later.result())
            progress(1.0)


def _music_block(comp: Any, music_from: int, a: int, count: int) -> np.ndarray:
    """Samples [a, a+count) of the video timeline: silence before the music's span."""
    out = np.zeros((count, CHANNELS), np.float32)
    lo = max(a, music_from)
    hi = min(a + count, music_from + comp.num_samples)
    if hi > lo:
        out[lo - a : hi - a] = comp.render(lo - music_from, hi - lo)
    return out


def _render(
    pcm: Path, n: int, block: int, tracks: Callable[[], Iterator[Tracks]], mixer: Mixer,
    media: MediaInfo, output: Path, aspect: str, span: tuple[float, float], gain: float,
    ceiling: float, stem: _StemWriter | None, progress: Callable[[float], None] | None,
    overshoot_db: float | None = None,
) -> tuple[Limiter, MuxReport, EncodedAudio]:
    """Mix music and tracks, master, and mux: (the limiter after the pass, mux report,
    the encoded track's loudness and true peak: measured, or bounded by ``overshoot_db``)."""
    start, end = span
    limiter: list[Limiter] = []
    stem_gain = np.float32(10.0 ** (gain / 20.0))

    def mixed() -> Iterator[np.ndarray]:
        with pcm.open("rb") as fh:
            for a, (game, voice) in zip(range(0, n, block), tracks(), strict=True):
                count = min(block, n - a)
                music = np.frombuffer(fh.read(count * _FRAME), np.float32).reshape(-1, CHANNELS)
                # In slices: the mixer's and the limiter's temporaries (the limiter's
                # oversampling above all) scale with what they are given, and both carry
                # their state, so the output is the same sample for sample.
                for s in range(0, count, _MIX_SLICE):
                    e = s + _MIX_SLICE
                    out = mixer.process(a + s, music[s:e], _part(game, s, e), _part(voice, s, e))
                    if stem is not None and stem.active:
                        stem.write(out.music * stem_gain)  # the music as it sits in the mix
                    yield out.mix
                if progress:
                    progress((a + count) / n)

    def feed(write: Callable[[np.ndarray], None]) -> float:
        with stem or contextlib.nullcontext():
            limiter.append(apply_master(mixed(), write, gain, sample_rate=SAMPLE_RATE,
                                        channels=CHANNELS, ceiling_dbtp=ceiling))
        return limiter[-1].output_peak_db  # the true peak of what was written

    muxed, encoded = mux_pcm(
        media, output, feed, aspect=aspect, duration=end - start,
        overshoot_db=overshoot_db,
        start_s=start if start > 0 else None,
        end_s=end if end < media.video.duration else None,
    )
    return limiter[0], muxed, encoded


def _part(track: np.ndarray | None, s: int, e: int) -> np.ndarray | None:
    return None if track is None else track[s:e]


def _db(linear: float) -> float:
    return 20.0 * math.log10(linear) if linear > 0 else -math.inf


class _StemWriter:
    """Writes the music stem as 24-bit WAV next to the job, renamed into place at the end."""

    def __init__(self, tmp: Path | None, duration: float) -> None:
        self.tmp = tmp
        self.active = tmp is not None
        self._writer = (AudioWriter(tmp, codec="pcm_s24le", fmt="wav", length=duration)
                        if tmp is not None else None)

    def __enter__(self) -> _StemWriter:
        if self._writer is not None:
            self._writer.__enter__()
        return self

    def write(self, block: np.ndarray) -> None:
        assert self._writer is not None
        self._writer.write(block)

    def __exit__(self, *exc: object) -> None:
        if self._writer is not None:
            self._writer.__exit__(*exc)

    def finish(self, final: Path | None) -> None:
        if self.tmp is not None and final is not None:
            self.tmp.replace(final)


def _stem_writer(options: RenderOptions, workdir: Path, duration: float) -> _StemWriter:
    if options.stem_path is None:
        return _StemWriter(None, duration)
    # Same folder as the final stem, so the rename at the end is atomic.
    tmp = options.stem_path.with_name(f".{options.stem_path.name}.part")
    return _StemWriter(tmp, duration)


def _write_pcm_variant(mp4: Path, final: Path) -> None:
    """A MOV with PCM audio for editors that cannot decode AAC, from the finished MP4."""
    tmp = final.with_name(f".{final.name}.part")
    try:
        write_pcm_mov(mp4, mp4, tmp)
        tmp.replace(final)
    finally:
        tmp.unlink(missing_ok=True)


def _track_number(media: MediaInfo, index: int | None) -> int | None:
    return next((n for n, s in enumerate(media.audio, 1) if s.index == index), None)


def _round(x: float) -> float | None:
    return round(float(x), 3) if math.isfinite(x) else None


def _finite(d: dict[str, Any]) -> dict[str, Any]:
    return {k: _round(v) if isinstance(v, float) else v for k, v in d.items()}
