"""Credentials: the user's token, or an anonymous one cached (mode 0600) until it expires.

The anonymous token is tied to a stable ``X-Client-Id`` that we create once and keep: the
service hands out one anonymous token per client id per 7 days, so a fresh id every run would
soon be refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ._models import AnonymousToken, expiry_or_default, parse_time
from ._redact import remember
from ._settings import NemoSettings, state_dir

#: Refresh an anonymous token this long before it expires, so a job never starts on a dying one.
EXPIRY_MARGIN = timedelta(hours=1)
TOKEN_FILE = "token.json"
CLIENT_ID_FILE = "client_id"


@dataclass(frozen=True)
class Credentials:
    token: str = field(repr=False)
    source: str  # where it came from, for `nemo status` (never the token itself)
    user_id: str | None = None
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        remember(self.token)  # masked from here on, wherever it is echoed

    @property
    def anonymous(self) -> bool:
        return self.source.endswith("anonymous token")


def write_private(path: Path, text: str) -> None:
    """Write ``text`` atomically to ``path`` readable by the owner only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)  # umask cannot widen it, but an old file might have been wider
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


class TokenStore:
    """Reads and writes the client id and the anonymous-token cache."""

    def __init__(
        self,
        settings: NemoSettings,
        folder: Path | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.settings = settings
        self.folder = folder or state_dir()
        self._now = now
        self._client_id: str | None = settings.client_id

    @property
    def token_path(self) -> Path:
        return self.folder / TOKEN_FILE

    def client_id(self) -> str:
        """The configured id, else the one we persisted, else a new one (then persisted)."""
        if self._client_id:
            remember(self._client_id, self._client_id[:64])
            return self._client_id[:64]
        path = self.folder / CLIENT_ID_FILE
        with contextlib.suppress(OSError):
            saved = path.read_text(encoding="utf-8").strip()
            if saved:
                self._client_id = saved[:64]
                remember(self._client_id)
                return self._client_id
        self._client_id = f"game-music-{uuid.uuid4().hex}"
        remember(self._client_id)
        write_private(path, self._client_id + "\n")
        return self._client_id

    def user_credentials(self) -> Credentials | None:
        s = self.settings
        return Credentials(s.token, s.token_source or "config file") if s.token else None

    def cached(self) -> Credentials | None:
        """The cached anonymous token for this API, unless it is missing, foreign or expiring."""
        try:
            data: dict[str, Any] = json.loads(self.token_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("api_url") != self.settings.api_url:
            return None
        token, expires = data.get("token"), parse_time(data.get("expires_at"))
        try:
            when = datetime.fromisoformat(expires) if isinstance(expires, str) else expires
        except ValueError:
            return None
        if not isinstance(token, str) or not isinstance(when, datetime):
            return None
        when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        if when - EXPIRY_MARGIN <= self._now():
            return None
        return Credentials(token, "cached anonymous token", data.get("user_id"), when)

    def save(self, reply: AnonymousToken) -> Credentials:
        when = expiry_or_default(reply.expires_at, self._now())
        token = reply.token.get_secret_value()
        record = {
            "api_url": self.settings.api_url,
            "token": token,
            "user_id": reply.user_id,
            "expires_at": when.isoformat(),
        }
        write_private(self.token_path, json.dumps(record, indent=2) + "\n")
        return Credentials(token, "new anonymous token", reply.user_id, when)

    def forget(self) -> None:
        with contextlib.suppress(OSError):
            self.token_path.unlink()

    def last_user_id(self) -> str | None:
        """The anonymous user id from the cache, even when the token itself has expired."""
        with contextlib.suppress(OSError, ValueError, AttributeError):
            return json.loads(self.token_path.read_text(encoding="utf-8")).get("user_id")
        return None
