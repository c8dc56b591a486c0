"""Synthesizers: one per style family; each renders the shared note table."""

from __future__ import annotations

from .chip import ChipSynth

__all__ = ["ChipSynth"]
