"""Music stages of the local engine: plan -> compose -> synthesize.

``compose_music`` plans a piece for an analysed video and returns a :class:`Composition` whose
``render(start, n)`` produces any block of the audio, deterministically and independently of
how the piece is cut into blocks.
"""

from __future__ import annotations

from .composition import Composition, compose_music
from .styles import STYLE_INFO

__all__ = ["STYLE_INFO", "Composition", "compose_music"]
