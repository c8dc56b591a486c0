"""``game-music obs watch`` without OBS: a clear message, password handling, clean stop."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from game_music.obs.commands import options_from_args, register

from .obs_session import free_port


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"), main=lambda argv: 0)
    return parser.parse_args(["obs", "watch", *argv])


def test_password_comes_from_env_then_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from game_music.config import config_dir

    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "config.toml").write_text('[obs]\npassword = "from-file"\nport = 4460\n')
    monkeypatch.delenv("GAME_MUSIC_OBS_PASSWORD", raising=False)
    opts = options_from_args(_args())
    assert (opts.password, opts.port, opts.host) == ("from-file", 4460, "localhost")
    monkeypatch.setenv("GAME_MUSIC_OBS_PASSWORD", "from-env")
    opts = options_from_args(_args("--port", "4470", "--no-replays"))
    assert (opts.password, opts.port, opts.replays, opts.recordings) == ("from-env", 4470,
                                                                          False, True)
    assert "from-env" not in repr(opts)
    assert logging.getLogger("obsws_python").getEffectiveLevel() > logging.ERROR


def test_the_watcher_says_obs_is_not_running(tmp_path: Path) -> None:
    """In process, without the engine's warm-up: one clear line, then a clean stop."""
    from game_music.obs.watch import Watcher, WatchOptions

    said: list[str] = []
    port = free_port()  # nothing listens there
    watcher = Watcher(WatchOptions(port=port, password="secret-pw-1", output=str(tmp_path)),
                      engine=[sys.executable, "-c", "raise SystemExit(1)"], say=said.append)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not said and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)  # a retry or two: still that one line
    watcher.stop.set()
    thread.join(20)
    assert not thread.is_alive()
    assert len(said) == 1 and said[0].startswith(f"OBS is not running at localhost:{port}")
    assert "secret-pw-1" not in said[0]


def test_watch_says_obs_is_not_running_and_stops_cleanly() -> None:
    port = free_port()  # nothing listens there
    proc = subprocess.Popen(
        [sys.executable, "-m", "game_music", "obs", "watch", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "GAME_MUSIC_OBS_PASSWORD": "secret-pw-1"})
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith(f"game-music: OBS is not running at localhost:{port}")
        time.sleep(1.5)  # a retry or two: no further lines, no tracebacks
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "Traceback" not in rest and "secret-pw-1" not in first + rest
