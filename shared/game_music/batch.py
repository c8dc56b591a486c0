"""Post-stream batches: ``game-music add FOLDER`` over a whole session's recordings.

- **What**: folders expand to the video files OBS writes (mkv, mp4, mov, flv, ts, m4v, webm),
  without our own outputs (``* (game music*).mp4``) and hidden or temp files, in recording order
  (modification time, then name). Files named on the command line keep their place. An OBS
  remux leaves ``X.mkv`` and ``X.mp4`` side by side: both would write ``X (game music).mp4``,
  so the later one is skipped.
- **Which**: ``--since`` / ``--newer-than`` keep recordings modified at or after a time.
- **Done before**: a batch skips inputs whose job log entry (same input identity, same request,
  output still there) says they are done; ``--force`` redoes them. A single file named alone is
  always processed (it is an explicit request), and every finished job is logged.
- **Still being written**: a file modified in the last couple of seconds is watched until its
  size and time stay put for :data:`SETTLE_S`, at most ``--wait`` seconds; after that a batch
  skips it (the next run picks it up) and a single file fails with a clear message.
- **Parallel**: ``-j N`` runs N jobs on threads (the engine spends its time in numpy and ffmpeg,
  which release the GIL). Events stay Contract 2: the oldest unfinished input streams live and
  the others are buffered until their turn, so groups never interleave and come in input order.
  Ctrl-C (or SIGTERM) stops every running job at its next progress step; each cleans up its
  temp files as a single job does.
- **Cluster**: ``--cluster ADDRESS`` hands each job to a Dask worker (``_cluster``); everything
  above still happens here.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from ._errors import Cancelled, GameMusicError, InputBusy, UsageError
from ._joblog import JobLog, job_key
from .backends.base import Backend, RenderOptions
from .events import Emit, Event, done_event, error_event, start_event
from .jobs import JobResult, run_job
from .request import MusicRequest

log = logging.getLogger("game_music")

#: What OBS records to (and what a replay buffer saves).
VIDEO_SUFFIXES = frozenset(".mkv .mp4 .mov .flv .ts .m4v .webm".split())
#: Our own outputs, including numbered siblings ("x (game music) 2.mp4") and previews.
_OUR_OUTPUT = re.compile(r"\(game music[^)]*\)( \d+)?\.mp4$", re.IGNORECASE)
#: A file counts as settled when its size and time have not changed for this long.
SETTLE_S = 2.0
DEFAULT_WAIT_S = 30.0
_POLL_S = 0.25

Status = Literal["done", "skipped", "failed", "cancelled"]
#: ``runner(spec, backend, emit, prompt, cancel)``: one job run elsewhere (``--cluster``).
Runner = Callable[["JobSpec", Backend, Emit, "str | None", threading.Event], JobResult]


@dataclass(frozen=True)
class JobSpec:
    input: Path
    request: MusicRequest
    output: Path
    options: RenderOptions = field(default_factory=RenderOptions)


@dataclass(frozen=True)
class Outcome:
    input: Path
    status: Status
    output: Path | None = None
    detail: str = ""  # the skip reason or the error message
    code: str | None = None  # error code (Contract 2) for failures
    exit_code: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class Selection:
    paths: tuple[Path, ...]
    batch: bool  # a folder or several inputs: skip what is done, print a summary
    not_selected: int = 0  # recordings left out by --since / --newer-than


# -- choosing the inputs ------------------------------------------------------------------


def is_recording(path: Path) -> bool:
    """A video file a recorder wrote, not one of ours and not a hidden/temp file."""
    name = path.name
    return (
        path.suffix.lower() in VIDEO_SUFFIXES
        and not name.startswith(".")
        and not _OUR_OUTPUT.search(name)
        and path.is_file()
    )


def _recording_order(path: Path) -> tuple[float, str]:
    try:
        return (path.stat().st_mtime, path.name)
    except OSError:
        return (0.0, path.name)


def collect_inputs(
    args: Sequence[str], *, since: datetime | None = None, newer_than: Path | None = None
) -> Selection:
    """Expand folders into recordings (recording order) and apply the time filters.

    Paths that do not exist are kept: the job reports them as ``input_not_found``.
    """
    cutoff: float | None = since.timestamp() if since is not None else None
    strictly_after = False
    if newer_than is not None:
        try:
            ref = newer_than.expanduser().stat().st_mtime
        except OSError:
            raise UsageError(f"--newer-than: cannot read {newer_than}") from None
        if cutoff is None or ref >= cutoff:
            cutoff, strictly_after = ref, True

    def selected(p: Path) -> bool:
        if cutoff is None:
            return True
        try:
            m = p.stat().st_mtime
        except OSError:
            return True  # let the job say what is wrong with it
        return m > cutoff if strictly_after else m >= cutoff

    paths: list[Path] = []
    seen: set[Path] = set()
    folder = False
    left_out = 0
    for arg in args:
        p = Path(arg).expanduser()
        if p.is_dir():
            folder = True
            found = sorted((c for c in p.iterdir() if is_recording(c)), key=_recording_order)
        else:
            found = [p]
        for f in found:
            key = f.absolute()
            if key in seen:
                continue
            seen.add(key)
            if selected(f):
                paths.append(f)
            else:
                left_out += 1
    return Selection(tuple(paths), batch=folder or len(args) > 1, not_selected=left_out)


_RELATIVE = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|min|s)", re.IGNORECASE)
_UNIT_S = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "min": 60, "s": 1}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``"2026-11-24 18:00"``, ``"18:00"`` (the last such time: today, or yesterday when that
    is still ahead), or an age such as ``"3h"``, ``"90m"``, ``"1h30m"``, ``"2d"``."""
    now = now or datetime.now()
    t = text.strip()
    compact = t.replace(" ", "")
    if compact and _RELATIVE.sub("", compact) == "":
        secs = sum(float(n) * _UNIT_S[u.lower()] for n, u in _RELATIVE.findall(compact))
        return now - timedelta(seconds=secs)
    m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", t)
    if m:
        h, mi, s = int(m[1]), int(m[2]), int(m[3] or 0)
        if h > 23 or mi > 59 or s > 59:
            raise UsageError(f"--since: not a time of day: {text!r}")
        at = now.replace(hour=h, minute=mi, second=s, microsecond=0)
        return at - timedelta(days=1) if at > now else at
    try:
        when = datetime.fromisoformat(t)
    except ValueError:
        raise UsageError(
            f'--since: use a date and time ("2026-11-24 18:00"), a time ("18:00") '
            f'or an age ("3h"), not {text!r}'
        ) from None
    return when.astimezone().replace(tzinfo=None) if when.tzinfo else when


