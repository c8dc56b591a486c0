"""Install the game-music script into OBS Studio, and report on it for ``game-music doctor``.

Standard library only and no package-relative imports: ``install.py`` loads this file by path
before any virtual environment exists.

What ``install`` does (Contract 5): copy the script to ``<OBS config>/game-music/`` with a small
JSON file naming the engine command, then register it in the current scene collection
(``modules`` -> ``scripts-tool``) when OBS is not running (after a backup); when OBS is running
it prints the one manual step (Tools > Scripts > +) instead.
"""

from __future__ import annotations

import configparser
import datetime
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

SCRIPT = "game_music_obs.py"
FILES = (SCRIPT, "game_music_obs_worker.py")
CONFIG_NAME = "game_music_obs.json"
INSTALL_DIR = "game-music"
FLATPAK = Path("~/.var/app/com.obsproject.Studio/config/obs-studio")

Log = Callable[[str], None]
Check = tuple[str, bool | None, str]  # ok None: not applicable


# --- where things are --------------------------------------------------------------------------

def candidate_config_dirs(platform: str = sys.platform, env: Mapping[str, str] | None = None,
                          home: str | None = None) -> list[PurePath]:
    """OBS config folders for ``platform``, most likely first (Contract 5). The platform, the
    environment and the home folder can be given, so every OS's layout is testable anywhere."""
    env = os.environ if env is None else env
    kind = path_type(platform)
    home_dir = kind(home if home is not None else Path.home())
    if platform == "win32":
        appdata = env.get("APPDATA")
        return [kind(appdata) / "obs-studio"] if appdata else []
    if platform == "darwin":
        return [home_dir / "Library" / "Application Support" / "obs-studio"]
    xdg = env.get("XDG_CONFIG_HOME") or str(home_dir / ".config")
    return [kind(xdg) / "obs-studio", home_dir / FLATPAK.relative_to("~")]


def path_type(platform: str) -> type[PurePath]:
    """Real paths on this machine's own platform, pure ones of the right flavour otherwise."""
    if platform == sys.platform:
        return Path
    return PureWindowsPath if platform == "win32" else PurePosixPath


def find_config_dir() -> Path | None:
    """The OBS config folder in use: the first candidate holding a ``global.ini``."""
    for path in candidate_config_dirs():
        if (Path(path) / "global.ini").is_file():
            return Path(path)
    return None


def install_dir(obs_config: Path) -> Path:
    return Path(obs_config) / INSTALL_DIR


def _read_ini(path: Path) -> configparser.RawConfigParser:
    ini = configparser.RawConfigParser(strict=False)
    ini.optionxform = str  # type: ignore[assignment,method-assign]  # OBS keys are CamelCase
    try:
        ini.read_string(path.read_text(encoding="utf-8-sig", errors="replace"))
    except (OSError, configparser.Error):
        pass
    return ini


def scene_collection_file(obs_config: Path) -> Path | None:
    """The current scene collection's JSON file, or None before OBS's first start."""
    ini = _read_ini(Path(obs_config) / "global.ini")
    name = ini.get("Basic", "SceneCollectionFile", fallback="").strip()
    if not name:
        return None
    path = Path(obs_config) / "basic" / "scenes" / f"{name}.json"
    return path if path.is_file() else None


def obs_version(obs_config: Path) -> tuple[int, int, int] | None:
    """The OBS version that last used this config (``[General] LastVersion``)."""
    ini = _read_ini(Path(obs_config) / "global.ini")
    try:
        v = int(ini.get("General", "LastVersion", fallback=""))
    except ValueError:
        return None
    return (v >> 24) & 0xFF, (v >> 16) & 0xFF, v & 0xFFFF


def obs_running(obs_config: Path | None = None) -> bool:
    """Is an OBS using ``obs_config`` (any OBS where that cannot be told) running?"""
    if sys.platform == "win32":
        out = _run(["tasklist", "/FI", "IMAGENAME eq obs64.exe", "/NH"])
        return "obs64.exe" in out.lower()
    if sys.platform == "darwin":
        return bool(_run(["pgrep", "-x", "OBS"]).strip())
    proc = Path("/proc")
    if not proc.is_dir():
        return bool(_run(["pgrep", "-x", "obs"]).strip())
    want = Path(obs_config).resolve() if obs_config else None
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "obs":
                continue
        except OSError:
            continue
        if want is None:
            return True
        env = _proc_env(entry)
        if env is None:
            return True  # cannot tell which config it uses: be careful
        xdg = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME", "/"), ".config")
        used = Path(xdg) / "obs-studio"
        if used.resolve() == want or (env.get("FLATPAK_ID") and want == FLATPAK.expanduser()):
            return True
    return False


def _proc_env(entry: Path) -> dict[str, str] | None:
    try:
        raw = (entry / "environ").read_bytes()
    except OSError:
        return None
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}


