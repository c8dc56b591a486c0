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


def _script_dir():
    try:
        return os.path.dirname(os.path.abspath(__file__))
    except NameError:  # some script hosts run the file without __file__
        pass
    if sys.platform == "darwin":
        root = "~/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts"
    elif os.name == "nt":
        root = os.path.join(os.environ.get("APPDATA", ""), "Blackmagic Design",
                            "DaVinci Resolve", "Support", "Fusion", "Scripts")
    else:
        root = "~/.local/share/DaVinciResolve/Fusion/Scripts"
    return os.path.join(os.path.expanduser(root), "Utility")


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
