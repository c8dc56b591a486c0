#!/usr/bin/env python3
"""Set up game-music: a virtual environment with the package, then the OBS and Resolve hosts.

    python3 install.py [--venv PATH] [--obs-config DIR] [--resolve-scripts DIR]
                       [--no-obs] [--no-resolve] [--check] [--uninstall] [--demo]

Standard library only: it runs before anything else is installed. Safe to run twice.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import venv
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent
HOSTS = ROOT / "shared" / "game_music" / "hosts"
MIN_PYTHON = (3, 10)


def say(msg: str) -> None:
    print(f"[game-music] {msg}", flush=True)


def venv_python(env: Path) -> Path:
    return env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(env: Path) -> Path:
    py = venv_python(env)
    if py.exists():
        say(f"using the virtual environment {env}")
        return py
    say(f"creating a virtual environment in {env}")
    try:
        venv.EnvBuilder(with_pip=True, upgrade_deps=False).create(env)
    except Exception as exc:  # noqa: BLE001 - explain the usual cause in one line
        sys.exit(f"[game-music] could not create {env}: {exc}. On Debian/Ubuntu install "
                 "python3-venv first (sudo apt install python3-venv).")
    return py


def pip_install(py: Path) -> None:
    # The report extra (matplotlib) draws `--report` pictures; tests come with a clone.
    target = f"{ROOT}[test,report]" if (ROOT / "tests").is_dir() else f"{ROOT}[report]"
    say("installing game-music and its libraries (a minute or two the first time)")
    cmd = [str(py), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", target]
    if subprocess.run(cmd, check=False).returncode != 0:
        sys.exit("[game-music] pip could not install the package (see the messages above)")
    # The SoundFont renderer declares pyaudio (live playback, which the engine never uses),
    # and pyaudio only builds where PortAudio's headers are: install it without its
    # dependencies. Without it the recorded-instrument styles play synthesized instruments.
    cmd = [str(py), "-m", "pip", "install", "--disable-pip-version-check", "-q", "--no-deps",
           "tinysoundfont>=0.3.7"]
    if subprocess.run(cmd, check=False).returncode != 0:
        say("could not install tinysoundfont: orchestral, rock and lofi will play "
            "synthesized instruments")


def load_host(name: str) -> ModuleType | None:
    path = HOSTS / f"{name}.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"_game_music_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="install.py", description=__doc__.splitlines()[0])
    ap.add_argument("--venv", type=Path, help="virtual environment to create or reuse")
    ap.add_argument("--obs-config", type=Path, help="OBS config folder (default: detected)")
    ap.add_argument("--resolve-scripts", type=Path,
                    help="DaVinci Resolve Scripts folder (default: the per-user one)")
    ap.add_argument("--no-obs", action="store_true", help="do not install into OBS")
    ap.add_argument("--no-resolve", action="store_true", help="do not install into Resolve")
    ap.add_argument("--check", action="store_true", help="only report what is installed")
    ap.add_argument("--uninstall", action="store_true", help="remove the host scripts")
    ap.add_argument("--demo", action="store_true",
                    help="afterwards, make a sample clip and add music to it")
    args = ap.parse_args(argv)

    if sys.version_info < MIN_PYTHON:
        sys.exit(f"[game-music] needs Python {'.'.join(map(str, MIN_PYTHON))} or newer")
    env = (args.venv or ROOT / ".venv").absolute()
    py = venv_python(env)
    if not (args.check or args.uninstall):
        py = ensure_venv(env)
        pip_install(py)
    engine = [str(py), "-m", "game_music"]

    ok = True
    hosts = [("obs_install", args.no_obs, ROOT / "obs_plugin", args.obs_config),
             ("resolve_install", args.no_resolve, ROOT / "davinci_script", args.resolve_scripts)]
    for name, skip, source, target in hosts:
        if skip:
            continue
        module = load_host(name)
        if module is None:
            continue
        try:
            ok = module.install(engine, source, target, uninstall=args.uninstall,
                                check=args.check, log=say) and ok
        except Exception as exc:  # noqa: BLE001 - one host failing must not stop the other
            say(f"{name.split('_')[0]}: {exc}")
            ok = False

    if args.check:
        say(f"engine: {' '.join(engine)} ({'present' if py.exists() else 'not installed'})")
    elif not args.uninstall:
        say(f"ready: {env / ('Scripts' if os.name == 'nt' else 'bin') / 'game-music'}")
    if args.demo and not (args.check or args.uninstall):
        return subprocess.run([*engine, "demo"], check=False).returncode
    return 0 if ok or args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