# -- files still being written ------------------------------------------------------------


def _locked(path: Path) -> bool:
    """Windows refuses to open a file another program holds exclusively (a recorder)."""
    if os.name != "nt":
        return False
    try:
        with path.open("rb"):
            return False
    except PermissionError:
        return True
    except OSError:
        return False


def wait_until_settled(
    path: Path, wait: float, *, settle: float = SETTLE_S, cancel: threading.Event | None = None
) -> str | None:
    """``None`` once ``path`` stopped changing; otherwise why it is not ready after ``wait`` s.

    Files last modified more than ``settle`` seconds ago cost one ``stat``. A missing file is
    "ready": the job reports it properly.
    """

    def snap() -> tuple[int, int]:
        st = path.stat()
        return (st.st_size, st.st_mtime_ns)

    try:
        state = snap()
    except OSError:
        return None
    if time.time() - state[1] / 1e9 > settle and not _locked(path):
        return None
    start = time.monotonic()
    deadline = start + max(wait, settle)
    stable_since = start
    while True:
        if cancel is not None and cancel.wait(_POLL_S):
            raise Cancelled("interrupted")
        if cancel is None:
            time.sleep(_POLL_S)
        now = time.monotonic()
        try:
            current = snap()
        except OSError:
            return None
        if current != state:
            state, stable_since = current, now
        elif now - stable_since >= settle and not _locked(path):
            return None
        if now >= deadline:
            if _locked(path):
                return "locked by another program (still recording?)"
            return f"still being written (it grew in the last {settle:.0f} s)"


# -- running ------------------------------------------------------------------------------


