"""`game-music nemo credits | status | say` through the real command line entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nemo_fakes import API, RESULT_URL_DEFAULT, SESSION_ID, TASK_ID, TOKEN, Api, draft, fail, ok
from pytest_httpx import HTTPXMock

from game_music.backends.nemo._session import LastSession
from game_music.backends.nemo.commands import next_edit_name
from game_music.cli import main
from game_music.media.ffmpeg import run_ffmpeg
from game_music.media.probe import probe


@pytest.fixture(autouse=True)
def _no_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("game_music.backends.nemo._client.time.sleep", lambda s: None)
    # The commands' client sleeps with the real time.sleep (bound as its default): poll the
    # fake render at once rather than after 2 + 3 s.
    monkeypatch.setattr("game_music.backends.nemo._render.POLL_FIRST_S", 0.001)
    monkeypatch.setattr("game_music.backends.nemo._render.POLL_MAX_S", 0.001)


def test_credits(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    api.anon()
    api.credits(available=80)
    api.credits(available=80)
    assert main(["nemo", "credits"]) == 0
    assert "80 available, 20 reserved, 100 total" in capsys.readouterr().out
    assert main(["nemo", "credits", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"available": 80, "frozen": 20, "total": 100}


def test_credits_error_is_one_line_with_a_code(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    api.anon()
    api.add("GET", "/api/credits/balance/simple", json=fail(1001, f"bad token {TOKEN}"))
    api.anon()
    api.add("GET", "/api/credits/balance/simple", json=fail(1001, "bad token"))
    assert main(["nemo", "credits"]) == 4
    err = capsys.readouterr().err
    assert err.strip().endswith("[auth]") and len(err.strip().splitlines()) == 1


def test_status_shows_the_last_session_timeline(
    api: Api, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    LastSession(API, SESSION_ID, TASK_ID, str(tmp_path / "clip (game music).mp4")).save()
    api.anon()
    api.credits()
    api.state(draft())
    api.add("POST", "/api/auth/claim-token", json=ok({"claim_token": "clm_1"}))
    assert main(["nemo", "status", "--link"]) == 0
    out = capsys.readouterr().out
    assert "Token:      new anonymous token" in out  # where it came from, never the value
    assert "Credits:    80 available, 20 reserved" in out
    assert "Timeline (2 tracks):\n  1. Video (0-3s)\n  2. BGM: Chiptune (0-3s, 35%)" in out
    assert "https://nemovideo.com/workspace/claim?ct=clm_1" in out
    api.credits()
    api.state(None)
    assert main(["nemo", "status", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["token"] == "cached anonymous token" and info["token_expires"].startswith("2099")
    assert info["last_session"]["timeline"] == ["Timeline: empty"]


def _mp4(path: Path) -> bytes:
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=96x64:rate=10:duration=1",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)])
    return path.read_bytes()


def test_say_refines_the_last_session_and_downloads_next_to_it(
    api: Api, httpx_mock: HTTPXMock, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    last_out = tmp_path / "clip (game music).mp4"
    last_out.write_bytes(b"earlier take")
    LastSession(API, SESSION_ID, TASK_ID, str(last_out), str(tmp_path / "clip.mkv")).save()
    video = _mp4(tmp_path / "src.mp4")
    api.anon()
    api.state(draft(volume=35))
    api.turn({"type": "text", "content": "Lowered the music to 20%."})
    api.state(draft(volume=20))
    api.render_ok(RESULT_URL_DEFAULT)
    httpx_mock.add_response(url=RESULT_URL_DEFAULT, content=video)
    assert main(["nemo", "say", "make", "the music quieter", "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    edit = tmp_path / "clip (game music) (edit 2).mp4"
    assert events[0]["event"] == "start" and events[-1] == {**events[-1], "event": "done",
                                                             "output": str(edit)}
    assert {e["stage"] for e in events if e["event"] == "progress"} == {
        "generate", "export", "download"}
    assert probe(edit).video.width == 96 and last_out.read_bytes() == b"earlier take"
    sent = next(r for r in httpx_mock.get_requests() if r.url.path == "/run_sse")
    assert json.loads(sent.content)["new_message"]["parts"][0]["text"] == (
        "make the music quieter")
    assert LastSession.load().output == str(edit)
    assert next_edit_name(edit).name == "clip (game music) (edit 3).mp4"


def test_say_without_a_session_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nemo", "say", "louder"]) == 2
    assert "run `game-music add VIDEO --backend nemo` first" in capsys.readouterr().err


def test_say_on_an_expired_session(
    api: Api, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    LastSession(API, SESSION_ID, TASK_ID, str(tmp_path / "a.mp4")).save()
    api.anon()
    api.add("GET", f"/api/state/nemo_agent/me/{SESSION_ID}/latest", json=fail(1002, "gone"))
    assert main(["nemo", "say", "louder", "--json"]) == 4
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert last["event"] == "error" and "run `game-music add` again" in last["message"]
