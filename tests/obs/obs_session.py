"""A real OBS Studio under Xvfb with an isolated config, for end-to-end tests.

Recipe: Xvfb picks a free display (``-displayfd``); ``HOME``/``XDG_CONFIG_HOME`` point into a
temp folder holding a preset ``global.ini`` (WebSocket server on, no wizard, no exit
question), a Simple-output profile (320x240, MKV, replay buffer) and a one-scene collection;
OBS is started with ``--multi`` and stopped with SIGINT so it saves its settings.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

PASSWORD = "test-password-7c1f"
HOTKEY = "game_music.add_music_to_last_recording"
PRESET_KEY = [{"key": "OBS_KEY_F9", "shift": True}]


def obs_available() -> bool:
    return bool(shutil.which("obs") and shutil.which("Xvfb"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Xvfb:
    def __init__(self) -> None:
        read, write = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write)
        with os.fdopen(read) as fh:
            number = fh.readline().strip()
        if not number:
            self.stop()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class ObsSession:
    """One OBS config in ``root``; :meth:`start` / :meth:`stop` may be called repeatedly."""

    def __init__(self, root: Path, display: str) -> None:
        self.root = root
        self.display = display
        self.home = root / "home"
        self.config = self.home / ".config" / "obs-studio"
        self.records = root / "recordings"
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._write_config()

    @property
    def scenes_file(self) -> Path:
        return self.config / "basic" / "scenes" / "Test.json"

    def _write_config(self) -> None:
        self.records.mkdir(parents=True, exist_ok=True)
        (self.config / "basic" / "profiles" / "Test").mkdir(parents=True, exist_ok=True)
        self.scenes_file.parent.mkdir(parents=True, exist_ok=True)
        (self.config / "global.ini").write_text(
            "[General]\nFirstRun=true\nLastVersion=486539266\nConfirmOnExit=false\n"
            "EnableAutoUpdates=false\n\n"
            "[Basic]\nProfile=Test\nProfileDir=Test\nSceneCollection=Test\n"
            "SceneCollectionFile=Test\n\n"
            "[OBSWebSocket]\nFirstLoad=false\nServerEnabled=true\n"
            f"ServerPort={self.port}\nAlertsEnabled=false\nAuthRequired=true\n"
            f"ServerPassword={PASSWORD}\n")
        (self.config / "basic" / "profiles" / "Test" / "basic.ini").write_text(
            "[General]\nName=Test\n\n[Output]\nMode=Simple\n\n"
            f"[SimpleOutput]\nFilePath={self.records}\nRecFormat=mkv\nRecQuality=Stream\n"
            "VBitrate=800\nABitrate=128\nRecRB=true\nRecRBTime=5\nRecRBSize=64\n"
            # Recording and replay share one encoder: keyframes every second, so a short
            # recording does not wait seconds for its first frame.
            "UseAdvanced=true\nx264Settings=keyint=30\n\n"
            "[Video]\nBaseCX=320\nBaseCY=240\nOutputCX=320\nOutputCY=240\nFPSType=0\n"
            "FPSCommon=30\n\n[Audio]\nSampleRate=48000\nChannelSetup=Stereo\n")
        color = {"id": "color_source_v3", "versioned_id": "color_source_v3", "name": "Color",
                 "settings": {"color": 4281545727, "width": 320, "height": 240}}
        scene = {"id": "scene", "versioned_id": "scene", "name": "Scene",
                 "settings": {"id_counter": 1, "items": [
                     {"name": "Color", "id": 1, "visible": True, "pos": {"x": 0, "y": 0},
                      "scale": {"x": 1, "y": 1}}]}}
        self.scenes_file.write_text(json.dumps({
            "current_scene": "Scene", "current_program_scene": "Scene", "name": "Test",
            "scene_order": [{"name": "Scene"}], "sources": [scene, color], "modules": {},
        }, indent=4))

    def preset_hotkey(self) -> None:
        """Bind the script's hotkey in its saved settings, as OBS would after Settings>Hotkeys."""
        data = json.loads(self.scenes_file.read_text())
        for entry in data["modules"]["scripts-tool"]:
            entry.setdefault("settings", {})[HOTKEY] = PRESET_KEY
        self.scenes_file.write_text(json.dumps(data, indent=4))

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "QT_"))}
        env.update(DISPLAY=self.display, HOME=str(self.home),
                   XDG_CONFIG_HOME=str(self.home / ".config"), LC_ALL="C.UTF-8")
        return env

    def start(self, timeout: float = 90.0) -> None:
        log = (self.root / "obs-stdout.txt").open("ab")
        self.proc = subprocess.Popen(
            ["obs", "--multi", "--disable-missing-files-check", "--startreplaybuffer"],
            cwd=self.root, env=self.env(), stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"OBS exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                with self.client(timeout=3) as c:
                    c.get_version()
                    if c.get_replay_buffer_status().output_active:
                        return
            except Exception:  # noqa: BLE001 - not up yet
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"OBS WebSocket not up in {timeout:.0f} s: {self.log_tail()}")

    def stop(self, timeout: float = 30.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)  # OBS saves its settings on SIGINT, not on SIGTERM
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def client(self, timeout: float = 10) -> Any:
        import obsws_python as obsws

        return obsws.ReqClient(host="localhost", port=self.port, password=PASSWORD,
                               timeout=timeout)

    def log_tail(self, lines: int = 30) -> str:
        logs = sorted((self.config / "logs").glob("*.txt"))
        text = logs[-1].read_text(errors="replace") if logs else ""
        return "\n".join(text.splitlines()[-lines:])

    def script_log(self) -> str:
        """Every ``[game_music_obs.py]`` line of this session's OBS logs."""
        out = []
        for log in sorted((self.config / "logs").glob("*.txt")):
            out += [ln for ln in log.read_text(errors="replace").splitlines()
                    if "game_music_obs" in ln]
        return "\n".join(out)
