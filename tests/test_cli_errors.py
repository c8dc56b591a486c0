"""Every bad input gets one clear line, a stable code and the right exit code (Contracts 1-2).

The CLI runs in this process on the fake backend (the failures are the job runner's and the
probe's, met before any music is made); one human-readable case runs as a separate process.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from game_music.media.ffmpeg import run_ffmpeg


def _error(result) -> dict:  # type: ignore[no-untyped-def]
    events = [e for e in result.events if e["event"] != "progress"]
    assert [e["event"] for e in events] == ["start", "error"], result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return events[-1]


@pytest.mark.parametrize(
    ("name", "content", "code", "exit_code"),
    [
        ("empty.mp4", b"", "corrupt_input", 3),
        ("notes.txt", b"hello, this is not a video\n" * 20, "unsupported_input", 3),
        ("fake.mkv", b"\x00garbage" * 500, "corrupt_input", 3),
    ],
)
def test_bad_files(
    tmp_path: Path, fake_cli, name: str, content: bytes, code: str, exit_code: int
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = fake_cli("add", str(path), "--json")
    err = _error(result)
    assert err["code"] == code
    assert result.returncode == exit_code
    assert err["input"] == str(path)
    assert "\n" not in err["message"]
    assert path.read_bytes() == content  # never touched
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing left behind


def test_missing_input(tmp_path: Path, fake_cli) -> None:
    result = fake_cli("add", str(tmp_path / "nope.mkv"), "--json")
    assert _error(result)["code"] == "input_not_found"
    assert result.returncode == 3


def test_missing_input_human(tmp_path: Path, cli) -> None:
    result = cli("add", str(tmp_path / "nope.mkv"))
    assert result.returncode == 3
    lines = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(lines) == 1 and "[input_not_found]" in lines[0]
    assert "Traceback" not in result.stderr


def test_audio_only(tmp_path: Path, fake_cli) -> None:
    path = tmp_path / "voice.m4a"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=f=440:d=2", "-c:a", "aac", str(path)])
    result = fake_cli("add", str(path), "--json")
    assert _error(result)["code"] == "no_video_stream"
    assert result.returncode == 3


def test_truncated_mp4(tmp_path: Path, fake_cli, make_clip: Callable) -> None:
    src = make_clip("whole.mp4", seconds=4)
    data = src.path.read_bytes()
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: len(data) // 2])  # moov sits at the end: unreadable
    result = fake_cli("add", str(path), "--json")
    assert _error(result)["code"] == "corrupt_input"
    assert result.returncode == 3


def test_truncated_mkv_header(tmp_path: Path, fake_cli, make_clip: Callable) -> None:
    src = make_clip("whole.mkv", seconds=4)
    path = tmp_path / "cut.mkv"
    path.write_bytes(src.path.read_bytes()[:300])
    result = fake_cli("add", str(path), "--json")
    assert _error(result)["code"] == "corrupt_input"
    assert result.returncode == 3


def test_truncated_mkv_body_is_processed(tmp_path: Path, fake_cli, make_clip: Callable) -> None:
    """An OBS crash leaves an MKV cut mid-way: what was recorded is still usable."""
    from game_music.media.probe import probe

    src = make_clip("whole.mkv", seconds=6)
    data = src.path.read_bytes()
    path = tmp_path / "crashed.mkv"
    path.write_bytes(data[: int(len(data) * 0.6)])
    result = fake_cli("add", str(path), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    out = Path(result.events[-1]["output"])
    info = probe(out)
    assert 2.0 < info.video.duration < 5.9
    assert abs(info.video.duration - probe(path).video.duration) <= info.frame_duration


@pytest.fixture
def readonly_dir(tmp_path: Path):  # type: ignore[no-untyped-def]
    folder = tmp_path / "ro"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)],
                             capture_output=True, check=False).returncode == 0
    if not mounted:
        folder.chmod(0o555)
    yield folder
    if mounted:
        subprocess.run(["umount", str(folder)], check=False)
    else:
        folder.chmod(0o755)


def test_read_only_output_folder(
    tmp_path: Path, fake_cli, make_clip: Callable, readonly_dir: Path
) -> None:
    import os

    if os.access(readonly_dir, os.W_OK):
        pytest.skip("cannot make a read-only folder here (root without mount)")
    src = tmp_path / "in.mkv"
    shutil.copy(make_clip("whole.mkv", seconds=4).path, src)
    result = fake_cli("add", str(src), "-o", str(readonly_dir) + "/", "--json")
    assert _error(result)["code"] == "output_not_writable"
    assert result.returncode == 5


def test_usage_errors(tmp_path: Path, fake_cli) -> None:
    result = fake_cli("add", "a.mkv", "b.mkv", "-o", str(tmp_path / "one.mp4"))
    assert result.returncode == 2
    assert "[usage]" in result.stderr
    assert fake_cli("add").returncode == 2
    assert fake_cli("add", "x.mkv", "--style", "polka").returncode == 2


def test_explain_and_styles(fake_cli) -> None:
    import json

    result = fake_cli("explain", "add retro chiptune background music at 35%", "--json")
    assert result.returncode == 0
    req = json.loads(result.stdout)
    assert req["style"] == "chiptune" and req["music_volume"] == pytest.approx(0.35)
    assert set(req) >= {"style", "mood", "tempo_bpm", "music_volume", "start_s", "end_s",
                        "fade_in_s", "fade_out_s", "duck_voice", "game_audio", "aspect", "seed",
                        "unrecognized"}
    styles = json.loads(fake_cli("styles", "--json").stdout)
    assert set(styles) == {"chiptune", "gameboy", "fm16", "synthwave", "orchestral", "lofi",
                           "ambient", "rock", "edm"}
