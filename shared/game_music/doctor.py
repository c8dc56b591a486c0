"""``game-music doctor``: is everything a job needs in place? One line per check."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__, _leftovers
from .config import config_path, load_config
from .media.ffmpeg import ffmpeg_exe, open_ffmpeg, run_ffmpeg

#: (check, ok, detail); ok None means "not in use here", which is not a problem.
Check = tuple[str, bool | None, str]

#: A fraction of a second of video and sound through the encoders every job uses.
_ENCODE_TEST = ["-f", "lavfi", "-i", "color=size=64x64:rate=10:duration=0.2",
                "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "0.2",
                "-c:v", "libx264", "-c:a", "aac", "-f", "null", "-"]


def _ffmpeg() -> Check:
    try:
        exe = ffmpeg_exe()
        with open_ffmpeg(["-version"]) as proc:
            first = proc.stdout.readline().decode(errors="replace") if proc.stdout else ""
        # "ffmpeg version n7.1 Copyright (c) ...": the version, not the banner.
        words = first.split()
        version = words[2] if len(words) > 2 and words[1] == "version" else "unknown version"
        run_ffmpeg(_ENCODE_TEST, what="ffmpeg's H.264/AAC test encode")
        return ("ffmpeg", True, f"{version} (H.264 and AAC encode) - {exe}")
    except Exception as exc:  # noqa: BLE001 - doctor reports, never raises
        return ("ffmpeg", False, str(getattr(exc, "message", exc)))


def _engine() -> Check:
    """The offline engine and what it imports (numpy, scipy, PyAV, VAD, loudness)."""
    try:
        from importlib.metadata import version

        from ._scipy_import import import_dsp
        from .backends import _local_engine  # noqa: F401 - the import is the check

        import_dsp()
        versions = ", ".join(f"{n} {version(n)}" for n in ("numpy", "scipy", "av"))
        return ("engine", True, f"imports ({versions})")
    except Exception as exc:  # noqa: BLE001
        return ("engine", False, f"does not import: {type(exc).__name__}: {exc}")


def _config() -> Check:
    try:
        cfg = load_config()
        where = config_path()
        return ("config", True, f"{where} ({'found' if cfg else 'not present, using defaults'})")
    except Exception as exc:  # noqa: BLE001
        return ("config", False, str(getattr(exc, "message", exc)))


def _cloud_token() -> Check:
    """Whether a NemoVideo token is set and where from; never the token itself."""
    try:
        from .backends.nemo._settings import load_settings

        s = load_settings()
        if s.token:
            return ("cloud token", True, f"set (from {s.token_source})")
        return ("cloud token", None, "not set; --backend nemo signs in anonymously")
    except Exception as exc:  # noqa: BLE001
        return ("cloud token", False, str(getattr(exc, "message", exc)))


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
            checks.extend(mod.doctor_report())  # a host not installed reports ok None
        except Exception as exc:  # noqa: BLE001
            checks.append((modname, False, f"check failed: {exc}"))
    return checks


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _leftover_checks(folders: Sequence[Path], clean: bool) -> list[Check]:
    """What runs that were killed (or lost power) left in ``folders``."""
    found = [(f, _leftovers.sweep(f) if clean else _leftovers.find_stale(f)) for f in folders]
    items = [item for _, got in found for item in got]
    where = ", ".join(str(f) for f in folders)
    if not items:
        return [("leftovers", True, f"none from stopped runs in {where}")]
    size = _mb(sum(i.size for i in items))
    if clean:
        return [("leftovers", True, f"removed {len(items)} stopped run(s), {size}, in {where}")]
    return [("leftovers", False, f"{len(items)} stopped run(s) left {size} in {where}; "
             "remove with: game-music doctor --clean" +
             "".join(f" {f}" for f, got in found if got and f != Path.cwd()))]


def collect(folders: Sequence[Path] = (), clean: bool = False) -> list[Check]:
    return [
        ("game-music", True, __version__), _ffmpeg(), _engine(), _config(), _cloud_token(),
        _soundfont(), *_hosts(),
        *_leftover_checks([Path(f).absolute() for f in folders] or [Path.cwd()], clean),
    ]


def _mark(ok: bool | None) -> str:
    return "-- " if ok is None else "ok " if ok else "NO "


def run_doctor(as_json: bool = False, folders: Sequence[Path] = (), clean: bool = False) -> int:
    checks = collect(folders, clean)
    if as_json:
        rows: list[dict[str, Any]] = [{"name": n, "ok": ok, "detail": d} for n, ok, d in checks]
        print(json.dumps(rows, indent=2))
    else:
        for name, ok, detail in checks:
            print(f"{_mark(ok)} {name:<14} {detail}")
    core = {"ffmpeg", "engine", "config"}
    return 0 if all(ok for n, ok, _ in checks if n in core) else 1