class _OrderedEvents:
    """Forward events grouped per input, in input order, with the oldest running one live."""

    def __init__(self, emit: Emit, n: int) -> None:
        self._emit = emit
        self._buffers: list[list[Event]] = [[] for _ in range(n)]
        self._closed = [False] * n
        self._head = 0
        self._lock = threading.Lock()

    def emit(self, i: int, event: Event) -> None:
        with self._lock:
            if i == self._head:
                self._emit(event)
            else:
                self._buffers[i].append(event)

    def close(self, i: int) -> None:
        with self._lock:
            self._closed[i] = True
            n = len(self._closed)
            while self._head < n and self._closed[self._head]:
                self._head += 1
                if self._head < n:
                    for event in self._buffers[self._head]:
                        self._emit(event)
                    self._buffers[self._head].clear()


@dataclass
class _Context:
    specs: Sequence[JobSpec]
    backend_for: Callable[[], Backend]
    events: _OrderedEvents
    batch: bool
    skip_done: bool
    json_events: bool
    wait: float
    prompt: str | None
    joblog: JobLog
    skips: dict[int, str] = field(default_factory=dict)  # decided before running: why
    cancel: threading.Event = field(default_factory=threading.Event)
    runner: Runner | None = None  # runs the job elsewhere (a cluster) instead of run_job


def run_batch(
    specs: Sequence[JobSpec],
    backend_for: Callable[[], Backend],
    emit: Emit,
    *,
    batch: bool = True,
    jobs: int = 1,
    force: bool = False,
    wait: float = DEFAULT_WAIT_S,
    prompt: str | None = None,
    json_events: bool = False,
    joblog: JobLog | None = None,
    runner: Runner | None = None,
) -> list[Outcome]:
    """Run every job (``jobs`` at a time) and return one :class:`Outcome` per spec, in order.

    ``batch`` skips inputs done before (unless ``force``), and inputs still being written.
    Raises :class:`Cancelled` on Ctrl-C after the running jobs have cleaned up.
    """
    ctx = _Context(
        specs, backend_for, _OrderedEvents(emit, len(specs)), batch, batch and not force,
        json_events, wait, prompt, joblog or JobLog(), runner=runner,
    )
    if batch:
        ctx.skips.update(_collisions(specs))
    if jobs <= 1 or len(specs) <= 1:
        return [_run_one(i, ctx) for i in range(len(specs))]
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="job")
    futures = [pool.submit(_run_one, i, ctx) for i in range(len(specs))]
    try:
        pending = set(futures)
        while pending:  # a timeout keeps the main thread responsive to Ctrl-C
            _, pending = concurrent.futures.wait(pending, timeout=0.5)
    except KeyboardInterrupt:
        ctx.cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise Cancelled("interrupted") from None
    pool.shutdown(wait=True)
    outcomes = [f.result() for f in futures]
    if any(o.status == "cancelled" for o in outcomes):
        raise Cancelled("interrupted")
    return outcomes


def _collisions(specs: Sequence[JobSpec]) -> dict[int, str]:
    """Two inputs that would write the same output (``X.mkv`` and its remux ``X.mp4``): the
    first in recording order is kept, the other is skipped."""
    taken: dict[Path, Path] = {}
    skips: dict[int, str] = {}
    for i, spec in enumerate(specs):
        target = spec.output.absolute()
        if target in taken:
            skips[i] = f"same output name as {taken[target].name} (a remuxed copy?)"
        else:
            taken[target] = spec.input
    return skips


