"""JSON-lines job events (Contract 2) and the progress mapper that feeds them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

STAGES: tuple[str, ...] = (
    "probe", "analyse", "compose", "synthesize", "mix", "render",
    "upload", "generate", "export", "download",
)

Event = dict[str, Any]
Emit = Callable[[Event], None]
#: What a backend calls: (stage, fraction of that stage in [0, 1]).
ProgressFn = Callable[[str, float], None]


def start_event(input: str, output: str, backend: str) -> Event:
    return {"event": "start", "input": input, "output": output, "backend": backend}


def done_event(input: str, output: str, seconds: float) -> Event:
    return {"event": "done", "input": input, "output": output, "seconds": round(seconds, 3)}


def error_event(input: str, code: str, message: str) -> Event:
    return {"event": "error", "input": input, "code": code, "message": message}


class Progress:
    """Maps per-stage fractions onto one whole-job fraction that never goes backwards.

    Stages are weighted (roughly by their share of wall time); a stage reported out of order
    simply jumps ahead. Events are throttled to steps of at least ``min_step``.
    """

    def __init__(self, emit: Emit, weights: Iterable[tuple[str, float]], min_step: float = 0.005):
        pairs = [(s, float(w)) for s, w in weights]
        for stage, _ in pairs:
            if stage not in STAGES:
                raise ValueError(f"unknown stage {stage!r}")
        total = sum(w for _, w in pairs) or 1.0
        self._spans: dict[str, tuple[float, float]] = {}
        acc = 0.0
        for stage, w in pairs:
            self._spans[stage] = (acc / total, (acc + w) / total)
            acc += w
        self._emit = emit
        self._min_step = min_step
        self._fraction = 0.0
        self._sent = -1.0
        self._stage: str | None = None
        self._lock = threading.Lock()

    @property
    def fraction(self) -> float:
        return self._fraction

    def __call__(self, stage: str, fraction: float) -> None:
        if stage not in self._spans:
            return
        lo, hi = self._spans[stage]
        value = lo + (hi - lo) * min(1.0, max(0.0, float(fraction)))
        with self._lock:
            if value < self._fraction:
                value = self._fraction
            changed_stage = stage != self._stage
            self._fraction = value
            self._stage = stage
            if changed_stage or value - self._sent >= self._min_step or value >= 1.0:
                if value == self._sent and not changed_stage:
                    return
                self._sent = value
                self._emit({"event": "progress", "stage": stage, "fraction": round(value, 4)})
