"""Readable retry notices.

stamina logs each scheduled retry as the bare message ``stamina.retry_scheduled`` with the
details in record attributes. A filter on its logger rewrites that into one line a person can
read: what is retried, why, attempt n of m and the wait. The "what" and "m" come from the
:func:`retrying` block the client wraps around each retry loop.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from ._redact import MaskSecrets, mask


@dataclass
class RetryLabel:
    what: str
    attempts: int
    last_error: BaseException | None = None

    def failed(self, exc: BaseException) -> None:
        """Called by a retry predicate: the failure the next notice will name."""
        self.last_error = exc


_current: ContextVar[RetryLabel | None] = ContextVar("game_music_nemo_retry", default=None)


@contextlib.contextmanager
def retrying(what: str, attempts: int) -> Iterator[RetryLabel]:
    label = RetryLabel(what, attempts)
    token = _current.set(label)
    try:
        yield label
    finally:
        _current.reset(token)


def _reason(exc: BaseException | None, fallback: object) -> str:
    if exc is None:
        return str(fallback or "an error")
    text = str(getattr(exc, "error", None) or exc)  # the client's wrapper carries the error
    return text or type(exc).__name__


class RetryNotes(logging.Filter):
    """Rewrites stamina's retry records into one readable, secret-free line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != "stamina.retry_scheduled":
            return True
        label = _current.get()
        failed_attempt = int(getattr(record, "stamina.retry_num", 0) or 0)
        wait = float(getattr(record, "stamina.wait_for", 0.0) or 0.0)
        if label is not None:
            what = label.what
            why = _reason(label.last_error, getattr(record, "stamina.caused_by", ""))
            of = f" of {label.attempts}"
        else:
            what = str(getattr(record, "stamina.callable", "a call"))
            why = str(getattr(record, "stamina.caused_by", "an error"))
            of = ""
        record.msg = mask(
            f"{what} failed ({why}); retrying in {wait:.1f} s "
            f"(attempt {failed_attempt + 1}{of})"
        )
        record.args = ()
        return True


_RETRY_NOTES = RetryNotes()
_MASK = MaskSecrets()


def install() -> None:
    """Attach the filters to the loggers the cloud backend writes to (idempotent)."""
    stamina_log = logging.getLogger("stamina")
    for logger, filters in (
        (stamina_log, (_RETRY_NOTES, _MASK)),
        (logging.getLogger("game_music.nemo"), (_MASK,)),
    ):
        for f in filters:
            if f not in logger.filters:
                logger.addFilter(f)
