"""Where the cloud backend's settings come from: env first, then the user config file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from ... import config as user_config
from ._redact import remember

PROD_API_URL = "https://mega-api-prod.nemovideo.ai"
WEB_URL = "https://nemovideo.com"
# Conservative local limit: the service documents a "too large" error but not the size.
DEFAULT_MAX_UPLOAD_MB = 500


def _version() -> str:
    try:
        return metadata.version("game-music")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.0.0"


#: Sent on every request; the service attributes work (and allows export) by these.
ATTRIBUTION = {
    "X-Skill-Source": "game-music",
    "X-Skill-Version": _version(),
    "X-Skill-Platform": "terminal",
}


@dataclass(frozen=True)
class NemoSettings:
    api_url: str = PROD_API_URL
    web_url: str = WEB_URL
    #: A token the user gave us (env/config); None means "use an anonymous token".
    token: str | None = field(default=None, repr=False)  # never shown, even in a traceback
    token_source: str | None = None
    client_id: str | None = None
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB
    language: str = "en"


def load_settings(cfg: dict[str, Any] | None = None) -> NemoSettings:
    """Contract 1: env ``NEMO_TOKEN``, ``NEMO_API_URL``, ``NEMO_CLIENT_ID``, then the
    ``[nemo]`` table of the user config file."""
    table = (user_config.load_config() if cfg is None else cfg).get("nemo") or {}
    env = os.environ
    token, source = env.get("NEMO_TOKEN"), "NEMO_TOKEN"
    if not token:
        token, source = table.get("token"), "config file"
    client_id = env.get("NEMO_CLIENT_ID") or table.get("client_id") or None
    remember(token, client_id)
    return NemoSettings(
        api_url=(env.get("NEMO_API_URL") or table.get("api_url") or PROD_API_URL).rstrip("/"),
        web_url=(env.get("NEMO_WEB_URL") or table.get("web_url") or WEB_URL).rstrip("/"),
        token=token or None,
        token_source=source if token else None,
        client_id=client_id,
        max_upload_mb=float(table.get("max_upload_mb") or DEFAULT_MAX_UPLOAD_MB),
        language=str(table.get("language") or "en"),
    )


def state_dir() -> Path:
    """Cached credentials and the client id live with the user's config."""
    return user_config.config_dir() / "nemo"


def session_dir() -> Path:
    """The last cloud session (for ``game-music nemo say``) lives with the user's data."""
    return user_config.data_dir() / "nemo"
