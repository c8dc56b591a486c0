"""``game-music refine``: an earlier take, changed by a new prompt, rendered again."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from game_music.jobs import sidecar_path
from game_music.refine import refined_request
from game_music.request import MusicRequest

ORIGINAL = "chiptune at 60%, mute the game, vertical"


def _sidecar(video: Path) -> dict:
    return json.loads(sidecar_path(video).read_text(encoding="utf-8"))


def _ok(result) -> list[dict]:  # type: ignore[no-untyped-def]
    assert result.returncode == 0, result.stdout + result.stderr
    events = result.events
    assert events[0]["event"] == "start" and events[-1]["event"] == "done"
    return events


@pytest.fixture(params=["fake", pytest.param("engine", marks=pytest.mark.slow)])
def add_cli(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """The CLI on the fake backend (fast), and once more on the real engine (slow)."""
    return request.getfixturevalue("fake_cli" if request.param == "fake" else "cli")


@pytest.fixture
def first_take(tmp_path_factory: pytest.TempPathFactory, make_clip: Callable, add_cli) -> dict:
    folder = tmp_path_factory.mktemp("refine")
    src = folder / "match.mkv"
    shutil.copy(make_clip("match.mkv", seconds=3, width=320, height=180).path, src)
    result = add_cli("add", str(src), "-p", ORIGINAL, "--seed", "5", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    out = Path(result.events[-1]["output"])
    return {"src": src, "out": out, "folder": folder, "sidecar": _sidecar(out)}


def test_refine_applies_the_change_keeps_the_rest_and_replaces_the_take(first_take,
                                                                        add_cli) -> None:
    cli = add_cli
    out: Path = first_take["out"]
    before = first_take["sidecar"]
    assert before["request"]["music_volume"] == pytest.approx(0.6) and before["seed"] == 5
    events = _ok(cli("refine", str(out), "-p", "quieter music, more epic", "--json"))
    assert Path(events[-1]["output"]) == out  # our own take, replaced in place
    assert sorted(p.name for p in first_take["folder"].glob("*.mp4")) == [out.name]
    after = _sidecar(out)
    old, new = before["request"], after["request"]
    assert new["music_volume"] == pytest.approx(0.3)  # "quieter": -6 dB from 0.6
    assert new["style"] == "orchestral" and new["mood"] == "heroic"  # "epic"
    changed = {"music_volume", "style", "mood", "unrecognized"}
    assert {k: v for k, v in new.items() if k not in changed} == {
        k: v for k, v in old.items() if k not in changed
    }
    assert new["game_audio"] == "mute" and new["aspect"] == "9:16" and after["seed"] == 5
    assert after["input"] == str(first_take["src"]) and after["backend"] == "local"
    assert after["prompt"] == "quieter music, more epic"
    assert after["prompts"] == [ORIGINAL, "quieter music, more epic"]
    assert after["refined_from"]["request"] == old
    assert after["summary"]["music"]["seed"] == 5

    # A further step: another take moves to the next seed and extends the chain.
    target = first_take["folder"] / "takes" / "take two.mp4"
    events = _ok(cli("refine", str(out), "-p", "another take", "-o", str(target), "--json"))
    assert Path(events[-1]["output"]) == target and out.exists()
    two = _sidecar(target)
    assert two["seed"] == 6 and two["request"]["unrecognized"] == []
    assert two["request"]["music_volume"] == pytest.approx(0.3)
    assert two["prompts"] == [ORIGINAL, "quieter music, more epic", "another take"]

    # --seed wins over everything; the sidecar path itself is accepted as OUTPUT.
    _ok(cli("refine", str(sidecar_path(target)), "-p", "louder", "--seed", "42", "--json"))
    three = _sidecar(target)
    assert three["seed"] == 42 and three["request"]["music_volume"] == pytest.approx(0.6)


def test_refine_errors_are_one_clear_line(first_take, add_cli, tmp_path: Path) -> None:
    cli = add_cli
    stray = tmp_path / "not ours.mp4"
    stray.write_bytes(b"\0" * 100)
    result = cli("refine", str(stray), "-p", "quieter")
    assert result.returncode == 2 and "[usage]" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1

    # The original recording is gone: the job reports input_not_found (exit 3).
    copy = tmp_path / "copy.mp4"
    shutil.copy(first_take["out"], copy)
    data = _sidecar(first_take["out"])
    data["input"] = str(tmp_path / "deleted.mkv")
    sidecar_path(copy).write_text(json.dumps(data), encoding="utf-8")
    result = cli("refine", str(copy), "-p", "quieter", "--json")
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.events[-1]["event"] == "error"
    assert result.events[-1]["code"] == "input_not_found"

    sidecar_path(copy).write_text("{not json", encoding="utf-8")
    result = cli("refine", str(copy), "-p", "quieter", "--json")
    assert result.returncode == 2 and "[usage]" in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    ("text", "seed", "expected_seed"),
    [
        ("slower", None, 11),
        ("new take", None, 12),
        ("try again, a bit faster", None, 12),
        ("seed 3", None, 3),
        ("another take", 77, 77),
    ],
)
def test_refined_request_seed_rules(text: str, seed: int | None, expected_seed: int) -> None:
    base = MusicRequest(style="lofi", mood="calm", music_volume=0.4, seed=11, tempo_bpm=80)
    sidecar = {"request": base.to_dict(), "seed": 11, "input": "x.mkv"}
    new = refined_request(sidecar, text, seed)
    assert new.seed == expected_seed
    assert new.style == "lofi" and new.mood == "calm" and new.music_volume == 0.4
    assert not any("take" in u or "again" in u for u in new.unrecognized)
