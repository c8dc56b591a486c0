"""The cloud client against a deliberately hostile NemoVideo on real local sockets.

Two servers, on 127.0.0.1 (the API) and 127.0.0.2 (somewhere else), record every request
with its headers. The token may reach the API origin only; what is downloaded must be a whole
video before it takes its name; a stalled download must fail, not hang; an echoed token or
client id is masked wherever it would be shown.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hostile_server import (
    RENDER_DOWNLOAD,
    RENDER_POLL,
    FakeNemo,
    bytes_reply,
    event_stream,
    free_port,
    json_reply,
    redirect,
    serve_api,
    stall,
    trickle,
)
from nemo_fakes import SESSION_ID, TASK_ID, Api, adk_text, draft, state_body
from pytest_httpx import HTTPXMock

from game_music._errors import BackendError, GameMusicError, NetworkError, UsageError
from game_music.backends.nemo import NemoBackend
from game_music.backends.nemo import _client as client_module
from game_music.backends.nemo._client import NemoClient, ServiceError
from game_music.backends.nemo._download import download
from game_music.backends.nemo._session import LastSession
from game_music.backends.nemo._settings import NemoSettings
from game_music.cli import main
from game_music.jobs import run_job
from game_music.media.ffmpeg import run_ffmpeg
from game_music.media.probe import probe
from game_music.request import MusicRequest

TOKEN = "secret-xyz-hostile-token"  # not token-shaped: only its value can be masked
CLIENT_ID = "client-id-hostile-0042"
BEARER = f"Bearer {TOKEN}"


def _clip(path: Path, seconds: float, *extra: str) -> Path:
    run_ffmpeg([
        "-f", "lavfi", "-i", f"testsrc=size=160x120:rate=15:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-shortest", *extra, str(path),
    ], what="test clip")
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("hostile_media")
    return {
        "input": _clip(d / "match.mkv", 2.0),
        "result": _clip(d / "result.mp4", 2.0, "-movflags", "+faststart"),
        "short": _clip(d / "short.mp4", 0.6, "-movflags", "+faststart"),
    }


@pytest.fixture
def servers() -> Iterator[tuple[FakeNemo, FakeNemo]]:
    api, other = FakeNemo("127.0.0.1"), FakeNemo("127.0.0.2")
    yield api, other
    api.close()
    other.close()


@pytest.fixture
def api_server(servers: tuple[FakeNemo, FakeNemo]) -> FakeNemo:
    return servers[0]


@pytest.fixture
def other(servers: tuple[FakeNemo, FakeNemo]) -> FakeNemo:
    return servers[1]


@pytest.fixture
def nemo(api_server: FakeNemo) -> Iterator[NemoClient]:
    settings = NemoSettings(api_url=api_server.base, token=TOKEN, token_source="NEMO_TOKEN",
                            client_id=CLIENT_ID)
    with NemoClient(settings, sleep=lambda s: None) as c:
        yield c


@pytest.fixture
def env(api_server: FakeNemo, monkeypatch: pytest.MonkeyPatch) -> FakeNemo:
    """The command line pointed at the hostile API."""
    monkeypatch.setenv("NEMO_API_URL", api_server.base)
    monkeypatch.setenv("NEMO_TOKEN", TOKEN)
    monkeypatch.setenv("NEMO_CLIENT_ID", CLIENT_ID)
    monkeypatch.setattr("game_music.backends.nemo._client.time.sleep", lambda s: None)
    monkeypatch.setattr("game_music.backends.nemo._render.POLL_FIRST_S", 0.01)
    return api_server


def _no_secrets(*texts: str) -> None:
    for text in texts:
        assert TOKEN not in text and CLIENT_ID not in text, "a secret was shown"


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records)


def _add(nemo: NemoClient, media: dict[str, Path], tmp_path: Path
         ) -> tuple[Path, Path, list[dict], GameMusicError | None]:
    src = tmp_path / "match.mkv"
    src.write_bytes(media["input"].read_bytes())
    out = tmp_path / "match (game music).mp4"
    events: list[dict] = []
    error = None
    try:
        run_job(src, MusicRequest(style="chiptune"), out,
                NemoBackend(nemo, note=lambda m: None, save_session=False), events.append)
    except GameMusicError as exc:
        error = exc
    return src, out, events, error


# --- 1. credentials only to the API origin ------------------------------------------------
def test_upper_case_scheme_on_another_host_gets_no_token(
    nemo: NemoClient, api_server: FakeNemo, other: FakeNemo, media: dict[str, Path],
    tmp_path: Path,
) -> None:
    """The reported case: ``HTTP://127.0.0.2:port/a.mp4`` as the render's result link."""
    link = f"HTTP://127.0.0.2:{other.port}/a.mp4"
    serve_api(api_server, result_url=link, upload_name="match.mkv")
    other.on("GET", "/a.mp4", bytes_reply(media["result"].read_bytes()))
    src, out, events, error = _add(nemo, media, tmp_path)
    assert error is None and events[-1]["event"] == "done"
    assert probe(out).video.width == 160
    (fetch,) = other.requests
    assert fetch.authorization is None and "x-client-id" not in fetch.headers
    api_calls = [r for r in api_server.requests if r.path != "/api/auth/anonymous-token"]
    assert api_calls and all(r.authorization == BEARER for r in api_calls)


