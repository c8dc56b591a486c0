"""The OBS script and its worker, outside OBS: a stand-in ``obspython`` and a fake engine.

The real-OBS runs are in ``test_obs_e2e.py``; here the parts OBS never exercises headless
(settings page, debounce, error paths) are checked quickly.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from game_music.hosts.obs_install import install

REPO = Path(__file__).resolve().parents[2]
FAKE_ENGINE = [sys.executable, str(Path(__file__).with_name("fake_engine.py"))]


def _load_worker(folder: Path) -> Any:
    sys.path.insert(0, str(folder))
    try:
        sys.modules.pop("game_music_obs_worker", None)
        return importlib.import_module("game_music_obs_worker")
    finally:
        sys.path.remove(str(folder))


def _wait_messages(worker: Any, until: str, timeout: float = 30) -> list[Any]:
    got: list[Any] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = worker.messages.get(timeout=0.2)
        except Exception:  # noqa: BLE001 - queue.Empty
            continue
        got.append(msg)
        if until in msg.level or (until == "done" and msg.done):
            return got
    raise AssertionError(f"no {until!r} message; got {got}")


def test_worker_runs_engine_and_reports(tmp_path: Path) -> None:
    mod = _load_worker(REPO / "obs_plugin")
    video = tmp_path / "Replay 2026-01-01 10-00-00.mp4"
    video.write_bytes(b"\0" * 1000)
    worker = mod.Worker(FAKE_ENGINE, settle=0.2, remux_grace=0.2)
    try:
        assert worker.submit(str(video), mod.JobSettings(prompt="epic boss music"))
        msgs = _wait_messages(worker, "done")
        out = tmp_path / "Replay 2026-01-01 10-00-00 (game music).mp4"
        assert msgs[-1].done == str(out) and out.read_bytes() == video.read_bytes()
        assert any("%" in m.status for m in msgs)  # progress reached the status line
        assert msgs[-1].status == f"Done: {out.name}"
    finally:
        worker.stop()


def test_worker_reports_engine_errors_in_one_line(tmp_path: Path) -> None:
    mod = _load_worker(REPO / "obs_plugin")
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\0" * 100)
    worker = mod.Worker(FAKE_ENGINE, settle=0.2, remux_grace=0.2)
    try:
        worker.submit(str(video), mod.JobSettings(prompt="fail"))
        err = _wait_messages(worker, "error")[-1]
        assert err.text == "failed: clip.mp4: broken [corrupt_input]"
        worker.submit(str(video), mod.JobSettings(prompt="crash"))
        err = _wait_messages(worker, "error")[-1]
        assert "exited with code 1" in err.text and "something broke" in err.text
    finally:
        worker.stop()


def test_worker_ignores_a_file_already_queued(tmp_path: Path) -> None:
    mod = _load_worker(REPO / "obs_plugin")
    video = tmp_path / "rec.mkv"
    video.write_bytes(b"\0" * 100)
    worker = mod.Worker(FAKE_ENGINE, settle=0.5, remux_grace=0.2)
    try:
        assert worker.submit(str(video), mod.JobSettings())
        assert not worker.submit(str(video), mod.JobSettings())
        _wait_messages(worker, "done")
        deadline = time.monotonic() + 5
        while worker.busy() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not worker.busy()
        assert worker.submit(str(video), mod.JobSettings())  # finished: may run again
        _wait_messages(worker, "done")
    finally:
        worker.stop()


def test_wait_complete_prefers_obs_remux(tmp_path: Path) -> None:
    mod = _load_worker(REPO / "obs_plugin")
    mkv = tmp_path / "2026-01-01 10-00-00.mkv"
    mkv.write_bytes(b"\0" * 100)
    assert mod.wait_complete(str(mkv), settle=0.2, remux_grace=0.2) == str(mkv)
    mkv.with_suffix(".mp4").write_bytes(b"\0" * 90)
    assert mod.wait_complete(str(mkv), settle=0.2, remux_grace=0.2) == str(mkv.with_suffix(".mp4"))
    assert mod.wait_complete(str(tmp_path / "missing.mkv"), settle=0.2, timeout=0.6) is None


def test_engine_command_and_config(tmp_path: Path) -> None:
    mod = _load_worker(REPO / "obs_plugin")
    (tmp_path / mod.CONFIG_NAME).write_text(json.dumps({"engine": ["/venv/python", "-m", "gm"]}))
    assert mod.load_engine(tmp_path) == ["/venv/python", "-m", "gm"]
    settings = mod.JobSettings(prompt=" calm lofi ", style="lofi", backend="local",
                               output_dir=str(tmp_path / "out"))
    cmd = mod.engine_command(["gm"], "/r/a.mkv", settings)
    assert cmd == ["gm", "add", "--json", "--prompt=calm lofi", "--style=lofi",
                   "--backend=local", "--output=" + str(tmp_path / "out") + "/", "--", "/r/a.mkv"]


# --- the script itself, with a stand-in obspython ---------------------------------------------

class FakeObs(types.ModuleType):
    """Just enough of obspython; callbacks must be plain functions, like in OBS."""

    OBS_FRONTEND_EVENT_RECORDING_STOPPED = 7
    OBS_FRONTEND_EVENT_REPLAY_BUFFER_SAVED = 17
    LOG_INFO, LOG_WARNING = 300, 200

    def __init__(self) -> None:
        super().__init__("obspython")
        self.hotkeys: dict[str, Any] = {}
        self.events: list[Any] = []
        self.timers: list[Any] = []
        self.logs: list[str] = []
        self.last_replay = ""
        self.last_recording = ""
        self.recording = False
        self.props: list[tuple[str, str]] = []

    def obs_hotkey_register_frontend(self, name: str, text: str, cb: Any) -> int:
        if not isinstance(cb, types.FunctionType):
            return 2**64 - 1
        self.hotkeys[name] = cb
        return 1

    def obs_frontend_add_event_callback(self, cb: Any) -> None:
        assert isinstance(cb, types.FunctionType)
        self.events.append(cb)

    def timer_add(self, cb: Any, ms: int) -> None:
        self.timers.append(cb)

    def script_log(self, level: int, text: str) -> None:
        self.logs.append(text)

    def obs_frontend_get_last_replay(self) -> str:
        return self.last_replay

    def obs_frontend_get_last_recording(self) -> str:
        return self.last_recording

    def obs_frontend_recording_active(self) -> bool:
        return self.recording

    def obs_data_get_string(self, data: dict[str, Any], key: str) -> str:
        return str(data.get(key, ""))

    def obs_data_get_bool(self, data: dict[str, Any], key: str) -> bool:
        return bool(data.get(key, False))

    def obs_data_set_string(self, data: dict[str, Any], key: str, value: str) -> None:
        data[key] = value

    def obs_properties_add_button(self, props: Any, name: str, text: str, cb: Any) -> None:
        assert isinstance(cb, types.FunctionType)
        self.props.append(("button", name))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("obs_properties_add_"):
            return lambda props, key, *a: self.props.append((name[19:], key))
        if name.startswith(("obs_", "timer_", "calldata_", "OBS_")):
            return lambda *a: None
        raise AttributeError(name)


@pytest.fixture()
def script(tmp_path: Path) -> Iterator[tuple[Any, FakeObs]]:
    config = tmp_path / "obs-studio"
    config.mkdir()
    assert install(FAKE_ENGINE, REPO / "obs_plugin", config, log=lambda _: None)
    folder = config / "game-music"
    fake = FakeObs()
    sys.modules["obspython"] = fake
    sys.path.insert(0, str(folder))
    for name in ("game_music_obs", "game_music_obs_worker"):
        sys.modules.pop(name, None)
    mod = importlib.import_module("game_music_obs")
    # The script's own logic is under test here, not the worker's waits (tested above).
    mod.Worker = functools.partial(mod.Worker, settle=0.2, remux_grace=0.2)
    try:
        yield mod, fake
    finally:
        mod.script_unload()
        sys.path.remove(str(folder))
        for name in ("game_music_obs", "game_music_obs_worker", "obspython"):
            sys.modules.pop(name, None)


def _pump(fake: FakeObs, settings: dict[str, Any], until: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for timer in fake.timers:
            timer()
        if settings.get("status", "").startswith(until):
            return
        time.sleep(0.05)
    raise AssertionError(f"status {settings.get('status')!r}, log {fake.logs}")


def test_script_hotkey_takes_the_newer_file_once(script: tuple[Any, FakeObs],
                                                 tmp_path: Path) -> None:
    mod, fake = script
    settings: dict[str, Any] = {"backend": "local"}
    mod.script_defaults(settings)
    mod.script_load(settings)
    mod.script_update(settings)
    assert settings["status"] == "Ready"
    press = fake.hotkeys["game_music.add_music_to_last_recording"]

    press(True)  # nothing recorded yet
    _pump(fake, settings, "Nothing recorded")

    old, new = tmp_path / "2026-01-01 10-00-00.mkv", tmp_path / "Replay 2026-01-01 10-05-00.mkv"
    old.write_bytes(b"\0" * 50)
    new.write_bytes(b"\0" * 60)
    t = time.time()
    os.utime(old, (t - 60, t - 60))
    fake.last_recording, fake.last_replay = str(old), str(new)
    mod._last_press = 0.0
    press(True)
    press(True)  # debounced
    press(False)  # releases are ignored
    _pump(fake, settings, "Done")
    assert (tmp_path / "Replay 2026-01-01 10-05-00 (game music).mp4").exists()
    assert not (tmp_path / "2026-01-01 10-00-00 (game music).mp4").exists()
    assert sum("queued" in line for line in fake.logs) == 1


def test_script_waits_for_a_running_recording(script: tuple[Any, FakeObs],
                                              tmp_path: Path) -> None:
    mod, fake = script
    settings: dict[str, Any] = {}
    mod.script_load(settings)
    rec = tmp_path / "2026-01-01 11-00-00.mkv"
    rec.write_bytes(b"\0" * 10)
    fake.last_recording, fake.recording = str(rec), True
    fake.hotkeys["game_music.add_music_to_last_recording"](True)
    assert settings["status"] == "Waiting for the recording to stop"
    fake.recording = False
    for cb in fake.events:
        cb(fake.OBS_FRONTEND_EVENT_RECORDING_STOPPED)
    _pump(fake, settings, "Done")
    assert (tmp_path / "2026-01-01 11-00-00 (game music).mp4").exists()


def test_script_auto_processes_replays_when_enabled(script: tuple[Any, FakeObs],
                                                    tmp_path: Path) -> None:
    mod, fake = script
    settings: dict[str, Any] = {"on_replay": True, "output_dir": str(tmp_path / "music")}
    mod.script_load(settings)
    mod.script_update(settings)
    replay = tmp_path / "Replay 1.mkv"
    replay.write_bytes(b"\0" * 10)
    fake.last_replay = str(replay)
    for cb in fake.events:
        cb(fake.OBS_FRONTEND_EVENT_RECORDING_STOPPED)  # recordings are off: ignored
        cb(fake.OBS_FRONTEND_EVENT_REPLAY_BUFFER_SAVED)
    _pump(fake, settings, "Done")
    assert (tmp_path / "music" / "Replay 1 (game music).mp4").exists()


def test_script_settings_page(script: tuple[Any, FakeObs]) -> None:
    mod, fake = script
    mod.script_properties()
    keys = {key for _, key in fake.props}
    assert {"prompt", "style", "backend", "output_dir", "on_replay", "on_recording", "sound",
            "status", "run_now"} <= keys
