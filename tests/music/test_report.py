"""``--report``: the picture of what the engine heard and did, and the line when it cannot."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from game_music._errors import UsageError
from game_music.music.plan import make_plan
from game_music.report import MISSING, require, write_report
from game_music.request import MusicRequest

from .helpers import SR, make_analysis

PNG = b"\x89PNG\r\n\x1a\n"


def test_report_draws_every_row_without_a_video(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    analysis = make_analysis(40.0, cuts=[12.3, 30.1], speech=[(5.0, 9.0)])
    plan = make_plan(analysis, MusicRequest(style="chiptune"), duration=40.0, seed=1,
                     sample_rate=SR)
    out = write_report(tmp_path / "r.png", analysis, plan, None, title="made up")
    assert out.read_bytes()[:8] == PNG and out.stat().st_size > 10_000


def test_missing_matplotlib_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "matplotlib", None)  # import fails
    with pytest.raises(UsageError) as err:
        require()
    assert str(err.value) == MISSING and "game-music[report]" in MISSING


def test_cli_says_so_before_any_work(tmp_path: Path, cli: Callable) -> None:
    fake = tmp_path / "hide"
    (fake / "matplotlib").mkdir(parents=True)
    (fake / "matplotlib" / "__init__.py").write_text("raise ImportError('hidden')\n")
    path = os.pathsep.join([str(fake), os.environ.get("PYTHONPATH", "")])
    result = cli("add", str(tmp_path / "nothing.mp4"), "--report", env={"PYTHONPATH": path})
    assert result.returncode == 2
    assert MISSING in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_add_report_writes_the_picture_next_to_the_output(tmp_path: Path, cli: Callable,
                                                          make_clip: Callable) -> None:
    pytest.importorskip("matplotlib")
    clip = make_clip()
    out = tmp_path / "with music.mp4"
    result = cli("add", str(clip.path), "-o", str(out), "--report", "--json")
    assert result.returncode == 0, result.stderr
    picture = out.with_name(out.name + ".report.png")
    assert picture.read_bytes()[:8] == PNG
    assert result.events[-1]["report"] == str(picture)
