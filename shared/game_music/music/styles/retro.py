"""Retro and electronic styles as data: gameboy, fm16, synthwave, edm.

Each is data for the shared composer (tempo range, progressions, drum patterns, registers)
plus a synth factory. Patterns use the grid of ``base.CHIP_DRUMS``: (kick, snare, hat) over
16 sixteenths, "x" hit, "o" open hat, "m" metallic.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ...request import MOODS
from .base import BRIDGES, CADENCES, MOOD_PROGRESSIONS, DrumPattern, Style


def _gameboy_synth(sample_rate: int, bpm: float) -> Any:
    from ..synth.gameboy import GameBoySynth

    return GameBoySynth(sample_rate, bpm)


def _fm_synth(sample_rate: int, bpm: float) -> Any:
    from ..synth.fm import FMSynth

    return FMSynth(sample_rate, bpm)


def _synthwave_synth(sample_rate: int, bpm: float) -> Any:
    from ..synth.analog import synthwave_synth

    return synthwave_synth(sample_rate, bpm)


def _edm_synth(sample_rate: int, bpm: float) -> Any:
    from ..synth.analog import edm_synth

    return edm_synth(sample_rate, bpm)


def _drums(d: dict[int, tuple[DrumPattern, ...]]) -> Mapping[int, tuple[DrumPattern, ...]]:
    return MappingProxyType(d)


def _regs(**kw: tuple[int, int]) -> Mapping[str, tuple[int, int]]:
    base = {"lead": (67, 88), "pad": (62, 79), "arp": (60, 79), "bass": (33, 52)}
    base.update(kw)
    return MappingProxyType(base)


# Handheld: busy, bouncy drums on one noise channel; shuffled hats; the chiptune harmony.
GAMEBOY_DRUMS = _drums(
    {
        1: (
            ("x.......x.......", "................", "..x...x...x...x."),
            ("x.........x.....", "........x.......", "x...x...x...x..."),
        ),
        2: (
            ("x.......x.......", "....x.......x...", "x.xxx.xxx.xxx.xx"),
            ("x.....x...x.....", "....x.......x...", "x.x.x.x.x.x.x.x."),
            ("x..x..x.........", "....x.......x.x.", "..x...x...x...x."),
        ),
        3: (
            ("x.....x.x.......", "....x.......x..x", "xxxxxxxxxxxxxxxx"),
            ("x..x..x...x.....", "....x..x....x...", "x.xmx.xmx.xmx.xm"),
            ("x.x...x.x.x.....", "....x.......x.xx", "x.x.x.x.x.x.x.x."),
        ),
    }
)

# Genesis: syncopated funk/rock kit, PSG hats; modal rock harmony (mixolydian, dorian, phrygian).
FM16_DRUMS = _drums(
    {
        1: (
            ("x.........x.....", "........x.......", "x.x.x.x.x.x.x.x."),
            ("x.......x.......", "................", "..x...x...x...x."),
        ),
        2: (
            ("x..x....x.x.....", "....x.......x...", "x.x.x.x.x.x.x.x."),
            ("x.....x.x.......", "....x.......x...", "x.xxx.xxx.xxx.xx"),
            ("x..x..x...x.....", "....x.......x..x", "x.x.x.o.x.x.x.o."),
        ),
        3: (
            ("x..x..x.x.x.....", "....x.......x...", "xxxxxxxxxxxxxxxx"),
            ("x.x...x.x..x....", "....x..x....x.x.", "x.x.x.x.x.x.x.x."),
            ("x..x..x...x..x..", "....x.......x...", "x.xox.xox.xox.xo"),
        ),
    }
)
FM16_PROGRESSIONS = MappingProxyType(
    {
        **MOOD_PROGRESSIONS,
        "heroic": ("I bVII IV I", "I V vi IV", "vi IV V I", "I bVI bVII I"),
        "tense": ("i bVII bVI bVII", "i bII i bVII", "i iv bVI V", "i bVI bIII bVII"),
        "dark": ("i bII bVI V", "i bVI iv V", "i bVII bVI V"),
        "playful": ("I IV ii V", "I vi IV V", "I bVII IV I"),
    }
)

# Synthwave: kick on 1 and 3, big snare on 2 and 4, straight eighth hats; minor-key pop
# progressions (i bVI bIII bVII), the "outrun" vi IV I V, long held chords.
SYNTHWAVE_DRUMS = _drums(
    {
        1: (
            ("x.......x.......", "................", "x.x.x.x.x.x.x.x."),
            ("x.......x.......", "............x...", "x.x.x.x.x.x.x.x."),
        ),
        2: (
            ("x.......x.......", "....x.......x...", "x.x.x.x.x.x.x.x."),
            ("x.......x.x.....", "....x.......x...", "x.x.x.x.x.x.x.x."),
            ("x.......x.......", "....x.......x...", "xxx.xxx.xxx.xxx."),
        ),
        3: (
            ("x.......x.x.....", "....x.......x...", "xxxxxxxxxxxxxxxx"),
            ("x.....x.x.......", "....x.......x...", "x.x.x.x.x.x.x.xo"),
        ),
    }
)
SYNTHWAVE_PROGRESSIONS = MappingProxyType(
    {
        **MOOD_PROGRESSIONS,
        "heroic": ("vi IV I V", "I V vi IV", "IV V vi vi", "I bVII IV IV"),
        "triumphant": ("I V vi IV", "IV V I I", "I bVI bVII I"),
        "tense": ("i bVI bIII bVII", "i i bVI bVII", "i bVII bVI bVII", "i iv bVI V"),
        "dark": ("i bVI bIII bVII", "i bVI iv V", "i i bVI bVI"),
        "calm": ("Imaj7 IVmaj7 Imaj7 IVmaj7", "I iii IV IV", "IV V iii vi"),
        "sad": ("i bVI bIII bVII", "i bVII bVI bVII", "i iv bVI bVII"),
        "mysterious": ("i bVI i bVI", "i IV i IV", "i bVII bVI bVII"),
    }
)

# House: four on the floor, claps on 2 and 4, off-beat open hats; level 1 is the half-time
# breakdown (a kick on 1, a clap on 3). Pop-EDM progressions (vi IV I V, i bVI bIII bVII).
EDM_DRUMS = _drums(
    {
        1: (
            ("x...............", "........x.......", "..x...x...x...x."),
            ("x.........x.....", "........x.......", "x.x.x.x.x.x.x.x."),
        ),
        2: (
            ("x...x...x...x...", "....x.......x...", "..o...o...o...o."),
            ("x...x...x...x...", "....x.......x...", "x.o.x.o.x.o.x.o."),
        ),
        3: (
            ("x...x...x...x...", "....x.......x...", "xxoxxxoxxxoxxxox"),
            ("x...x...x...x..x", "....x.......x...", "x.o.x.o.x.o.x.o."),
        ),
    }
)
EDM_PROGRESSIONS = MappingProxyType(
    {
        **MOOD_PROGRESSIONS,
        "heroic": ("vi IV I V", "I V vi IV", "IV I V vi"),
        "triumphant": ("I V vi IV", "IV V vi I", "I bVI bVII I"),
        "happy": ("I V vi IV", "IV I V vi", "I vi IV V"),
        "playful": ("I V vi IV", "I IV vi V"),
        "tense": ("i bVI bIII bVII", "i bVII bVI bVII", "i i bVI bVII"),
        "dark": ("i bVI bIII bVII", "i bVI iv V", "i bII bVI V"),
    }
)

RETRO_STYLES = (
    Style(
        "gameboy",
        "Handheld 4-bit (DMG): two pulses, a 32-sample 4-bit wave channel, 15/7-bit noise; "
        "hard left/right panning, a shuffle, lead echoes, no pads, dry.",
        ("pulse 1 (lead)", "pulse 2 (echo/arpeggio)", "wave channel (bass)", "noise (drums)"),
        (110, 140),
        MOODS,
        synth=_gameboy_synth,
        drums=GAMEBOY_DRUMS,
        registers=_regs(lead=(69, 91), arp=(64, 84), pad=(64, 81)),
    ),
    Style(
        "fm16",
        "16-bit console FM: slap FM bass, brass lead, e-piano and bells, PCM drums.",
        ("FM slap bass", "FM brass", "FM e-piano", "FM bells", "PCM drums", "PSG hats"),
        (110, 160),
        MOODS,
        synth=_fm_synth,
        progressions=FM16_PROGRESSIONS,
        drums=FM16_DRUMS,
        registers=_regs(lead=(64, 86), arp=(57, 76), pad=(57, 74)),
    ),
    Style(
        "synthwave",
        "80s analog synths: detuned saws, eighth-note arps, sixteenth bass, gated snare, "
        "big reverb.",
        ("saw lead", "chorus pad", "pluck arp", "sixteenth bass", "drum machine"),
        (80, 118),
        ("heroic", "tense", "calm", "dark", "sad", "mysterious", "triumphant"),
        synth=_synthwave_synth,
        progressions=SYNTHWAVE_PROGRESSIONS,
        bridges=BRIDGES,
        cadences=CADENCES,
        drums=SYNTHWAVE_DRUMS,
        registers=_regs(lead=(62, 84), arp=(55, 74), pad=(52, 71)),
    ),
    Style(
        "edm",
        "Electronic dance (house): supersaws, sine sub, four on the floor, sidechain "
        "pumping, risers and drops.",
        ("supersaw", "sub bass", "pluck", "drum machine", "risers"),
        (120, 130),
        ("heroic", "tense", "happy", "triumphant", "dark", "playful"),
        synth=_edm_synth,
        progressions=EDM_PROGRESSIONS,
        drums=EDM_DRUMS,
        registers=_regs(lead=(64, 86), arp=(60, 79), pad=(55, 74)),
    ),
)
