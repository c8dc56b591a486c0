"""Fakes for the cloud backend tests: the documented NemoVideo reply shapes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
from pytest_httpx import HTTPXMock, IteratorStream

from game_music.backends.nemo._settings import PROD_API_URL

API = PROD_API_URL
TOKEN = "nmv_usr_S3CRET-test-token-0001"
TOKEN2 = "nmv_usr_S3CRET-test-token-0002"
USER_ID = "anon_7f3a"
SESSION_ID = "5529798706024415232"
TASK_ID = "task_abc"
ATTRIBUTION = ("X-Skill-Source", "X-Skill-Version", "X-Skill-Platform")
SECRETS = (TOKEN, TOKEN2, "nmv_usr_")


def ok(data: Any) -> dict[str, Any]:
    """The business envelope."""
    return {"code": 0, "message": "success", "data": data}


def fail(code: int, message: str = "failed") -> dict[str, Any]:
    return {"code": code, "message": message, "data": None}


def sse(*events: Any) -> bytes:
    """Events as SSE frames; a str is sent raw as the data (``""`` = empty heartbeat)."""
    out = []
    for ev in events:
        data = ev if isinstance(ev, str) else json.dumps(ev)
        out.append(f"data: {data}\n\n")
    return "".join(out).encode()


def adk_text(text: str, **extra: Any) -> dict[str, Any]:
    return {"id": "e1", "invocationId": "e-1", "author": "nemo_agent", "timestamp": 1.0,
            "content": {"role": "model", "parts": [{"text": text}]}, "actions": {}, **extra}


def adk_call(name: str) -> dict[str, Any]:
    return {"author": "nemo_agent", "content": {"role": "model", "parts": [
        {"functionCall": {"id": "c1", "name": name, "args": {"style": "chiptune"}}}]}}


def adk_result(name: str) -> dict[str, Any]:
    return {"author": "nemo_agent", "content": {"role": "user", "parts": [
        {"functionResponse": {"id": "c1", "name": name, "response": {"ok": True}}}]}}


def draft(music: bool = True, volume: float = 35) -> dict[str, Any]:
    tracks: list[dict[str, Any]] = [
        {"tt": 0, "sg": [{"st": 0, "d": 3000, "src": "https://cdn.nemovideo.ai/u/clip.mp4"}]},
    ]
    if music:
        seg = {"st": 0, "d": 3000, "v": volume}
        tracks.append({"tt": 1, "m": {"title": "Chiptune"}, "sg": [seg]})
    return {"t": tracks, "d": 3000, "m": {"title": "clip", "width": 320, "height": 240}}


def state_body(d: dict[str, Any] | None) -> dict[str, Any]:
    return ok({"session_id": SESSION_ID, "task_id": TASK_ID, "task_name": "t",
               "state": {"video_infos": [], "draft": d, "canvas_config": {"width": 320},
                         "generated_media": []}})


def cut_stream(first: bytes) -> IteratorStream:
    """A stream that delivers ``first`` and then breaks like a dropped connection."""

    def chunks() -> Iterator[bytes]:
        yield first
        raise httpx.RemoteProtocolError("peer closed connection")

    return IteratorStream(chunks())


class FakeClock:
    """Monotonic time that moves only when slept on (or by ``step`` per reading)."""

    def __init__(self, step: float = 0.0) -> None:
        self.t, self.step = 0.0, step
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        self.t += self.step
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


class Api:
    """Shortcuts to register the mocked endpoints."""

    def __init__(self, mock: HTTPXMock) -> None:
        self.mock = mock

    def add(self, method: str, path: str, **kw: Any) -> None:
        url = path if path.startswith("http") else API + path
        self.mock.add_response(method=method, url=url, **kw)

    def anon(self, token: str = TOKEN, **kw: Any) -> None:
        body = ok({"token": token, "user_id": USER_ID,
                   "expires_at": "2099-01-01T00:00:00Z", "credits": 100})
        self.add("POST", "/api/auth/anonymous-token", json=body, **kw)

    def session(self, **kw: Any) -> None:
        self.add("POST", "/api/tasks/me/with-session/nemo_agent",
                 json=ok({"task_id": TASK_ID, "session_id": SESSION_ID, "user_id": USER_ID}), **kw)

    def upload(self, name: str = "clip.mp4", **kw: Any) -> None:
        files = [{"filename": name, "file_type": "video", "cdn_url": f"https://cdn.nemovideo.ai/{name}",
                  "duration": 3.0, "width": 320, "height": 240}]
        self.add("POST", f"/api/upload-video/nemo_agent/me/{SESSION_ID}",
                 json=ok({"files": files, "session_state_applied": True}), **kw)

    def state(self, d: dict[str, Any] | None, **kw: Any) -> None:
        self.add("GET", f"/api/state/nemo_agent/me/{SESSION_ID}/latest", json=state_body(d), **kw)

    def turn(self, *events: Any, **kw: Any) -> None:
        self.add("POST", f"{API}/run_sse", content=sse(*events),
                 headers={"content-type": "text/event-stream"}, **kw)

    def credits(self, available: int = 80, **kw: Any) -> None:
        self.add("GET", "/api/credits/balance/simple",
                 json=ok({"available": available, "frozen": 20, "total": available + 20}), **kw)

    def render_ok(self, url: str = "https://static1.nemovideo.ai/render-result/r.mp4") -> None:
        """Submit, one 'processing' poll and one 'completed' poll (shape A)."""
        self.mock.add_response(method="POST", url=f"{API}/api/render/proxy/lambda",
                               json={"success": True, "data": {"id": "x", "status": "pending",
                                                               "progress": 5}})
        pattern = re.compile(re.escape(f"{API}/api/render/proxy/lambda/") + r"render_[0-9a-f]+$")
        self.mock.add_response(method="GET", url=pattern, json={"success": True, "data": {
            "status": "processing", "progress": 50}})
        self.mock.add_response(method="GET", url=pattern, json={"success": True, "data": {
            "status": "completed", "progress": 100, "outputUrl": url,
            "createdAt": 1_700_000_000_000, "completedAt": 1_700_000_060_000}})


def assert_clean(*texts: Iterable[str] | str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in str(text), "the token leaked"




RESULT_URL_DEFAULT = "https://static1.nemovideo.ai/render-result/r.mp4"
