"""Run one piece of CPU-bound work beside the main thread, truly in parallel where we can.

On Linux the work runs in a forked child: it starts instantly with everything already
imported and computed (a spawned interpreter would pay the imports again), and it does not
share the GIL with the main thread. Elsewhere (macOS system frameworks are not fork-safe,
Windows has no fork) it runs on a thread: same results, less overlap.

The child returns its result pickled through a pipe; an exception it raises is raised again
in the parent. It never runs the parent's cleanup: it leaves with ``os._exit`` whatever
happens, and dies on Ctrl-C, SIGTERM or SIGHUP instead of unwinding the parent's stack.

Only the main thread forks. A fork copies the locks other threads hold at that moment, held
for good in the child: a job thread importing a module while another job forks leaves the
child stuck on that module's import lock. Jobs that run on threads (``-j 2``) already keep
both cores busy, so they use threads here too.
"""

from __future__ import annotations

import contextlib
import functools
import mmap
import os
import pickle
import signal
import struct
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from ._errors import Cancelled, InternalError

T = TypeVar("T")

#: Signals that mean "the user or host stopped us" (SIGHUP: the terminal was closed).
_STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP")
                      if hasattr(signal, n))

FORK = sys.platform.startswith("linux") and hasattr(os, "fork")


def can_fork() -> bool:
    """Fork here and now? (Linux, and on the main thread: see above.)"""
    return FORK and threading.current_thread() is threading.main_thread()


class Beside(Generic[T]):
    """``fn(report)`` started now; :meth:`result` waits for it. ``fn`` may call
    ``report(fraction)``, which the caller reads as :attr:`fraction`. Use as a context manager
    so the work is stopped when the caller fails first."""

    def __init__(self, fn: Callable[[Callable[[float], None]], T], *,
                 fork: bool | None = None) -> None:
        self._pid: int | None = None
        self._thread: threading.Thread | None = None
        self._outcome: tuple[bool, Any] | None = None
        # Anonymous shared memory: the child's progress is visible here without a syscall.
        self._shared = mmap.mmap(-1, 8)
        work = functools.partial(fn, self._report)
        if can_fork() if fork is None else fork:
            self._start_child(work)
        else:
            self._thread = threading.Thread(target=self._run_here, args=(work,), daemon=True)
            self._thread.start()

    @property
    def fraction(self) -> float:
        """The last fraction the work reported (0 before its first report)."""
        return float(struct.unpack_from("d", self._shared)[0])

    def _report(self, fraction: float) -> None:
        struct.pack_into("d", self._shared, 0, fraction)

    def __enter__(self) -> Beside[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def result(self) -> T:
        if self._thread is not None:
            self._thread.join()
        elif self._pid is not None:
            self._outcome = self._collect()
        assert self._outcome is not None
        ok, value = self._outcome
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def stop(self) -> None:
        """Kill a child that is still working (the caller gave up on it)."""
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._pid, 0)
            self._pid = None
            os.close(self._read)

    def _run_here(self, fn: Callable[[], T]) -> None:
        try:
            self._outcome = (True, fn())
        except BaseException as e:  # noqa: BLE001 - handed to the caller of result()
            self._outcome = (False, e)

    def _start_child(self, fn: Callable[[], T]) -> None:
        read, write = os.pipe()
        with warnings.catch_warnings():
            # Python 3.12+ warns about forking a process with threads; the child only
            # computes and never touches the locks those threads may hold.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child
            status = 1
            try:
                os.close(read)
                for sig in _STOP_SIGNALS:
                    signal.signal(sig, signal.SIG_DFL)
                try:
                    payload = _dumps((True, fn()))
                except BaseException as e:  # noqa: BLE001 - sent to the parent
                    payload = _dumps((False, e))
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(payload)
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        self._pid, self._read = pid, read

    def _collect(self) -> tuple[bool, Any]:
        assert self._pid is not None
        with os.fdopen(self._read, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if sig in _STOP_SIGNALS:
                raise Cancelled("interrupted")
            raise InternalError(f"a worker process was stopped (signal {sig})")
        try:
            return pickle.loads(data)  # type: ignore[no-any-return]
        except Exception:  # noqa: BLE001 - a truncated or foreign payload
            raise InternalError("a worker process failed without a result") from None


def _dumps(outcome: tuple[bool, Any]) -> bytes:
    try:
        return pickle.dumps(outcome)
    except Exception as e:  # noqa: BLE001 - an unpicklable result or exception
        return pickle.dumps((False, InternalError(f"{type(e).__name__}: {e}")))
