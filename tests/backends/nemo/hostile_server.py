"""A NemoVideo API on a real local socket that can be told to misbehave.

Each :class:`FakeNemo` is a threaded ``http.server`` on one loopback address (127.0.0.1,
127.0.0.2, ...) and a free port. It answers with the documented reply shapes, records every
request it receives (with its headers), and each route can be replaced by a hostile action:
a redirect, an echoed token, an HTML page or a cut file served as the video, a stall.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from nemo_fakes import SESSION_ID, TASK_ID, USER_ID, adk_text, draft, ok, sse, state_body

Action = Callable[["_Handler"], None]


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    server: str  # host:port that received it
    method: str
    path: str
    headers: dict[str, str]

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeNemo


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection; a body may end at close

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        fake = self.server.fake
        self.body = self._read_body()
        path = self.path.split("?", 1)[0]
        fake.requests.append(Seen(
            f"{fake.host}:{fake.port}", self.command, path,
            {k.lower(): v for k, v in self.headers.items()},
        ))
        for (method, pattern), action in reversed(fake.routes):
            if method == self.command and re.fullmatch(pattern, path):
                action(self)
                return
        json_reply({"detail": "Not Found"}, status=404)(self)

    do_GET = do_POST = _serve


class FakeNemo:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.requests: list[Seen] = []
        self.routes: list[tuple[tuple[str, str], Action]] = []
        self.stop = threading.Event()
        self._server = _Server((host, 0), _Handler)
        self._server.fake = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def on(self, method: str, pattern: str, action: Action) -> None:
        """Answer ``method`` on paths matching ``pattern`` with ``action`` (last one wins)."""
        self.routes.append(((method, pattern), action))

    def seen(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self.stop.set()  # releases stalled handlers
        self._server.shutdown()
        self._server.server_close()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


# --- actions -------------------------------------------------------------------------------
def json_reply(body: Any, status: int = 200) -> Action:
    def act(h: _Handler) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return act


def bytes_reply(data: bytes, content_type: str = "video/mp4", *, length: bool = True,
                status: int = 200) -> Action:
    """``data`` as the body; without ``length`` the body simply ends when the connection
    closes, so a cut file looks complete to the client."""

    def act(h: _Handler) -> None:
        h.send_response(status)
        h.send_header("content-type", content_type)
        if length:
            h.send_header("content-length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return act


def redirect(location: str, status: int = 302) -> Action:
    def act(h: _Handler) -> None:
        h.send_response(status)
        h.send_header("location", location)
        h.send_header("content-length", "0")
        h.end_headers()

    return act


def stall(first: bytes = b"\x00\x00\x00\x18ftypmp42", size: int = 10_000_000) -> Action:
    """Headers and a few bytes of a big "video", then nothing until the server closes."""

    def act(h: _Handler) -> None:
        h.send_response(200)
        h.send_header("content-type", "video/mp4")
        h.send_header("content-length", str(size))
        h.end_headers()
        h.wfile.write(first)
        h.wfile.flush()
        h.server.fake.stop.wait(60)

    return act


def trickle(every_s: float = 0.05, size: int = 10_000_000) -> Action:
    """One byte at a time, never enough to finish: alive, but useless."""

    def act(h: _Handler) -> None:
        h.send_response(200)
        h.send_header("content-type", "video/mp4")
        h.send_header("content-length", str(size))
        h.end_headers()
        try:
            while not h.server.fake.stop.is_set():
                h.wfile.write(b"\x00")
                h.wfile.flush()
                time.sleep(every_s)
        except OSError:
            pass  # the client gave up

    return act


def event_stream(*events: Any) -> Action:
    def act(h: _Handler) -> None:
        data = sse(*events)
        h.send_response(200)
        h.send_header("content-type", "text/event-stream")
        h.end_headers()
        h.wfile.write(data)

    return act


# --- the API ---------------------------------------------------------------------------------
RENDER_POLL = r"/api/render/proxy/lambda/render_[0-9a-f]+"
RENDER_DOWNLOAD = r"/api/render/proxy/render_[0-9a-f]+/download"


def serve_api(fake: FakeNemo, *, result_url: str, upload_name: str = "clip.mp4",
              duration: float = 2.0) -> None:
    """Every endpoint an ``add`` uses, answering as the service documents; the render's
    result link is ``result_url``."""
    token = {"token": "nmv_usr_hostile-anon", "user_id": USER_ID,
             "expires_at": "2099-01-01T00:00:00Z", "credits": 100}
    fake.on("POST", "/api/auth/anonymous-token", json_reply(ok(token)))
    fake.on("POST", "/api/tasks/me/with-session/nemo_agent", json_reply(ok(
        {"task_id": TASK_ID, "session_id": SESSION_ID, "user_id": USER_ID})))
    files = [{"filename": upload_name, "file_type": "video", "duration": duration,
              "cdn_url": f"https://cdn.nemovideo.ai/{upload_name}", "width": 160, "height": 120}]
    fake.on("POST", f"/api/upload-video/nemo_agent/me/{SESSION_ID}",
            json_reply(ok({"files": files, "session_state_applied": True})))
    fake.on("GET", f"/api/state/nemo_agent/me/{SESSION_ID}/latest", json_reply(state_body(draft())))
    fake.on("POST", "/run_sse", event_stream(adk_text("Added chiptune BGM.")))
    fake.on("POST", "/api/render/proxy/lambda",
            json_reply({"success": True, "data": {"id": "x", "status": "pending", "progress": 5}}))
    fake.on("GET", RENDER_POLL, json_reply({"success": True, "data": {
        "status": "completed", "progress": 100, "outputUrl": result_url}}))
    fake.on("GET", "/api/credits/balance/simple",
            json_reply(ok({"available": 80, "frozen": 20, "total": 100})))
