"""The job runner: one input -> one finished MP4, whatever the backend.

It owns what every backend must get right the same way: events and progress, the output name,
temp files in the output folder, the atomic rename at the end, cleanup on failure and Ctrl-C,
the sidecar that makes a take reproducible, and mapping every failure to a stable error code.
The input is only ever opened for reading.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import __version__, _leftovers
from ._errors import (
    Cancelled,
    DiskFull,
    GameMusicError,
    InputNotFound,
    InternalError,
    OutputNotWritable,
    UsageError,
)
from .backends.base import Backend, RenderOptions, RenderResult
from .events import Emit, Progress, done_event, error_event, start_event
from .media.probe import MediaInfo, probe
from .request import MusicRequest

log = logging.getLogger("game_music")

OUTPUT_SUFFIX = " (game music)"
PREVIEW_SUFFIX = " (game music preview)"
SIDECAR_SUFFIX = ".game-music.json"
REPORT_SUFFIX = ".report.png"


@dataclass(frozen=True)
class JobResult:
    input: Path
    output: Path
    seconds: float
    result: RenderResult


def default_output(input_path: Path, folder: Path | None = None, *, preview: bool = False) -> Path:
    """``<stem> (game music).mp4`` next to the input (or in ``folder``)."""
    suffix = PREVIEW_SUFFIX if preview else OUTPUT_SUFFIX
    return (folder or input_path.parent) / f"{input_path.stem}{suffix}.mp4"


def resolve_output(input_path: Path, output_arg: str | None, *, preview: bool = False) -> Path:
    """Contract 1: no ``-o`` -> next to the input; a folder (or trailing separator) -> that
    name inside it; anything else is the output file itself."""
    if not output_arg:
        return default_output(input_path, preview=preview)
    out = Path(output_arg).expanduser()
    if output_arg.endswith(("/", os.sep)) or out.is_dir():
        return default_output(input_path, out, preview=preview)
    return mp4_name(out)


# Names that promise another kind of file than the MP4 game-music writes.
_OTHER_MEDIA = frozenset({
    ".mkv", ".mov", ".avi", ".webm", ".flv", ".ts", ".m2ts", ".mts", ".wmv", ".mpg", ".mpeg",
    ".3gp", ".ogv", ".gif", ".wav", ".mp3", ".aac", ".m4a", ".flac", ".ogg", ".opus",
})


def mp4_name(out: Path) -> Path:
    """The output is MP4 (Contract 4): ``.mp4``/``.m4v`` names are kept, a name without that
    extension gets ``.mp4`` appended ("final" -> "final.mp4", "take.v2" -> "take.v2.mp4"), and
    a name that promises another format ("clip.mkv") is refused rather than given MP4 data."""
    suffix = out.suffix.lower()
    if suffix in (".mp4", ".m4v"):
        return out
    if suffix in _OTHER_MEDIA:
        raise UsageError(f"-o {out.name}: game-music writes MP4 video; name the output "
                         f"{out.stem}.mp4")
    return out.with_name(out.name + ".mp4")


def sidecar_path(output: Path) -> Path:
    return output.with_name(output.name + SIDECAR_SUFFIX)


def seed_for(input_path: Path, size: int) -> int:
    """A stable default seed: re-running on the same file gives the same take."""
    return zlib.crc32(f"{input_path.name}:{size}".encode()) & 0x7FFFFFFF


def _temp_paths(output: Path, token: str, options: RenderOptions) -> tuple[Path, Path, list[Path]]:
    """The work folder and part file of a run, and every temporary path it may leave."""
    workdir = output.with_name(f".game-music-{token}")
    tmp_out = output.with_name(f".{output.stem}.{token}.part.mp4")
    extra = [p.with_name(f".{p.name}.part") for p in (options.stem_path, options.pcm_mov_path)
             if p is not None]
    return workdir, tmp_out, [workdir, tmp_out, tmp_out.with_name(f".{tmp_out.name}.part"),
                              *extra]


def _claim_output(
    output: Path, options: RenderOptions
) -> tuple[Path, _leftovers.Claim, Path, Path]:
    """One live run per final name: a name another live run (this process or another) is
    writing goes to the next free numbered name instead, and we say so."""
    token = uuid.uuid4().hex[:8]
    wanted = output
    for n in range(1, 1000):
        candidate = output if n == 1 else output.with_name(f"{output.stem} {n}{output.suffix}")
        if candidate.exists() and not sidecar_path(candidate).exists():
            continue  # not ours: never replaced
        workdir, tmp_out, paths = _temp_paths(candidate, token, options)
        claim = _leftovers.try_claim(candidate, paths)
        if claim is None:
            continue  # a live run is writing this name
        if candidate != wanted and _leftovers.marker_path(wanted).exists():
            log.warning("%s is being written by another run; this take is %s",
                        wanted.name, candidate.name)
        return candidate, claim, workdir, tmp_out
    raise OutputNotWritable(f"{output.parent}: too many outputs named {output.name}")


def _check_output_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_error(exc, folder) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputNotWritable(f"{folder}: the output folder is not writable")


def _os_error(exc: OSError, where: Path) -> GameMusicError:
    if exc.errno == errno.ENOSPC:
        return DiskFull(f"{where}: the disk is full")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OutputNotWritable(f"{where}: permission denied")
    if exc.errno == errno.ENOENT:
        return OutputNotWritable(f"{where}: the output folder no longer exists")
    return OutputNotWritable(f"{where}: {exc.strerror or exc}")


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def run_job(
    input_path: Path,
    request: MusicRequest,
    output: Path,
    backend: Backend,
    emit: Emit,
    *,
    options: RenderOptions | None = None,
    prompt: str | None = None,
    probe_fn: Callable[[Path], MediaInfo] = probe,
) -> JobResult:
    """Run one job; emit start/progress/done, or an error event and re-raise it."""
    options = options or RenderOptions()
    input_path = Path(input_path).expanduser().absolute()
    output = Path(output).expanduser().absolute()
    t0 = time.monotonic()
    emit(start_event(str(input_path), str(output), backend.name))
    progress = Progress(emit, [("probe", 1.0), *backend.weights])
    tmp_out: Path | None = None
    workdir: Path | None = None
    claim: _leftovers.Claim | None = None
    try:
        if not input_path.exists():
            raise InputNotFound(f"{input_path.name}: file not found")
        if output.exists() and output.samefile(input_path):
            raise OutputNotWritable(f"{output.name}: refusing to overwrite the input")
        progress("probe", 0.0)
        media = probe_fn(input_path)
        progress("probe", 1.0)
        _check_output_folder(output.parent)
        if request.seed is None:
            request = request.replace(seed=seed_for(input_path, media.size_bytes))
        try:
            # What a killed run left here goes first; a live run's files are never touched.
            _leftovers.sweep(output.parent)
            # The marker exists before anything it lists, so a kill at any point is swept.
            output, claim, workdir, tmp_out = _claim_output(output, options)
            workdir.mkdir()
        except OSError as exc:
            raise _os_error(exc, output.parent) from None
        result = backend.render(
            media, request, tmp_out, workdir=workdir, progress=progress, options=options
        )
        if not tmp_out.exists() or tmp_out.stat().st_size == 0:
            raise InternalError("the backend produced no output file")
        try:
            os.replace(tmp_out, output)
        except OSError as exc:
            raise _os_error(exc, output) from None
        seconds = time.monotonic() - t0
        placed = _place_report(result, output, options, backend.name)
        _write_sidecar(output, input_path, media, request, backend.name, prompt, result, seconds)
        done = done_event(str(input_path), str(output), seconds)
        done.update(_extra_outputs(options))
        note = (result.summary.get("mix") or {}).get("game_audio_note")
        if note:
            done["note"] = note
        if placed is not None:
            done["report"] = str(placed)
        emit(done)
        return JobResult(input_path, output, seconds, result)
    except KeyboardInterrupt:
        err: GameMusicError = Cancelled("interrupted")
        emit(error_event(str(input_path), err.code, err.message))
        raise err from None
    except GameMusicError as exc:
        emit(error_event(str(input_path), exc.code, exc.message))
        raise
    except OSError as exc:
        err = _os_error(exc, output)
        emit(error_event(str(input_path), err.code, err.message))
        raise err from exc
    except Exception as exc:  # a bug: one line for the user, the traceback for --debug
        log.debug("internal error", exc_info=True)
        err = InternalError(f"internal error: {type(exc).__name__}: {exc}")
        emit(error_event(str(input_path), err.code, err.message))
        raise err from exc
    finally:
        if tmp_out is not None:
            tmp_out.unlink(missing_ok=True)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
        if claim is not None:
            claim.release()


def report_path(output: Path) -> Path:
    """``<output>.report.png``: the picture ``--report`` draws."""
    return output.with_name(output.name + REPORT_SUFFIX)


def _place_report(
    result: RenderResult, output: Path, options: RenderOptions, backend: str
) -> Path | None:
    """Move the backend's report picture next to the output; a failure costs only the
    picture (the video is done)."""
    if not options.report:
        return None
    if result.report is None or not result.report.exists():
        log.warning("the %s backend draws no report", backend)
        return None
    final = report_path(output)
    try:
        shutil.move(str(result.report), final)
    except OSError as exc:
        log.warning("could not write %s: %s", final.name, exc)
        return None
    return final


def _extra_outputs(options: RenderOptions) -> dict[str, str]:
    extra = {}
    if options.stem_path is not None:
        extra["stem"] = str(options.stem_path.absolute())
    if options.pcm_mov_path is not None:
        extra["pcm_mov"] = str(options.pcm_mov_path.absolute())
    return extra


def _write_sidecar(
    output: Path,
    input_path: Path,
    media: MediaInfo,
    request: MusicRequest,
    backend: str,
    prompt: str | None,
    result: RenderResult,
    seconds: float,
) -> None:
    data = {
        "tool": "game-music",
        "version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "input": str(input_path),
        "input_size": media.size_bytes,
        "output": str(output),
        "backend": backend,
        "prompt": prompt,
        "request": request.to_dict(),
        "seed": request.seed,
        "seconds": round(seconds, 3),
        "summary": result.summary,
    }
    try:
        _write_json_atomic(sidecar_path(output), data)
    except OSError as exc:  # the video is safe; a missing sidecar only loses "refine"
        log.warning("could not write %s: %s", sidecar_path(output).name, exc)
