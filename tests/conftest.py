"""Shared fixtures: generated gameplay-like clips (made on first use, cached per session), a
CLI runner in a separate process (the real engine) and one in this process (a fake backend).

Nothing heavy is imported here: a test that only parses text must not pay for PyAV, scipy or
the synthesizers.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import game_music

if TYPE_CHECKING:
    from game_music.backends.fake import FakeBackend
    from game_music.demo import SampleClip

#: ``game_music.music.synth.bank.BUNDLED``, without importing the synthesizers.
BUNDLED = Path(game_music.__file__).resolve().parent / "data" / "soundfonts" / "game-music-gm.sf3"


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
        from game_music.demo import make_sample_clip

        key = (name, tuple(sorted(kwargs.items())))
        if key not in _CLIPS:
            # A fresh folder even when an earlier clip failed half-way.
            folder = Path(tempfile.mkdtemp(prefix="c", dir=clip_dir))
            kwargs.setdefault("seconds", 6.0)
            kwargs.setdefault("width", 640)
            kwargs.setdefault("height", 360)
            _CLIPS[key] = make_sample_clip(folder / name, **kwargs)
        return _CLIPS[key]

    return make


class CliResult:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

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
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def fake_cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run ``game-music`` in this process with a :class:`FakeBackend` in place of the engine:
    the CLI, batch, job runner and refine code are the real ones, only the render is fast.

    ``fake_cli("add", x, "--json", backend=FakeBackend(fail=...))``; without ``backend`` each
    job gets a fresh default one. The backends made are in ``fake_cli.made``. A file counts as
    finished once unchanged for ``settle`` seconds (the CLI's 2 s would dominate these tests
    of just-written files; pass ``settle=2.0`` to test the waiting itself)."""
    from game_music import batch
    from game_music import cli as cli_module
    from game_music.backends.fake import FakeBackend

    made: list[FakeBackend] = []

    settled = batch.wait_until_settled

    def run(*args: str, backend: FakeBackend | None = None, env: dict[str, str] | None = None,
            settle: float = 0.1) -> CliResult:
        def make_backend(name: str, prompt: str | None) -> FakeBackend:
            chosen = backend or FakeBackend()
            chosen.name = name  # stands in for the engine the user asked for
            made.append(chosen)
            return chosen

        with monkeypatch.context() as m:
            m.setattr(cli_module, "make_backend", make_backend)
            m.setattr(batch, "wait_until_settled", functools.partial(settled, settle=settle))
            for key, value in (env or {}).items():
                m.setenv(key, value)
            out, err = io.StringIO(), io.StringIO()
            # What `main`'s logging.basicConfig would print, were pytest's handlers not there.
            handler = logging.StreamHandler(err)
            handler.setFormatter(logging.Formatter("game-music: %(message)s"))
            logger = logging.getLogger("game_music")
            logger.addHandler(handler)
            level = logger.level
            logger.setLevel(logging.DEBUG if "--debug" in args else logging.WARNING)
            sigterm = signal.getsignal(signal.SIGTERM)
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    try:
                        code = cli_module.main(list(args))
                    except SystemExit as exc:  # argparse
                        code = exc.code if isinstance(exc.code, int) else 2
            finally:
                signal.signal(signal.SIGTERM, sigterm)
                logger.removeHandler(handler)
                logger.setLevel(level)
        return CliResult(code, out.getvalue(), err.getvalue())

    run.made = made  # type: ignore[attr-defined]
    return run
