"""The offline engine: probe -> analyse -> compose -> synthesize -> mix -> master -> mux.

Each stage is a module with data in and data out; this file runs them in order. Audio flows in
fixed blocks, so memory stays flat for recordings of any length (a 3-hour stream holds a few
blocks, never the whole PCM):

1. analyse: the video pass (cuts, motion) runs on a thread while the game and voice tracks are
   decoded block by block into the energy, speech and loudness meters;
2. compose + synthesize: the music is rendered block by block into a raw temp file while its
   loudness is measured (the mix levels depend on it);
3. mix: music, game and voice blocks are mixed by a precomputed gain plan and written back in
   place, while the mix's loudness and true peak are measured (mastering pass 1);
4. render: gain and true-peak limiter stream straight into one ffmpeg that encodes the AAC,
   muxes it with the video (copied when it fits) and tees the encoded track to a meter, so
   the shipped track's loudness and true peak are known when the file is; AAC overshoot or
   heavy limiting (rare) costs one more render.

The audio stays PCM until that single final encode.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import UsageError
from ..analysis import EnergyMeter, SpeechDetector, analyse_video, hop_count
from ..analysis.result import HOP_S, Analysis, Cut
from ..events import ProgressFn
from ..media.audio import SAMPLE_RATE, AudioWriter, iter_audio_blocks, pick_streams, samples_for
from ..media.mux import MAX_TRUE_PEAK_DBTP, EncodedAudio, MuxReport, mux_pcm, write_pcm_mov
from ..media.probe import MediaInfo
from ..mix import (
    CEILING_DBTP,
    MAX_GAIN_DB,
    TARGET_LUFS,
    LevelMeter,
    LoudnessMeter,
    MasterReport,
    Mixer,
    TruePeakMeter,
    apply_master,
    gain_for,
    plan_mix,
    resolve_span,
)
from ..music import compose_music
from ..request import MusicRequest
from .base import PREVIEW_SECONDS, RenderOptions, RenderResult

BLOCK_S = 10.0
CHANNELS = 2
_FRAME = 4 * CHANNELS  # bytes per stereo float32 sample
# The final loudness is measured on the encoded track; only heavy limiting can move it this far
# from the target (the contract allows 1 LU), and then the render runs once more.
_LOUDNESS_TOLERANCE_LU = 0.5
_RENDER_TRIES = 3


class LocalBackend:
    name = "local"
    weights = (
        ("analyse", 2.0),
        ("compose", 0.2),
        ("synthesize", 1.5),
        ("mix", 1.0),
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
        start, end = source_range(media, options)
        duration = end - start
        n = samples_for(duration)
        block = samples_for(BLOCK_S)
        game_idx, voice_idx = pick_streams(media)

        def tracks() -> Iterator[tuple[np.ndarray | None, np.ndarray | None]]:
            return _tracks(media, game_idx, voice_idx, start, duration)

        # 1. analyse (+ game/voice loudness for the mix levels)
        levels = LevelMeter(None, SAMPLE_RATE, hop=HOP_S, game=game_idx is not None,
                            voice=voice_idx is not None)
        analysis = _analyse(media, start, end, tracks, levels,
                            lambda f: progress("analyse", f))

        # 2. compose for the span the music plays in, and render it once into a temp file
        progress("compose", 0.0)
        span = resolve_span(request, duration)
        music_from = samples_for(span[0])
        comp = compose_music(
            crop_analysis(analysis, span[0], span[1]), request, duration=span[1] - span[0],
            seed=int(request.seed or 0), sample_rate=SAMPLE_RATE,
        )
        progress("compose", 1.0)
        pcm = workdir / "audio.f32"
        with pcm.open("wb") as fh:
            for a in range(0, n, block):
                m = _music_block(comp, music_from, a, min(block, n - a))
                levels.add(m)
                fh.write(m.tobytes())
                progress("synthesize", (a + len(m)) / n)

        # 3. mix in place; meter the mix (mastering pass 1); write the stem if asked
        plan = plan_mix(
            levels.levels(analysis.speech), analysis.speech, request, n, SAMPLE_RATE,
            hop=analysis.hop, has_game=game_idx is not None, has_voice=voice_idx is not None,
            music_ending=True,
        )
        mixer = Mixer(plan)
        loud, peak = LoudnessMeter(SAMPLE_RATE, CHANNELS), TruePeakMeter(CHANNELS)
        stem = _stem_writer(options, workdir, duration)
        try:
            self._mix(pcm, n, block, tracks, mixer, loud, peak, stem, progress)
            stem.finish(options.stem_path)
        finally:
            if stem.tmp is not None:
                stem.tmp.unlink(missing_ok=True)


        # 4. master straight into one ffmpeg that encodes the AAC once, muxes it with the
        #    video and hands it to a meter: the shipped track's loudness and true peak come
        #    back with the finished file.
        input_lufs, input_peak = loud.integrated(), peak.peak_db
        gain, ceiling = gain_for(input_lufs), CEILING_DBTP
        report_progress: Callable[[float], None] | None = functools.partial(progress, "render")
        for _ in range(_RENDER_TRIES):
            limiting, muxed, encoded = _render(
                pcm, n, block, media, output, request.aspect, start, end, duration, gain,
                ceiling, report_progress)
            report_progress = None
            if encoded.true_peak_dbtp > MAX_TRUE_PEAK_DBTP:
                # AAC overshot on hard transients: once more with a lower ceiling.
                ceiling -= encoded.true_peak_dbtp - MAX_TRUE_PEAK_DBTP + 0.2
            elif (limiting > 0 and math.isfinite(encoded.integrated_lufs) and gain < MAX_GAIN_DB
                  and abs(encoded.integrated_lufs - TARGET_LUFS) > _LOUDNESS_TOLERANCE_LU):
                # Heavy limiting cost loudness: more gain before the limiter.
                gain = min(MAX_GAIN_DB, gain + TARGET_LUFS - encoded.integrated_lufs)
            else:
                break
        report = MasterReport(
            input_lufs=input_lufs, input_true_peak_dbtp=input_peak, gain_db=gain,
            output_lufs=encoded.integrated_lufs, true_peak_dbtp=encoded.true_peak_dbtp,
            max_limiting_db=limiting, ceiling_dbtp=ceiling,
        )
        pcm.unlink()
        extra: list[Path] = []
        if options.stem_path is not None:
            extra.append(options.stem_path)
        if options.pcm_mov_path is not None:
            _write_pcm_variant(output, options.pcm_mov_path)
            extra.append(options.pcm_mov_path)
        progress("render", 1.0)

        summary: dict[str, Any] = {
            "music": comp.summary,
            "analysis": analysis.summary(),
            "mix": plan.summary(),
            "loudness": _finite(dataclasses.asdict(report)),
            "video": {"copied": muxed.video_copied, "reason": muxed.reason},
            "range": [round(start, 3), round(end, 3)],
        }
        return RenderResult(output=output, summary=summary, extra_outputs=tuple(extra))


    @staticmethod
    def _mix(
        pcm: Path, n: int, block: int,
        tracks: Callable[[], Iterator[tuple[np.ndarray | None, np.ndarray | None]]],
        mixer: Mixer, loud: LoudnessMeter, peak: TruePeakMeter, stem: _StemWriter,
        progress: ProgressFn,
    ) -> None:
        with pcm.open("r+b") as fh, stem:
            for a, (game, voice) in zip(range(0, n, block), tracks(), strict=True):
                count = min(block, n - a)
                fh.seek(a * _FRAME)
                music = np.frombuffer(fh.read(count * _FRAME), np.float32).reshape(-1, CHANNELS)
                mixed = mixer.process(a, music, game, voice)
                loud.add(mixed.mix)
                peak.add(mixed.mix)
                if stem.active:
                    stem.write(mixed.music)
                fh.seek(a * _FRAME)
                fh.write(mixed.mix.tobytes())
                progress("mix", (a + count) / n)


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


def crop_analysis(a: Analysis, start: float, end: float) -> Analysis:
    """The analysis of [start, end) with times relative to ``start``."""
    if start <= 0 and end >= a.duration:
        return a
    i0, i1 = int(round(start / a.hop)), int(math.ceil(end / a.hop))
    cuts = tuple(Cut(c.time - start, c.strength) for c in a.cuts if start < c.time < end)
    return dataclasses.replace(
        a, duration=end - start, energy=a.energy[i0:i1], speech=a.speech[i0:i1],
        motion=a.motion[i0:i1], cuts=cuts,
    )


def _tracks(
    media: MediaInfo, game_idx: int | None, voice_idx: int | None, start: float, duration: float
) -> Iterator[tuple[np.ndarray | None, np.ndarray | None]]:
    """(game, voice) blocks of BLOCK_S seconds over the range, decoded side by side."""
    game = (iter_audio_blocks(media, game_idx, BLOCK_S, start, duration)
            if game_idx is not None else None)
    voice = (iter_audio_blocks(media, voice_idx, BLOCK_S, start, duration)
             if voice_idx is not None else None)
    n_blocks = math.ceil(samples_for(duration) / samples_for(BLOCK_S))
    for _ in range(n_blocks):
        yield (next(game) if game else None), (next(voice) if voice else None)


def _analyse(
    media: MediaInfo,
    start: float,
    end: float,
    tracks: Callable[[], Iterator[tuple[np.ndarray | None, np.ndarray | None]]],
    levels: LevelMeter,
    progress: Callable[[float], None],
) -> Analysis:
    """Video pass on a thread; audio curves and track loudness from one streaming decode."""
    duration = end - start
    n_hops = hop_count(duration)
    video_done = [0.0]
    audio_done = [0.0]

    def report() -> None:
        progress(0.6 * video_done[0] + 0.4 * audio_done[0])

    def on_video(f: float) -> None:
        video_done[0] = f

    with ThreadPoolExecutor(1, thread_name_prefix="analyse-video") as pool:
        video = pool.submit(analyse_video, media, hop_count(media.video.duration), on_video)
        energy, speech_game, speech_voice = EnergyMeter(), SpeechDetector(), SpeechDetector()
        has_voice = has_game = False
        n_blocks = max(1, math.ceil(samples_for(duration) / samples_for(BLOCK_S)))
        for i, (game, voice) in enumerate(tracks()):
            if game is not None:
                has_game = True
                energy.feed(game)
                speech_game.feed(game)
            if voice is not None:
                has_voice = True
                speech_voice.feed(voice)
            levels.add(None, game, voice)
            audio_done[0] = (i + 1) / n_blocks
            report()
        result = video.result()
    audio_done[0] = video_done[0] = 1.0
    report()
    zeros = np.zeros(n_hops, np.float32)
    speech = (speech_voice if has_voice else speech_game).curve(n_hops) if has_game or has_voice \
        else zeros
    full = Analysis(
        duration=media.video.duration, hop=HOP_S, energy=zeros, speech=zeros,
        motion=result.motion, cuts=tuple(c for c in result.cuts if 0 < c.time < media.duration),
        brightness=result.brightness, has_audio=has_game or has_voice,
    )
    cropped = crop_analysis(full, start, end)
    return dataclasses.replace(
        cropped, duration=duration,
        energy=energy.curve(n_hops) if has_game else zeros,
        speech=speech.astype(np.float32),
        motion=_fit(cropped.motion, n_hops),
    )


def _music_block(comp: Any, music_from: int, a: int, count: int) -> np.ndarray:
    """Samples [a, a+count) of the video timeline: silence before the music's span."""
    out = np.zeros((count, CHANNELS), np.float32)
    lo = max(a, music_from)
    hi = min(a + count, music_from + comp.num_samples)
    if hi > lo:
        out[lo - a : hi - a] = comp.render(lo - music_from, hi - lo)
    return out


