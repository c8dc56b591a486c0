"""Reading one agent turn from ``/run_sse``.

Two event formats are in the wild and both are handled: NemoVideo's documented sketch
(``{"type": "text" | "tool_call" | "tool_result" | "heartbeat", ...}``) and the agent
framework's own events (``{"author", "content": {"parts": [...]}, "partial", ...}``), which is
very likely the real wire format. There is no "done" event: the turn ends when the server
closes the stream. Heartbeats (a heartbeat event, an empty ``data:`` or a comment line) only
prove the server is alive.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from ._redact import mask

log = logging.getLogger("game_music.nemo")

NOTE_EVERY_S = 120.0  # "still working" note while a long tool runs
TURN_CAP_S = 900.0  # the vendor's recommended client maximum for one turn
# The agent sometimes appends this after a turn that went fine; it is noise.
_NOISE = ("encountered a temporary issue",)

Kind = Literal["text", "tool_call", "tool_result", "heartbeat", "error", "other"]


@dataclass(frozen=True)
class TurnEvent:
    kind: Kind
    text: str = ""
    name: str | None = None
    partial: bool = False
    data: dict[str, Any] = field(default_factory=dict, repr=False)


class TurnTimeout(Exception):
    """The turn ran past the cap; the work may still finish on the server."""


def parse_data(data: str) -> list[TurnEvent]:
    """One SSE ``data`` payload -> the events it carries (several for multi-part content)."""
    data = data.strip()
    if not data:
        return [TurnEvent("heartbeat")]
    try:
        obj = json.loads(data)
    except ValueError:
        return [TurnEvent("heartbeat")]  # plain-text keep-alives ("ping")
    if not isinstance(obj, dict):
        return [TurnEvent("other", data={"value": obj})]
    if obj.get("error") and not obj.get("content"):
        return [TurnEvent("error", text=str(obj["error"]), data=obj)]
    kind = obj.get("type")
    if isinstance(kind, str):
        return [_documented(kind, obj)]
    events: list[TurnEvent] = []
    partial = bool(obj.get("partial"))
    content = obj.get("content") if isinstance(obj.get("content"), dict) else {}
    for part in content.get("parts") or []:
        if not isinstance(part, dict):
            continue
        call = part.get("functionCall") or part.get("function_call")
        result = part.get("functionResponse") or part.get("function_response")
        if isinstance(call, dict):
            events.append(TurnEvent("tool_call", name=call.get("name"), data=call))
        elif isinstance(result, dict):
            events.append(TurnEvent("tool_result", name=result.get("name"), data=result))
        elif isinstance(part.get("text"), str) and not part.get("thought"):
            events.append(TurnEvent("text", text=part["text"], partial=partial))
    message = obj.get("errorMessage") or obj.get("error_message")
    code = obj.get("errorCode") or obj.get("error_code")
    if message or code:
        events.append(TurnEvent("error", text=str(message or code), data=obj))
    return events or [TurnEvent("other", data=obj)]


def _documented(kind: str, obj: dict[str, Any]) -> TurnEvent:
    if kind == "heartbeat" or kind == "ping":
        return TurnEvent("heartbeat")
    if kind == "text":
        text = obj.get("content") if isinstance(obj.get("content"), str) else obj.get("text")
        return TurnEvent("text", text=str(text or ""), partial=bool(obj.get("partial")))
    if kind in ("tool_call", "tool_result"):
        return TurnEvent(kind, name=obj.get("name"), data=obj)  # type: ignore[arg-type]
    if kind == "error":
        text = obj.get("message") or obj.get("content") or ""
        return TurnEvent("error", text=str(text), data=obj)
    return TurnEvent("other", data=obj)


@dataclass(frozen=True)
class TurnResult:
    text: str
    tool_calls: tuple[str, ...]
    errors: tuple[str, ...]
    heartbeats: int
    seconds: float

    @property
    def silent(self) -> bool:
        """No text: about a third of edit turns end like this; read the state instead."""
        return not self.text.strip()


@dataclass
class TurnReader:
    """Consumes SSE payloads until the stream ends, the cap passes, or the caller stops."""

    clock: Callable[[], float] = time.monotonic
    note: Callable[[str], None] = log.info
    tick: Callable[[float], None] | None = None  # elapsed seconds, for progress
    note_every: float = NOTE_EVERY_S
    cap: float = TURN_CAP_S

    def read(self, payloads: Iterable[str]) -> TurnResult:
        start = last_note = self.clock()
        texts: list[str] = []
        pending: list[str] = []  # streamed chunks, replaced by the whole text when it arrives
        tools: list[str] = []
        errors: list[str] = []
        beats = 0
        for payload in payloads:
            for ev in parse_data(payload):
                if ev.kind == "heartbeat":
                    beats += 1
                elif ev.kind == "text" and ev.partial:
                    pending.append(ev.text)
                elif ev.kind == "text":
                    pending.clear()
                    if texts and any(n in ev.text.lower() for n in _NOISE):
                        continue
                    if ev.text.strip():
                        texts.append(ev.text.strip())
                elif ev.kind == "tool_call" and ev.name:
                    tools.append(ev.name)
                    log.debug("agent tool: %s", ev.name)
                elif ev.kind == "error":
                    errors.append(ev.text)
            now = self.clock()
            if self.tick:
                self.tick(now - start)
            if now - last_note >= self.note_every:
                last_note = now
                self.note(f"NemoVideo is still working ({int((now - start) // 60)} min so far)")
            if now - start >= self.cap:
                raise TurnTimeout(f"no end after {int(self.cap // 60)} minutes")
        if pending:
            texts.append("".join(pending).strip())
        # Whatever the agent said may be shown, logged or stored: never with a secret in it.
        return TurnResult(
            text=mask("\n".join(t for t in texts if t)),
            tool_calls=tuple(mask(t) for t in tools),
            errors=tuple(mask(e) for e in errors if e),
            heartbeats=beats,
            seconds=self.clock() - start,
        )
