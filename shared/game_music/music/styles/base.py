"""What a style is: tempo range, progressions by mood, drum patterns, registers, a synth.

The composer is shared (it writes notes in roles: pad, arp, lead, counter, bass, drums); the
style decides how fast, in which harmonies and with which patterns, and its synth decides the
sound. The tables here are the defaults the styles start from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

MAJOR_MOODS = frozenset({"heroic", "triumphant", "calm", "happy", "playful"})

# Roman numerals on the major scale (minor keys written with flats: i bVI bVII).
MOOD_PROGRESSIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "heroic": ("I V vi IV", "I IV V IV", "I bVII IV I", "I V bVII IV", "vi IV I V"),
        "triumphant": ("I IV V I", "I bVI bVII I", "I V IV V", "IV V iii vi"),
        "tense": ("i bVI bVII i", "i iv V i", "i bII i bII", "i bVI iv V", "i i bVI V"),
        "dark": ("i bVI iv V", "i bVII bVI V", "i iv bVI V", "i bII bVI V"),
        "calm": ("I iii IV I", "Imaj7 IVmaj7 Imaj7 IVmaj7", "I V vi IV", "I IV vi V"),
        "happy": ("I vi ii V", "I IV I V", "I vi IV V", "IV V I vi"),
        "playful": ("I vi ii V", "I IV I V", "I ii iii IV", "I vi IV V"),
        "sad": ("i bVI bIII bVII", "i iv i V", "i bVII bVI bVII", "i bVI iv V"),
        "mysterious": ("i II i II", "i IV i IV", "i bII i bVII", "i iv bVI II"),
    }
)
BRIDGES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "major": ("IV V iii vi", "vi iii IV V", "ii V iii vi", "IV IV I V"),
        "minor": ("bVI bVII i i", "iv v bVI bVII", "bIII bVII iv V", "iv iv i V"),
    }
)
# Final cadences: the last numeral is the chord the piece ends on.
CADENCES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "major": ("IV V I", "bVI bVII I", "ii V I"),
        "minor": ("iv V i", "bVI bVII i", "bVI V i"),
    }
)
# Where in the style's tempo range each mood sits (0 = slowest, 1 = fastest).
MOOD_TEMPO: Mapping[str, float] = MappingProxyType(
    {
        "heroic": 0.55,
        "triumphant": 0.45,
        "tense": 0.8,
        "dark": 0.3,
        "calm": 0.15,
        "happy": 0.6,
        "playful": 0.7,
        "sad": 0.1,
        "mysterious": 0.25,
    }
)

# Drum patterns: (kick, snare, hat) over 16 sixteenths; "x" hit, "o" open hat, "m" metallic.
DrumPattern = tuple[str, str, str]
CHIP_DRUMS: Mapping[int, tuple[DrumPattern, ...]] = MappingProxyType(
    {
        1: (
            ("x...............", "................", "..x...x...x...x."),
            ("x.......x.......", "................", "x.x.x.x.x.x.x.x."),
            ("x...............", "........x.......", "....x.......x..."),
        ),
        2: (
            ("x.......x.......", "....x.......x...", "x.x.x.x.x.x.x.x."),
            ("x.....x.x.......", "....x.......x...", "..x...x...x...o."),
            ("x.......x.x.....", "....x.......x...", "x.x.x.x.x.x.x.xx"),
            ("x..x....x.......", "....x.......x...", "x.x.x.x.x.o.x.x."),
        ),
        3: (
            ("x.......x.x.....", "....x.......x...", "xxxxxxxxxxxxxxxx"),
            ("x..x..x.x.......", "....x.......x..x", "x.xxx.xxx.xxx.xx"),
            ("x.....x.x.....x.", "....x.......x...", "xmxxxmxxxmxxxmxx"),
            ("x..x....x..x....", "....x..x....x...", "x.x.x.x.x.x.x.x."),
        ),
    }
)

LAYERS = ("pad", "arp", "bass", "drums", "lead", "counter")


@dataclass(frozen=True)
class Style:
    name: str
    summary: str
    instruments: tuple[str, ...]
    tempo_range: tuple[int, int]
    moods: tuple[str, ...]
    synth: Callable[[int, float], Any] | None = None  # (sample_rate, bpm) -> synth
    # The family of recorded instruments that plays this style when a SoundFont can be played
    # (``synth.recorded.sampled_synth``); ``synth`` is then the fallback.
    sampled: str | None = None
    # How the style answers the clip's big moments (music.accents): "chip" (a roll, a crash
    # and the bass on the beat, a break; drums on the noise channel alone), "kit" (the same
    # with a kick of its own, for the band mixer) or "soft" (a cymbal swell and the bass).
    accent: str = "chip"
    progressions: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MOOD_PROGRESSIONS)
    bridges: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: BRIDGES)
    cadences: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: CADENCES)
    drums: Mapping[int, tuple[DrumPattern, ...]] = field(default_factory=lambda: CHIP_DRUMS)
    layers: tuple[str, ...] = LAYERS
    # Registers (MIDI) per role: where the composer writes each part.
    registers: Mapping[str, tuple[int, int]] = field(
        default_factory=lambda: MappingProxyType(
            {
                "lead": (67, 88),
                "pad": (62, 79),
                "arp": (60, 79),
                "bass": (33, 52),
            }
        )
    )

    @property
    def implemented(self) -> bool:
        return self.synth is not None

    def info(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "summary": self.summary,
            "instruments": list(self.instruments),
            "tempo_range": list(self.tempo_range),
            "moods": list(self.moods),
            "implemented": self.implemented,
            "sampled": self.sampled is not None,
        }
