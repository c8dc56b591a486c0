"""Bad days: a full disk, folders and inputs vanishing, ffmpeg killed, crashed recordings.

Every case runs the CLI and checks what a user (or a host) sees: one error event with a stable
code, the right exit code, no traceback, nothing under the final name, no temp files left
behind, and the input untouched. Cases about the engine's own processes run it as a separate
process (``slow``); cases the job runner and the mux path decide also run in-process on the
fake backend.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from game_music.media.ffmpeg import ffmpeg_exe, run_ffmpeg
from game_music.media.probe import probe

LONG = {"seconds": 20.0, "width": 320, "height": 180}


@pytest.fixture(params=["fake", pytest.param("engine", marks=pytest.mark.slow)])
def add_cli(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """The CLI on the fake backend (fast), and once more on the real engine (slow)."""
    return request.getfixturevalue("fake_cli" if request.param == "fake" else "cli")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy(src: Path, folder: Path, name: str = "in.mkv") -> tuple[Path, str]:
    folder.mkdir(parents=True, exist_ok=True)
    dst = folder / name
    shutil.copyfile(src, dst)
    return dst, _sha(dst)


def _leftovers(*folders: Path) -> list[str]:
    found = []
    for folder in folders:
        if folder.is_dir():
            found += [p.name for p in folder.iterdir()
                      if ".part" in p.name or p.name.startswith(".game-music-")
                      or p.name.endswith(".tmp")]
    return found


def _check_failure(result_events: list[dict], stderr: str, returncode: int, codes: set[str],
                   exit_code: int) -> dict:
    events = [e for e in result_events if e["event"] != "progress"]
    assert [e["event"] for e in events] == ["start", "error"], (result_events, stderr)
    err = events[-1]
    assert err["code"] in codes, err
    assert "\n" not in err["message"]
    assert returncode == exit_code, (returncode, err, stderr)
    assert "Traceback" not in stderr, stderr
    return err


def _no_output(start: dict) -> None:
    out = Path(start["output"])
    assert not out.exists() and not out.with_name(out.name + ".game-music.json").exists()


class Run:
    """A CLI run whose JSON events can be acted on as they arrive."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "game_music", "add", *args, "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )
        self.events: list[dict] = []

    def until(self, pred: Callable[[dict], bool]) -> Iterator[dict]:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            event = json.loads(line)
            self.events.append(event)
            if pred(event):
                yield event
                return

    def finish(self) -> tuple[list[dict], str, int]:
        out, err = self.proc.communicate(timeout=300)
        self.events += [json.loads(line) for line in out.splitlines() if line.strip()]
        return self.events, err, self.proc.returncode


def _working(event: dict) -> bool:
    """Past probing: the engine is reading, composing or writing."""
    return event["event"] == "progress" and event["stage"] != "probe"


# -- disk full ------------------------------------------------------------------------------


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(folder)],
                             capture_output=True, check=False).returncode == 0
    if not mounted:
        pytest.skip("cannot mount a small tmpfs here (see the injected variant)")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.slow
def test_disk_full_on_a_small_filesystem(tmp_path: Path, cli, make_clip: Callable,
                                          small_fs: Path) -> None:
    # ~4 MB of video: the MP4 cannot fit in 3 MB, whatever the engine writes first.
    src, digest = _copy(make_clip("fat.mkv", seconds=10.0, width=640, height=360,
                                  video_bitrate="8M").path, tmp_path / "in")
    assert src.stat().st_size > 3 * 1024 * 1024
    result = cli("add", str(src), "-o", f"{small_fs}/", "--json")
    _check_failure(result.events, result.stderr, result.returncode, {"disk_full"}, 5)
    assert list(small_fs.iterdir()) == []  # nothing partial, no temp files
    assert _sha(src) == digest


