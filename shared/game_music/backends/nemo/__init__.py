"""The NemoVideo cloud backend (``--backend nemo``)."""

from __future__ import annotations

from .backend import NemoBackend, build_instruction

__all__ = ["NemoBackend", "build_instruction"]
