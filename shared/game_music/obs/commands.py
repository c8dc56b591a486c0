"""``game-music obs watch``: the command that runs the OBS companion."""

from __future__ import annotations

import argparse
import functools
import os
from typing import Any

from .._warm_pool import Main
from ..request import STYLES
from .watch import Watcher, WatchOptions

ENV_PASSWORD = "GAME_MUSIC_OBS_PASSWORD"


def register(subparsers: Any, *, main: Main) -> None:
    """Add ``obs watch`` to the CLI's subcommands; its jobs run the CLI's ``main``."""
    obs = subparsers.add_parser("obs", help="OBS Studio companion")
    sub = obs.add_subparsers(dest="obs_command", metavar="COMMAND", required=True)
    watch = sub.add_parser(
        "watch", help="add music to every saved replay and finished recording",
        description="Connect to OBS (Tools > WebSocket Server Settings) and add music to each "
        f"saved replay and finished recording. Password: env {ENV_PASSWORD} or [obs] password "
        "in the config file.")
    watch.add_argument("--host", help="OBS WebSocket host (default localhost)")
    watch.add_argument("--port", type=int, help="OBS WebSocket port (default 4455)")
    watch.add_argument("-p", "--prompt", help="what music you want, in your words")
    watch.add_argument("--style", choices=STYLES, help="pick a style directly")
    watch.add_argument("--backend", choices=("local", "nemo"), help="engine backend")
    watch.add_argument("-o", "--output", help="folder for results (default: next to the video)")
    watch.add_argument("--no-replays", action="store_true", help="ignore saved replays")
    watch.add_argument("--no-recordings", action="store_true", help="ignore finished recordings")
    watch.set_defaults(func=functools.partial(cmd_watch, main=main))


def _obs_config() -> dict[str, Any]:
    try:
        from ..config import load_config
    except ImportError:  # pragma: no cover - config is optional
        return {}
    section = load_config().get("obs", {})
    return section if isinstance(section, dict) else {}


def options_from_args(args: argparse.Namespace) -> WatchOptions:
    cfg = _obs_config()
    password = os.environ.get(ENV_PASSWORD) or str(cfg.get("password") or "")
    return WatchOptions(
        host=args.host or str(cfg.get("host") or "localhost"),
        port=int(args.port or cfg.get("port") or 4455),
        password=password,
        replays=not args.no_replays,
        recordings=not args.no_recordings,
        prompt=args.prompt, style=args.style, backend=args.backend, output=args.output,
    )


def cmd_watch(args: argparse.Namespace, *, main: Main) -> int:
    watcher = Watcher(options_from_args(args), main=main)
    try:
        watcher.run()
    except KeyboardInterrupt:
        watcher.stop.set()
        watcher.say("stopped")
    return 0
