"""Work beside the main thread: results, errors and progress come back, in a forked child
(Linux) and on a thread (elsewhere) alike."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import numpy as np
import pytest

from game_music._errors import CorruptInput, InternalError
from game_music._fork import FORK, Beside

MODES = [pytest.param(True, id="fork"), pytest.param(False, id="thread")] if FORK \
    else [pytest.param(False, id="thread")]


@pytest.mark.parametrize("fork", MODES)
def test_result_comes_back(fork: bool) -> None:
    def work(report: Callable[[float], None]) -> tuple[int, np.ndarray]:
        report(0.5)
        return os.getpid(), np.arange(5) ** 2

    with Beside(work, fork=fork) as job:
        pid, squares = job.result()
    assert squares.tolist() == [0, 1, 4, 9, 16]
    assert (pid != os.getpid()) == fork  # a child really did the work when forking
    assert job.fraction == 0.5  # shared memory: the child's report is seen here


@pytest.mark.parametrize("fork", MODES)
def test_error_is_raised_again_with_its_code(fork: bool) -> None:
    def work(report: Callable[[float], None]) -> None:
        raise CorruptInput("clip.mkv: the video cannot be read")

    with Beside(work, fork=fork) as job, pytest.raises(CorruptInput) as caught:
        job.result()
    assert caught.value.code == "corrupt_input"
    assert str(caught.value) == "clip.mkv: the video cannot be read"


@pytest.mark.parametrize("fork", MODES)
def test_progress_is_visible_while_working(fork: bool) -> None:
    def work(report: Callable[[float], None]) -> str:
        report(0.25)
        time.sleep(0.5)
        return "done"

    with Beside(work, fork=fork) as job:
        deadline = time.monotonic() + 5
        while job.fraction < 0.25 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert job.fraction == 0.25
        assert job.result() == "done"


@pytest.mark.skipif(not FORK, reason="needs fork")
def test_child_killed_from_outside_is_an_internal_error() -> None:
    def work(report: Callable[[float], None]) -> None:
        time.sleep(30)

    with Beside(work) as job:
        assert job._pid is not None
        os.kill(job._pid, signal.SIGKILL)
        with pytest.raises(InternalError, match="signal 9"):
            job.result()


@pytest.mark.skipif(not FORK, reason="needs fork")
def test_leaving_early_stops_the_child() -> None:
    def work(report: Callable[[float], None]) -> None:
        time.sleep(30)

    t0 = time.monotonic()
    with pytest.raises(RuntimeError), Beside(work) as job:
        pid = job._pid
        raise RuntimeError("the caller failed first")
    assert time.monotonic() - t0 < 5
    assert pid is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: no zombie left


@pytest.mark.skipif(not FORK, reason="needs fork")
def test_only_the_main_thread_forks() -> None:
    """A job thread's fork could copy another thread's held import lock into the child."""
    import threading

    def work(report: Callable[[float], None]) -> int:
        return os.getpid()

    pids: list[int] = []
    t = threading.Thread(target=lambda: pids.append(Beside(work).result()))
    t.start()
    t.join()
    assert pids == [os.getpid()]  # ran on a thread, not in a child
    assert Beside(work).result() != os.getpid()