def test_another_port_of_the_api_host_gets_no_token(
    nemo: NemoClient, media: dict[str, Path], tmp_path: Path
) -> None:
    same_host = FakeNemo("127.0.0.1")
    try:
        same_host.on("GET", "/a.mp4", bytes_reply(media["result"].read_bytes()))
        download(nemo, f"{same_host.base}/a.mp4", tmp_path / "out.mp4", expected_s=2.0)
    finally:
        same_host.close()
    assert same_host.requests[0].authorization is None
    assert probe(tmp_path / "out.mp4").duration == pytest.approx(2.0, abs=0.1)


def test_another_name_for_the_api_host_gets_no_token(
    nemo: NemoClient, api_server: FakeNemo, media: dict[str, Path], tmp_path: Path
) -> None:
    """Same server, same port, but ``localhost`` is not the configured origin's host; an
    upper-case spelling of the configured origin itself is the same origin."""
    api_server.on("GET", r"/[ab]\.mp4", bytes_reply(media["result"].read_bytes()))
    download(nemo, f"http://localhost:{api_server.port}/a.mp4", tmp_path / "a.mp4")
    download(nemo, f"HTTP://127.0.0.1:{api_server.port}/b.mp4", tmp_path / "b.mp4")
    assert api_server.seen("/a.mp4")[0].authorization is None
    assert api_server.seen("/b.mp4")[0].authorization == BEARER


def test_a_redirect_off_the_origin_drops_the_token(
    nemo: NemoClient, api_server: FakeNemo, other: FakeNemo, media: dict[str, Path],
    tmp_path: Path,
) -> None:
    api_server.on("GET", RENDER_DOWNLOAD, redirect(f"http://127.0.0.2:{other.port}/moved.mp4"))
    api_server.on("GET", "/dead.mp4", bytes_reply(b"gone", status=404))
    other.on("GET", "/moved.mp4", bytes_reply(media["result"].read_bytes()))
    out = tmp_path / "out.mp4"
    download(nemo, f"{api_server.base}/dead.mp4", out, render_id="render_0a1b", expected_s=2.0)
    (hop,) = api_server.seen("/api/render/proxy/render_0a1b/download")
    assert hop.authorization == BEARER  # the API's own route: with the token
    (moved,) = other.requests
    assert moved.authorization is None  # the hop it redirected to: without
    assert probe(out).video.width == 160


