"""Put the finished audio next to the input's video: MP4 for delivery, PCM MOV for Resolve.

The video stream is copied whenever it already fits the output rules (H.264, 8-bit 4:2:0, at
most 1920x1080 landscape or 1080x1920 portrait, no rotation flag, frame already in the asked
aspect); otherwise it is re-encoded with libx264. The audio is always the new mix, encoded
once from PCM.

Timing rules, because copied streams keep their own timestamps:

- the audio's sample 0 is the input's container start (the origin :func:`probe` measures the
  video duration from), so a video that starts late (MKV/FLV/TS offsets, B-frame delay) stays
  in sync: ffmpeg shifts all of the input's streams by the same start time;
- the output lasts exactly the video's duration: the audio is padded and trimmed to it
  (streamed PCM is counted out exactly and the copied AAC's last frame shortened, see
  :func:`.aac.adts_input`; a WAV for :func:`write_pcm_mov` gets ``apad=whole_dur`` + ``atrim``
  with ``-t``). ``-shortest`` is never used (it truncated copied video in some ffmpeg
  releases); the AAC encoder's priming samples are covered by the MP4 edit list.
- a source range (``start_s``/``end_s``) is cut on the input side. A copied stream can only
  start on a keyframe, so a range that starts between keyframes is re-encoded instead of
  starting early or with a frozen picture.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import IO, TYPE_CHECKING

import av
import numpy as np

from .._errors import OutputNotWritable
from .aac import ParallelAacEncoder, adts_input
from .audio import SAMPLE_RATE, read_into, samples_for
from .ffmpeg import drain, error_from_stderr, open_ffmpeg, run_ffmpeg
from .probe import MediaInfo, probe

if TYPE_CHECKING:
    from ..mix.limiter import TruePeakMeter

MAX_LANDSCAPE = (1920, 1080)
MAX_PORTRAIT = (1080, 1920)
ASPECT_RATIOS = {"16:9": Fraction(16, 9), "9:16": Fraction(9, 16), "1:1": Fraction(1, 1)}
X264_PRESET = "veryfast"
X264_CRF = 20
_ASPECT_TOLERANCE = 0.01
# Video codecs a QuickTime MOV can carry as they are (for the PCM variant).
_MOV_CODECS = frozenset({"h264", "hevc", "prores", "dnxhd", "mjpeg", "mpeg4", "av1"})

Progress = Callable[[float], None]


@dataclass(frozen=True)
class MuxReport:
    video_copied: bool
    reason: str  # why the video was copied or re-encoded, for logs and the sidecar
    width: int  # output frame size
    height: int
    duration: float  # seconds written


@dataclass(frozen=True)
class _Frame:
    """What happens to the picture: optional centre crop, then optional scale."""

    crop: tuple[int, int] | None
    size: tuple[int, int]


def plan_frame(width: int, height: int, aspect: str = "source") -> _Frame:
    """Output size for a displayed ``width`` x ``height`` picture and an aspect request.

    Centre-crops to the asked aspect, then scales down (never up) to fit 1920x1080 (landscape)
    or 1080x1920 (portrait); sizes stay even as 4:2:0 needs.
    """
    cw, ch = width, height
    crop: tuple[int, int] | None = None
    ratio = ASPECT_RATIOS.get(aspect)
    if ratio is not None and not _same_aspect(width, height, ratio):
        if Fraction(width, height) > ratio:
            cw = _even(height * ratio)
        else:
            ch = _even(width / ratio)
        crop = (cw, ch)
    box = MAX_LANDSCAPE if cw >= ch else MAX_PORTRAIT
    scale = min(Fraction(1), Fraction(box[0], cw), Fraction(box[1], ch))
    return _Frame(crop=crop, size=(_even(cw * scale), _even(ch * scale)))


def copy_decision(
    info: MediaInfo, aspect: str = "source", start_s: float | None = None
) -> tuple[bool, str]:
    """``(copy, reason)``: can the input's video go into the output untouched?"""
    v = info.video
    if v.codec != "h264":
        return False, f"video is {v.codec}, not H.264"
    if v.pix_fmt != "yuv420p":
        return False, f"pixel format {v.pix_fmt} is not 8-bit yuv420p"
    if v.rotation:
        return False, f"video is stored rotated by {v.rotation} degrees"
    w, h = v.display_size
    box = MAX_LANDSCAPE if w >= h else MAX_PORTRAIT
    if w > box[0] or h > box[1]:
        return False, f"{w}x{h} is larger than {box[0]}x{box[1]}"
    if aspect in ASPECT_RATIOS and not _same_aspect(w, h, ASPECT_RATIOS[aspect]):
        return False, f"cropping {w}x{h} to {aspect}"
    if start_s and start_s > 0 and not _starts_on_keyframe(info, start_s):
        return False, f"the range starts at {start_s:.3f} s, between keyframes"
    return True, f"H.264 {w}x{h} yuv420p already fits"


