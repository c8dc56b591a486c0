"""``game-music demo``: the README's first command ends by running it."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
def test_demo_makes_a_clip_and_adds_music(cli, tmp_path) -> None:
    out = tmp_path / "demo"
    r = cli("demo", "-o", str(out), "--seconds", "8", "--json")
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]
    assert events[-1]["event"] == "done"
    assert (out / "sample gameplay (game music).mp4").is_file()
    assert "Traceback" not in r.stderr
