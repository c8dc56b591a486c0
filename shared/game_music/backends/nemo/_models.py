"""Pydantic models of the replies we read. Shapes the service does not document firmly
accept extra keys (``extra="allow"``) so a new field never breaks a job."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class AnonymousToken(_Loose):
    token: SecretStr
    user_id: str | None = None
    expires_at: datetime | None = None
    credits: int | None = None

    @field_validator("expires_at", mode="before")
    @classmethod
    def _when(cls, value: Any) -> Any:
        return parse_time(value)


class SessionInfo(_Loose):
    task_id: str
    # Digits-only ids ("5529798706024415232") must stay strings: they overflow JS numbers.
    session_id: str
    user_id: str | None = None

    @field_validator("task_id", "session_id", mode="before")
    @classmethod
    def _str(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class UploadedFile(_Loose):
    filename: str | None = None
    file_type: str | None = None
    cdn_url: str | None = Field(default=None, alias="cdn_url")
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None


class UploadResult(_Loose):
    files: list[UploadedFile] = []
    session_state_applied: bool | None = None

    @classmethod
    def parse(cls, data: Any) -> UploadResult:
        data = dict(data or {})
        if not data.get("files") and data.get("uploaded_files"):  # unconfirmed alias
            data["files"] = [
                {**f, "cdn_url": f.get("cdn_url") or f.get("url")} for f in data["uploaded_files"]
            ]
        return cls.model_validate(data)


class Credits(_Loose):
    available: int = 0
    frozen: int = 0
    total: int | None = None


class ClaimToken(_Loose):
    claim_token: SecretStr
    expires_in: int | None = None


class StateBody(_Loose):
    video_infos: list[Any] = []
    draft: dict[str, Any] | None = None
    canvas_config: dict[str, Any] | None = None
    video_analyses: dict[str, Any] | list[Any] | None = None
    generated_media: list[Any] = []


class SessionState(_Loose):
    session_id: str | None = None
    task_id: str | None = None
    task_name: str | None = None
    state: StateBody = StateBody()

    @property
    def draft(self) -> dict[str, Any] | None:
        return self.state.draft

    @property
    def tracks(self) -> list[dict[str, Any]]:
        tracks = (self.draft or {}).get("t")
        return [t for t in tracks if isinstance(t, dict)] if isinstance(tracks, list) else []

    @property
    def ready(self) -> bool:
        """Ready to export: the draft has at least one track with segments."""
        return any(t.get("sg") for t in self.tracks)

    @property
    def has_music(self) -> bool:
        return any(t.get("tt") == TRACK_AUDIO and t.get("sg") for t in self.tracks)


class RenderJob(BaseModel):
    """One render poll, from either documented shape, normalised."""

    id: str | None = None
    status: str = "pending"
    progress: float | None = None
    output_url: str | None = None
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.status == "completed" and bool(self.output_url)

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "error", "cancelled")

    @classmethod
    def parse(cls, body: Any) -> RenderJob:
        """Shape A ``{success, data:{id,status,progress,outputUrl}}`` (preferred) or shape B
        ``{taskId, status, progress, output:{url}}``; ``body`` may already be unwrapped."""
        if not isinstance(body, dict):
            return cls()
        inner = body.get("data") if isinstance(body.get("data"), dict) else None
        d = inner if inner is not None and "status" in inner else body
        out = d.get("output") if isinstance(d.get("output"), dict) else {}
        url = d.get("outputUrl") or d.get("output_url") or out.get("url") or d.get("url")
        progress = d.get("progress")
        return cls(
            id=str(d.get("id") or d.get("taskId") or d.get("task_id") or "") or None,
            status=str(d.get("status") or "pending").lower(),
            progress=float(progress) if isinstance(progress, (int, float)) else None,
            output_url=str(url) if url else None,
            error=str(d.get("error") or body.get("error") or "") or None,
        )


TRACK_VIDEO, TRACK_AUDIO, TRACK_TEXT = 0, 1, 7
_TRACK_NAMES = {TRACK_VIDEO: "Video", TRACK_AUDIO: "BGM", TRACK_TEXT: "Title"}


def parse_time(value: Any) -> Any:
    """ISO-8601 text or epoch seconds/milliseconds -> aware datetime (None stays None)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    if isinstance(value, str) and value.endswith("Z"):
        return value[:-1] + "+00:00"
    return value


def expiry_or_default(expires_at: datetime | None, now: datetime) -> datetime:
    """Anonymous tokens live 7 days; assume that when the reply leaves it out."""
    if expires_at is None:
        return now + timedelta(days=7)
    return expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=timezone.utc)


# --- timeline summary ------------------------------------------------------------------
# Only t/tt/sg/d/m are documented; segment timing and volume keys are guesses, read if present.
_START_KEYS = ("st", "s", "start", "start_ms", "tl_start")
_VOLUME_KEYS = ("v", "vol", "volume")
_NAME_KEYS = ("title", "name", "style", "text")


def _num(seg: dict[str, Any], keys: tuple[str, ...]) -> float | None:
    for key in keys:
        value = seg.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def _name(obj: dict[str, Any]) -> str | None:
    for holder in (obj.get("m") if isinstance(obj.get("m"), dict) else {}, obj):
        for key in _NAME_KEYS:
            value = holder.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:40]
    return None


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.3g}" if ms % 1000 else str(int(ms // 1000))


def describe_track(index: int, track: dict[str, Any]) -> str:
    kind = _TRACK_NAMES.get(track.get("tt"), f"Track type {track.get('tt')}")  # type: ignore[arg-type]
    segs = [s for s in track.get("sg") or [] if isinstance(s, dict)]
    name = _name(track) or next((n for n in map(_name, segs) if n), None)
    label = f"{index}. {kind}" + (f": {name}" if name and kind != "Video" else "")
    details: list[str] = []
    starts = [_num(s, _START_KEYS) for s in segs]
    lengths = [_num(s, ("d",)) for s in segs]
    if segs and all(x is not None for x in starts + lengths):
        lo = min(starts)  # type: ignore[type-var]
        hi = max(a + b for a, b in zip(starts, lengths, strict=True))  # type: ignore[operator]
        details.append(f"{_seconds(lo)}-{_seconds(hi)}s")
    elif isinstance(track.get("d"), (int, float)):
        details.append(f"0-{_seconds(float(track['d']))}s")
    volume = next((v for v in (_num(s, _VOLUME_KEYS) for s in segs) if v is not None), None)
    if volume is None:
        volume = _num(track, _VOLUME_KEYS)
    if volume is not None:
        details.append(f"{round(volume if volume > 1 else volume * 100)}%")
    if not details and segs:
        details.append(f"{len(segs)} segment{'s' * (len(segs) != 1)}")
    return label + (f" ({', '.join(details)})" if details else "")


def timeline_lines(state: SessionState) -> list[str]:
    """A heading, then one line per track::

        Timeline (3 tracks):
          1. Video (0-120s)
          2. BGM: Chiptune (0-120s, 35%)
          3. Title: Victory (0-3s)
    """
    tracks = state.tracks
    if not tracks:
        return ["Timeline: empty"]
    head = f"Timeline ({len(tracks)} track{'s' * (len(tracks) != 1)}):"
    return [head, *(f"  {describe_track(i, t)}" for i, t in enumerate(tracks, 1))]
