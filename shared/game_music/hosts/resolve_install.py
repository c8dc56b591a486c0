"""Install the DaVinci Resolve menu entries (Workspace > Scripts > Add Game Music).

Standard library only and no package-relative imports: ``install.py`` loads this file by path
before any virtual environment exists; ``game-music doctor`` imports it normally.

Into ``<Scripts>/Utility/`` go the two menu entries, their helpers (with extensions the Scripts
menu does not list, so they show up as no extra entries) and a small JSON config that names the
engine to run. Re-running updates the files and keeps the editor's own config settings.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

MENU_FILES = ("Add Game Music.py", "Add Game Music.lua")
# source name in davinci_script/ -> installed name
HELPERS = {
    "game_music_resolve.py": "game_music_resolve.pylib",
    "game_music_resolve.lua": "game_music_resolve.lualib",
}
CONFIG_NAME = "game_music_resolve.json"
# Settings the editor may add to the config; a re-install keeps them.
USER_KEYS = ("default_prompt", "output_dir", "place_on_timeline")


def _resolve_base(platform: str = sys.platform, env: Mapping[str, str] | None = None,
                  home: str | None = None) -> PurePath:
    """The per-user Resolve support folder whose ``Fusion/Scripts`` holds menu scripts (the
    platform, environment and home can be given: every OS's layout is testable anywhere)."""
    env = os.environ if env is None else env
    kind: type[PurePath] = Path if platform == sys.platform else (
        PureWindowsPath if platform == "win32" else PurePosixPath)
    home_dir = kind(home if home is not None else Path.home())
    if platform == "win32":
        appdata = env.get("APPDATA") or str(home_dir / "AppData" / "Roaming")
        return kind(appdata) / "Blackmagic Design" / "DaVinci Resolve" / "Support"
    if platform == "darwin":
        return (home_dir / "Library" / "Application Support" / "Blackmagic Design"
                / "DaVinci Resolve")
    return home_dir / ".local" / "share" / "DaVinciResolve"


def default_scripts_dir(platform: str = sys.platform, env: Mapping[str, str] | None = None,
                        home: str | None = None) -> PurePath:
    """Contract 5: the per-user Scripts folder for ``platform`` (it may not exist yet)."""
    return _resolve_base(platform, env, home) / "Fusion" / "Scripts"


def find_scripts_dir() -> Path | None:
    """The per-user Scripts folder when Resolve has been run as this user, else None."""
    return Path(default_scripts_dir()) if Path(_resolve_base()).is_dir() else None


# The line of each menu entry that the installer fills in with the folder it installs into:
# Resolve runs menu scripts without ``__file__``, so the entry cannot find its helper otherwise.
_PLACE_LINES = {
    "Add Game Music.py": (b"INSTALLED_IN = None", "INSTALLED_IN = {}"),
    "Add Game Music.lua": (b"local INSTALLED_IN = nil", "local INSTALLED_IN = {}"),
}


def _python_string(text: str) -> str:
    return json.dumps(text)  # ASCII-only with \u escapes: a valid Python literal too


def _lua_string(text: str) -> str:
    """A Lua 5.1 string literal of ``text``'s UTF-8 bytes (decimal escapes, no \\u)."""
    out = []
    for b in text.encode("utf-8"):
        ch = chr(b)
        out.append(ch if 32 <= b < 127 and ch not in '"\\' else f"\\{b:03d}")
    return '"' + "".join(out) + '"'


def placed(name: str, data: bytes, folder: Path) -> bytes:
    """``data`` of the menu entry ``name`` with the folder it is installed into written in."""
    if name not in _PLACE_LINES:
        return data
    marker, line = _PLACE_LINES[name]
    literal = (_lua_string if name.endswith(".lua") else _python_string)(str(folder))
    if marker not in data:
        raise OSError(f"{name} has no line {marker.decode().strip()!r} to record its folder in")
    return data.replace(marker, line.format(literal).encode("utf-8"), 1)


def _expected(engine: list[str], source_dir: Path, utility: Path) -> dict[str, bytes]:
    files = {name: placed(name, (source_dir / name).read_bytes(), utility.absolute())
             for name in MENU_FILES}
    for src, dst in HELPERS.items():
        files[dst] = (source_dir / src).read_bytes()
    return files


def _config_text(engine: list[str], old: dict) -> str:
    config = {"engine": [str(part) for part in engine]}
    config.update({k: old[k] for k in USER_KEYS if k in old})
    return json.dumps(config, indent=2) + "\n"


def _read_config(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def install(
    engine: list[str],
    source_dir: Path,
    scripts_dir: Path | None = None,
    *,
    uninstall: bool = False,
    check: bool = False,
    log: Callable[[str], object] = print,
) -> bool:
    """Install (or check, or remove) the menu entries; True when that worked / is in order.

    ``engine`` is the command that runs the engine, e.g. ``[venv python, "-m", "game_music"]``;
    ``source_dir`` is the repository's ``davinci_script/`` folder.
    """
    root = Path(scripts_dir) if scripts_dir else find_scripts_dir()
    if root is None:
        # Not a failure: the installer sets up every host it finds, and this one is absent.
        log("Resolve: DaVinci Resolve not found for this user - skipped (start it once, or "
            "pass --resolve-scripts DIR)")
        return True
    utility = root / "Utility"
    names = [*MENU_FILES, *HELPERS.values(), CONFIG_NAME]
    if uninstall:
        removed = 0
        try:
            for name in names:
                path = utility / name
                if path.exists():
                    path.unlink()
                    removed += 1
        except OSError as exc:
            log(f"Resolve: cannot remove the menu scripts from {utility}: {exc.strerror or exc}")
            return False
        log(f"Resolve: removed {removed} file(s) from {utility}" if removed else
            f"Resolve: nothing to remove in {utility}")
        return True
    try:
        files = _expected(engine, Path(source_dir), utility)
    except OSError as exc:
        log(f"Resolve: the menu scripts are missing from {source_dir}: {exc.strerror or exc}")
        return False
    old = _read_config(utility / CONFIG_NAME)
    files[CONFIG_NAME] = _config_text(engine, old).encode("utf-8")
    stale = [n for n, data in files.items() if not _same(utility / n, data)]
    if check:
        if stale:
            log(f"Resolve: menu scripts in {utility} are missing or out of date: "
                + ", ".join(sorted(stale)))
            return False
        log(f"Resolve: menu scripts installed in {utility}")
        return True
    try:
        utility.mkdir(parents=True, exist_ok=True)
        for name in stale:
            _write(utility / name, files[name])
    except OSError as exc:
        log(f"Resolve: cannot write to {utility}: {exc.strerror or exc}")
        return False
    log(f"Resolve: menu scripts {'updated' if stale else 'already up to date'} in {utility}; "
        "restart Resolve, then use Workspace > Scripts > Add Game Music")
    return True


def _same(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False


def doctor_report() -> list[tuple[str, bool | None, str]]:
    """(check, ok, detail) rows about the Resolve menu entries for ``game-music doctor``; ok is
    None when Resolve is not installed (nothing to check)."""
    rows: list[tuple[str, bool | None, str]] = []
    root = find_scripts_dir()
    if root is None:
        # Not having Resolve is not a problem to report: many users only use OBS or the CLI.
        rows.append(("Resolve", None, f"not installed for this user ({_resolve_base()})"))
        return rows
    utility = root / "Utility"
    missing = [n for n in (*MENU_FILES, *HELPERS.values(), CONFIG_NAME)
               if not (utility / n).is_file()]
    rows.append(("Resolve menu scripts", not missing,
                 f"installed in {utility}" if not missing else
                 "missing " + ", ".join(missing) + " - run install.py"))
    if (utility / CONFIG_NAME).is_file():
        engine = _read_config(utility / CONFIG_NAME).get("engine")
        exe = engine[0] if isinstance(engine, list) and engine else None
        ok = bool(exe) and Path(str(exe)).is_file()
        rows.append(("Resolve engine", ok, str(exe) if ok else
                     f"engine {exe!r} not found - run install.py again"))
    return rows