def test_plain_http_to_another_machine_is_never_fetched(
    api: Api, httpx_mock: HTTPXMock, client: NemoClient, tmp_path: Path,
    media: dict[str, Path],
) -> None:
    """A plain-http result link (or a redirect to one) is refused before any byte is sent;
    the API's own route is used instead."""
    api.anon()
    api.add("GET", "/api/render/proxy/render_1/download", content=media["result"].read_bytes())
    out = tmp_path / "out.mp4"
    download(client, "http://cdn.example.com/a.mp4", out, render_id="render_1")
    assert probe(out).video.width == 160
    assert all(r.url.host != "cdn.example.com" for r in httpx_mock.get_requests())

    api.add("GET", "/api/render/proxy/render_2/download", status_code=302,
            headers={"location": "http://cdn.example.com/b.mp4"})
    with pytest.raises(BackendError, match="plain-http link"):
        download(client, "/api/render/proxy/render_2/download", tmp_path / "b.mp4")
    assert not (tmp_path / "b.mp4").exists()
    assert all(r.url.host != "cdn.example.com" for r in httpx_mock.get_requests())


def test_a_plain_http_api_address_off_this_machine_is_refused() -> None:
    with pytest.raises(UsageError, match="https"):
        NemoClient(NemoSettings(api_url="http://mega-api-prod.nemovideo.ai", token=TOKEN))
    NemoClient(NemoSettings(api_url="http://[::1]:8080")).close()  # loopback is fine


