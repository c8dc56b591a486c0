"""The offline engine: probe -> analyse -> compose -> synthesize -> mix -> master -> mux.

Each stage is a module with data in and data out; this file only runs them in order, keeps the
audio as PCM until the final encode, and reports progress.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
from scipy.io import wavfile

from ..analysis import analyse
from ..analysis.result import Analysis, Cut
from ..events import ProgressFn
from ..media.audio import decode_audio, pick_streams
from ..media.mux import mux, write_pcm_mov
from ..media.probe import MediaInfo
from ..mix import master, mix_tracks
from ..music import compose_music
from ..request import MusicRequest
from .base import PREVIEW_SECONDS, RenderOptions, RenderResult

SAMPLE_RATE = 48000


class LocalBackend:
    name = "local"
    weights = (
        ("analyse", 2.0),
        ("compose", 0.3),
        ("synthesize", 1.5),
        ("mix", 1.0),
        ("render", 2.0),
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

        progress("analyse", 0.0)
        game_idx, voice_idx = pick_streams(media)
        game = decode_audio(media, game_idx, start=start, duration=duration) if game_idx is not None else None
        voice = decode_audio(media, voice_idx, start=start, duration=duration) if voice_idx is not None else None
        progress("analyse", 0.3)
        analysis = analyse(
            media, game, voice, progress=lambda f: progress("analyse", 0.3 + 0.7 * f),
            audio_start=start,
        )
        if start > 0 or end < media.video.duration:
            analysis = crop_analysis(analysis, start, end)

        progress("compose", 0.0)
        comp = compose_music(
            analysis, request, duration=duration, seed=int(request.seed or 0),
            sample_rate=SAMPLE_RATE,
        )
        progress("synthesize", 0.0)
        music = comp.render_all()
        progress("synthesize", 1.0)

        progress("mix", 0.0)
        mixed = mix_tracks(
            music, game, analysis.speech, request, SAMPLE_RATE, voice=voice, hop=analysis.hop
        )
        progress("mix", 0.5)
        final, loudness = master(mixed.mix, SAMPLE_RATE)
        wav = workdir / "mix.wav"
        wavfile.write(wav, SAMPLE_RATE, final.astype(np.float32))
        extra: list[Path] = []
        if options.stem_path is not None:
            _write_wav_atomic(options.stem_path, mixed.music_stem)
            extra.append(options.stem_path)
        progress("mix", 1.0)

        report = mux(
            media, wav, output, aspect=request.aspect, duration=duration,
            start_s=start if start > 0 else None, end_s=end if end < media.video.duration else None,
            progress=lambda f: progress("render", f),
        )
        if options.pcm_mov_path is not None:
            tmp = options.pcm_mov_path.with_name(f".{options.pcm_mov_path.name}.part")
            try:
                write_pcm_mov(output, wav, tmp)
                tmp.replace(options.pcm_mov_path)
            finally:
                tmp.unlink(missing_ok=True)
            extra.append(options.pcm_mov_path)
        progress("render", 1.0)

        summary: dict[str, Any] = {
            "music": comp.summary,
            "analysis": analysis.summary(),
            "loudness": _as_dict(loudness),
            "video": {"copied": report.video_copied, "reason": report.reason},
            "range": [round(start, 3), round(end, 3)],
        }
        return RenderResult(output=output, summary=summary, extra_outputs=tuple(extra))


def source_range(media: MediaInfo, options: RenderOptions) -> tuple[float, float]:
    """The span of the input to use: a source range (Resolve) and/or the preview cut."""
    total = media.video.duration
    start = min(max(0.0, options.start_s or 0.0), total)
    end = min(total, options.end_s) if options.end_s else total
    if options.preview:
        end = min(end, start + PREVIEW_SECONDS)
    if end - start <= 0:
        from .._errors import UsageError

        raise UsageError(f"the range {start:.2f}-{end:.2f} s is empty for this {total:.2f} s video")
    return start, end


def crop_analysis(a: Analysis, start: float, end: float) -> Analysis:
    i0, i1 = int(round(start / a.hop)), int(np.ceil(end / a.hop))
    cuts = tuple(Cut(c.time - start, c.strength) for c in a.cuts if start < c.time < end)
    return dataclasses.replace(
        a, duration=end - start, energy=a.energy[i0:i1], speech=a.speech[i0:i1],
        motion=a.motion[i0:i1], cuts=cuts,
    )


def _write_wav_atomic(path: Path, audio: np.ndarray) -> None:
    tmp = path.with_name(f".{path.name}.part")
    try:
        wavfile.write(tmp, SAMPLE_RATE, audio.astype(np.float32))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _as_dict(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {k: _as_dict(v) for k, v in dataclasses.asdict(obj).items()}
    if isinstance(obj, float):
        return round(obj, 3)
    return obj
