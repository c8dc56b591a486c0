"""Run markers: one live run per final output, and what a dead run left behind is swept.

A job writes a small marker beside its output before it creates anything else:
``.<output name>.game-music-run``, created exclusively (so two runs, in one process or two,
can never own the same final name), holding the owner's pid, the process's start time, the
boot time, and the temporary paths it will create (work folder, part file, stem parts).

A marker whose owner is gone (no such pid, a pid reused by another process: different start
time, or a reboot since) is stale: the next run in that folder, or ``game-music doctor
--clean``, deletes the paths it lists and then the marker. A live owner's files are never
touched, however old. psutil reads the start and boot times the same way on Windows, macOS
and Linux.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

log = logging.getLogger("game_music")

MARKER_SUFFIX = ".game-music-run"
#: Clock noise allowed when comparing recorded and current start/boot times.
_TIME_SLACK = 2.0
#: A marker with no readable owner (a power cut between create and write) is stale after
#: this; its owner writes it within milliseconds of creating it.
_UNREADABLE_GRACE = 60.0


def marker_path(output: Path) -> Path:
    return output.with_name(f".{output.name}{MARKER_SUFFIX}")


def _me() -> dict[str, Any]:
    proc = psutil.Process()
    return {"pid": proc.pid, "started": proc.create_time(), "boot": psutil.boot_time(),
            "host": socket.gethostname()}


def owner_alive(owner: dict[str, Any]) -> bool:
    """Is the process that wrote ``owner`` still running (the same process, same boot)?"""
    try:
        pid, started, boot = int(owner["pid"]), float(owner["started"]), float(owner["boot"])
    except (KeyError, TypeError, ValueError):
        return False
    if owner.get("host", socket.gethostname()) != socket.gethostname():
        # Another machine's run on shared storage (a cluster worker): its pid and boot mean
        # nothing here, so it is never taken for dead; that machine's next run sweeps it.
        return True
    if abs(psutil.boot_time() - boot) > _TIME_SLACK:
        return False  # rebooted since: nothing of that boot still runs
    try:
        return abs(psutil.Process(pid).create_time() - started) <= _TIME_SLACK
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True  # someone else's live process: leave its files alone


@dataclass
class Claim:
    """This run's marker; :meth:`release` removes it once the temporary files are gone."""

    marker: Path

    def release(self) -> None:
        with contextlib.suppress(OSError):
            self.marker.unlink()


def try_claim(output: Path, paths: Iterable[Path]) -> Claim | None:
    """Own ``output`` if no live run does (a stale marker is swept first); None if a live
    run owns it. ``paths`` are the temporary files this run will make."""
    marker = marker_path(output)
    data = {**_me(), "output": output.name, "paths": [str(p) for p in paths]}
    for _ in range(3):
        try:
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            if not _sweep_marker(marker):
                return None
            continue  # swept a dead run's marker: try again
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        return Claim(marker)
    return None


def _read(marker: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_stale(marker: Path) -> bool:
    data = _read(marker)
    if data is None:
        try:
            age = time.time() - marker.stat().st_mtime
        except OSError:
            return False  # already gone
        return age > _UNREADABLE_GRACE
    return not owner_alive(data)


def _ours(path: Path) -> bool:
    """Only our own hidden temporary names are ever deleted, whatever a marker says."""
    name = path.name
    return name.startswith(".") and (".part" in name or name.startswith(".game-music-"))


def _remove(path: Path) -> None:
    if not _ours(path):
        return
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def _listed(marker: Path) -> list[Path]:
    data = _read(marker) or {}
    paths = data.get("paths") if isinstance(data.get("paths"), list) else []
    return [Path(p) for p in paths if isinstance(p, str) and _ours(Path(p))]


def _sweep_marker(marker: Path) -> bool:
    """Remove a stale marker and what it lists; False (nothing touched) if its owner lives."""
    if not is_stale(marker):
        return False
    for path in _listed(marker):
        _remove(path)
    with contextlib.suppress(OSError):
        marker.unlink()
    log.info("removed what a stopped run left: %s", marker.name)
    return True


def markers(folder: Path) -> Iterator[Path]:
    with contextlib.suppress(OSError):
        yield from sorted(folder.glob(f".*{MARKER_SUFFIX}"))


@dataclass(frozen=True)
class Leftover:
    marker: Path
    paths: list[Path]
    size: int


def _size(path: Path) -> int:
    try:
        if path.is_dir():
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return path.stat().st_size
    except OSError:
        return 0


def find_stale(folder: Path) -> list[Leftover]:
    """Markers of dead runs in ``folder``, with the files they left and their size."""
    found = []
    for marker in markers(folder):
        if is_stale(marker):
            paths = [p for p in _listed(marker) if p.exists()]
            found.append(Leftover(marker, paths, sum(_size(p) for p in paths)))
    return found


def sweep(folder: Path) -> list[Leftover]:
    """Remove what dead runs left in ``folder``; returns what was removed."""
    gone = []
    for item in find_stale(folder):
        if _sweep_marker(item.marker):
            gone.append(item)
    return gone
