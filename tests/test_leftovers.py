"""Run markers and the sweep, fast: who owns a marker, what is swept, what never is."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import psutil

from game_music import _leftovers
from game_music.doctor import _leftover_checks


def _marker(folder: Path, name: str, **owner: object) -> tuple[Path, Path, Path]:
    """A marker for ``name`` with a work folder and a part file it lists."""
    out = folder / name
    work = folder / ".game-music-abcd1234"
    part = folder / f".{out.stem}.abcd1234.part.mp4"
    work.mkdir()
    (work / "music.wav").write_bytes(b"x" * 1000)
    part.write_bytes(b"y" * 500)
    me = psutil.Process()
    data = {"pid": me.pid, "started": me.create_time(), "boot": psutil.boot_time(),
            "output": name, "paths": [str(work), str(part)], **owner}
    m = _leftovers.marker_path(out)
    m.write_text(json.dumps(data))
    return m, work, part


def test_a_live_runs_files_are_never_swept(tmp_path: Path) -> None:
    m, work, part = _marker(tmp_path, "a.mp4")
    assert _leftovers.find_stale(tmp_path) == []
    assert _leftovers.sweep(tmp_path) == []
    assert m.exists() and work.exists() and part.exists()
    assert _leftovers.try_claim(tmp_path / "a.mp4", []) is None  # owned: not claimable


def test_a_dead_pid_is_swept(tmp_path: Path) -> None:
    dead = psutil.Popen(["true"])
    dead.wait()
    m, work, part = _marker(tmp_path, "a.mp4", pid=dead.pid)
    (tmp_path / "a.mp4").write_bytes(b"finished take")  # not listed: untouched
    (stale,) = _leftovers.find_stale(tmp_path)
    assert stale.size == 1500
    assert len(_leftovers.sweep(tmp_path)) == 1
    assert not m.exists() and not work.exists() and not part.exists()
    assert (tmp_path / "a.mp4").read_bytes() == b"finished take"


def test_a_reused_pid_is_not_its_old_owner(tmp_path: Path) -> None:
    # Our own pid is alive, but the recorded start time is another process's.
    m, work, part = _marker(tmp_path, "a.mp4", started=psutil.Process().create_time() - 3600)
    assert _leftovers.sweep(tmp_path) and not work.exists() and not part.exists()


def test_a_reboot_ends_every_owner(tmp_path: Path) -> None:
    m, work, part = _marker(tmp_path, "a.mp4", boot=psutil.boot_time() - 86400)
    assert _leftovers.sweep(tmp_path) and not m.exists() and not work.exists()


def test_only_our_temp_names_are_deleted(tmp_path: Path) -> None:
    keep = tmp_path / "holiday.mp4"
    keep.write_bytes(b"precious")
    m, work, part = _marker(tmp_path, "a.mp4", pid=2**22 + 12345,
                            paths=[str(keep), str(tmp_path)])
    _leftovers.sweep(tmp_path)
    assert keep.read_bytes() == b"precious" and tmp_path.is_dir() and not m.exists()


def test_an_unreadable_marker_waits_before_it_is_swept(tmp_path: Path) -> None:
    m = _leftovers.marker_path(tmp_path / "a.mp4")
    m.write_bytes(b"")  # power cut between create and write
    assert _leftovers.find_stale(tmp_path) == []
    old = time.time() - 3600
    os.utime(m, (old, old))
    assert len(_leftovers.sweep(tmp_path)) == 1 and not m.exists()


def test_claim_is_exclusive_and_released(tmp_path: Path) -> None:
    out = tmp_path / "a.mp4"
    claim = _leftovers.try_claim(out, [tmp_path / ".a.x.part.mp4"])
    assert claim is not None
    assert _leftovers.try_claim(out, []) is None  # same process, another job: refused
    claim.release()
    again = _leftovers.try_claim(out, [])
    assert again is not None
    again.release()
    assert list(tmp_path.iterdir()) == []


def test_doctor_reports_and_cleans_leftovers(tmp_path: Path) -> None:
    m, work, part = _marker(tmp_path, "a.mp4", pid=2**22 + 12345)
    ((name, ok, detail),) = _leftover_checks([tmp_path], clean=False)
    assert ok is False and "doctor --clean" in detail and "1 stopped run" in detail
    assert work.exists()
    ((name, ok, detail),) = _leftover_checks([tmp_path], clean=True)
    assert ok and "removed 1" in detail and not work.exists() and not m.exists()
    ((name, ok, detail),) = _leftover_checks([tmp_path], clean=False)
    assert ok and detail.startswith("none")


def test_another_machines_run_is_never_taken_for_dead() -> None:
    from game_music._leftovers import _me, owner_alive

    me = _me()
    assert owner_alive(me)
    # A cluster worker on shared storage: its pid and boot time mean nothing on this host.
    assert owner_alive({**me, "host": me["host"] + "-elsewhere", "pid": 999_999_999,
                        "boot": 0.0})
    assert not owner_alive({**me, "pid": 999_999_999})
