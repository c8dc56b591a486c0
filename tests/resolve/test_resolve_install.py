"""Installing the Resolve menu entries: files, config, idempotence, check, uninstall, doctor."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from game_music.hosts import resolve_install

from .conftest import SOURCE

FILES = {"Add Game Music.py", "Add Game Music.lua", "game_music_resolve.pylib",
         "game_music_resolve.lualib", "game_music_resolve.json"}


def test_install_twice_check_and_uninstall(tmp_path):
    scripts = tmp_path / "Scripts"
    engine = [sys.executable, "-m", "game_music"]
    log: list[str] = []
    assert not resolve_install.install(engine, SOURCE, scripts, check=True, log=log.append)
    assert resolve_install.install(engine, SOURCE, scripts, log=log.append)
    utility = scripts / "Utility"
    assert {p.name for p in utility.iterdir()} == FILES
    assert (utility / "game_music_resolve.pylib").read_bytes() == \
        (SOURCE / "game_music_resolve.py").read_bytes()
    config = utility / "game_music_resolve.json"
    assert json.loads(config.read_text())["engine"] == engine

    # The editor's own settings survive a re-install; a new engine path is written.
    data = json.loads(config.read_text())
    data.update(default_prompt="lofi chill", output_dir="~/Renders")
    config.write_text(json.dumps(data))
    engine2 = ["/opt/other/python", "-m", "game_music"]
    assert resolve_install.install(engine2, SOURCE, scripts, log=log.append)
    assert resolve_install.install(engine2, SOURCE, scripts, log=log.append)
    assert "already up to date" in log[-1]
    data = json.loads(config.read_text())
    assert data == {"engine": engine2, "default_prompt": "lofi chill",
                    "output_dir": "~/Renders"}
    assert resolve_install.install(engine2, SOURCE, scripts, check=True, log=log.append)
    assert {p.name for p in utility.iterdir()} == FILES      # no temp files left

    (utility / "Someone else.lua").write_text("print('hi')")
    assert resolve_install.install(engine2, SOURCE, scripts, uninstall=True, log=log.append)
    assert {p.name for p in utility.iterdir()} == {"Someone else.lua"}


def test_default_folder_and_doctor(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("APPDATA", str(tmp_path / "AppData"))
    log: list[str] = []
    # Resolve never ran for this user: skipped, not an error.
    assert resolve_install.find_scripts_dir() is None
    assert resolve_install.install([sys.executable], SOURCE, log=log.append)
    assert "not found" in log[-1]
    ((name, ok, detail),) = resolve_install.doctor_report()
    assert ok is None and "not installed" in detail  # absent: not applicable, not a failure

    base = resolve_install.default_scripts_dir()
    if sys.platform.startswith("linux"):
        assert base == tmp_path / ".local/share/DaVinciResolve/Fusion/Scripts"
    base.parent.parent.mkdir(parents=True)
    assert resolve_install.find_scripts_dir() == base
    rows = dict((n, (o, d)) for n, o, d in resolve_install.doctor_report())
    assert rows["Resolve menu scripts"][0] is False
    assert resolve_install.install([sys.executable, "-m", "game_music"], SOURCE, log=log.append)
    rows = dict((n, (o, d)) for n, o, d in resolve_install.doctor_report())
    assert rows["Resolve menu scripts"] == (True, f"installed in {base / 'Utility'}")
    assert rows["Resolve engine"][0] is True


def test_loads_by_path_without_the_package(tmp_path):
    """install.py loads the module by path before any venv exists: stdlib only."""
    import subprocess

    path = Path(resolve_install.__file__)
    code = ("import importlib.util, sys; "
            f"spec = importlib.util.spec_from_file_location('ri', {str(path)!r}); "
            "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); "
            "bad = [n for n in sys.modules if n.split('.')[0] in "
            "('game_music', 'numpy', 'av', 'platformdirs')]; print(bad)")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]"