def _run(cmd: Sequence[str]) -> str:
    try:
        return subprocess.run(list(cmd), capture_output=True, text=True, timeout=10,
                              check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


# --- scene collection ----------------------------------------------------------------------------

def _same(a: str, b: Path) -> bool:
    return os.path.normcase(os.path.normpath(a)) == os.path.normcase(os.path.normpath(str(b)))


def _is_ours(entry: object) -> bool:
    return isinstance(entry, dict) and Path(str(entry.get("path", ""))).name == SCRIPT


def is_registered(scenes: Path, script: Path) -> bool:
    try:
        data = json.loads(scenes.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    items = (data.get("modules") or {}).get("scripts-tool") or []
    return any(_is_ours(e) and _same(str(e["path"]), script) for e in items)


def _edit_scripts(scenes: Path, script: Path, *, add: bool) -> bool:
    """Add (or remove) our entry in ``modules.scripts-tool``; True when the file changed."""
    data = json.loads(scenes.read_text(encoding="utf-8"))
    modules = data.setdefault("modules", {})
    items = modules.get("scripts-tool") or []
    keep = [e for e in items if not _is_ours(e) or (add and _same(str(e["path"]), script))]
    ours = [e for e in keep if _is_ours(e)]
    if add and not ours:
        keep.append({"path": script.as_posix(), "settings": {}})
    if keep == items:
        return False
    modules["scripts-tool"] = keep
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    shutil.copy2(scenes, scenes.with_name(f"{scenes.name}.game-music-{stamp}.bak"))
    tmp = scenes.with_name(scenes.name + ".game-music.tmp")
    tmp.write_text(json.dumps(data, indent=4, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, scenes)
    return True


# --- install / uninstall / check -----------------------------------------------------------------

def install(engine: list[str], source_dir: Path, obs_config: Path | None = None, *,
            uninstall: bool = False, check: bool = False, log: Log = print) -> bool:
    """Install (or ``uninstall``, or only ``check``) the OBS script; True when all is in place.

    Safe to run twice. ``engine`` is the command that runs game-music, e.g.
    ``[<venv python>, "-m", "game_music"]``; ``source_dir`` holds the script files.
    """
    config = Path(obs_config).expanduser() if obs_config else find_config_dir()
    if config is None:
        where = ", ".join(str(p) for p in candidate_config_dirs())
        log(f"OBS: not found (no OBS settings in {where}); skipped")
        return True  # nothing to do is not a failure: many users have no OBS
    target = install_dir(config)
    script = target / SCRIPT
    scenes = scene_collection_file(config)
    running = obs_running(config)
    if check:
        return _check(config, script, scenes, log)
    if uninstall:
        return _uninstall(target, script, scenes, running, log)

    source = Path(source_dir)
    missing = [f for f in FILES if not (source / f).is_file()]
    if missing:
        log(f"OBS: script files missing in {source}: {', '.join(missing)}")
        return False
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            shutil.copyfile(source / name, target / name)
        cfg = {"engine": [str(a) for a in engine]}
        (target / CONFIG_NAME).write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        log(f"OBS: cannot write {target}: {exc}")
        return False
    log(f"OBS: script installed in {target}")
    if scenes is None:
        log(f"OBS: start OBS once, then add the script: Tools > Scripts > + > {script}")
        return True
    if is_registered(scenes, script):
        log(f"OBS: already loaded by scene collection '{scenes.stem}'")
        return True
    if running:
        log(f"OBS is running: add the script in OBS once: Tools > Scripts > + > {script}")
        return True
    try:
        _edit_scripts(scenes, script, add=True)
    except (OSError, ValueError) as exc:
        log(f"OBS: cannot update {scenes}: {exc}; add it in OBS: Tools > Scripts > + > {script}")
        return True
    log(f"OBS: script added to scene collection '{scenes.stem}' (backup next to it); "
        "set its key in Settings > Hotkeys > 'Add game music to last recording'")
    return True


def _check(config: Path, script: Path, scenes: Path | None, log: Log) -> bool:
    ok = True
    for name, good, detail in _status(config, script, scenes):
        log(f"OBS: {name}: {detail}")
        ok = ok and good
    return ok


def _uninstall(target: Path, script: Path, scenes: Path | None, running: bool, log: Log) -> bool:
    ok = True
    if scenes is not None and is_registered(scenes, script):
        if running:
            log("OBS is running: remove the script in OBS: Tools > Scripts > select "
                f"{SCRIPT} > -")
            ok = False
        else:
            try:
                _edit_scripts(scenes, script, add=False)
                log(f"OBS: script removed from scene collection '{scenes.stem}'")
            except (OSError, ValueError) as exc:
                log(f"OBS: cannot update {scenes}: {exc}")
                ok = False
    if target.exists():
        shutil.rmtree(target, ignore_errors=True)
        log(f"OBS: removed {target}")
    else:
        log("OBS: script not installed")
    return ok


def _status(config: Path, script: Path, scenes: Path | None) -> list[Check]:
    rows: list[Check] = []
    engine: list[str] | None = None
    try:
        engine = json.loads((script.parent / CONFIG_NAME).read_text(encoding="utf-8"))["engine"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    installed = all((script.parent / f).is_file() for f in FILES)
    rows.append(("OBS script", installed,
                 str(script) if installed else f"not installed (run install.py) in {config}"))
    if installed:
        exe = engine[0] if engine else ""
        good = bool(exe) and (Path(exe).is_file() or shutil.which(exe) is not None)
        rows.append(("OBS engine", good, " ".join(engine) if engine else
                     f"{CONFIG_NAME} missing or broken: run install.py again"))
    if scenes is None:
        rows.append(("OBS registered", False, "no scene collection yet: start OBS once"))
    else:
        reg = is_registered(scenes, script)
        rows.append(("OBS registered", reg, f"scene collection '{scenes.stem}'" if reg else
                     f"not in scene collection '{scenes.stem}': run install.py with OBS "
                     f"closed, or Tools > Scripts > + > {script}"))
    rows.append(python_check(config))
    return rows


# --- OBS's Python (Windows / macOS) ------------------------------------------------------------

def max_python_minor(version: tuple[int, int, int] | None) -> int:
    """Newest Python 3 minor an OBS version loads (source constant per release)."""
    if version is None:
        return 12
    if version < (28, 0, 0):
        return 6
    if version < (29, 1, 0):
        return 10
    if version < (30, 1, 0):
        return 11
    return 12


def _pythons_in(folder: Path) -> list[int]:
    """Python 3 minors whose library OBS would find in ``folder``."""
    found: set[int] = set()
    if sys.platform == "win32":
        for dll in folder.glob("python3*.dll"):
            tail = dll.stem[len("python3"):]
            if tail.isdigit():
                found.add(int(tail))
    else:
        root = str(folder).split("/Python.framework/")[0]
        libdir = Path(root) / "Python.framework" / "Versions" / "Current" / "lib"
        for lib in libdir.glob("libpython3.*.dylib"):
            minor = lib.name[len("libpython3."):-len(".dylib")]
            if minor.isdigit():
                found.add(int(minor))
    return sorted(found)


def _suggest(max_minor: int) -> str:
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", "")) / "Programs" / "Python"
        dirs = [base / f"Python3{m}" for m in range(max_minor, 5, -1)]
    else:
        dirs = [Path(f"/Library/Frameworks/Python.framework/Versions/3.{m}")
                for m in range(max_minor, 5, -1)]
    for d in dirs:
        if d.is_dir():
            return f"set Tools > Scripts > Python Settings to {d}"
    return (f"install 64-bit Python 3.{max_minor} from python.org, then set Tools > Scripts > "
            "Python Settings to its folder")


def python_check(config: Path) -> Check:
    """Does this OBS have a Python it can load? Linux builds link one in; Windows/macOS don't."""
    if sys.platform not in ("win32", "darwin"):
        mods = [Path(p) for p in ("/usr/lib/x86_64-linux-gnu/obs-scripting",
                                  "/usr/lib/aarch64-linux-gnu/obs-scripting",
                                  "/usr/lib/obs-scripting", "/usr/lib64/obs-scripting")]
        if any((m / "obspython.py").is_file() for m in mods) or (
                Path(config) == FLATPAK.expanduser()):
            return ("OBS Python", True, "built into OBS on Linux")
        return ("OBS Python", True, "Linux OBS uses its own Python; check Tools > Scripts "
                "> Python Settings if scripts do not load")
    version = obs_version(config)
    top = max_python_minor(version)
    vtext = ".".join(map(str, version)) if version else "unknown version"
    path = _read_ini(Path(config) / "global.ini").get("Python", "Path64bit", fallback="").strip()
    if not path:
        return ("OBS Python", False, f"OBS {vtext} has no Python set: {_suggest(top)}")
    minors = _pythons_in(Path(path))
    usable = [m for m in minors if 6 <= m <= top]
    if usable:
        return ("OBS Python", True, f"OBS {vtext} uses Python 3.{max(usable)} from {path}")
    if minors:
        return ("OBS Python", False, f"Python 3.{max(minors)} in {path} is too new for OBS "
                f"{vtext} (needs 3.{top} or older): {_suggest(top)}")
    return ("OBS Python", False, f"no Python library found in {path}: {_suggest(top)}")


def doctor_report() -> list[Check]:
    """Rows for ``game-music doctor``: config found, script, engine, registration, Python."""
    config = find_config_dir()
    if config is None:
        where = ", ".join(str(p) for p in candidate_config_dirs())
        return [("OBS", None, f"no OBS settings for this user in {where}")]
    version = obs_version(config)
    vtext = ".".join(map(str, version)) if version else "unknown version"
    script = install_dir(config) / SCRIPT
    return [("OBS", True, f"{config} (OBS {vtext})"),
            *_status(config, script, scene_collection_file(config))]
