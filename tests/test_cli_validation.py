"""The command line refuses what makes no sense before any work, in one line with a code."""

from __future__ import annotations

from pathlib import Path

import pytest

from game_music._errors import UsageError
from game_music._progress import HumanReporter
from game_music.cli import main
from game_music.jobs import resolve_output
from game_music.media.audio import pick_streams
from game_music.media.probe import AudioStream, MediaInfo


def _one_usage_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("game-music: error: ") and err[0].endswith("[usage]"), err
    return err[0]


@pytest.mark.parametrize(("args", "says"), [
    (["--start", "-1"], "--start: a time before the start"),
    (["--start=-0.5"], "--start: a time before the start"),
    (["--end", "0"], "--end: the end must be after"),
    (["--end", "0f"], "--end: the end must be after"),
    (["--start", "1:2:3:4"], "--start: not a time"),
    (["--start", "1:75"], "--start: not a time"),
    (["--start", "::"], "--start: not a time"),
    (["--start", "ten"], "--start: not a time"),
    (["--start", "inf"], "--start: not a time"),
    (["--fps", "0"], "--fps: not a frame rate"),
    (["--fps", "-30"], "--fps: not a frame rate"),
    (["--fps", "nan"], "--fps: not a frame rate"),
    (["--game-track", "0"], "--game-track: not an audio track number"),
    (["--voice-track", "x"], "--voice-track: not an audio track number"),
])
def test_nonsense_ranges_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          args: list[str], says: str) -> None:
    clip = tmp_path / "clip.mkv"
    clip.write_bytes(b"not read: the arguments are refused first")
    assert main(["add", str(clip), *args]) == 2
    assert says in _one_usage_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mkv"]


def test_an_end_before_the_start_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = tmp_path / "clip.mkv"
    clip.write_bytes(b"x")
    assert main(["add", str(clip), "--start", "1:00", "--end", "30"]) == 2
    assert "--end must be after --start" in _one_usage_line(capsys)


@pytest.mark.parametrize("good", ["12.5", "1:02.5", "1:02:03", "0", "300f", "0:00:00.04"])
def test_valid_times_are_accepted(good: str) -> None:
    from game_music.cli import build_parser

    args = build_parser().parse_args(["add", "x.mkv", "--start", good, "--end", "9:59:59"])
    assert args.start == good


@pytest.mark.parametrize(("given", "written"), [
    ("final", "final.mp4"), ("final.mp4", "final.mp4"), ("FINAL.MP4", "FINAL.MP4"),
    ("take.v2", "take.v2.mp4"), ("clip.m4v", "clip.m4v"), ("my clip.", "my clip..mp4"),
])
def test_output_names_end_in_mp4(tmp_path: Path, given: str, written: str) -> None:
    assert resolve_output(tmp_path / "in.mkv", str(tmp_path / given)) == tmp_path / written


@pytest.mark.parametrize("given", ["x.mkv", "x.MOV", "x.webm", "x.wav", "x.avi"])
def test_an_output_named_for_another_format_is_refused(tmp_path: Path, given: str) -> None:
    with pytest.raises(UsageError, match="writes MP4 video; name the output x.mp4"):
        resolve_output(tmp_path / "in.mkv", str(tmp_path / given))


def test_an_output_folder_still_gets_the_default_name(tmp_path: Path) -> None:
    assert resolve_output(tmp_path / "in.mkv", str(tmp_path) + "/") == \
        tmp_path / "in (game music).mp4"


def test_other_format_output_is_refused_on_the_command_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = tmp_path / "clip.mkv"
    clip.write_bytes(b"x")
    assert main(["add", str(clip), "-o", str(tmp_path / "out.mkv")]) == 2
    assert "name the output out.mp4" in _one_usage_line(capsys)


@pytest.mark.parametrize(("argv", "hint"), [
    (["ad", "x.mkv"], "did you mean 'add'?"),
    (["doctr"], "did you mean 'doctor'?"),
    (["add", "x.mkv", "--styel", "lofi"], "did you mean --style?"),
    (["add", "x.mkv", "--previw"], "did you mean --preview?"),
])
def test_a_mistyped_command_or_option_gets_a_suggestion(
        capsys: pytest.CaptureFixture[str], argv: list[str], hint: str) -> None:
    assert main(argv) == 2
    assert _one_usage_line(capsys).endswith(f"{hint} [usage]")


def test_a_missing_input_prints_its_error_alone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["add", str(tmp_path / "gone.mkv")]) == 3
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "game-music: error: gone.mkv: file not found [input_not_found]"]
    assert "->" not in captured.out + captured.err


def test_an_interrupted_job_is_reported_once(capsys: pytest.CaptureFixture[str]) -> None:
    report = HumanReporter()
    report({"event": "start", "input": "a.mkv", "output": "a (game music).mp4"})
    report({"event": "progress", "stage": "analyse", "fraction": 0.2})
    report({"event": "error", "input": "a.mkv", "code": "cancelled", "message": "interrupted"})
    err = capsys.readouterr().err
    assert "interrupted" not in err  # the command prints "game-music: interrupted" itself
    assert "a.mkv -> a (game music).mp4" in err  # the job had started: its heading stays


def _media(*titles: str | None) -> MediaInfo:
    audio = tuple(AudioStream(i + 1, "aac", 48000, 2, t) for i, t in enumerate(titles))
    return MediaInfo(Path("rec.mkv"), "matroska", 10.0, 1, 0.0, None, audio)  # type: ignore[arg-type]


def test_tracks_follow_obs_convention_unless_chosen() -> None:
    six = _media(None, None, None, None, None, None)  # OBS's six tracks, unnamed
    assert pick_streams(six) == (1, 2)  # 1 = the mix, 2 = the mic; 3-6 unused
    assert pick_streams(six, game_track=3) == (3, 2)
    assert pick_streams(six, game_track=3, voice_track=5) == (3, 5)
    assert pick_streams(six, voice_track=0) == (1, None)
    assert pick_streams(six, voice_track=4) == (1, 4)
    named = _media("Game", "Music only", "Mic/Aux")
    assert pick_streams(named) == (1, 3)
    assert pick_streams(named, game_track=2) == (2, 3)


def test_a_track_the_file_lacks_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--game-track 3: rec.mkv has 2 audio tracks"):
        pick_streams(_media(None, None), game_track=3)
    with pytest.raises(UsageError, match="--voice-track 2: rec.mkv has 1 audio track$"):
        pick_streams(_media(None), voice_track=2)
    with pytest.raises(UsageError, match="both track 1"):
        pick_streams(_media(None, None), game_track=1, voice_track=1)


def test_python_dash_m_runs_main_and_exits_with_its_code(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m game_music`` in process: the module runs the CLI's main and exits with it."""
    import runpy

    import game_music

    monkeypatch.setattr("sys.argv", ["game-music", "--version"])
    with pytest.raises(SystemExit) as stop:
        runpy.run_module("game_music", run_name="__main__")
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"game-music {game_music.__version__}"
    monkeypatch.setattr("sys.argv", ["game-music", "add", "--bogus"])
    with pytest.raises(SystemExit) as stop:
        runpy.run_module("game_music", run_name="__main__")
    assert stop.value.code == 2
