"""Post-stream batches: a folder of recordings in order, in parallel, skipping what is done."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from game_music._errors import UsageError
from game_music._joblog import JobLog, job_key
from game_music.batch import (
    _OrderedEvents,
    collect_inputs,
    is_recording,
    parse_since,
    wait_until_settled,
)
from game_music.media.probe import probe

SMALL = {"seconds": 3.0, "width": 320, "height": 180}


@pytest.fixture(scope="module")
def clips(make_clip: Callable) -> list[Path]:
    return [make_clip(f"rec{i}.mkv", seed=i, **SMALL).path for i in range(3)]


@pytest.fixture(params=["fake", pytest.param("engine", marks=pytest.mark.slow)])
def add_cli(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """The CLI on the fake backend (fast), and once more on the real engine (slow)."""
    return request.getfixturevalue("fake_cli" if request.param == "fake" else "cli")


def _place(src: Path, dst: Path, age_s: float) -> Path:
    shutil.copyfile(src, dst)
    t = time.time() - age_s
    os.utime(dst, (t, t))
    return dst


def _groups(events: list[dict]) -> list[tuple[str, list[str]]]:
    """Split events into per-input groups, checking each one is contiguous."""
    groups: list[tuple[str, list[str]]] = []
    for e in events:
        if e["event"] == "start":
            groups.append((e["input"], ["start"]))
        else:
            assert groups, e
            groups[-1][1].append(e["event"])
            if "input" in e:
                assert e["input"] == groups[-1][0], "groups interleaved"
    for _, kinds in groups:
        assert kinds[-1] in ("done", "error") and kinds.count("start") == 1
    return groups


def test_folder_in_recording_order_then_skipped(tmp_path: Path, add_cli, clips: list[Path]) -> None:
    cli = add_cli
    folder = tmp_path / "session"
    folder.mkdir()
    # Names deliberately out of time order; OBS remux copy, our output, temp and other files.
    newest = _place(clips[0], folder / "a match.mkv", 600)
    oldest = _place(clips[1], folder / "c match.mkv", 3600)
    _place(clips[1], folder / "c match.mp4", 3000)  # remux of "c match.mkv"
    _place(clips[2], folder / "old (game music).mp4", 5000)
    _place(clips[2], folder / ".hidden.mkv", 5000)
    (folder / "notes.txt").write_text("not a video")
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}

    first = cli("add", str(folder), "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    groups = _groups(first.events)
    assert [g[0] for g in groups] == [str(oldest), str(newest)]
    assert all(kinds[-1] == "done" for _, kinds in groups)
    assert "c match.mp4" in first.stderr and "same output name" in first.stderr
    outputs = [Path(e["output"]) for e in first.events if e["event"] == "done"]
    assert [o.name for o in outputs] == ["c match (game music).mp4", "a match (game music).mp4"]
    made = {o: o.stat().st_mtime_ns for o in outputs}
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if p.name in before} == before

    again = cli("add", str(folder), "--json")
    assert again.returncode == 0
    done = [e for e in again.events if e["event"] == "done"]
    assert [e.get("skipped") for e in done] == ["already done", "already done"]
    assert [Path(e["output"]) for e in done] == outputs
    assert not any(e["event"] == "progress" for e in again.events)
    assert {o: o.stat().st_mtime_ns for o in outputs} == made  # not rewritten

    # A deleted output is redone; --force redoes done ones.
    outputs[1].unlink()
    redo = cli("add", str(folder), "--json")
    done = [e for e in redo.events if e["event"] == "done"]
    assert [bool(e.get("skipped")) for e in done] == [True, False]
    forced = cli("add", str(oldest), str(newest), "--json", "--force")
    assert [bool(e.get("skipped")) for e in forced.events if e["event"] == "done"] == [False, False]


def test_parallel_groups_stay_in_order(tmp_path: Path, add_cli, clips: list[Path]) -> None:
    cli = add_cli
    inputs = [_place(c, tmp_path / f"{n}.mkv", 100) for n, c in zip("zyx", clips, strict=True)]
    result = cli("add", *map(str, inputs), "-j", "2", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    groups = _groups(result.events)
    # Files named on the command line keep their place.
    assert [g[0] for g in groups] == [str(p) for p in inputs]
    fractions: dict[str, list[float]] = {}
    current = ""
    for e in result.events:
        if e["event"] == "start":
            current = e["input"]
        elif e["event"] == "progress":
            fractions.setdefault(current, []).append(e["fraction"])
    for values in fractions.values():
        assert values == sorted(values)
    for p in inputs:
        out = probe(p.with_name(f"{p.stem} (game music).mp4"))
        assert abs(out.video.duration - probe(p).video.duration) <= out.frame_duration


def test_failures_in_a_batch_and_human_summary(tmp_path: Path, add_cli, clips: list[Path]) -> None:
    cli = add_cli
    good = _place(clips[0], tmp_path / "good.mkv", 300)
    bad = tmp_path / "broken.mkv"
    bad.write_bytes(b"\x1aE\xdf\xa3 not really matroska" * 100)
    os.utime(bad, (time.time() - 900, time.time() - 900))
    result = cli("add", str(tmp_path))
    assert result.returncode == 3  # the failure's class, though the other one was done
    assert "Traceback" not in result.stderr
    assert (tmp_path / "good (game music).mp4").is_file()
    table = result.stderr[result.stderr.index("game-music batch"):]
    rows = [line for line in table.splitlines() if "broken.mkv" in line or "good.mkv" in line]
    assert "failed" in rows[0] and "corrupt_input" in rows[0]
    assert "done" in rows[1]
    assert "1 done, 0 skipped, 1 failed" in table
    assert good.exists() and bad.exists()


def test_since_and_newer_than(tmp_path: Path, clips: list[Path]) -> None:
    old = _place(clips[0], tmp_path / "old.mkv", 5 * 3600)
    mid = _place(clips[1], tmp_path / "mid.mkv", 2 * 3600)
    new = _place(clips[2], tmp_path / "new.flv", 600)
    sel = collect_inputs([str(tmp_path)], since=parse_since("3h"))
    assert sel.paths == (mid, new) and sel.not_selected == 1 and sel.batch
    sel = collect_inputs([str(tmp_path)], newer_than=mid)
    assert sel.paths == (new,)
    assert collect_inputs([str(tmp_path)]).paths == (old, mid, new)
    assert not collect_inputs([str(new)]).batch
    with pytest.raises(UsageError):
        collect_inputs([str(tmp_path)], newer_than=tmp_path / "missing")


def test_parse_since() -> None:
    now = datetime(2026, 11, 24, 20, 30)
    assert parse_since("3h", now) == now - timedelta(hours=3)
    assert parse_since("1h30m", now) == now - timedelta(minutes=90)
    assert parse_since("2d", now) == now - timedelta(days=2)
    assert parse_since("18:00", now) == datetime(2026, 11, 24, 18, 0)
    assert parse_since("22:15", now) == datetime(2026, 11, 23, 22, 15)  # still ahead: yesterday
    assert parse_since("2026-11-24 18:00", now) == datetime(2026, 11, 24, 18, 0)
    for bad in ("yesterday", "25:00", "3 parsecs"):
        with pytest.raises(UsageError):
            parse_since(bad, now)


def test_what_counts_as_a_recording(tmp_path: Path) -> None:
    names = {
        "Replay 2026-11-24 18-00-01.mkv": True, "match.MP4": True, "x.mov": True, "x.ts": True,
        "x.flv": True, "x.m4v": True, "x.webm": True, "x.avi": False, "x.txt": False,
        "match (game music).mp4": False, "match (game music) 2.mp4": False,
        "match (game music preview).mp4": False, ".match.1234.part.mp4": False,
    }
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    assert {n: is_recording(tmp_path / n) for n in names} == names


def _grow(path: Path, data: bytes, seconds: float) -> threading.Thread:
    """Write ``data`` to ``path`` in pieces over ``seconds``, like a recorder."""

    def run() -> None:
        steps = 12
        with path.open("wb") as fh:
            for k in range(steps):
                fh.write(data[k * len(data) // steps:(k + 1) * len(data) // steps])
                fh.flush()
                time.sleep(seconds / steps)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_growing_file_is_waited_for_or_skipped(tmp_path: Path, clips: list[Path]) -> None:
    data = clips[0].read_bytes()
    path = tmp_path / "recording.mkv"
    writer = _grow(path, data, 1.2)  # a write every 0.1 s, well inside the 0.5 s settle time
    time.sleep(0.2)
    reason = wait_until_settled(path, wait=0.0, settle=0.5)
    assert reason is not None and "still being written" in reason
    assert wait_until_settled(path, wait=20.0, settle=0.5) is None
    assert not writer.is_alive() and path.read_bytes() == data


def test_cli_waits_for_a_file_being_written_in_process(tmp_path: Path, fake_cli,
                                                      clips: list[Path]) -> None:
    """The same wait with the CLI in this process and the fake backend."""
    path = tmp_path / "live.mkv"
    path.write_bytes(b"")
    writer = _grow(path, clips[0].read_bytes(), 1.2)
    result = fake_cli("add", str(path), "--json", "--wait", "30", settle=0.5)
    writer.join()
    assert result.returncode == 0, result.stdout + result.stderr
    assert fake_cli.made[-1].calls[0].input.stat().st_size == len(clips[0].read_bytes())
    out = probe(path.with_name("live (game music).mp4"))
    assert abs(out.video.duration - probe(path).video.duration) <= out.frame_duration


@pytest.mark.slow
def test_cli_waits_for_a_file_being_written(tmp_path: Path, clips: list[Path]) -> None:
    """Never read half-way: the job starts once the recorder has finished the file."""
    path = tmp_path / "live.mkv"
    path.write_bytes(b"")
    proc = subprocess.Popen(
        [sys.executable, "-m", "game_music", "add", str(path), "--json", "--wait", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
    )
    writer = _grow(path, clips[0].read_bytes(), 4.0)
    out, err = proc.communicate(timeout=120)
    writer.join()
    assert proc.returncode == 0, out + err
    result = probe(path.with_name("live (game music).mp4"))
    assert abs(result.video.duration - probe(path).video.duration) <= result.frame_duration


def test_joblog_keys_and_dead_entries(tmp_path: Path) -> None:
    src = tmp_path / "in.mkv"
    src.write_bytes(b"1234")
    out = tmp_path / "out.mp4"
    out.write_bytes(b"x")
    jl = JobLog(tmp_path / "log" / "jobs.jsonl")
    key = job_key(src, {"style": None, "seed": None}, backend="local")
    assert job_key(src, {"style": "lofi", "seed": None}, backend="local") != key
    assert job_key(src, {"style": None, "seed": None}, backend="nemo") != key
    assert jl.find(key) is None
    jl.record(key, src, out, 1.5)
    assert jl.find(key) is not None and jl.find(key).output == str(out)  # type: ignore[union-attr]
    with jl.path.open("a") as fh:
        fh.write('{"key": "' + key + '", "inp')  # a crash mid-line is ignored
    assert jl.find(key) is not None
    src.write_bytes(b"12345")  # the input changed: another job
    assert job_key(src, {"style": None, "seed": None}, backend="local") != key
    out.unlink()  # the result is gone: not done any more
    assert jl.find(key) is None


def test_ordered_events() -> None:
    seen: list[tuple[int, str]] = []
    ev = _OrderedEvents(lambda e: seen.append((e["i"], e["event"])), 3)
    ev.emit(1, {"i": 1, "event": "start"})
    ev.emit(0, {"i": 0, "event": "start"})
    ev.emit(2, {"i": 2, "event": "start"})
    ev.emit(2, {"i": 2, "event": "done"})
    ev.close(2)
    ev.emit(1, {"i": 1, "event": "done"})
    ev.close(1)
    assert seen == [(0, "start")]  # only the oldest input is live
    ev.emit(0, {"i": 0, "event": "done"})
    ev.close(0)
    assert seen == [(0, "start"), (0, "done"), (1, "start"), (1, "done"), (2, "start"),
                    (2, "done")]


def test_parallel_batch_stops_cleanly_in_process(tmp_path: Path, fake_cli,
                                                 clips: list[Path]) -> None:
    """The same SIGTERM with the CLI in this process and two fake jobs running."""
    import os
    import signal

    from game_music.backends.fake import FakeBackend

    for n in range(3):
        _place(clips[0], tmp_path / f"r{n}.mkv", 600 - n)
    backend = FakeBackend(seconds=60)

    def stop_when_both_run() -> None:
        deadline = time.monotonic() + 30
        while len(backend.calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=stop_when_both_run)
    killer.start()
    result = fake_cli("add", str(tmp_path), "-j", "2", "--json", backend=backend)
    killer.join()
    assert result.returncode == 130, result.stderr
    assert "Traceback" not in result.stderr
    events = result.events
    finals = [e for e in events if e["event"] in ("done", "error")]
    assert finals and all(e.get("code") == "cancelled" for e in finals)
    assert len([e for e in events if e["event"] == "start"]) <= 2 and len(backend.calls) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r0.mkv", "r1.mkv", "r2.mkv"]


@pytest.mark.slow
def test_parallel_batch_stops_cleanly(tmp_path: Path, make_clip: Callable) -> None:
    """SIGTERM (a host stopping us) during a parallel batch: every running job unwinds,
    nothing partial or temporary is left, and the rest never starts."""
    import json
    import signal

    src = make_clip("long.mkv", seconds=20.0, width=320, height=180).path
    for n in range(3):
        _place(src, tmp_path / f"r{n}.mkv", 600 - n)
    proc = subprocess.Popen(
        [sys.executable, "-m", "game_music", "add", str(tmp_path), "-j", "2", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    events = []
    for line in proc.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == "progress" and events[-1]["stage"] != "probe":
            proc.send_signal(signal.SIGTERM)
            break
    out, err = proc.communicate(timeout=120)
    events += [json.loads(line) for line in out.splitlines()]
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    finals = [e for e in events if e["event"] in ("done", "error")]
    assert finals and all(e.get("code") == "cancelled" for e in finals)
    assert len([e for e in events if e["event"] == "start"]) <= 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r0.mkv", "r1.mkv", "r2.mkv"]
