"""Refine an earlier take: read its sidecar, apply a new prompt to its request, render again.

``game-music refine "match (game music).mp4" -p "quieter music, more epic"`` keeps everything
the new words do not change (style, mood, volume, range, seed), so the result is the same piece
with the change asked for; "another take" / "new take" moves to the next seed, and ``--seed``
picks one. It renders from the original input with the backend of the earlier take, and
replaces that take (our own file) unless told to write elsewhere. The new sidecar keeps the
chain of prompts that led to it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._errors import UsageError
from .backends.base import Backend, RenderOptions
from .events import Emit
from .jobs import (
    SIDECAR_SUFFIX,
    JobResult,
    _write_json_atomic,
    resolve_output,
    run_job,
    sidecar_path,
)
from .prompt import parse_prompt
from .request import MusicRequest

# "another take", "a new take", "different version", "try again": the next seed.
_NEW_TAKE = re.compile(
    r"\b(?:(?:another|new|different|next|other)\s+(?:take|version|variation|one)|try\s+again)\b",
    re.IGNORECASE,
)

BackendFactory = Callable[[str, "str | None"], Backend]


def load_sidecar(output: Path) -> tuple[Path, dict[str, Any]]:
    """The earlier output (the video, even when given its sidecar) and its sidecar data."""
    output = Path(output).expanduser().absolute()
    if output.name.endswith(SIDECAR_SUFFIX):
        output = output.with_name(output.name[: -len(SIDECAR_SUFFIX)])
    side = sidecar_path(output)
    if not side.is_file():
        raise UsageError(
            f"{output.name}: no {side.name} next to it; refine works on videos game-music made"
        )
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("request"), dict):
            raise ValueError("no request in it")
        if not data.get("input"):
            raise ValueError("no input in it")
        MusicRequest.from_dict(data["request"])
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(f"{side.name}: not a readable game-music sidecar ({exc})") from None
    return output, data


def refined_request(
    sidecar: dict[str, Any], text: str, seed: int | None = None
) -> MusicRequest:
    """The earlier request changed by ``text``; the seed is kept unless asked otherwise."""
    base = MusicRequest.from_dict(sidecar["request"])
    if base.seed is None and isinstance(sidecar.get("seed"), int):
        base = base.replace(seed=sidecar["seed"])
    new = parse_prompt(text, base=base)
    leftovers = tuple(u for u in new.unrecognized if not _NEW_TAKE.search(u))
    new = new.replace(unrecognized=leftovers)
    if seed is not None:
        return new.replace(seed=int(seed))
    if new.seed == base.seed and _NEW_TAKE.search(text):
        return new.replace(seed=((base.seed or 0) + 1) % 2**32)
    return new


def _input_of(sidecar: dict[str, Any], output: Path) -> Path:
    """The original input; when it moved together with the output, its name beside it."""
    original = Path(str(sidecar["input"])).expanduser()
    if original.exists():
        return original
    beside = output.parent / original.name
    return beside if beside.exists() and beside != output else original


def _options(sidecar: dict[str, Any]) -> RenderOptions:
    """The same span of the input as the earlier take (editor ranges, previews)."""
    span = (sidecar.get("summary") or {}).get("range")
    if isinstance(span, list) and len(span) == 2 and all(isinstance(x, int | float) for x in span):
        return RenderOptions(start_s=float(span[0]) or None, end_s=float(span[1]))
    return RenderOptions()


@dataclass(frozen=True)
class Refinement:
    """What a refinement will do, worked out before anything runs."""

    earlier: Path  # the take being refined
    sidecar: dict[str, Any]
    input: Path
    output: Path
    request: MusicRequest
    prompt: str
    prompts: tuple[str, ...]  # every prompt from the first take to this one
    options: RenderOptions


def plan_refinement(
    output: Path, text: str, *, seed: int | None = None, output_arg: str | None = None
) -> Refinement:
    """Read the earlier take's sidecar and work out the new request; raises UsageError."""
    if not text or not text.strip():
        raise UsageError('say what to change, e.g. -p "quieter music, more epic"')
    earlier, sidecar = load_sidecar(output)
    input_path = _input_of(sidecar, earlier)
    chain = [str(p) for p in (sidecar.get("prompts") or [sidecar.get("prompt")]) if p]
    return Refinement(
        earlier,
        sidecar,
        input_path,
        resolve_output(input_path, output_arg) if output_arg else earlier,
        refined_request(sidecar, text, seed),
        text.strip(),
        (*chain, text.strip()),
        _options(sidecar),
    )


def run_refinement(plan: Refinement, *, make_backend: BackendFactory, emit: Emit) -> JobResult:
    """Render the refined take (events and errors as for ``add``)."""
    backend = make_backend(str(plan.sidecar.get("backend") or "local"), ". ".join(plan.prompts))
    result = run_job(
        plan.input, plan.request, plan.output, backend, emit,
        options=plan.options, prompt=plan.prompt,
    )
    _record_chain(result.output, list(plan.prompts), plan.sidecar)
    return result


def refine(
    output: Path,
    text: str,
    *,
    make_backend: BackendFactory,
    emit: Emit,
    seed: int | None = None,
    output_arg: str | None = None,
) -> JobResult:
    """Plan and run a refinement of ``output`` in one call."""
    plan = plan_refinement(output, text, seed=seed, output_arg=output_arg)
    return run_refinement(plan, make_backend=make_backend, emit=emit)


def _record_chain(output: Path, prompts: list[str], earlier: dict[str, Any]) -> None:
    """Add the prompts that led here and the earlier take's request to the new sidecar."""
    side = sidecar_path(output)
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # the job already warned about a missing sidecar
    data["prompts"] = prompts
    data["refined_from"] = {
        "output": earlier.get("output"),
        "prompt": earlier.get("prompt"),
        "seed": earlier.get("seed"),
        "request": earlier.get("request"),
        "created": earlier.get("created"),
    }
    try:
        _write_json_atomic(side, data)
    except OSError:
        pass
