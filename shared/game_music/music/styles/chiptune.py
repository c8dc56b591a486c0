"""Chiptune: the NES 2A03 style (the default tables of ``base`` are its own)."""

from __future__ import annotations

from typing import Any

from ...request import MOODS
from .base import Style


def _chip_synth(sample_rate: int, bpm: float) -> Any:
    from ..synth.chip import ChipSynth

    return ChipSynth(sample_rate, bpm)


CHIPTUNE = Style(
    "chiptune",
    "NES-era 8-bit: two pulse channels with duty cycles, triangle bass, noise "
    "drums, fast arpeggios and echo.",
    ("pulse 1 (lead)", "pulse 2 (arpeggio/echo)", "triangle (bass)", "noise (drums)"),
    (130, 170),
    MOODS,
    synth=_chip_synth,
)