@dataclass(frozen=True)
class EncodedAudio:
    """The shipped AAC track: its loudness, and an upper bound of its true peak."""

    integrated_lufs: float
    true_peak_dbtp: float


def mux_pcm(
    info: MediaInfo,
    output: Path,
    feed: Callable[[Callable[[np.ndarray], None]], float],
    *,
    aspect: str = "source",
    duration: float | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    overshoot_db: float | None = None,
) -> tuple[MuxReport, EncodedAudio]:
    """Encode and mux streamed PCM in one go; the shipped track's loudness and true peak
    come back with the finished file.

    ``feed(write)`` must call ``write`` with float32 ``(n, 2)`` blocks at 48 kHz, starting at
    the range's start; the audio is padded or trimmed to the video's length. It returns the
    true peak (dBTP) of what it wrote (the limiter knows it: :attr:`.Limiter.output_peak_db`).
    The AAC is encoded once, by several encoders at a time (:mod:`.aac`), into the ffmpeg
    writing the MP4 (copied or re-encoded video as :func:`copy_decision` decides).

    With ``overshoot_db`` (how far the AAC's true peak can exceed the PCM's, measured for the
    material: :func:`game_music.mix.master.aac_overshoot_db`) nothing decodes the AAC again:
    the loudness is the PCM's (AAC at 192 kb/s moves it by hundredths of a LU) and the true
    peak reported is the bound, the PCM's plus ``overshoot_db``. Without it the spliced stream
    also goes to a second ffmpeg that decodes it and measures what ships.
    """
    output = Path(output)
    _check_output_dir(output)
    start, length = _range(info, duration, start_s, end_s)
    samples = samples_for(length)
    video, report = _video_args(info, aspect, start, length)
    adts_in, adts_trim = adts_input(samples)
    write_mp4 = [*_input_args(info, adts_in, start, length), *video,
                 "-c:a", "copy", *adts_trim,
                 "-movflags", "+faststart", "-f", "mp4", str(output)]
    # Here, not at the top: scipy, which the engine has loaded by now.
    from ..mix.limiter import TruePeakMeter
    from ..mix.loudness import LoudnessMeter

    bounded = overshoot_db is not None
    # The meter decodes the AAC and measures its loudness; the true peak of the decoded
    # audio is measured here, on a thread: it reads what ebur128 read on this stream (within
    # its 0.1 dB print), for 0.4x the CPU.
    check = ["-nostats", "-f", "aac", "-i", "pipe:0", "-af", "ebur128=framelog=quiet",
             "-f", "f32le", "-ac", "2", "pipe:1"]
    what = f"writing {output.name}"
    loudness = LoudnessMeter(SAMPLE_RATE, 2) if bounded else None
    with contextlib.ExitStack() as stack:
        mp4 = stack.enter_context(open_ffmpeg(write_mp4, stdin=True, stdout=False))
        meter = None if bounded else stack.enter_context(
            open_ffmpeg(check, stdin=True, stdout=True, loglevel="info"))
        pipes = [p.stdin for p in (mp4, meter) if p is not None]
        mp4_err: list[bytes] = []
        meter_err: list[bytes] = []
        peaks = TruePeakMeter(2, np.float32)
        peak_errors: list[BaseException] = []
        drains = [drain(mp4.stderr, mp4_err)]
        if meter is not None:
            drains += [drain(meter.stderr, meter_err),
                       _measure_peaks(meter.stdout, peaks, peak_errors)]

        def failed() -> Exception:
            mp4.wait()
            drains[0].join(timeout=5)
            return error_from_stderr(_text(mp4_err), what, mp4.returncode)

        def sink(adts: bytes) -> None:
            try:
                for pipe in pipes:
                    pipe.write(adts)  # type: ignore[union-attr]
            except BrokenPipeError:
                raise failed() from None

        with ParallelAacEncoder(samples, sink) as encoder:
            metered = 0

            def write(block: np.ndarray) -> None:
                nonlocal metered
                if loudness is not None:  # only what the encoder keeps (trimmed to the video)
                    kept = block[: max(0, samples - metered)]
                    metered += len(kept)
                    loudness.add(kept)
                encoder.write(block)

            pcm_peak = feed(write)
            encoder.finish()
        for pipe in pipes:
            try:
                pipe.close()  # type: ignore[union-attr]
            except BrokenPipeError:
                pass
        for proc in (mp4, meter):
            if proc is not None:
                proc.wait()
        for t in drains:
            t.join()
        if mp4.returncode != 0:
            raise failed()
        if meter is not None and meter.returncode != 0:
            raise error_from_stderr(_text(meter_err), "measuring the audio", meter.returncode)
        if peak_errors:
            raise peak_errors[0]
    if loudness is not None:  # bounded: the PCM's loudness, its true peak plus the bound
        return report, EncodedAudio(loudness.integrated(),
                                    round(pcm_peak + (overshoot_db or 0.0), 2))
    return report, EncodedAudio(_measured(_text(meter_err)).integrated_lufs,
                                round(peaks.peak_db, 2))


