"""The HTTP client against a mocked API: every endpoint, both envelopes, auth, errors, retries."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import httpx
import pytest
from nemo_fakes import (
    API,
    SESSION_ID,
    TASK_ID,
    TOKEN,
    TOKEN2,
    USER_ID,
    Api,
    FakeClock,
    adk_call,
    adk_result,
    adk_text,
    cut_stream,
    draft,
    fail,
    ok,
)
from pytest_httpx import HTTPXMock

from game_music import config
from game_music._errors import (
    AuthError,
    BackendError,
    ExportBlocked,
    FileTooLarge,
    NetworkError,
    NoCredits,
    RateLimited,
    UnsupportedInput,
)
from game_music.backends.nemo._client import NemoClient, SessionNotFound, TurnCut
from game_music.backends.nemo._download import download
from game_music.backends.nemo._models import RenderJob, timeline_lines
from game_music.backends.nemo._render import RenderTimeout, export
from game_music.backends.nemo._settings import load_settings
from game_music.backends.nemo._sse import TurnReader
from game_music.media.ffmpeg import run_ffmpeg

PENDING = {"success": True, "data": {"status": "pending"}}
POLL = re.compile(re.escape(f"{API}/api/render/proxy/lambda/render_") + "[0-9a-f]+$")


def _reader(clock: FakeClock) -> TurnReader:
    return TurnReader(clock=clock, note=lambda m: None)


def _paths(mock: HTTPXMock) -> list[str]:
    return [f"{r.method} {r.url.path}" for r in mock.get_requests()]


# --- auth -------------------------------------------------------------------------------
def test_anonymous_token_is_cached_privately_with_a_stable_client_id(
    api: Api, httpx_mock: HTTPXMock, client: NemoClient, clock: FakeClock
) -> None:
    api.anon()
    api.credits()
    api.credits()
    assert client.credits().available == 80
    folder = config.config_dir() / "nemo"
    token_file = folder / "token.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    cached = json.loads(token_file.read_text())
    assert cached["token"] == TOKEN and cached["user_id"] == USER_ID
    assert cached["expires_at"].startswith("2099-01-01")
    client_id = (folder / "client_id").read_text().strip()
    first = httpx_mock.get_requests()[0]
    assert first.headers["X-Client-Id"] == client_id

    # A second process reuses the cached token: no second anonymous-token call.
    with NemoClient(load_settings(), sleep=clock.sleep, clock=clock) as again:
        assert again.credits().frozen == 20
    assert _paths(httpx_mock).count("POST /api/auth/anonymous-token") == 1
    assert httpx_mock.get_requests()[-1].headers["Authorization"] == f"Bearer {TOKEN}"


def test_expired_cache_gets_a_new_token_with_the_same_client_id(
    api: Api, httpx_mock: HTTPXMock, client: NemoClient
) -> None:
    folder = config.config_dir() / "nemo"
    folder.mkdir(parents=True)
    (folder / "client_id").write_text("my-stable-id\n")
    (folder / "token.json").write_text(json.dumps({
        "api_url": API, "token": TOKEN2, "user_id": USER_ID,
        "expires_at": "2020-01-01T00:00:00+00:00"}))
    api.anon()
    api.credits()
    client.credits()
    anon, credits = httpx_mock.get_requests()
    assert anon.headers["X-Client-Id"] == "my-stable-id"
    assert credits.headers["Authorization"] == f"Bearer {TOKEN}"


def test_nemo_token_env_is_used_and_never_replaced(
    api: Api, httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    monkeypatch.setenv("NEMO_TOKEN", TOKEN2)
    api.credits()
    api.add("GET", "/api/credits/balance/simple", json=fail(1001, "token expired"))
    with NemoClient(load_settings(), sleep=clock.sleep, clock=clock) as c:
        c.credits()
        with pytest.raises(AuthError, match="NEMO_TOKEN") as info:
            c.credits()
    assert info.value.code == "auth"
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN2}" for r in httpx_mock.get_requests())
    assert "POST /api/auth/anonymous-token" not in _paths(httpx_mock)
    assert not (config.config_dir() / "nemo" / "token.json").exists()


def test_settings_from_config_file(monkeypatch: pytest.MonkeyPatch) -> None:
    config.config_dir().mkdir(parents=True, exist_ok=True)
    config.config_path().write_text(
        '[nemo]\napi_url = "https://mega-api-dev.nemovideo.ai/"\nclient_id = "cfg-id"\n'
        f'token = "{TOKEN2}"\n'
    )
    s = load_settings()
    assert (s.api_url, s.client_id, s.token, s.token_source) == (
        "https://mega-api-dev.nemovideo.ai", "cfg-id", TOKEN2, "config file")
    assert TOKEN2 not in repr(s)
    monkeypatch.setenv("NEMO_API_URL", "https://example.test")
    monkeypatch.setenv("NEMO_CLIENT_ID", "env-id")
    monkeypatch.setenv("NEMO_TOKEN", TOKEN)
    s = load_settings()
    assert (s.api_url, s.client_id, s.token_source) == (
        "https://example.test", "env-id", "NEMO_TOKEN")


def test_1001_reauthenticates_once_then_retries(
    api: Api, httpx_mock: HTTPXMock, client: NemoClient
) -> None:
    api.anon(TOKEN)
    api.add("GET", "/api/credits/balance/simple", json=fail(1001, "token invalid"))
    api.anon(TOKEN2)
    api.credits(available=7)
    assert client.credits().available == 7
    reqs = httpx_mock.get_requests()
    assert reqs[1].headers["Authorization"] == f"Bearer {TOKEN}"
    assert reqs[3].headers["Authorization"] == f"Bearer {TOKEN2}"
    assert json.loads((config.config_dir() / "nemo" / "token.json").read_text())["token"] == TOKEN2


def test_401_twice_is_an_auth_error(api: Api, client: NemoClient) -> None:
    api.anon(TOKEN)
    api.add("GET", "/api/credits/balance/simple", status_code=401, json={"detail": "bad token"})
    api.anon(TOKEN2)
    api.add("GET", "/api/credits/balance/simple", status_code=401, json={"detail": "bad token"})
    with pytest.raises(AuthError) as info:
        client.credits()
    assert info.value.code == "auth" and info.value.exit_code == 4


# --- envelopes and endpoints -------------------------------------------------------------
def test_create_session_keeps_digit_ids_as_strings(
    api: Api, httpx_mock: HTTPXMock, client: NemoClient
) -> None:
    api.anon()
    api.add("POST", "/api/tasks/me/with-session/nemo_agent",
            json=ok({"task_id": TASK_ID, "session_id": 5529798706024415232}))
    info = client.create_session("game-music: clip", "en")
    assert info.session_id == SESSION_ID and info.task_id == TASK_ID
    body = json.loads(httpx_mock.get_requests()[-1].content)
    assert body == {"task_name": "game-music: clip", "language": "en"}


def test_multipart_upload_reports_progress(
    api: Api, httpx_mock: HTTPXMock, client: NemoClient, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(os.urandom(300_000))
    api.anon()
    api.upload()
    seen: list[float] = []
    result = client.upload_files(SESSION_ID, [clip], seen.append)
    assert result.files[0].cdn_url == "https://cdn.nemovideo.ai/clip.mp4"
    assert result.session_state_applied is True
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    req = httpx_mock.get_requests()[-1]
    assert req.headers["content-type"].startswith("multipart/form-data")
    assert b'name="files"; filename="clip.mp4"' in req.content


def test_url_upload_and_uploaded_files_alias(
    api: Api, httpx_mock: HTTPXMock, client: NemoClient
) -> None:
    api.anon()
    api.add("POST", f"/api/upload-video/nemo_agent/me/{SESSION_ID}",
            json=ok({"uploaded_files": [{"filename": "a.mp4", "url": "https://cdn.nemovideo.ai/a"}]}))
    result = client.upload_urls(SESSION_ID, ["https://example.com/a.mp4"])
    assert result.files[0].cdn_url == "https://cdn.nemovideo.ai/a"
    body = json.loads(httpx_mock.get_requests()[-1].content)
    assert body == {"urls": ["https://example.com/a.mp4"], "source_type": "url"}


def test_state_and_timeline_summary(api: Api, client: NemoClient) -> None:
    api.anon()
    d = draft()
    d["t"].append({"tt": 7, "sg": [{"st": 0, "d": 2500, "text": "Victory!"}]})
    api.state(d)
    state = client.state(SESSION_ID)
    assert state.ready and state.has_music
    assert timeline_lines(state) == [
        "Timeline (3 tracks):",
        "  1. Video (0-3s)",
        "  2. BGM: Chiptune (0-3s, 35%)",
        "  3. Title: Victory! (0-2.5s)",
    ]
    assert state.draft == d  # kept verbatim: it goes back to the renderer unchanged


def test_claim_link_never_contains_the_token(api: Api, client: NemoClient) -> None:
    api.anon()
    api.add("POST", "/api/auth/claim-token",
            json=ok({"claim_token": "clm_xyz", "expires_in": 604800}))
    link = client.claim_link(TASK_ID, SESSION_ID)
    assert link == "https://nemovideo.com/workspace/claim?ct=clm_xyz"


def test_bare_and_detail_bodies(api: Api, client: NemoClient) -> None:
    api.anon()
    api.add("GET", "/api/credits/balance/simple", json={"available": 3, "frozen": 0, "total": 3})
    api.add("GET", "/api/credits/balance/simple", status_code=400, json={"detail": "bad request"})
    assert client.credits().available == 3
    with pytest.raises(BackendError, match="bad request") as info:
        client.credits()
    assert info.value.code == "backend"


# --- error codes -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reply", "status", "error", "code"),
    [
        (fail(1002, "session not found"), 200, SessionNotFound, "backend"),
        ({"detail": "Session not found: 1"}, 404, SessionNotFound, "backend"),
        (fail(2001, "insufficient credits"), 200, NoCredits, "no_credits"),
        (fail(4001, "unsupported file type"), 200, UnsupportedInput, "unsupported_input"),
        (fail(4002, "file too large"), 200, FileTooLarge, "file_too_large"),
        (fail(4002, "file too large"), 413, FileTooLarge, "file_too_large"),
        ({"success": False, "error": "plan does not allow export"}, 402, ExportBlocked,
         "export_blocked"),
    ],
)
def test_error_codes(
    api: Api, client: NemoClient, reply: dict, status: int, error: type, code: str
) -> None:
    api.anon()
    api.add("POST", f"/api/upload-video/nemo_agent/me/{SESSION_ID}", status_code=status, json=reply)
    with pytest.raises(error) as info:
        client.upload_urls(SESSION_ID, ["https://example.com/a.mp4"])
    assert info.value.code == code
    if error is NoCredits:
        assert f"https://nemovideo.com/register?bind={USER_ID}" in info.value.message


def test_429_waits_30_s_and_retries_once(api: Api, client: NemoClient, clock: FakeClock) -> None:
    api.anon()
    api.add("GET", "/api/credits/balance/simple", status_code=429, json={"detail": "slow down"})
    api.credits()
    assert client.credits().available == 80
    assert clock.sleeps == [30.0]


def test_429_twice_is_rate_limited(api: Api, client: NemoClient, clock: FakeClock) -> None:
    api.anon()
    for _ in range(2):
        api.add("GET", "/api/credits/balance/simple", status_code=429, json={"detail": "slow"})
    with pytest.raises(RateLimited) as info:
        client.credits()
    assert info.value.code == "rate_limited" and clock.sleeps == [30.0]


def test_5xx_and_network_errors_are_retried_for_idempotent_calls(
    api: Api, httpx_mock: HTTPXMock, client: NemoClient
) -> None:
    api.anon()
    api.add("GET", "/api/credits/balance/simple", status_code=503, text="busy")
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=f"{API}/api/credits/balance/simple")
    api.credits()
    assert client.credits().available == 80
    assert _paths(httpx_mock).count("GET /api/credits/balance/simple") == 3


def test_idempotent_retries_give_up_with_network_error(
    api: Api, httpx_mock: HTTPXMock, client: NemoClient
) -> None:
    api.anon()
    for _ in range(3):
        httpx_mock.add_exception(httpx.ReadError("reset"), url=f"{API}/api/credits/balance/simple")
    with pytest.raises(NetworkError) as info:
        client.credits()
    assert info.value.code == "network"


def test_a_message_that_may_have_been_sent_is_never_resent(
    api: Api, httpx_mock: HTTPXMock, client: NemoClient
) -> None:
    api.anon()
    api.add("POST", "/api/tasks/me/with-session/nemo_agent", status_code=502, text="bad gateway")
    with pytest.raises(BackendError, match="HTTP 502"):
        client.create_session("x")
    httpx_mock.add_exception(httpx.ReadTimeout("no reply"),
                             url=f"{API}/api/tasks/me/with-session/nemo_agent")
    with pytest.raises(NetworkError):
        client.create_session("x")
    assert _paths(httpx_mock).count("POST /api/tasks/me/with-session/nemo_agent") == 2


def test_a_request_that_never_left_is_retried_even_when_not_idempotent(
    api: Api, httpx_mock: HTTPXMock, client: NemoClient
) -> None:
    api.anon()
    httpx_mock.add_exception(httpx.ConnectError("refused"),
                             url=f"{API}/api/tasks/me/with-session/nemo_agent")
    api.session()
    assert client.create_session("x").session_id == SESSION_ID


# --- agent turns -------------------------------------------------------------------------
def test_turn_documented_format_over_http(
    api: Api, httpx_mock: HTTPXMock, client: NemoClient, clock: FakeClock
) -> None:
    api.anon()
    api.turn({"type": "text", "content": "On it."}, {"type": "heartbeat"}, "",
             {"type": "tool_call", "name": "edit_multitrack", "args": {}},
             {"type": "text", "content": "Added BGM."})
    turn = client.run_turn(SESSION_ID, "add music", _reader(clock))
    assert turn.text == "On it.\nAdded BGM." and turn.heartbeats == 2
    req = httpx_mock.get_requests()[-1]
    assert req.headers["Accept"] == "text/event-stream"
    body = json.loads(req.content)
    assert body["app_name"] == "nemo_agent" and body["user_id"] == "me"
    assert body["session_id"] == SESSION_ID
    assert body["new_message"]["parts"] == [{"text": "add music"}]


def test_turn_adk_format_over_http(api: Api, client: NemoClient, clock: FakeClock) -> None:
    api.anon()
    api.turn(adk_call("generate_music"), "", adk_result("generate_music"), adk_text("Done."))
    turn = client.run_turn(SESSION_ID, "add music", _reader(clock))
    assert turn.text == "Done." and turn.tool_calls == ("generate_music",)


def test_turn_plain_json_reply(api: Api, client: NemoClient, clock: FakeClock) -> None:
    api.anon()
    api.add("POST", f"{API}/run_sse", json=adk_text("Not streamed."))
    assert client.run_turn(SESSION_ID, "hi", _reader(clock)).text == "Not streamed."


def test_turn_session_gone_is_reported_before_anything_runs(
    api: Api, client: NemoClient, clock: FakeClock
) -> None:
    api.anon()
    api.add("POST", f"{API}/run_sse", status_code=404, json={"detail": "Session not found"})
    with pytest.raises(SessionNotFound):
        client.run_turn(SESSION_ID, "hi", _reader(clock))


@pytest.mark.parametrize("how", ["cut", "5xx", "read_timeout"])
def test_turn_is_never_resent_when_the_stream_breaks(
    api: Api, httpx_mock: HTTPXMock, client: NemoClient, clock: FakeClock, how: str
) -> None:
    api.anon()
    url = f"{API}/run_sse"
    if how == "cut":
        httpx_mock.add_response(
            method="POST", url=url, headers={"content-type": "text/event-stream"},
            stream=cut_stream(b'data: {"type":"heartbeat"}\n\n'),
        )
    elif how == "5xx":
        httpx_mock.add_response(method="POST", url=url, status_code=504, text="gateway timeout")
    else:
        httpx_mock.add_exception(httpx.ReadTimeout("silence"), url=url)
    with pytest.raises(TurnCut) as info:
        client.run_turn(SESSION_ID, "add music", _reader(clock))
    assert info.value.code == "network"
    assert _paths(httpx_mock).count("POST /run_sse") == 1


# --- render ------------------------------------------------------------------------------
def test_render_poll_shape_a(api: Api, httpx_mock: HTTPXMock, client: NemoClient) -> None:
    api.anon()
    api.render_ok()
    seen: list[float] = []
    job = export(client, SESSION_ID, draft(), progress=seen.append)
    assert job.done and job.output_url == "https://static1.nemovideo.ai/render-result/r.mp4"
    submit = json.loads(httpx_mock.get_requests()[1].content)
    assert submit["sessionId"] == SESSION_ID and submit["draft"] == draft()
    assert submit["id"].startswith("render_") and submit["output"]["format"] == "mp4"
    assert seen[:2] == [0.05, 0.5] and seen[-1] == 1.0


def test_render_poll_shape_b(api: Api, httpx_mock: HTTPXMock, client: NemoClient) -> None:
    api.anon()
    api.add("POST", "/api/render/proxy/lambda", json=PENDING)
    poll = POLL
    httpx_mock.add_response(method="GET", url=poll, json={"taskId": "t", "status": "processing"})
    httpx_mock.add_response(method="GET", url=poll, json={
        "taskId": "t", "status": "completed", "progress": 100,
        "output": {"url": "https://static1.nemovideo.ai/b.mp4", "duration": 3, "size": 10}})
    job = export(client, SESSION_ID, draft())
    assert job.output_url == "https://static1.nemovideo.ai/b.mp4"


def test_render_shapes_parse_alike() -> None:
    a = RenderJob.parse({"success": True, "data": {"id": "r1", "status": "completed",
                                                   "progress": 100, "outputUrl": "u"}})
    b = RenderJob.parse({"taskId": "r1", "status": "completed", "progress": 100,
                         "output": {"url": "u"}})
    assert a == b and a.done
    assert not RenderJob.parse({"status": "completed"}).done  # done needs the URL too


def test_render_failure_duplicate_id_and_timeout(
    api: Api, httpx_mock: HTTPXMock, client: NemoClient, clock: FakeClock
) -> None:
    api.anon()
    poll = POLL
    # A duplicate id: a fresh id, once; then the render fails.
    api.add("POST", "/api/render/proxy/lambda", status_code=409,
            json={"success": False, "error": "render id already exists"})
    api.add("POST", "/api/render/proxy/lambda", json=PENDING)
    httpx_mock.add_response(method="GET", url=poll, json={
        "success": True, "data": {"status": "failed", "error": "codec exploded"}})
    with pytest.raises(BackendError, match="codec exploded"):
        export(client, SESSION_ID, draft())
    ids = [json.loads(r.content)["id"] for r in httpx_mock.get_requests(method="POST")[1:]]
    assert len(set(ids)) == 2
    # Still processing after the timeout.
    api.add("POST", "/api/render/proxy/lambda", json=PENDING)
    httpx_mock.add_response(method="GET", url=poll, is_reusable=True,
                            json={"success": True,
                                  "data": {"status": "processing", "progress": 60}})
    with pytest.raises(RenderTimeout):
        export(client, SESSION_ID, draft(), timeout=60)
    assert max(clock.sleeps) == 15.0  # backoff capped


def test_render_cancel_on_interrupt(api: Api, httpx_mock: HTTPXMock, client: NemoClient) -> None:
    from game_music._errors import Cancelled

    api.anon()
    api.add("POST", "/api/render/proxy/lambda", json=PENDING)

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    client.sleep = interrupt
    cancel = re.compile(re.escape(f"{API}/api/render/proxy/lambda/render_") + "[0-9a-f]+/cancel$")
    httpx_mock.add_response(method="POST", url=cancel, json={"success": True, "data": {}})
    with pytest.raises(Cancelled):
        export(client, SESSION_ID, draft())


# --- download ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("dl") / "v.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=96x64:rate=10:duration=1",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)])
    return path.read_bytes()


def test_streamed_download_is_atomic_and_retried(
    httpx_mock: HTTPXMock, client: NemoClient, tmp_path: Path, video: bytes
) -> None:
    url = "https://static1.nemovideo.ai/render-result/r.mp4"
    httpx_mock.add_response(url=url, status_code=500, text="oops")
    httpx_mock.add_response(url=url, content=video, headers={"content-type": "video/mp4"})
    dest = tmp_path / "out.mp4"
    seen: list[float] = []
    download(client, url, dest, progress=seen.append, expected_s=1.0)
    assert dest.read_bytes() == video and seen[-1] == 1.0
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]


def test_download_falls_back_to_the_api_route(
    api: Api, httpx_mock: HTTPXMock, client: NemoClient, tmp_path: Path, video: bytes
) -> None:
    url = "https://static1.nemovideo.ai/render-result/r.mp4"
    api.anon()
    httpx_mock.add_response(url=url, status_code=403, text="expired link")
    api.add("GET", "/api/render/proxy/render_1/download", content=video)
    dest = tmp_path / "out.mp4"
    download(client, url, dest, render_id="render_1")
    assert dest.read_bytes() == video


def test_failed_download_leaves_nothing(
    httpx_mock: HTTPXMock, client: NemoClient, tmp_path: Path
) -> None:
    url = "https://static1.nemovideo.ai/r.mp4"
    for _ in range(3):
        httpx_mock.add_exception(httpx.ReadError("reset"), url=url)
    with pytest.raises(NetworkError):
        download(client, url, tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []


def test_token_goes_only_to_the_api_origin(client: NemoClient) -> None:
    assert client.trusted("/api/render/proxy/1/download")
    assert client.trusted("HTTPS://MEGA-API-PROD.nemovideo.ai:443/x")
    assert not client.trusted("https://static1.nemovideo.ai/x.mp4")  # the vendor's CDN too
    assert not client.trusted("https://mega-api-prod.nemovideo.ai:8443/x")
    assert not client.trusted("http://mega-api-prod.nemovideo.ai/x")
    assert not client.trusted("https://bucket.s3.amazonaws.com/x.mp4")
    assert not client.trusted("https://nemovideo.ai.evil.example/x.mp4")
