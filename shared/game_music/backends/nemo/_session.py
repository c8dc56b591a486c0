"""The last cloud session, kept so ``game-music nemo say`` can refine it later."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..._errors import UsageError
from ._auth import write_private
from ._settings import session_dir

LAST_SESSION_FILE = "last_session.json"


@dataclass(frozen=True)
class LastSession:
    api_url: str
    session_id: str
    task_id: str
    output: str  # the last file we wrote for this session
    input: str | None = None

    def save(self, folder: Path | None = None) -> None:
        path = (folder or session_dir()) / LAST_SESSION_FILE
        write_private(path, json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path | None = None) -> LastSession:
        path = (folder or session_dir()) / LAST_SESSION_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})
        except FileNotFoundError:
            raise UsageError(
                "no cloud session yet: run `game-music add VIDEO --backend nemo` first"
            ) from None
        except (OSError, ValueError, TypeError) as exc:
            raise UsageError(f"cannot read {path.name}: {exc}") from None
