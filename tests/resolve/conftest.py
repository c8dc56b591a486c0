"""Fixtures for the Resolve menu entries: the fake Resolve, an install, a runner per language."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from game_music.hosts import resolve_install
from game_music.media.ffmpeg import run_ffmpeg

from .fake_resolve import EDITIONS, VERSIONS, Host, Resolve, make
from .lua_host import LuaHost

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "davinci_script"
FAKE_ENGINE = Path(__file__).with_name("fake_engine.py")
ENTRY = {"py": "Add Game Music.py", "lua": "Add Game Music.lua"}


def combos() -> list[pytest.param]:
    """Every version x edition x language whose menu entry that Resolve lists."""
    out = []
    for version in VERSIONS:
        for edition in EDITIONS:
            host = Host(version=VERSIONS[version], studio=edition == "studio")
            for lang, name in ENTRY.items():
                if host.lists_menu_script(name):
                    out.append(pytest.param(version, edition, lang,
                                            id=f"{version}-{edition}-{lang}"))
    return out


@pytest.fixture(scope="session")
def sample_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 s, 320x180, 24 fps, H.264 + AAC: a tiny gameplay recording."""
    path = tmp_path_factory.mktemp("media") / "match.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x180:r=24:d=3",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:d=3",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-shortest", str(path)])
    return path


class Session:
    """One editor session: a fake Resolve, the installed scripts, the console."""

    def __init__(self, tmp: Path, resolve: Resolve, scripts: Path, clip: Path) -> None:
        self.tmp = tmp
        self.resolve = resolve
        self.host = resolve._host
        self.scripts = scripts
        self.utility = scripts / "Utility"
        self.clip = clip
        self.log = tmp / "engine-calls.jsonl"

    @property
    def project(self):
        return self.resolve.project

    @property
    def pool(self):
        return self.resolve.project._pool

    def config(self, **values: object) -> None:
        path = self.utility / resolve_install.CONFIG_NAME
        data = json.loads(path.read_text())
        data.update(values)
        path.write_text(json.dumps(data))

    def engine_calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def run(self, lang: str) -> list[str]:
        """Pick the menu entry as the editor would; return the console lines."""
        name = ENTRY[lang]
        assert name in self.host.menu_entries(self.scripts), f"{name} is not in the menu"
        path = self.utility / name
        lines: list[str] = []
        # As Resolve runs a menu script: its source in fresh globals, no __file__, from a
        # working directory that is not the script's folder.
        elsewhere = self.tmp / "cwd"
        elsewhere.mkdir(exist_ok=True)
        with contextlib.chdir(elsewhere):
            if lang == "py":
                out = io.StringIO()
                code = compile(path.read_bytes(), name, "exec")
                with contextlib.redirect_stdout(out):
                    exec(code, {"__name__": "__main__", "resolve": self.resolve,  # noqa: S102
                                "fusion": self.resolve.fusion, "bmd": self.resolve.bmd,
                                "app": self.resolve.fusion})
                lines = out.getvalue().splitlines()
            else:
                lua = LuaHost(lines.append)
                lua.run_file(path, Resolve=lambda: self.resolve, fusion=self.resolve.fusion,
                             fu=self.resolve.fusion, bmd=self.resolve.bmd)
        # Nothing outlives the script: no render still running, no job left behind.
        assert not self.project.IsRenderingInProgress()
        return lines


@pytest.fixture
def session_factory(tmp_path: Path, sample_clip: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GAME_MUSIC_PROMPT", raising=False)
    monkeypatch.delenv("FAKE_ENGINE_FAIL", raising=False)
    monkeypatch.setenv("FAKE_ENGINE_LOG", str(tmp_path / "engine-calls.jsonl"))

    def factory(version: str, edition: str, engine: list[str] | None = None,
                **host_kw: object) -> Session:
        scripts = tmp_path / "Scripts"
        engine = engine or [sys.executable, str(FAKE_ENGINE)]
        assert resolve_install.install(engine, SOURCE, scripts, log=lambda m: None)
        media = tmp_path / "media"
        media.mkdir(exist_ok=True)
        clip = media / sample_clip.name
        shutil.copyfile(sample_clip, clip)
        return Session(tmp_path, make(version, edition, **host_kw), scripts, clip)

    return factory


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make ``folder`` read-only, even for root (immutable attribute)."""
    folder.chmod(0o555)
    immutable = False
    probe = folder / ".probe"
    try:
        probe.touch()
        probe.unlink()
        # Still writable: running as root. chattr +i stops root too.
        subprocess.run(["chattr", "+i", str(folder)], check=True, capture_output=True)
        immutable = True
    except PermissionError:
        pass
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("cannot make a folder read-only here")
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=False)
        folder.chmod(0o755)


def bin_paths(session: Session) -> list[str]:
    bins = session.pool.bins("Game Music")
    assert len(bins) == 1, f"{len(bins)} 'Game Music' bins"
    return [c.GetClipProperty("File Path") for c in bins[0].GetClipList()]


__all__ = ["Session", "bin_paths", "combos", "read_only", "os"]
