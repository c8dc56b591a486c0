"""DaVinci Resolve > Workspace > Scripts > Add Game Music.

Sends the selected clip (or the In/Out range) to game-music and imports the result into the
'Game Music' bin. Resolve injects ``resolve``, ``fusion`` and ``bmd``; the logic lives in
``game_music_resolve.py`` beside this file. Standard library only.
"""

import importlib.machinery
import importlib.util
import os
import sys

HELPER = "game_music_resolve"
# The installer writes the folder it installed this file into on the next line: Resolve runs
# menu scripts without __file__, and the folder may be any Scripts folder (per-user, all-users,
# portable, --resolve-scripts DIR).
INSTALLED_IN = None


def _has_helper(folder):
    return any(os.path.isfile(os.path.join(folder, HELPER + ext)) for ext in (".pylib", ".py"))


def _script_dir():
    if INSTALLED_IN and _has_helper(INSTALLED_IN):
        return INSTALLED_IN
    try:
        return os.path.dirname(os.path.abspath(__file__))
    except NameError:  # Resolve runs the file without __file__
        pass
    if sys.platform == "darwin":
        roots = ["~/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts",
                 "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts"]
    elif os.name == "nt":
        resolve = os.path.join("Blackmagic Design", "DaVinci Resolve")
        roots = [os.path.join(os.environ.get("APPDATA", ""), resolve, "Support"),
                 os.path.join(os.environ.get("PROGRAMDATA", ""), resolve)]
        roots = [os.path.join(r, "Fusion", "Scripts") for r in roots]
    else:
        roots = ["~/.local/share/DaVinciResolve/Fusion/Scripts", "/opt/resolve/Fusion/Scripts"]
    folders = [os.path.join(os.path.expanduser(r), "Utility") for r in roots]
    return next((f for f in folders if _has_helper(f)), folders[0])


def _run():
    here = _script_dir()
    try:
        # Installed as .pylib so the Scripts menu does not list it; loaded by path because a
        # long-lived script host may still hold another copy in sys.modules.
        path = os.path.join(here, HELPER + ".pylib")
        if not os.path.isfile(path):
            path = os.path.join(here, HELPER + ".py")
        loader = importlib.machinery.SourceFileLoader(HELPER, path)
        spec = importlib.util.spec_from_loader(HELPER, loader)
        game_music_resolve = importlib.util.module_from_spec(spec)
        loader.exec_module(game_music_resolve)
    except Exception as exc:  # noqa: BLE001 - never raise into Resolve
        print(f"Add Game Music: cannot load game_music_resolve from {here} ({exc}) - "
              "run install.py again")
        return False
    g = globals()
    host = g.get("resolve")
    if host is None and g.get("bmd") is not None:
        try:
            host = g["bmd"].scriptapp("Resolve")
        except Exception:  # noqa: BLE001
            host = None
    return game_music_resolve.main(host, g.get("fusion"), g.get("bmd"), here)


_run()
