"""User configuration (``config.toml`` in the user config folder) and per-user folders."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import platformdirs

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ._errors import UsageError

APP = "game-music"
BUILTIN_PROMPT = "add upbeat retro game background music"
ENV_CONFIG_DIR = "GAME_MUSIC_CONFIG_DIR"
ENV_DATA_DIR = "GAME_MUSIC_DATA_DIR"
ENV_CACHE_DIR = "GAME_MUSIC_CACHE_DIR"


def config_dir() -> Path:
    """Folder holding ``config.toml`` and cached credentials (env override for tests)."""
    return Path(os.environ.get(ENV_CONFIG_DIR) or platformdirs.user_config_dir(APP))


def data_dir() -> Path:
    """Folder for job logs and session state."""
    return Path(os.environ.get(ENV_DATA_DIR) or platformdirs.user_data_dir(APP))


def cache_dir() -> Path:
    """Folder for things worth keeping between jobs that can be made again (decoded banks)."""
    return Path(os.environ.get(ENV_CACHE_DIR) or platformdirs.user_cache_dir(APP))


def config_path() -> Path:
    return config_dir() / "config.toml"


def load_config() -> dict[str, Any]:
    """The parsed config file, or ``{}`` when there is none."""
    path = config_path()
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None


def default_prompt(config: dict[str, Any] | None = None) -> str:
    """Contract 1: env ``GAME_MUSIC_PROMPT``, else the configured default, else built-in."""
    env = os.environ.get("GAME_MUSIC_PROMPT")
    if env:
        return env
    cfg = load_config() if config is None else config
    value = cfg.get("default_prompt") or cfg.get("defaults", {}).get("prompt")
    return str(value) if value else BUILTIN_PROMPT


#: ``game-music serve`` exits after this long with no job and no client (15 minutes).
DEFAULT_SERVE_IDLE_S = 900.0


def serve_idle_timeout(config: dict[str, Any] | None = None) -> float:
    """``[serve] idle_timeout`` in seconds from the config, else the default."""
    cfg = load_config() if config is None else config
    value = cfg.get("serve", {}).get("idle_timeout", DEFAULT_SERVE_IDLE_S)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"[serve] idle_timeout must be a number of seconds, not {value!r}") \
            from None
    if seconds <= 0:
        raise UsageError("[serve] idle_timeout must be more than 0 seconds")
    return seconds


def cluster_settings(config: dict[str, Any]) -> tuple[str | None, list[str]]:
    """``[cluster] address = "tcp://host:8786"`` and ``path_map = ["LOCAL=REMOTE", ...]``."""
    section = config.get("cluster") or {}
    address = section.get("address") if isinstance(section, dict) else None
    path_map = section.get("path_map", []) if isinstance(section, dict) else []
    if isinstance(path_map, str):
        path_map = [path_map]
    return (str(address) if address else None), [str(p) for p in path_map]
