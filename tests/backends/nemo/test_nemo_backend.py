"""NemoBackend end to end against the mocked API, with real media made by ffmpeg."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest
from nemo_fakes import (
    API,
    RESULT_URL_DEFAULT,
    SESSION_ID,
    TASK_ID,
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
from game_music._errors import BackendError, FileTooLarge, NetworkError, NoCredits
from game_music.backends.base import RenderOptions
from game_music.backends.nemo import NemoBackend, build_instruction
from game_music.backends.nemo._client import NemoClient
from game_music.backends.nemo._session import LastSession
from game_music.backends.nemo._settings import load_settings
from game_music.jobs import run_job
from game_music.media.ffmpeg import run_ffmpeg
from game_music.media.probe import probe
from game_music.request import MusicRequest


def _clip(path: Path, seconds: float = 2.0, *extra: str) -> Path:
    run_ffmpeg([
        "-f", "lavfi", "-i", f"testsrc=size=160x120:rate=15:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-shortest", *extra, str(path),
    ], what="test clip")
    return path


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("nemo_media")
    _clip(d / "match.mkv")
    _clip(d / "rendered.mp4", 2.0, "-movflags", "+faststart")
    _clip(d / "stream.flv")
    return d


@pytest.fixture
def backend(client: NemoClient, notes: list[str]) -> NemoBackend:
    return NemoBackend(client, prompt_text="epic chiptune at 35%", note=notes.append)


def _happy_path(api: Api, media_dir: Path, upload_name: str = "match.mkv") -> None:
    api.upload(upload_name)
    api.state({"t": [{"tt": 0, "sg": [{"st": 0, "d": 2000}]}]})  # before the turn
    api.turn(adk_call("generate_music"), "", adk_result("generate_music"),
             adk_text("Added chiptune BGM at 35%."))
    api.state(draft())
    api.render_ok(RESULT_URL_DEFAULT)
    api.mock.add_response(url=RESULT_URL_DEFAULT, content=(media_dir / "rendered.mp4").read_bytes(),
                          headers={"content-type": "video/mp4"})
    api.credits(available=50)


def test_add_end_to_end_through_the_job_runner(
    api: Api, httpx_mock: HTTPXMock, backend: NemoBackend, media_dir: Path, tmp_path: Path
) -> None:
    src = tmp_path / "match.mkv"
    src.write_bytes((media_dir / "match.mkv").read_bytes())
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    api.anon()
    api.session()
    _happy_path(api, media_dir)
    events: list[dict] = []
    out = tmp_path / "match (game music).mp4"
    request = MusicRequest(style="chiptune", mood="heroic", music_volume=0.35)
    result = run_job(src, request, out, backend, events.append)

    info = probe(out)  # a real MP4 at the final name, nothing else left behind
    assert info.video.width == 160 and info.audio
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["match.mkv", out.name, out.name + ".game-music.json"])
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before  # input untouched
    stages = [e["stage"] for e in events if e["event"] == "progress"]
    assert [s for s in dict.fromkeys(stages)] == ["probe", "upload", "generate", "export",
                                                  "download"]
    fractions = [e["fraction"] for e in events if e["event"] == "progress"]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert events[-1]["event"] == "done"
    summary = result.result.summary
    assert summary["session_id"] == SESSION_ID and summary["credits_available"] == 50
    assert summary["timeline"][2] == "  2. BGM: Chiptune (0-3s, 35%)"

    turn = next(r for r in httpx_mock.get_requests() if r.url.path == "/run_sse")
    text = json.loads(turn.content)["new_message"]["parts"][0]["text"]
    assert "NES-era 8-bit chiptune" in text and "Music volume: 35%" in text
    assert "Mood: heroic" in text and '"epic chiptune at 35%"' in text and "match.mkv" in text
    last = LastSession.load()
    assert (last.session_id, last.task_id, Path(last.output)) == (SESSION_ID, TASK_ID, out)


def test_several_inputs_share_one_session(
    api: Api, httpx_mock: HTTPXMock, backend: NemoBackend, media_dir: Path, tmp_path: Path
) -> None:
    api.anon()
    api.session()
    _happy_path(api, media_dir)
    _happy_path(api, media_dir)
    src = media_dir / "match.mkv"
    for n in (1, 2):
        run_job(src, MusicRequest(), tmp_path / f"out{n}.mp4", backend, lambda e: None)
        assert probe(tmp_path / f"out{n}.mp4").video.height == 120
    paths = [r.url.path for r in httpx_mock.get_requests()]
    assert paths.count("/api/tasks/me/with-session/nemo_agent") == 1
    assert paths.count("/api/render/proxy/lambda") == 2
    turns = [json.loads(r.content)["new_message"]["parts"][0]["text"]
             for r in httpx_mock.get_requests() if r.url.path == "/run_sse"]
    assert "only this video" not in turns[0] and "only this video" in turns[1]


def test_silent_turn_reads_the_state_and_waits_for_the_music(
    api: Api, httpx_mock: HTTPXMock, backend: NemoBackend, media_dir: Path, tmp_path: Path,
    clock: FakeClock,
) -> None:
    api.anon()
    api.session()
    api.upload("match.mkv")
    api.state(None)
    api.turn(adk_call("edit_multitrack"), adk_result("edit_multitrack"))  # no text at all
    api.state(draft(music=False))  # music arrives in a second stage
    api.state(draft())
    api.render_ok(RESULT_URL_DEFAULT)
    httpx_mock.add_response(url=RESULT_URL_DEFAULT,
                            content=(media_dir / "rendered.mp4").read_bytes())
    api.credits()
    run_job(media_dir / "match.mkv", MusicRequest(), tmp_path / "o.mp4", backend, lambda e: None)
    assert probe(tmp_path / "o.mp4").duration > 1.5
    assert 10.0 in clock.sleeps


def test_cut_stream_is_recovered_by_polling_state_without_resending(
    api: Api, httpx_mock: HTTPXMock, backend: NemoBackend, media_dir: Path, tmp_path: Path,
    clock: FakeClock, notes: list[str],
) -> None:
    api.anon()
    api.session()
    api.upload("match.mkv")
    api.state(None)
    httpx_mock.add_response(method="POST", url=f"{API}/run_sse",
                            headers={"content-type": "text/event-stream"},
                            stream=cut_stream(b"data: \n\n"))
    api.state(None)  # unchanged after 30 s
    httpx_mock.add_exception(httpx.ReadError("again"),
                             url=f"{API}/api/state/nemo_agent/me/{SESSION_ID}/latest")
    httpx_mock.add_exception(httpx.ReadError("again"),
                             url=f"{API}/api/state/nemo_agent/me/{SESSION_ID}/latest")
    httpx_mock.add_exception(httpx.ReadError("again"),
                             url=f"{API}/api/state/nemo_agent/me/{SESSION_ID}/latest")
    api.state(draft())  # the work finished on the server
    api.render_ok(RESULT_URL_DEFAULT)
    httpx_mock.add_response(url=RESULT_URL_DEFAULT,
                            content=(media_dir / "rendered.mp4").read_bytes())
    api.credits()
    run_job(media_dir / "match.mkv", MusicRequest(), tmp_path / "o.mp4", backend, lambda e: None)
    assert probe(tmp_path / "o.mp4").video.width == 160
    assert [r.url.path for r in httpx_mock.get_requests()].count("/run_sse") == 1
    assert clock.sleeps[:3] == [30.0, 60.0, 60.0]
    assert any("instead of sending" in n for n in notes)


def test_cut_stream_with_no_change_gives_up(
    api: Api, httpx_mock: HTTPXMock, backend: NemoBackend, media_dir: Path, tmp_path: Path
) -> None:
    api.anon()
    api.session()
    api.upload("match.mkv")
    httpx_mock.add_exception(httpx.ReadTimeout("silence"), url=f"{API}/run_sse")
    api.state(None, is_reusable=True)
    with pytest.raises(NetworkError, match="did not change"):
        run_job(media_dir / "match.mkv", MusicRequest(), tmp_path / "o.mp4", backend,
                lambda e: None)
    reads = [r for r in httpx_mock.get_requests() if "/api/state/" in r.url.path]
    assert len(reads) == 1 + 5
    assert not (tmp_path / "o.mp4").exists()


def test_expired_session_gets_a_new_one(
    api: Api, httpx_mock: HTTPXMock, backend: NemoBackend, media_dir: Path, tmp_path: Path
) -> None:
    api.anon()
    api.session()
    api.add("POST", f"/api/upload-video/nemo_agent/me/{SESSION_ID}", json=fail(1002, "gone"))
    api.session()
    _happy_path(api, media_dir)
    run_job(media_dir / "match.mkv", MusicRequest(), tmp_path / "o.mp4", backend, lambda e: None)
    paths = [r.url.path for r in httpx_mock.get_requests()]
    assert paths.count("/api/tasks/me/with-session/nemo_agent") == 2


def test_no_credits_stops_with_the_registration_link(
    api: Api, backend: NemoBackend, media_dir: Path, tmp_path: Path
) -> None:
    api.anon()
    api.session()
    api.upload("match.mkv")
    api.state(None)
    api.add("POST", f"{API}/run_sse", json=fail(2001, "insufficient credits"))
    events: list[dict] = []
    with pytest.raises(NoCredits):
        run_job(media_dir / "match.mkv", MusicRequest(), tmp_path / "o.mp4", backend,
                events.append)
    assert events[-1]["code"] == "no_credits"
    assert f"https://nemovideo.com/register?bind={USER_ID}" in events[-1]["message"]


def test_turn_without_music_is_a_clear_error(
    api: Api, backend: NemoBackend, media_dir: Path, tmp_path: Path
) -> None:
    api.anon()
    api.session()
    api.upload("match.mkv")
    api.state(None)
    api.turn(adk_text("Which game is this?"))
    api.state(draft(music=False), is_reusable=True)
    with pytest.raises(BackendError, match="did not add music.*Which game is this"):
        run_job(media_dir / "match.mkv", MusicRequest(), tmp_path / "o.mp4", backend,
                lambda e: None)


def test_size_limit_is_checked_before_anything_is_sent(
    httpx_mock: HTTPXMock, media_dir: Path, tmp_path: Path, clock: FakeClock
) -> None:
    config.config_dir().mkdir(parents=True, exist_ok=True)
    config.config_path().write_text("[nemo]\nmax_upload_mb = 0.001\n")
    with NemoClient(load_settings(), sleep=clock.sleep, clock=clock) as client:
        events: list[dict] = []
        with pytest.raises(FileTooLarge):
            run_job(media_dir / "match.mkv", MusicRequest(), tmp_path / "o.mp4",
                    NemoBackend(client), events.append)
    assert events[-1]["code"] == "file_too_large"
    assert httpx_mock.get_requests() == []


def test_foreign_container_and_preview_are_prepared_locally(
    api: Api, httpx_mock: HTTPXMock, backend: NemoBackend, media_dir: Path, tmp_path: Path
) -> None:
    api.anon()
    api.session()
    _happy_path(api, media_dir, "stream.mp4")
    run_job(media_dir / "stream.flv", MusicRequest(), tmp_path / "o.mp4", backend,
            lambda e: None, options=RenderOptions(start_s=0.5, end_s=1.5))
    upload = next(r for r in httpx_mock.get_requests() if "upload-video" in r.url.path)
    assert b'filename="stream.mp4"' in upload.content
    sent = upload.content.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n--", 1)[0]
    part = tmp_path / "sent.mp4"
    part.write_bytes(sent)
    assert 0.8 < probe(part).duration < 1.3  # only the chosen range left the machine


def test_instruction_in_plain_words() -> None:
    text = build_instruction(
        MusicRequest(style="synthwave", tempo_bpm=120, start_s=10, end_s=60, fade_in_s=2,
                     fade_out_s=3, duck_voice=False, game_audio="mute", aspect="9:16"),
        filename="a.mp4", duration=75,
    )
    for words in ("synthwave", "about 120 BPM", "from 10s to 60s", "in over 2s", "out over 3s",
                  "Mute the original game audio", "9:16 vertical", "(75 s long)"):
        assert words in text
    assert "speaks" not in text and "user's words" not in text and "Add no titles" in text
    assert "choose a video-game music style" in build_instruction(MusicRequest(), filename="a")


def test_state_model_accepts_unknown_keys(api: Api, client: NemoClient) -> None:
    api.anon()
    api.add("GET", f"/api/state/nemo_agent/me/{SESSION_ID}/latest", json=ok({
        "state": {"draft": draft(), "new_field": 1, "video_infos": [{"x": 1}]}, "extra": True}))
    assert client.state(SESSION_ID).has_music
