"""Keep the token and the client id out of everything a person or a log file sees.

The values themselves are remembered as soon as they are known (settings, the token cache, a
new anonymous token) and masked wherever they turn up: a server message that echoes the token,
a log record, an exception's text, an event. Token-shaped text (``nmv_...``, ``Bearer ...``)
is masked too, whatever its value.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from urllib.parse import quote

MASK = "***"
#: Shorter values are not worth masking (and would garble ordinary words).
MIN_SECRET_LEN = 6
_TOKEN_LIKE = r"nmv_\w+|Bearer\s+\S+"

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern = re.compile(_TOKEN_LIKE, re.IGNORECASE)


def remember(*values: object) -> None:
    """Mask these values from now on (in this process)."""
    global _pattern
    fresh = {
        v for v in values
        if isinstance(v, str) and len(v) >= MIN_SECRET_LEN and v not in _secrets
    }
    if not fresh:
        return
    with _lock:
        _secrets.update(fresh)
        forms = {f for s in _secrets for f in (s, quote(s, safe=""))}
        alternatives = [re.escape(f) for f in sorted(forms, key=len, reverse=True)]
        _pattern = re.compile("|".join([*alternatives, _TOKEN_LIKE]), re.IGNORECASE)


def mask(text: object) -> str:
    """``text`` with every remembered secret and anything token-shaped replaced by ``***``."""
    return _pattern.sub(MASK, str(text))


def hint(value: str | None) -> str:
    """A value shown only by its last four characters (enough to tell two apart)."""
    if not value:
        return "none"
    return f"...{value[-4:]}" if len(value) > 8 else MASK


def scrub(exc: BaseException) -> BaseException:
    """Mask secrets in ``exc``'s text in place (its type, code and exit code stay)."""
    if exc.args and any(isinstance(a, str) for a in exc.args):
        masked = tuple(mask(a) if isinstance(a, str) else a for a in exc.args)
        if masked != exc.args:
            exc.args = masked
    return exc


class MaskSecrets(logging.Filter):
    """A logging filter that masks secrets in the message and in a logged traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = mask("".join(traceback.format_exception(*record.exc_info))).rstrip()
        return True


def format_traceback(exc: BaseException) -> str:
    """A traceback for ``--debug``, with secrets masked."""
    return mask("".join(traceback.format_exception(exc)))