def _run_one(i: int, ctx: _Context) -> Outcome:
    spec = ctx.specs[i]
    t0 = time.monotonic()

    def emit(event: Event) -> None:
        # Progress steps are where a running job notices Ctrl-C / SIGTERM and unwinds.
        if ctx.cancel.is_set() and event.get("event") == "progress":
            raise Cancelled("interrupted")
        ctx.events.emit(i, event)

    try:
        if ctx.cancel.is_set():
            return Outcome(spec.input, "cancelled")
        if i in ctx.skips:
            log.warning("skipping %s: %s", spec.input.name, ctx.skips[i])
            return Outcome(spec.input, "skipped", detail=ctx.skips[i])
        backend = ctx.backend_for()
        busy = wait_until_settled(spec.input, ctx.wait, cancel=ctx.cancel)
        if busy is not None:
            return _busy(i, spec, busy, backend.name, ctx)
        key = _key(spec, backend.name)
        if ctx.skip_done and key is not None:
            entry = ctx.joblog.find(key)
            if entry is not None:
                return _already_done(i, spec, Path(entry.output), backend.name, ctx)
        if ctx.runner is not None:
            result = ctx.runner(spec, backend, emit, ctx.prompt, ctx.cancel)
        else:
            result = run_job(spec.input, spec.request, spec.output, backend, emit,
                             options=spec.options, prompt=ctx.prompt)
        if key is not None:
            ctx.joblog.record(key, result.input, result.output, result.seconds)
        return Outcome(spec.input, "done", result.output, seconds=result.seconds)
    except Cancelled:
        if threading.current_thread() is threading.main_thread():
            raise
        ctx.cancel.set()
        return Outcome(spec.input, "cancelled")
    except GameMusicError as exc:  # already reported by the job runner as an error event
        return Outcome(spec.input, "failed", detail=exc.message, code=exc.code,
                       exit_code=exc.exit_code, seconds=time.monotonic() - t0)
    finally:
        ctx.events.close(i)


def _key(spec: JobSpec, backend: str) -> str | None:
    try:
        return job_key(
            spec.input, spec.request.to_dict(), backend=backend, output=spec.output.absolute(),
            preview=spec.options.preview, start_s=spec.options.start_s,
            end_s=spec.options.end_s,
        )
    except OSError:
        return None  # missing/unreadable: the job reports it


def _busy(i: int, spec: JobSpec, reason: str, backend: str, ctx: _Context) -> Outcome:
    message = f"{spec.input.name}: {reason}"
    if ctx.batch:  # leave it for the next run
        log.warning("skipping %s", message)
        return Outcome(spec.input, "skipped", detail=reason)
    err = InputBusy(f"{message}; try again when the recording has stopped")
    inp, out = str(spec.input.absolute()), str(spec.output.absolute())
    ctx.events.emit(i, start_event(inp, out, backend))
    ctx.events.emit(i, error_event(inp, err.code, err.message))
    return Outcome(spec.input, "failed", detail=err.message, code=err.code,
                   exit_code=err.exit_code)


def _already_done(i: int, spec: JobSpec, output: Path, backend: str, ctx: _Context) -> Outcome:
    reason = "already done"
    if ctx.json_events:  # hosts still learn where the result is
        inp = str(spec.input.absolute())
        ctx.events.emit(i, start_event(inp, str(output), backend))
        ctx.events.emit(i, {**done_event(inp, str(output), 0.0), "skipped": reason})
    return Outcome(spec.input, "skipped", output, detail=f"{reason} -> {output.name}")


# -- reporting ----------------------------------------------------------------------------


def exit_code(outcomes: Sequence[Outcome]) -> int:
    """0 when everything is done or skipped, else the exit code of the first failure."""
    return next((o.exit_code for o in outcomes if o.status == "failed"), 0)


def print_summary(outcomes: Sequence[Outcome], wall_seconds: float, not_selected: int = 0) -> None:
    """A table on stderr: what was done, skipped (why) and failed (code, reason), with times."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    style = {"done": "green", "skipped": "yellow", "failed": "red", "cancelled": "red"}
    table = Table(title="game-music batch", title_justify="left", expand=False)
    table.add_column("#", justify="right")
    table.add_column("Recording", overflow="fold")
    table.add_column("Result")
    table.add_column("Details", overflow="fold")
    table.add_column("Time", justify="right")
    for n, o in enumerate(outcomes, 1):
        if o.status == "done":
            detail = o.output.name if o.output else ""
        elif o.status == "failed":
            detail = f"[{o.code}] {o.detail}"
        else:
            detail = o.detail
        table.add_row(str(n), Text(o.input.name), Text(o.status, style=style[o.status]),
                      Text(detail), f"{o.seconds:.1f} s" if o.seconds else "")
    counts = {s: sum(o.status == s for o in outcomes) for s in style}
    caption = (f"{counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed "
               f"in {wall_seconds:.1f} s")
    if not_selected:
        caption += f"; {not_selected} older recording(s) not selected"
    table.caption = caption
    table.caption_justify = "left"
    Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 120).print(table)