def _measure_peaks(pipe: IO[bytes] | None, meter: TruePeakMeter,
                   errors: list[BaseException]) -> threading.Thread:
    """Feed the decoded float32 stereo PCM from ``pipe`` to ``meter`` on a thread; what goes
    wrong lands in ``errors``, and the pipe is read to the end whatever happens (a meter
    blocked on a full pipe would stall the whole render)."""

    def run() -> None:
        assert pipe is not None
        block = np.empty((2 * SAMPLE_RATE, 2), np.float32)  # reused: the meter copies
        try:
            while filled := read_into(pipe, block):
                meter.add(block[:filled])
        except BaseException as exc:  # noqa: BLE001 - raised again by the caller
            errors.append(exc)
            while pipe.read(1 << 16):
                pass

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _range(info: MediaInfo, duration: float | None, start_s: float | None,
           end_s: float | None) -> tuple[float, float]:
    start = start_s if start_s and start_s > 0 else 0.0
    return start, _length(info, duration, start, end_s)


def _video_args(info: MediaInfo, aspect: str, start: float,
                length: float) -> tuple[list[str], MuxReport]:
    """Output options for the picture (copied or re-encoded) and the report saying which."""
    copy, reason = copy_decision(info, aspect, start)
    w, h = info.video.display_size
    if copy:
        args = ["-c:v", "copy", *_drop_after(length, info)]
        size = (w, h)
    else:
        frame = plan_frame(w, h, aspect)
        size = frame.size
        args = [
            "-vf", _filters(frame),
            "-c:v", "libx264", "-preset", X264_PRESET, "-crf", str(X264_CRF),
            "-profile:v", "high", "-pix_fmt", "yuv420p",
        ]  # fmt: skip
    return args, MuxReport(video_copied=copy, reason=reason, width=size[0], height=size[1],
                           duration=length)


def _text(chunks: list[bytes]) -> str:
    return b"".join(chunks).decode("utf-8", "replace")


def _summary_value(summary: str, pattern: str) -> float:
    match = re.search(pattern, summary)
    return float(match.group(1)) if match else float("-inf")


def write_pcm_mov(
    video_source: Path | MediaInfo,
    audio_wav: Path,
    output: Path,
    *,
    duration: float | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    progress: Progress | None = None,
) -> MuxReport:
    """Write a QuickTime MOV with 16-bit PCM audio (DaVinci Resolve on Linux cannot decode AAC).

    The video is copied when MOV can carry it (normally: the finished MP4's H.264); anything
    else becomes DNxHR SQ, which every Resolve edition decodes.
    """
    info = video_source if isinstance(video_source, MediaInfo) else probe(video_source)
    output = Path(output)
    _check_output_dir(output)
    start = start_s if start_s and start_s > 0 else 0.0
    length = _length(info, duration, start, end_s)
    copy = info.video.codec in _MOV_CODECS and not (start and not _starts_on_keyframe(info, start))
    args = _input_args(info, ["-i", str(audio_wav)], start, length)
    if copy:
        args += ["-c:v", "copy", *_drop_after(length, info)]
        reason = f"{info.video.codec} copied"
    else:
        args += ["-c:v", "dnxhd", "-profile:v", "dnxhr_sq", "-pix_fmt", "yuv422p"]
        reason = f"{info.video.codec} re-encoded to DNxHR SQ"
    args += ["-c:a", "pcm_s16le", *_audio_args(length), "-f", "mov", str(output)]
    run_ffmpeg(args, what=f"writing {output.name}", duration=length, progress=progress)
    w, h = info.video.display_size
    return MuxReport(video_copied=copy, reason=reason, width=w, height=h, duration=length)


