"""game-music: original video-game-style music for gameplay recordings.

The public API is small; everything else lives in private or stage modules.
"""

from __future__ import annotations

__version__ = "0.1.0"

from ._errors import (  # noqa: E402
    AuthError,
    BackendError,
    Cancelled,
    CorruptInput,
    DiskFull,
    ExportBlocked,
    FileTooLarge,
    GameMusicError,
    InputBusy,
    InputError,
    InputNotFound,
    InternalError,
    InvalidRequest,
    NetworkError,
    NoCredits,
    NoVideoStream,
    OutputError,
    OutputNotWritable,
    RateLimited,
    UnsupportedInput,
    UsageError,
)
from .request import MusicRequest  # noqa: E402

__all__ = [
    "AuthError",
    "BackendError",
    "Cancelled",
    "CorruptInput",
    "DiskFull",
    "ExportBlocked",
    "FileTooLarge",
    "GameMusicError",
    "InputBusy",
    "InputError",
    "InputNotFound",
    "InternalError",
    "InvalidRequest",
    "MusicRequest",
    "NetworkError",
    "NoCredits",
    "NoVideoStream",
    "OutputError",
    "OutputNotWritable",
    "RateLimited",
    "UnsupportedInput",
    "UsageError",
    "__version__",
]
