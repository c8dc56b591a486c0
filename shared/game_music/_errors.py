"""The one exception tree of game-music.

Every failure a user can meet is a :class:`GameMusicError` with a stable ``code`` (Contract 2)
and a process ``exit_code`` (Contract 1)::

    GameMusicError                      code / exit
    ├── InputError                      input (exit 3)
    │   ├── InputNotFound               input_not_found
    │   ├── InputBusy                   input_busy
    │   ├── UnsupportedInput            unsupported_input
    │   ├── CorruptInput                corrupt_input
    │   ├── NoVideoStream               no_video_stream
    │   └── FileTooLarge                file_too_large
    ├── BackendError                    backend (exit 4)
    │   ├── NetworkError                network
    │   ├── AuthError                   auth
    │   ├── NoCredits                   no_credits
    │   ├── RateLimited                 rate_limited
    │   └── ExportBlocked               export_blocked
    ├── OutputError                     output (exit 5)
    │   ├── OutputNotWritable           output_not_writable
    │   └── DiskFull                    disk_full
    ├── UsageError                      usage (exit 2)
    │   └── InvalidRequest              usage (also a ValueError)
    ├── Cancelled                       cancelled (exit 130)
    └── InternalError                   internal (exit 1)

Only leaves are raised; a base's own code ("input", "output") names the family for a catcher
and never reaches an event. Messages are one line written for a person; they never contain
tokens or passwords.
"""

from __future__ import annotations


class GameMusicError(Exception):
    """Base of every error game-music raises on purpose."""

    code: str = "internal"
    exit_code: int = 1

    def __init__(self, message: str) -> None:
        # Keep messages to one line: they are printed as-is and sent in JSON events.
        super().__init__(" ".join(str(message).split()))

    @property
    def message(self) -> str:
        return str(self)


class InputError(GameMusicError):
    code = "input"
    exit_code = 3


class InputNotFound(InputError):
    code = "input_not_found"


class InputBusy(InputError):
    """The recording is still being written (OBS has not finished it)."""

    code = "input_busy"


class UnsupportedInput(InputError):
    code = "unsupported_input"


class CorruptInput(InputError):
    code = "corrupt_input"


class NoVideoStream(InputError):
    code = "no_video_stream"


class FileTooLarge(InputError):
    code = "file_too_large"


class BackendError(GameMusicError):
    code = "backend"
    exit_code = 4


class NetworkError(BackendError):
    code = "network"


class AuthError(BackendError):
    code = "auth"


class NoCredits(BackendError):
    code = "no_credits"


class RateLimited(BackendError):
    code = "rate_limited"


class ExportBlocked(BackendError):
    code = "export_blocked"


class OutputError(GameMusicError):
    code = "output"
    exit_code = 5


class OutputNotWritable(OutputError):
    code = "output_not_writable"


class DiskFull(OutputError):
    code = "disk_full"


class UsageError(GameMusicError):
    code = "usage"
    exit_code = 2


class InvalidRequest(UsageError, ValueError):
    """A :class:`~game_music.MusicRequest` field out of range (a ValueError too, for callers
    that validate values the usual Python way)."""


class Cancelled(GameMusicError):
    code = "cancelled"
    exit_code = 130


class InternalError(GameMusicError):
    code = "internal"
    exit_code = 1
