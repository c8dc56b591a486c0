"""End to end on a real OBS Studio (29, under Xvfb): the hotkey script and the companion.

One OBS session serves the whole module: the installer puts the script into an isolated OBS
config, OBS records a few seconds, the script's hotkey is pressed through obs-websocket, and
the real engine must produce ``<stem> (game music).mp4`` (H.264 + AAC, the input's duration,
audible music over OBS's silent track). Then the companion watches the same OBS, which is
restarted under it. Skipped where OBS or Xvfb is missing, unless GAME_MUSIC_REQUIRE_OBS=1.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from game_music.hosts.obs_install import install
from game_music.media.probe import probe

from .conftest import RUN_TIMES
from .obs_session import HOTKEY, PASSWORD, PRESET_KEY, ObsSession, Xvfb, obs_available

pytestmark = [pytest.mark.obs, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
ENGINE = [sys.executable, "-m", "game_music"]
JOB_TIMEOUT = 240.0  # generous: two shared cores, llvmpipe OBS and the engine side by side


def wait_for(what: str, check: Callable[[], object], timeout: float = JOB_TIMEOUT) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def obs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ObsSession]:
    if not obs_available():
        message = "OBS Studio and Xvfb are needed (apt-get install obs-studio xvfb)"
        if os.environ.get("GAME_MUSIC_REQUIRE_OBS") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    import logging

    logging.getLogger("obsws_python").setLevel(logging.CRITICAL)
    t0 = time.monotonic()
    root = tmp_path_factory.mktemp("obs")
    xvfb = Xvfb()
    session = ObsSession(root, xvfb.display)
    try:
        lines: list[str] = []
        assert install(ENGINE, REPO / "obs_plugin", session.config, log=lines.append), lines
        assert any("added to scene collection 'Test'" in line for line in lines), lines
        session.preset_hotkey()
        session.start()
        yield session
    finally:
        session.stop()
        xvfb.stop()
        RUN_TIMES["OBS end-to-end tests (real OBS)"] = time.monotonic() - t0


def record(obs: ObsSession, seconds: float = 3.0) -> Path:
    with obs.client() as c:
        c.start_record()
        wait_for("recording to start", lambda: c.get_record_status().output_active, 30)
        time.sleep(seconds)
        path = Path(c.stop_record().output_path)
        wait_for("recording to stop", lambda: not c.get_record_status().output_active, 30)
    return path


def save_replay(obs: ObsSession) -> Path:
    with obs.client() as c:
        wait_for("replay buffer", lambda: c.get_replay_buffer_status().output_active, 30)
        before = _last_replay(c)
        time.sleep(3)  # something to save
        c.save_replay_buffer()
        path = wait_for("the replay", lambda: (p := _last_replay(c)) != before and p, 30)
    return Path(str(path))


def _last_replay(client: object) -> str:
    try:
        return str(client.get_last_replay_buffer_replay().saved_replay_path or "")  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - none saved yet
        return ""


def music_name(source: Path) -> str:
    return f"{source.stem} (game music).mp4"


def assert_music_video(out: Path, source: Path) -> None:
    info, src = probe(out), probe(source)
    assert info.video.codec == "h264"
    assert [(a.codec, a.sample_rate, a.channels) for a in info.audio] == [("aac", 48000, 2)]
    assert abs(info.video.duration - src.video.duration) <= 2 * src.frame_duration
    # OBS recorded silence (no audio devices here): any sound is the added music.
    with av.open(str(out)) as container:
        chunks = [f.to_ndarray().astype(np.float64).ravel()
                  for f in container.decode(audio=0)]
    samples = np.concatenate(chunks)
    rms_db = 20 * np.log10(np.sqrt(np.mean(samples**2)) + 1e-12)
    assert rms_db > -40, f"no music in {out.name}: {rms_db:.1f} dBFS"


def script_done(obs: ObsSession, out: Path) -> bool:
    log = obs.script_log()
    failed = [ln for ln in log.splitlines() if "] failed: " in ln]
    assert not failed, "\n".join(failed)
    return f"done: {out}" in log


def test_installed_script_is_loaded_with_its_hotkey(obs: ObsSession) -> None:
    with obs.client() as c:
        assert HOTKEY in c.get_hotkey_list().hotkeys
    assert f"ready; engine: {' '.join(ENGINE)}" in obs.script_log()


def test_hotkey_adds_music_to_last_recording(obs: ObsSession) -> None:
    source = record(obs)
    with obs.client() as c:
        c.trigger_hotkey_by_name(HOTKEY)
    out = source.with_name(music_name(source))
    wait_for(out.name, lambda: script_done(obs, out))
    assert_music_video(out, source)


def test_hotkey_adds_music_to_saved_replay(obs: ObsSession) -> None:
    source = save_replay(obs)
    assert source.name.startswith("Replay ")
    with obs.client() as c:
        c.trigger_hotkey_by_name(HOTKEY)
    out = source.with_name(music_name(source))
    wait_for(out.name, lambda: script_done(obs, out))
    assert_music_video(out, source)


class Companion:
    """``game-music obs watch`` as a user runs it, its output read line by line."""

    def __init__(self, obs: ObsSession, out_dir: Path, password: str = PASSWORD) -> None:
        env = dict(os.environ, GAME_MUSIC_OBS_PASSWORD=password, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [*ENGINE, "obs", "watch", "--port", str(obs.port), "-o", str(out_dir)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, text: str, timeout: float = JOB_TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"companion never said {text!r}; it said:\n" + "\n".join(self.seen))

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def test_companion_rejects_a_wrong_password_in_one_line(obs: ObsSession) -> None:
    env = dict(os.environ, GAME_MUSIC_OBS_PASSWORD="not-the-password")
    run = subprocess.run([*ENGINE, "obs", "watch", "--port", str(obs.port)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 4, run
    assert run.stderr.strip().count("\n") == 0 and "password" in run.stderr
    assert "not-the-password" not in run.stdout + run.stderr


def test_companion_processes_saves_and_survives_obs_restart(obs: ObsSession,
                                                            tmp_path: Path) -> None:
    out_dir = tmp_path / "music"
    out_dir.mkdir()
    companion = Companion(obs, out_dir)
    try:
        companion.expect("connected to OBS", 60)
        source = record(obs)
        done = companion.expect("done: ")
        out = out_dir / music_name(source)
        assert done == f"game-music: done: {out}"
        assert_music_video(out, source)

        obs.stop()
        companion.expect("OBS closed the connection", 60)
        # The script saved its hotkey binding with the collection and gets it back.
        saved = json.loads(obs.scenes_file.read_text())["modules"]["scripts-tool"]
        assert [s["settings"].get(HOTKEY) for s in saved] == [PRESET_KEY]
        obs.start()
        companion.expect("connected to OBS", 60)

        replay = save_replay(obs)
        done = companion.expect("done: ")
        out = out_dir / music_name(replay)
        assert done == f"game-music: done: {out}"
        assert_music_video(out, replay)
    finally:
        code = companion.stop()
    assert code == 0
    assert PASSWORD not in "\n".join(companion.seen)
