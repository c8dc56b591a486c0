"""Installing the OBS script into an OBS config folder (no OBS needed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from game_music.hosts import obs_install
from game_music.hosts.obs_install import install

REPO = Path(__file__).resolve().parents[2]
ENGINE = [sys.executable, "-m", "game_music"]


def _obs_config(root: Path) -> Path:
    config = root / "obs-studio"
    (config / "basic" / "scenes").mkdir(parents=True)
    (config / "global.ini").write_text(
        "\ufeff[General]\nLastVersion=486539266\n\n[Basic]\nSceneCollection=Games\n"
        "SceneCollectionFile=Games\n", encoding="utf-8")
    other = {"path": "/home/me/scripts/clock.py", "settings": {"a": 1}}
    (config / "basic" / "scenes" / "Games.json").write_text(json.dumps(
        {"name": "Games", "sources": [], "modules": {"scripts-tool": [other]}}))
    return config


def test_install_registers_once_and_uninstalls(tmp_path: Path) -> None:
    config = _obs_config(tmp_path)
    scenes = config / "basic" / "scenes" / "Games.json"
    lines: list[str] = []
    assert install(ENGINE, REPO / "obs_plugin", config, log=lines.append)
    script = config / "game-music" / "game_music_obs.py"
    assert script.read_text() == (REPO / "obs_plugin" / "game_music_obs.py").read_text()
    assert json.loads((config / "game-music" / "game_music_obs.json").read_text()) == {
        "engine": ENGINE}
    tools = json.loads(scenes.read_text())["modules"]["scripts-tool"]
    assert tools[0]["path"] == "/home/me/scripts/clock.py"
    assert tools[1] == {"path": script.as_posix(), "settings": {}}
    backups = list(scenes.parent.glob("Games.json.game-music-*.bak"))
    assert len(backups) == 1 and "clock.py" in backups[0].read_text()
    assert any("Settings > Hotkeys" in line for line in lines)

    # Twice is safe: same content, no second entry, no second backup.
    assert install(ENGINE, REPO / "obs_plugin", config, log=lines.append)
    assert json.loads(scenes.read_text())["modules"]["scripts-tool"] == tools
    assert len(list(scenes.parent.glob("*.bak"))) == 1
    assert install(ENGINE, REPO / "obs_plugin", config, check=True, log=lines.append)

    assert install(ENGINE, REPO / "obs_plugin", config, uninstall=True, log=lines.append)
    assert not (config / "game-music").exists()
    tools = json.loads(scenes.read_text())["modules"]["scripts-tool"]
    assert tools == [{"path": "/home/me/scripts/clock.py", "settings": {"a": 1}}]
    assert not install(ENGINE, REPO / "obs_plugin", config, check=True, log=lines.append)


def test_install_before_obs_ever_ran_names_the_manual_step(tmp_path: Path) -> None:
    config = tmp_path / "obs-studio"
    lines: list[str] = []
    assert install(ENGINE, REPO / "obs_plugin", config, log=lines.append)
    assert (config / "game-music" / "game_music_obs.py").is_file()
    assert "Tools > Scripts > +" in lines[-1]
    rows = {name: (ok, detail) for name, ok, detail in obs_install._status(
        config, config / "game-music" / "game_music_obs.py", None)}
    assert rows["OBS script"][0] and rows["OBS engine"][0]
    assert not rows["OBS registered"][0]


def test_install_reports_missing_source(tmp_path: Path) -> None:
    lines: list[str] = []
    assert not install(ENGINE, tmp_path / "nowhere", _obs_config(tmp_path), log=lines.append)
    assert "missing" in lines[-1]


def test_detects_config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if sys.platform in ("win32", "darwin"):
        pytest.skip("Linux folder rules")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert obs_install.find_config_dir() is None
    config = _obs_config(tmp_path)
    assert obs_install.find_config_dir() == config
    assert obs_install.obs_version(config) == (29, 0, 2)
    assert obs_install.scene_collection_file(config) == config / "basic/scenes/Games.json"
    names = [row[0] for row in obs_install.doctor_report()]
    assert names == ["OBS", "OBS script", "OBS registered", "OBS Python"]


def test_python_limits_per_obs_version() -> None:
    assert obs_install.max_python_minor((28, 1, 2)) == 10
    assert obs_install.max_python_minor((29, 0, 2)) == 10
    assert obs_install.max_python_minor((29, 1, 3)) == 11
    assert obs_install.max_python_minor((30, 0, 0)) == 11
    assert obs_install.max_python_minor((30, 2, 3)) == 12
    assert obs_install.max_python_minor((27, 2, 4)) == 6


@pytest.mark.skipif(sys.platform != "win32", reason="Windows Python DLL layout")
def test_python_check_windows(tmp_path: Path) -> None:  # pragma: no cover - Windows only
    config = _obs_config(tmp_path)
    py = tmp_path / "Python312"
    py.mkdir()
    (py / "python312.dll").write_bytes(b"")
    with (config / "global.ini").open("a") as fh:
        fh.write(f"\n[Python]\nPath64bit={py}\n")
    ok, detail = obs_install.python_check(config)[1:]
    assert not ok and "too new" in detail and "3.10" in detail