def _render(
    pcm: Path, n: int, block: int, media: MediaInfo, output: Path, aspect: str, start: float,
    end: float, duration: float, gain: float, ceiling: float,
    progress: Callable[[float], None] | None,
) -> tuple[float, MuxReport, EncodedAudio]:
    """Master the mixed PCM into the muxer: (largest limiting dB, mux report, measurement)."""
    limiting = [0.0]

    def feed(write: Callable[[np.ndarray], None]) -> None:
        def blocks() -> Iterator[np.ndarray]:
            with pcm.open("rb") as fh:
                for a in range(0, n, block):
                    count = min(block, n - a)
                    yield np.frombuffer(fh.read(count * _FRAME), np.float32).reshape(-1, CHANNELS)
                    if progress:
                        progress((a + count) / n)

        limiting[0] = apply_master(blocks(), write, gain, sample_rate=SAMPLE_RATE,
                                   channels=CHANNELS, ceiling_dbtp=ceiling)

    muxed, encoded = mux_pcm(
        media, output, feed, aspect=aspect, duration=duration,
        start_s=start if start > 0 else None,
        end_s=end if end < media.video.duration else None,
    )
    return limiting[0], muxed, encoded


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


def _fit(curve: np.ndarray, n: int) -> np.ndarray:
    if len(curve) >= n:
        return curve[:n]
    return np.concatenate([curve, np.zeros(n - len(curve), np.float32)])


def _round(x: float) -> float | None:
    return round(float(x), 3) if math.isfinite(x) else None


def _finite(d: dict[str, Any]) -> dict[str, Any]:
    return {k: _round(v) if isinstance(v, float) else v for k, v in d.items()}
