"""``game-music doctor``: one line per check, no ffmpeg banner, never a token."""

from __future__ import annotations

from pathlib import Path

import pytest

from game_music import doctor


def test_one_line_per_check_and_no_banner(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEMO_TOKEN", "secret-token-value-123")
    assert doctor.run_doctor(folders=[tmp_path]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    names = [line[4:].split()[0] for line in lines]
    for want in ("ffmpeg", "engine", "config", "cloud", "soundfont", "OBS", "Resolve",
                 "leftovers"):
        assert want in names, out
    assert "Copyright" not in out and "configuration:" not in out
    assert "secret-token-value-123" not in out
    assert "set (from NEMO_TOKEN)" in out
    assert not any(line.startswith("ok ") and "not found" in line for line in lines), out


def test_ffmpeg_goes_through_the_project_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    real = doctor.run_ffmpeg

    def spy(args: list[str], **kw: object) -> str:
        calls.append(list(args))
        return real(args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(doctor, "run_ffmpeg", spy)
    name, ok, detail = doctor._ffmpeg()
    assert ok and calls and "libx264" in calls[0]
    assert "\n" not in detail and "Copyright" not in detail


def test_a_missing_token_is_not_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEMO_TOKEN", raising=False)
    assert doctor._cloud_token()[1] is None
