"""Probe a media file into frozen dataclasses (PyAV, in-process: no ffprobe needed)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from .._errors import CorruptInput, InputNotFound, NoVideoStream, UnsupportedInput

# Extensions whose failure to open means "damaged", not "not a video at all".
VIDEO_EXTENSIONS = frozenset(
    ".mkv .mp4 .m4v .mov .flv .ts .m2ts .webm .avi .3gp .mpg .mpeg .wmv .hevc .264".split()
)


@dataclass(frozen=True, slots=True)
class VideoStream:
    index: int
    codec: str
    profile: str | None
    width: int
    height: int
    pix_fmt: str | None
    fps: Fraction
    duration: float
    bit_rate: int | None
    rotation: int = 0

    @property
    def display_size(self) -> tuple[int, int]:
        return (self.height, self.width) if self.rotation % 180 else (self.width, self.height)


@dataclass(frozen=True, slots=True)
class AudioStream:
    index: int
    codec: str
    sample_rate: int
    channels: int
    title: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class MediaInfo:
    path: Path
    format_name: str
    duration: float
    size_bytes: int
    start_time: float
    video: VideoStream
    audio: tuple[AudioStream, ...]

    @property
    def frame_duration(self) -> float:
        return float(1 / self.video.fps) if self.video.fps else 1 / 30


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Open ``path`` and describe it; raise an :class:`InputError` subclass when unusable."""
    p = Path(path)
    if not p.exists():
        raise InputNotFound(f"{p.name}: file not found")
    if p.is_dir():
        raise UnsupportedInput(f"{p.name}: is a folder, not a video file")
    size = p.stat().st_size
    if size == 0:
        raise CorruptInput(f"{p.name}: the file is empty")
    try:
        container = av.open(str(p), metadata_errors="ignore")
    except PermissionError:
        raise InputNotFound(f"{p.name}: cannot be read (permission denied)") from None
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise _open_error(p, exc) from None
    with container:
        if _not_a_video_format(container.format.name):
            raise UnsupportedInput(f"{p.name}: not a video file")
        vstreams = [s for s in container.streams.video if not _is_cover_art(s)]
        astreams = list(container.streams.audio)
        if not vstreams:
            if astreams:
                raise NoVideoStream(f"{p.name}: has audio but no video stream")
            raise UnsupportedInput(f"{p.name}: not a video file")
        vs = vstreams[0]
        ctx = vs.codec_context
        if not ctx.width or not ctx.height:
            raise CorruptInput(f"{p.name}: the video stream has no picture size (damaged file?)")
        start = float(container.start_time / av.time_base) if container.start_time else 0.0
        fps = vs.average_rate or vs.guessed_rate or vs.base_rate or Fraction(30)
        if _mp4_cut_short(container, size):
            raise CorruptInput(
                f"{p.name}: the file is incomplete (cut off before its end); "
                "it cannot be used as it is"
            )
        rotation = _rotation(container, vs)  # before the tail scan moves the read position
        duration = _video_duration(container, vs, start)
        if duration <= 0:
            raise CorruptInput(f"{p.name}: no video frames could be read (damaged file?)")
        video = VideoStream(
            index=vs.index,
            codec=ctx.name,
            profile=ctx.profile,
            width=ctx.width,
            height=ctx.height,
            pix_fmt=ctx.format.name if ctx.format else None,
            fps=Fraction(fps),
            duration=duration,
            bit_rate=ctx.bit_rate or None,
            rotation=rotation,
        )
        audio = tuple(
            AudioStream(
                index=s.index,
                codec=s.codec_context.name,
                sample_rate=s.codec_context.sample_rate or 48000,
                channels=s.codec_context.channels or 2,
                title=s.metadata.get("title") or s.metadata.get("handler_name"),
                language=s.metadata.get("language"),
            )
            for s in astreams
            if s.codec_context.sample_rate
        )
        return MediaInfo(
            path=p.resolve(),
            format_name=container.format.name,
            duration=duration,
            size_bytes=size,
            start_time=start,
            video=video,
            audio=audio,
        )


def _open_error(p: Path, exc: Exception) -> Exception:
    text = str(exc).lower()
    if p.suffix.lower() in VIDEO_EXTENSIONS or "moov atom not found" in text:
        return CorruptInput(f"{p.name}: the file is damaged or incomplete and cannot be read")
    return UnsupportedInput(f"{p.name}: not a video file this tool can read")


def _not_a_video_format(name: str) -> bool:
    # ffmpeg "opens" text (tty) and still images (image2, *_pipe) as one-stream videos.
    return any(n in {"tty", "image2", "image2pipe", "bin", "lavfi"} or n.endswith("_pipe")
               for n in name.split(","))


def _is_cover_art(stream: av.video.stream.VideoStream) -> bool:
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _mp4_cut_short(container: av.container.InputContainer, size: int) -> bool:
    """An MP4/MOV whose sample table points past the end of the file was cut short (a copy
    or download that stopped, a moov written first). Its tail cannot be read, and a copied
    stream would end in a broken packet."""
    if not any(n in ("mov", "mp4") for n in container.format.name.split(",")):
        return False
    for stream in container.streams:
        try:
            entries = stream.index_entries
            tail = [entries[i] for i in range(max(0, len(entries) - 64), len(entries))]
        except (AttributeError, av.error.FFmpegError, IndexError):
            return False  # no index to check: let the readers decide
        if any(e.pos >= 0 and e.pos + e.size > size for e in tail):
            return True
    return False


def _rotation(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> int:
    """Clockwise degrees a player turns the picture (phone videos are stored sideways)."""
    rotate = stream.metadata.get("rotate")
    if rotate:
        try:
            return int(float(rotate)) % 360
        except ValueError:
            return 0
    # Current ffmpeg keeps the MP4/MOV display matrix as side data, not a "rotate" tag; PyAV
    # shows it on decoded frames only, so decode the first one.
    if not any(n in ("mov", "mp4") for n in container.format.name.split(",")):
        return 0
    try:
        frame = next(container.decode(stream), None)
    except (av.error.FFmpegError, ValueError):
        return 0
    finally:
        container.seek(0)
    counter_clockwise = getattr(frame, "rotation", 0) or 0
    return int(round(-counter_clockwise)) % 360


def _video_duration(container: av.container.InputContainer, vs: av.video.stream.VideoStream,
                    start: float) -> float:
    """Seconds from the container start to the end of the last video frame.

    Header durations are missing or wrong in recordings OBS could not finalise, so the tail of
    the file is demuxed (seek near the end; a full scan only when seeking fails).
    """
    tb = vs.time_base
    header = None
    if vs.duration and tb:
        header = float(vs.duration * tb)
    elif container.duration:
        header = container.duration / av.time_base
    frame = float(1 / (vs.average_rate or vs.guessed_rate or 30))
    end_pts: float | None = None
    try:
        if header and header > 10:
            container.seek(int((start + header - 5) / tb), stream=vs, backward=True)
        for packet in container.demux(vs):
            if packet.pts is None:
                continue
            t = float(packet.pts * tb) + (float(packet.duration * tb) if packet.duration else frame)
            if end_pts is None or t > end_pts:
                end_pts = t
    except av.error.FFmpegError:
        pass  # a damaged tail: keep what was read
    if end_pts is None:
        return float(header or 0.0)
    return max(0.0, end_pts - start)
