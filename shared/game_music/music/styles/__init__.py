"""The style catalogue: every style the engine plays, by name.

The catalogue lists its styles explicitly (no registration at import time, so nothing
depends on the order modules are imported in). A style is data (``base.Style``): tempo range,
progressions, drum patterns, registers and a synth factory; its arrangement, if it has one,
lives in ``music.arrange``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ...request import STYLES
from .band import AMBIENT, LOFI, ORCHESTRAL, ROCK
from .base import (
    BRIDGES,
    CADENCES,
    CHIP_DRUMS,
    MAJOR_MOODS,
    MOOD_PROGRESSIONS,
    MOOD_TEMPO,
    DrumPattern,
    Style,
)
from .chiptune import CHIPTUNE
from .retro import RETRO_STYLES

CATALOGUE: Mapping[str, Style] = MappingProxyType(
    {s.name: s for s in (CHIPTUNE, *RETRO_STYLES, ORCHESTRAL, LOFI, AMBIENT, ROCK)}
)
if set(CATALOGUE) != set(STYLES):  # the request's style names and the catalogue agree
    raise ImportError(f"style catalogue {sorted(CATALOGUE)} does not match {sorted(STYLES)}")

#: What ``game-music styles`` lists, in the request's order.
STYLE_INFO: Mapping[str, dict[str, Any]] = MappingProxyType(
    {name: CATALOGUE[name].info() for name in STYLES}
)


def resolve(name: str | None) -> tuple[Style, bool]:
    """The style to play for ``name`` and whether it fell back to chiptune."""
    style = CATALOGUE.get(name) if name is not None else None
    if style is not None and style.implemented:
        return style, False
    return CHIPTUNE, name is not None


__all__ = [
    "BRIDGES",
    "CADENCES",
    "CATALOGUE",
    "CHIP_DRUMS",
    "MAJOR_MOODS",
    "MOOD_PROGRESSIONS",
    "MOOD_TEMPO",
    "STYLE_INFO",
    "DrumPattern",
    "Style",
    "resolve",
]
