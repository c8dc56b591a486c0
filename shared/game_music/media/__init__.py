"""Media I/O: the one ffmpeg runner, probing and muxing. Knows nothing about music."""

from .ffmpeg import ffmpeg_exe, run_ffmpeg
from .probe import AudioStream, MediaInfo, VideoStream, probe

__all__ = ["AudioStream", "MediaInfo", "VideoStream", "ffmpeg_exe", "probe", "run_ffmpeg"]