def test_disk_full_injected(tmp_path: Path, add_cli, make_clip: Callable) -> None:
    """The same failure where no file system can be mounted: the final write goes to a
    device that is always full (Linux ``/dev/full``)."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    wrapper = tmp_path / "ffmpeg-full"
    wrapper.write_text(
        f"#!{sys.executable}\n"
        "import os, re, sys\n"
        "args = [re.sub(r'[^\\]|]+\\.part\\.mp4', '/dev/full', a) for a in sys.argv[1:]]\n"
        f"os.execv({ffmpeg_exe()!r}, [{ffmpeg_exe()!r}, *args])\n"
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    src, digest = _copy(make_clip("small.mkv", seconds=3.0, width=320, height=180).path,
                        tmp_path / "in")
    result = add_cli("add", str(src), "--json", env={"GAME_MUSIC_FFMPEG": str(wrapper)})
    events = result.events
    _check_failure(events, result.stderr, result.returncode, {"disk_full"}, 5)
    _no_output(events[0])
    assert sorted(p.name for p in src.parent.iterdir()) == ["in.mkv"]
    assert _sha(src) == digest


# -- things vanishing mid-run ---------------------------------------------------------------


def test_output_folder_vanishes_in_process(tmp_path: Path, fake_cli,
                                           make_clip: Callable) -> None:
    """The same on the fake backend: the folder goes while the job is working."""
    import threading

    from game_music.backends.fake import FakeBackend

    src, digest = _copy(make_clip("small.mkv", seconds=3.0, width=320, height=180).path,
                        tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    backend = FakeBackend(hold=threading.Event())

    def remove_when_working() -> None:
        deadline = time.monotonic() + 30
        while not backend.calls and time.monotonic() < deadline:
            time.sleep(0.01)
        shutil.rmtree(out)
        backend.hold.set()  # type: ignore[union-attr]

    remover = threading.Thread(target=remove_when_working)
    remover.start()
    result = fake_cli("add", str(src), "-o", f"{out}/", "--json", backend=backend)
    remover.join()
    err = _check_failure(result.events, result.stderr, result.returncode,
                         {"output_not_writable"}, 5)
    assert "no longer exists" in err["message"] or "does not exist" in err["message"]
    assert not out.exists()
    assert _sha(src) == digest and _leftovers(src.parent) == []


@pytest.mark.slow
def test_output_folder_vanishes(tmp_path: Path, make_clip: Callable) -> None:
    src, digest = _copy(make_clip("long.mkv", **LONG).path, tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    run = Run(str(src), "-o", f"{out}/")
    for _ in run.until(_working):
        shutil.rmtree(out)
    events, stderr, code = run.finish()
    err = _check_failure(events, stderr, code, {"output_not_writable"}, 5)
    assert "no longer exists" in err["message"] or "does not exist" in err["message"]
    assert not out.exists()
    assert _sha(src) == digest and _leftovers(src.parent) == []


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["analyse", "render"])
def test_input_deleted_mid_run(tmp_path: Path, make_clip: Callable, stage: str) -> None:
    src, _ = _copy(make_clip("long.mkv", **LONG).path, tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    run = Run(str(src), "-o", f"{out}/")
    for _ in run.until(lambda e: e["event"] == "progress" and e["stage"] == stage):
        src.unlink()
    events, stderr, code = run.finish()
    final = [e for e in events if e["event"] in ("done", "error")]
    assert len(final) == 1 and "Traceback" not in stderr
    if final[0]["event"] == "done":  # finished from what was already open: a whole file
        info = probe(Path(final[0]["output"]))
        assert abs(info.video.duration - LONG["seconds"]) <= info.frame_duration
    else:
        _check_failure(events, stderr, code, {"input_not_found", "corrupt_input"}, 3)
        assert list(out.iterdir()) == []


def _children(pid: int) -> list[tuple[int, bytes]]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
            if ppid == pid:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    found.append((int(entry), fh.read().replace(b"\0", b" ")))
        except (OSError, ValueError, IndexError):
            continue
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("target", [b"pipe:1", b".part.mp4"])
def test_ffmpeg_killed(tmp_path: Path, make_clip: Callable, target: bytes) -> None:
    """Kill the engine's ffmpeg (the decoder or the final writer) while it works."""
    src, digest = _copy(make_clip("long.mkv", **LONG).path, tmp_path / "in")
    run = Run(str(src))
    killed = b""
    deadline = time.monotonic() + 240
    while run.proc.poll() is None and not killed and time.monotonic() < deadline:
        for pid, cmd in _children(run.proc.pid):
            if b"ffmpeg" in cmd and target in cmd:
                os.kill(pid, signal.SIGKILL)
                killed = cmd
                break
        time.sleep(0.005)
    events, stderr, code = run.finish()
    if not killed:
        pytest.skip(f"the ffmpeg writing {target!r} finished before it could be killed")
    err = _check_failure(events, stderr, code, {"internal", "corrupt_input"}, code)
    assert code in (1, 3), err
    _no_output(events[0])
    assert _leftovers(src.parent) == [] and _sha(src) == digest


# -- crashed and cut-off recordings ---------------------------------------------------------


def test_obs_crash_mkv_without_cues(tmp_path: Path, add_cli, make_clip: Callable) -> None:
    """A recorder that died leaves an MKV without Cues (index), cut mid-cluster: what was
    recorded is still used, to the last whole frame."""
    live = tmp_path / "live.mkv"
    run_ffmpeg(["-i", str(make_clip("long.mkv", **LONG).path), "-c", "copy", "-live", "1",
                str(live)])
    data = live.read_bytes()
    assert b"\x1c\x53\xbb\x6b" not in data  # no Cues element
    crashed = tmp_path / "crashed.mkv"
    crashed.write_bytes(data[: int(len(data) * 0.55) + 7])  # mid-cluster, odd offset
    digest = _sha(crashed)
    result = add_cli("add", str(crashed), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    info, out = probe(crashed), probe(Path(result.events[-1]["output"]))
    assert 5.0 < info.video.duration < LONG["seconds"] - 2
    assert abs(out.video.duration - info.video.duration) <= out.frame_duration
    assert _sha(crashed) == digest


@pytest.mark.parametrize("faststart", [False, True], ids=["moov-at-end", "moov-first"])
def test_truncated_mp4(tmp_path: Path, add_cli, make_clip: Callable, faststart: bool) -> None:
    mp4 = tmp_path / "whole.mp4"
    flags = ["-movflags", "+faststart"] if faststart else []
    run_ffmpeg(["-i", str(make_clip("long.mkv", **LONG).path), "-c", "copy", *flags, str(mp4)])
    data = mp4.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    mp4.unlink()
    digest = _sha(cut)
    result = add_cli("add", str(cut), "--json")
    _check_failure(result.events, result.stderr, result.returncode, {"corrupt_input"}, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.mp4"]
    assert _sha(cut) == digest