# --- 2. an echoed token or client id is masked ------------------------------------------------
def test_an_echoed_token_and_client_id_are_masked_in_status_and_errors(
    env: FakeNemo, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    echo = {"code": 1234, "message": f"token {TOKEN} is not valid for client {CLIENT_ID}",
            "data": None}
    env.on("GET", "/api/credits/balance/simple", json_reply(echo))
    assert main(["nemo", "status"]) == 0
    status = capsys.readouterr()
    assert "Credits:    unknown (NemoVideo error 1234: token *** is not valid for client ***)" \
        in status.out
    assert "Client id:  ...0042" in status.out
    assert main(["nemo", "credits"]) == 4
    assert main(["--debug", "nemo", "credits", "--json"]) == 4
    errors = capsys.readouterr()
    assert "error: NemoVideo error 1234: token *** is not valid" in errors.err
    assert "Traceback" in errors.err  # --debug adds the traceback, masked like the rest
    _no_secrets(status.out, status.err, errors.out, errors.err, _logged(caplog))
    assert env.seen("/api/credits/balance/simple")[0].authorization == BEARER


def test_an_echoed_token_is_masked_in_exceptions_events_and_logs(
    env: FakeNemo, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    LastSession(env.base, SESSION_ID, TASK_ID, str(tmp_path / "a (game music).mp4")).save()
    env.on("GET", f"/api/state/nemo_agent/me/{SESSION_ID}/latest",
           json_reply(state_body(draft())))
    env.on("POST", "/run_sse", event_stream(adk_text(f"Working with token {TOKEN} now.")))
    env.on("POST", "/api/render/proxy/lambda",
           json_reply({"success": True, "data": {"status": "pending"}}))
    env.on("GET", RENDER_POLL, json_reply({"success": True, "data": {
        "status": "failed", "error": f"renderer refused {TOKEN} / {CLIENT_ID}"}}))
    assert main(["nemo", "say", "louder", "--json"]) == 4
    captured = capsys.readouterr()
    last = json.loads(captured.out.splitlines()[-1])
    assert last["event"] == "error" and last["code"] == "backend"
    assert last["message"] == "NemoVideo could not render the video: renderer refused *** / ***"
    assert "Working with token *** now." in _logged(caplog)
    _no_secrets(captured.out, captured.err, _logged(caplog))

    with NemoClient(NemoSettings(api_url=env.base, token=TOKEN, client_id=CLIENT_ID)) as c:
        env.on("GET", "/api/credits/balance/simple", json_reply(
            {"detail": f"{TOKEN} unknown"}, status=400))
        with pytest.raises(ServiceError) as info:
            c.credits()
    _no_secrets(str(info.value), repr(info.value))


# --- 3. what was downloaded is checked before it takes its name ------------------------------
@pytest.mark.parametrize("served", ["html", "cut", "short"])
def test_a_bad_video_is_a_backend_error_and_leaves_nothing(
    served: str, nemo: NemoClient, api_server: FakeNemo, other: FakeNemo,
    media: dict[str, Path], tmp_path: Path,
) -> None:
    """An HTML page sent as video/mp4, a whole-looking file cut in half (no length, so it
    ends at close), or a valid video far shorter than the input: from the result link and
    from the API's own route alike."""
    whole = media["result"].read_bytes()
    body = {"html": b"<html>not found</html>\n\n",
            "cut": whole[: len(whole) // 2],
            "short": media["short"].read_bytes()}[served]
    action = bytes_reply(body, length=served != "cut")
    serve_api(api_server, result_url=f"{other.base}/a.mp4", upload_name="match.mkv")
    other.on("GET", "/a.mp4", action)
    api_server.on("GET", RENDER_DOWNLOAD, action)
    src, out, events, error = _add(nemo, media, tmp_path)
    assert isinstance(error, BackendError) and error.code == "backend"
    assert events[-1]["event"] == "error" and events[-1]["code"] == "backend"
    assert "NemoVideo sent" in events[-1]["message"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["match.mkv"]  # nothing left
    assert len(api_server.requests) > 0 and other.requests[0].authorization is None


@pytest.mark.parametrize("action", [stall(), trickle()], ids=["silent", "trickle"])
def test_a_stalled_download_fails_with_a_network_error(
    action: Callable, nemo: NemoClient, api_server: FakeNemo, other: FakeNemo,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(client_module, "DOWNLOAD_STALL_S", 0.2)
    other.on("GET", "/a.mp4", action)
    api_server.on("GET", RENDER_DOWNLOAD, action)
    out = tmp_path / "out.mp4"
    t0 = time.monotonic()
    with pytest.raises(NetworkError, match="stalled") as info:
        download(nemo, f"{other.base}/a.mp4", out, render_id="render_0a1b")
    assert time.monotonic() - t0 < 15  # 3 tries per source, each given up after ~0.2 s
    assert info.value.code == "network"
    assert list(tmp_path.iterdir()) == []
    assert len(other.requests) == 3 and len(api_server.requests) == 3


# --- 4. readable retries; --debug adds detail, never changes the outcome ---------------------
def test_retry_notices_are_one_readable_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NEMO_API_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("NEMO_TOKEN", TOKEN)
    assert main(["nemo", "credits"]) == 4
    notes = [r.getMessage() for r in caplog.records if r.name == "stamina"]
    assert notes and all(re.fullmatch(
        r"NemoVideo credit balance failed \(cannot reach NemoVideo \(ConnectError\)\); "
        r"retrying in \d+\.\d s \(attempt [23] of 4\)", n) for n in notes), notes
    assert capsys.readouterr().err.strip().endswith("[network]")


def _commands(tmp_path: Path, media: dict[str, Path]) -> dict[str, list[str]]:
    src = tmp_path / "match.mkv"
    src.write_bytes(media["input"].read_bytes())
    hour_ago = time.time() - 3600  # a finished recording: no wait for it to settle
    os.utime(src, (hour_ago, hour_ago))
    return {
        "credits": ["nemo", "credits"],
        "credits --json": ["nemo", "credits", "--json"],
        "status": ["nemo", "status"],
        "status --json --link": ["nemo", "status", "--json", "--link"],
        "say": ["nemo", "say", "louder"],
        "say --json": ["nemo", "say", "louder", "--json"],
        "add": ["add", str(src), "--backend", "nemo"],
        "add --json": ["add", str(src), "--backend", "nemo", "--json"],
    }


@pytest.mark.parametrize("name", ["credits", "credits --json", "status", "status --json --link",
                                  "say", "say --json", "add", "add --json"])
def test_debug_never_changes_the_outcome(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    tmp_path: Path, media: dict[str, Path],
) -> None:
    """Every nemo command, and ``add --backend nemo``, against an unreachable API: the same
    exit status, the same last line and the same stdout with and without --debug."""
    unreachable = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("NEMO_API_URL", unreachable)
    monkeypatch.setenv("NEMO_TOKEN", TOKEN)
    monkeypatch.setattr("game_music.backends.nemo._client.time.sleep", lambda s: None)
    LastSession(unreachable, SESSION_ID, TASK_ID, str(tmp_path / "a (game music).mp4")).save()
    argv = _commands(tmp_path, media)[name]
    outcomes = []
    for debug in ([], ["--debug"]):
        code = main([*debug, *argv])
        out, err = capsys.readouterr()
        lines = [line for line in err.splitlines() if line.startswith("game-music: error:")]
        stdout = re.sub(r'"seconds": [0-9.]+', "", out)
        outcomes.append((code, lines[-1:], stdout))
        _no_secrets(out, err)
    assert outcomes[0] == outcomes[1]
    expected = 0 if name.startswith("status") else 4
    assert outcomes[0][0] == expected
    if expected and name != "credits --json":  # that one reports by its exit status only
        assert "[network]" in " ".join(outcomes[0][1]) or '"code": "network"' in outcomes[0][2]


@pytest.mark.slow
def test_debug_credits_against_an_unreachable_api_in_a_real_process(cli: Callable) -> None:
    """As a user runs it (real retry waits, ~10 s): the retry notices read as sentences, the
    traceback is extra detail, and the exit status is the network one."""
    result = cli("--debug", "nemo", "credits",
                 env={"NEMO_API_URL": f"http://127.0.0.1:{free_port()}", "NEMO_TOKEN": TOKEN})
    assert result.returncode == 4
    err = result.stderr.splitlines()
    assert err[-1] == "game-music: error: cannot reach NemoVideo (ConnectError) [network]"
    assert "stamina.retry_scheduled" not in result.stderr
    assert any(re.search(r"credit balance failed .*\(attempt 2 of 4\)", line) for line in err)
    _no_secrets(result.stdout, result.stderr)



def test_debug_logs_of_a_real_process_mask_an_echoed_token(
    api_server: FakeNemo, cli: Callable
) -> None:
    """Under --debug every library logs at DEBUG to stderr; the echoed secrets still never
    appear there, in the traceback or on stdout."""
    echo = {"code": 1234, "message": f"token {TOKEN} is not valid for client {CLIENT_ID}"}
    api_server.on("GET", "/api/credits/balance/simple", json_reply(echo))
    env = {"NEMO_API_URL": api_server.base, "NEMO_TOKEN": TOKEN, "NEMO_CLIENT_ID": CLIENT_ID}
    status = cli("--debug", "nemo", "status", env=env)
    credits = cli("--debug", "nemo", "credits", env=env)
    assert status.returncode == 0 and "token *** is not valid for client ***" in status.stdout
    assert credits.returncode == 4 and "Traceback" in credits.stderr
    assert credits.stderr.splitlines()[-1].endswith("for client *** [backend]")
    _no_secrets(status.stdout, status.stderr, credits.stdout, credits.stderr)


def test_an_api_call_redirected_off_the_origin_loses_the_token(
    nemo: NemoClient, api_server: FakeNemo, other: FakeNemo
) -> None:
    api_server.on("GET", "/api/credits/balance/simple",
                  redirect(f"{other.base}/api/credits/balance/simple", status=307))
    other.on("GET", "/api/credits/balance/simple",
             json_reply({"code": 0, "data": {"available": 1, "frozen": 0, "total": 1}}))
    assert nemo.credits().available == 1
    assert api_server.requests[0].authorization == BEARER
    assert other.requests[0].authorization is None
