"""``add FOLDER --cluster ADDRESS``: the same batch, each file one task on a Dask cluster.

- **Engine**: Dask distributed (the ``cluster`` extra). The client side is the local batch
  (:func:`batch.run_batch`): input order, skip-done, files still being written, the job log
  and the summary all stay here; only :func:`jobs.run_job` runs on a worker.
- **Shared storage**: a worker opens the recording and writes the output at the same path
  the client sees, or at the path ``--cluster-path-map LOCAL=REMOTE`` turns it into (a NAS
  mounted at ``/mnt/vods`` here and ``/data/vods`` on the workers). Paths in the events come
  back mapped to the client's side.
- **Worker death**: Dask reruns a task whose worker died on another worker. The job runner
  writes through a hidden part file and renames it at the end, so nothing partial ever sits
  under the final name; a rerun first removes the part files a killed attempt left behind.
- **Events**: a task returns its events and the client replays them in input order; progress
  of a remote job therefore arrives when it finishes.
- **Ctrl-C**: every submitted task is cancelled, running ones stop at their next progress
  step (a cluster-wide flag) and clean up as a local job does; then the client is closed.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ._errors import Cancelled, GameMusicError, InternalError, UsageError
from .backends.base import Backend
from .events import Emit, Event, error_event, start_event
from .jobs import JobResult

INSTALL_HINT = "--cluster needs the cluster extra: pip install 'game-music[cluster]'"
_POLL_S = 0.25


def require() -> None:
    """One clear line when Dask is not installed."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise UsageError(INSTALL_HINT) from None


@dataclasses.dataclass(frozen=True)
class PathMap:
    """``LOCAL=REMOTE`` prefixes: how a worker spells the client's paths."""

    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, items: Sequence[str]) -> PathMap:
        pairs = []
        for item in items:
            local, sep, remote = item.partition("=")
            if not sep or not local or not remote:
                raise UsageError(f"--cluster-path-map: use LOCAL=REMOTE, not {item!r}")
            pairs.append((str(Path(local).expanduser().absolute()), remote.rstrip("/") or "/"))
        return cls(tuple(pairs))

    @staticmethod
    def _swap(text: str, pairs: Sequence[tuple[str, str]]) -> str:
        for src, dst in pairs:
            if text == src or text.startswith(src.rstrip("/") + "/"):
                return dst + text[len(src.rstrip("/")):]
        return text

    def to_remote(self, path: Path | None) -> Path | None:
        return None if path is None else Path(self._swap(str(path.absolute()), self.pairs))

    def to_local(self, text: str) -> str:
        return self._swap(text, [(r, loc) for loc, r in self.pairs])


def _remote_job(input_path: Path, request: Any, output: Path, backend_name: str,
                prompt: str | None, options: Any, cancel_name: str,
                make_backend: Callable[[str, str | None], Backend]) -> tuple[list[Event], Any]:
    """The task a worker runs: the local job runner, its events collected for the client.
    ``make_backend`` is the CLI's own (sent by reference: the worker imports it)."""
    from distributed import Event as ClusterEvent

    from .jobs import run_job

    # Dask cannot stop a running task: the job looks at the batch's cancel flag at its
    # progress steps (at most every _POLL_S) and unwinds like a local job on Ctrl-C.
    cancelled = ClusterEvent(cancel_name)
    last = [0.0]

    def collect(event: Event) -> None:
        now = time.monotonic()
        if event.get("event") == "progress" and now - last[0] >= _POLL_S:
            last[0] = now
            if cancelled.is_set():
                raise Cancelled("interrupted")
        events.append(event)

    # A rerun after a worker died: run_job sweeps what the killed attempt left (its run
    # marker names a process that is gone), and never a live run's files.
    events: list[Event] = []
    try:
        backend = make_backend(backend_name, prompt)
        result = run_job(input_path, request, output, backend, collect,
                         options=options, prompt=prompt)
    except GameMusicError as exc:  # already an error event; the client raises it again
        return events, exc
    return events, result


class ClusterRunner:
    """Runs one :class:`batch.JobSpec` as a task; called on the batch's threads."""

    def __init__(self, client: Any, path_map: PathMap,
                 make_backend: Callable[[str, str | None], Backend]) -> None:
        self.client = client
        self.path_map = path_map
        self.make_backend = make_backend
        self._futures: set[Any] = set()
        self._lock = threading.Lock()
        self.cancel_name = f"game-music-cancel-{uuid.uuid4().hex}"
        self._cancelled = False

    def __call__(self, spec: Any, backend: Backend, emit: Emit, prompt: str | None,
                 cancel: threading.Event) -> JobResult:
        pm = self.path_map
        options = dataclasses.replace(
            spec.options, stem_path=pm.to_remote(spec.options.stem_path),
            pcm_mov_path=pm.to_remote(spec.options.pcm_mov_path),
            soundfont=pm.to_remote(spec.options.soundfont),
        )
        future = self.client.submit(
            _remote_job, pm.to_remote(spec.input), spec.request, pm.to_remote(spec.output),
            backend.name, prompt, options, self.cancel_name, self.make_backend, pure=False,
        )
        with self._lock:
            self._futures.add(future)
        try:
            while not future.done():  # a timeout keeps Ctrl-C and cancel responsive
                if cancel.wait(_POLL_S):
                    self.cancel_all()  # the flag first: a running task stops at its next step
                    raise Cancelled("interrupted")
            events, result = future.result()
        except (GameMusicError, KeyboardInterrupt):
            raise
        except Exception as exc:  # the task failed outside the job runner (a worker's setup)
            err = InternalError(f"cluster task failed: {type(exc).__name__}: {exc}")
            inp, out = str(spec.input.absolute()), str(spec.output.absolute())
            emit(start_event(inp, out, backend.name))
            emit(error_event(inp, err.code, err.message))
            raise err from None
        finally:
            with self._lock:
                self._futures.discard(future)
        for event in events:
            emit({k: pm.to_local(v) if isinstance(v, str) else v for k, v in event.items()})
        if isinstance(result, GameMusicError):
            raise result
        return dataclasses.replace(result, input=spec.input.absolute(),
                                   output=Path(pm.to_local(str(result.output))))

    def cancel_all(self) -> None:
        from distributed import Event as ClusterEvent

        with self._lock:
            if self._cancelled:
                return
            self._cancelled = True
        ClusterEvent(self.cancel_name, client=self.client).set()
        with self._lock:
            futures = list(self._futures)
        if futures:
            self.client.cancel(futures)


@contextmanager
def connect(address: str, path_map: PathMap,
            make_backend: Callable[[str, str | None], Backend],
            timeout: float = 10.0) -> Iterator[ClusterRunner]:
    """A runner on the scheduler at ``address``; Ctrl-C cancels its tasks; always closes."""
    require()
    from distributed import Client

    try:
        client = Client(address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"--cluster: cannot reach the scheduler at {address}: {exc}") from None
    runner = ClusterRunner(client, path_map, make_backend)
    try:
        yield runner
    except BaseException:
        runner.cancel_all()
        raise
    finally:
        client.close()