def _input_args(info: MediaInfo, audio_in: list[str], start: float, length: float) -> list[str]:
    seek = ["-ss", f"{start:.6f}"] if start > 0 else []
    return [
        *seek, "-t", f"{length:.6f}", "-i", str(info.path),
        *audio_in,
        # One video and one audio stream: other audio tracks, subtitles, data and cover art go.
        "-map", f"0:{info.video.index}", "-map", "1:a:0",
        "-map_metadata", "0", "-map_chapters", "-1",
    ]


def _measured(stderr: str) -> EncodedAudio:
    summary = stderr[stderr.rfind("Summary:"):]
    return EncodedAudio(_summary_value(summary, r"I:\s+(-?[\d.]+|-inf) LUFS"),
                        _summary_value(summary, r"Peak:\s+(-?[\d.]+|-inf) dBFS"))


def _drop_after(length: float, info: MediaInfo) -> list[str]:
    """Drop copied packets shown at or after the end.

    The input-side ``-t`` stops on decode order, so with B-frames a copied cut keeps a few
    frames past the end; in closed GOPs nothing earlier references them.
    """
    end = length - info.frame_duration / 2
    chain = f"noise=drop=gte(pts*tb\\,{end:.6f})"
    if info.format_name.startswith(("matroska", "flv")) and info.video.fps:
        # Millisecond timestamps (MKV/FLV) jitter around the frame grid, so the MP4 would
        # report e.g. 60.005 fps: snap them back onto the grid of the stream's frame rate.
        f = f"{float(info.video.fps):.9g}"
        chain += (f",setts=pts=round(PTS*TB*{f})/(TB*{f}):dts=round(DTS*TB*{f})/(TB*{f})"
                  f":duration=1/(TB*{f})")
    return ["-bsf:v", chain]


def _audio_args(length: float) -> list[str]:
    return [
        "-ar", str(SAMPLE_RATE), "-ac", "2",
        # Exactly the video's length whatever the WAV holds; never -shortest.
        "-af", f"apad=whole_dur={length:.6f},atrim=end={length:.6f}",
        "-t", f"{length:.6f}",
    ]


def _filters(frame: _Frame) -> str:
    parts = []
    if frame.crop:
        parts.append(f"crop={frame.crop[0]}:{frame.crop[1]}")
    parts += [f"scale={frame.size[0]}:{frame.size[1]}:flags=bicubic", "setsar=1", "format=yuv420p"]
    return ",".join(parts)


def _length(info: MediaInfo, duration: float | None, start: float, end_s: float | None) -> float:
    if duration is not None and duration > 0:
        return float(duration)
    end = min(end_s, info.video.duration) if end_s else info.video.duration
    return max(0.0, end - start)


def _starts_on_keyframe(info: MediaInfo, start_s: float) -> bool:
    """Is there a video keyframe within half a frame of ``start_s`` (probe's timeline)?"""
    target = info.start_time + start_s
    tolerance = info.frame_duration / 2
    try:
        with av.open(str(info.path), metadata_errors="ignore") as container:
            stream = container.streams.video[0]
            for s in container.streams.video:
                if s.index == info.video.index:
                    stream = s
            tb = stream.time_base
            container.seek(int(max(0.0, target - 1.0) / tb), stream=stream, backward=True)
            for packet in container.demux(stream):
                if packet.pts is None:
                    continue
                t = float(packet.pts * tb)
                if t > target + tolerance:
                    break
                if packet.is_keyframe and abs(t - target) <= tolerance:
                    return True
    except (av.error.FFmpegError, IndexError):
        return False
    return False


def _check_output_dir(output: Path) -> None:
    folder = output.parent
    if not folder.is_dir():
        raise OutputNotWritable(f"{output.name}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise OutputNotWritable(f"{output.name}: no permission to write in {folder}")


def _same_aspect(width: int, height: int, ratio: Fraction) -> bool:
    return abs(width / height / float(ratio) - 1.0) <= _ASPECT_TOLERANCE


def _even(x: Fraction | float) -> int:
    return max(2, int(x) // 2 * 2)
