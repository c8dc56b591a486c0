"""A small log of finished jobs (JSON lines in the user data folder), so a batch skips what
it already did.

A job is keyed by the input's identity (resolved path, size, modification time) and by what was
asked (the request as Contract 3 prints it, the backend, the output asked for and the render
options). A request without an explicit seed has ``seed: null`` here, which stands for "the seed
derived from the input", so a re-run with the same words matches. An entry only counts while
its output still exists: deleting a result makes the next batch redo it.

Each entry is one line appended with a single ``write`` on an ``O_APPEND`` file, so concurrent
jobs (and concurrent game-music processes) never interleave half lines.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .config import data_dir

log = logging.getLogger("game_music")

LOG_NAME = "jobs.jsonl"


@dataclass(frozen=True)
class Entry:
    key: str
    input: str
    output: str
    finished: str
    seconds: float


def job_key(input_path: Path, request: dict[str, Any], **asked: Any) -> str:
    """A stable hash of the input's identity and everything that shapes the output."""
    st = input_path.stat()
    ident = {
        "input": str(input_path.resolve()),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "request": request,
        **{k: (str(v) if isinstance(v, Path) else v) for k, v in sorted(asked.items())},
    }
    blob = json.dumps(ident, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


class JobLog:
    """Append-only record of finished jobs; ``find`` returns the newest live entry for a key."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / LOG_NAME
        self._lock = threading.Lock()

    def find(self, key: str) -> Entry | None:
        found: Entry | None = None
        try:
            with self.path.open(encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    if key not in line:  # cheap pre-filter: most lines are other jobs
                        continue
                    try:
                        data = json.loads(line)
                        if data.get("key") == key:
                            found = Entry(**{f: data[f] for f in Entry.__dataclass_fields__})
                    except (ValueError, KeyError, TypeError):
                        continue  # a damaged line (crash mid-write) is ignored
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("cannot read the job log %s: %s", self.path, exc)
            return None
        if found is None or not Path(found.output).is_file():
            return None
        return found

    def record(self, key: str, input_path: Path, output: Path, seconds: float) -> None:
        entry = {
            "key": key,
            "input": str(input_path),
            "output": str(output),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "seconds": round(seconds, 3),
        }
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    os.write(fd, line)
                finally:
                    os.close(fd)
            except OSError as exc:  # the video is made; only the skip-next-time is lost
                log.warning("cannot write the job log %s: %s", self.path, exc)
