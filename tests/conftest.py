"""Shared fixtures: generated gameplay-like clips, cached per session, and a CLI runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from game_music.demo import SampleClip, make_sample_clip
from game_music.music.synth.bank import BUNDLED


def pytest_configure(config: pytest.Config) -> None:
    # The bundled bank whatever this machine has installed (the same sound on every machine,
    # for fixtures of any scope), and one decoded-bank cache for the session.
    os.environ["GAME_MUSIC_SOUNDFONT"] = str(BUNDLED)
    os.environ["GAME_MUSIC_CACHE_DIR"] = tempfile.mkdtemp(prefix="game-music-cache-")
    # No test hands its job to a `game-music serve` the developer has running.
    os.environ["GAME_MUSIC_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="game-music-run-")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never read or write the developer's real config, tokens or job logs."""
    base = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("GAME_MUSIC_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("GAME_MUSIC_DATA_DIR", str(base / "data"))
    monkeypatch.delenv("GAME_MUSIC_PROMPT", raising=False)
    monkeypatch.delenv("NEMO_TOKEN", raising=False)


_CLIPS: dict[tuple[Any, ...], SampleClip] = {}


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def make_clip(clip_dir: Path) -> Callable[..., SampleClip]:
    """``make_clip("name.mkv", seconds=6, ...)``: generated once per session per arguments.

    Tests must not modify the returned file (copy it first)."""

    def make(name: str = "clip.mkv", **kwargs: Any) -> SampleClip:
        key = (name, tuple(sorted(kwargs.items())))
        if key not in _CLIPS:
            folder = clip_dir / f"c{len(_CLIPS)}"
            folder.mkdir()
            kwargs.setdefault("seconds", 6.0)
            kwargs.setdefault("width", 640)
            kwargs.setdefault("height", 360)
            _CLIPS[key] = make_sample_clip(folder / name, **kwargs)
        return _CLIPS[key]

    return make


class CliResult:
    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    """Run ``game-music`` as a user would: a separate process."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> CliResult:
        proc = subprocess.run(
            [sys.executable, "-m", "game_music", *args],
            capture_output=True, text=True, timeout=timeout,
            env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
        )
        return CliResult(proc)

    return run
