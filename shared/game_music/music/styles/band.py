"""The band styles as data: orchestral, lo-fi, ambient, rock.

Their arrangements (``music.arrange``) re-voice the composer's notes; their synths play them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ...request import MOODS
from .base import Style

_ALL = ("heroic", "tense", "calm", "dark", "happy", "sad", "mysterious", "triumphant", "playful")


def _progs(**kw: tuple[str, ...]) -> Mapping[str, tuple[str, ...]]:
    missing = set(_ALL) - set(kw)
    if missing:
        raise ValueError(f"progressions missing for {sorted(missing)}")
    return MappingProxyType(kw)


def _drums(d: dict[int, tuple[tuple[str, str, str], ...]]):
    for pats in d.values():
        for p in pats:
            assert all(len(x) == 16 for x in p), p
    return MappingProxyType(d)




ORCHESTRAL = Style(
    "orchestral",
    "Epic/RPG: string sections, horns, timpani, choir, harp, a 2.6 s hall.",
    ("strings", "brass", "timpani", "choir pad", "harp"),
    (70, 140),
    MOODS,
    synth=lambda sr, bpm: _synth("orchestra", sr, bpm),
    sampled="orchestra",
    accent="kit",
    progressions=_progs(
        heroic=("I V vi IV", "I bVII IV I", "vi IV I V", "I iii IV V", "I V bVII IV"),
        triumphant=("I IV V I", "I bVI bVII I", "I V vi IV", "IV V iii vi"),
        tense=("i bVI bIII bVII", "i i bVI bVII", "i bVI iv V", "i bII i bVII"),
        dark=("i bVI iv V", "i bII bVI V", "i iv bVI V", "i bVII bVI V"),
        calm=("I IV I V", "I vi IV V", "I iii vi IV", "IV I V I"),
        happy=("I IV V IV", "I vi IV V", "I V vi IV", "IV V I vi"),
        playful=("I vi ii V", "I IV I V", "I ii iii IV"),
        sad=("i bVI bIII bVII", "i iv bVI V", "i bVII bVI bVII", "i iv i V"),
        mysterious=("i bVI i bII", "i IV i bVI", "i bII bVI V", "i iv bVI II"),
    ),
    drums=_drums(
        {  # half-time: the big drum on 1, the snare on 3
            1: (
                ("x...............", "................", "................"),
                ("x.......x.......", "................", "................"),
            ),
            2: (
                ("x.........x.....", "........x.......", "................"),
                ("x..x......x.....", "........x.......", "....x.......x..."),
                ("x.......x.x.....", "........x.......", "................"),
            ),
            3: (
                ("x..x..x.x..x..x.", "....x.......x...", "x.x.x.x.x.x.x.x."),
                ("x.x...x.x.x...x.", "........x.......", "..x...x...x...x."),
                ("x..x....x..x....", "....x.......x..x", "................"),
            ),
        }
    ),
    registers=MappingProxyType(
        {"lead": (65, 86), "pad": (60, 76), "arp": (55, 79), "bass": (33, 52)}
    ),
)


LOFI = Style(
    "lofi",
    "Lo-fi hip hop: swung boom-bap drums, e-piano 7th/9th chords, tape wow, vinyl crackle.",
    ("e-piano", "upright bass", "swung drums", "vinyl"),
    (70, 90),
    ("calm", "sad", "happy", "mysterious", "playful"),
    synth=lambda sr, bpm: _synth("lofi", sr, bpm),
    sampled="lofi",
    accent="kit",
    progressions=_progs(
        calm=(
            "ii7 V7 Imaj7 Imaj7",
            "Imaj7 vi7 ii7 V7",
            "IVmaj7 iii7 ii7 Imaj7",
            "Imaj7 IVmaj7 iii7 vi7",
        ),
        happy=("Imaj7 vi7 ii7 V7", "IVmaj7 V7 iii7 vi7", "ii7 V7 Imaj7 vi7"),
        playful=("ii7 V7 Imaj7 vi7", "Imaj7 IV7 Imaj7 V7", "IVmaj7 V7 Imaj7 vi7"),
        heroic=("IVmaj7 V7 iii7 vi7", "Imaj7 V7 vi7 IVmaj7"),
        triumphant=("IVmaj7 V7 Imaj7 Imaj7", "ii7 V7 Imaj7 IVmaj7"),
        sad=("i7 iv7 i7 iv7", "i7 iv7 bVImaj7 V7", "i7 bVImaj7 iv7 v7", "iv7 v7 i7 i7"),
        mysterious=("i7 IV7 i7 IV7", "i7 bIImaj7 i7 bVII7", "i7 iv7 bVImaj7 bIImaj7"),
        dark=("i7 bVImaj7 iv7 V7", "i7 iv7 bIImaj7 V7"),
        tense=("i7 bVImaj7 bVII7 i7", "i7 iv7 V7 i7"),
    ),
    drums=_drums(
        {
            1: (
                ("x.........x.....", "................", "x.x.x.x.x.x.x.x."),
                ("x......x..x.....", "................", "x...x...x...x..."),
                ("x.........x.....", "....x.......x...", "x...x...x...x..."),
            ),
            2: (
                ("x.........x.....", "....x.......x...", "x.xxx.x.x.xxx.x."),
                ("x......x..x..x..", "....x.......x...", "x.x.x.xxx.x.x.x."),
                ("x.x.......x.....", "....x.......x..x", "x.x.x.x.x.x.x.xo"),
            ),
            3: (
                ("x......xx.x.....", "....x.......x...", "xxx.xxx.xxx.xxx."),
                ("x.x....x..x..x..", "....x..x....x...", "x.xxx.xxx.xxx.xx"),
                ("x..x......x.x...", "....x.......x...", "xxxxxxxxxxxxxxx."),
            ),
        }
    ),
    registers=MappingProxyType(
        {"lead": (65, 82), "pad": (57, 72), "arp": (60, 79), "bass": (33, 50)}
    ),
)


AMBIENT = Style(
    "ambient",
    "Exploration: slow pads, a tonic drone, sparse echoing bells, lydian/dorian colour.",
    ("pads", "bells", "drone", "soft pulse"),
    (60, 90),
    ("calm", "mysterious", "sad", "dark"),
    accent="soft",
    synth=lambda sr, bpm: _synth("ambient", sr, bpm),
    progressions=_progs(
        calm=(
            "Imaj7 Imaj7 II II",
            "Imaj7 Imaj7 IVmaj7 IVmaj7",
            "I I II II I I vi vi",
            "IVmaj7 IVmaj7 Imaj7 Imaj7",
        ),
        happy=("I I II II", "Imaj7 Imaj7 IVmaj7 IVmaj7", "I I vi vi IV IV II II"),
        playful=("I I II II", "IVmaj7 IVmaj7 Imaj7 Imaj7"),
        heroic=("I I II II IV IV I I", "Imaj7 Imaj7 V V"),
        triumphant=("IV IV I I", "I I II II IV IV V V"),
        mysterious=("i i IV IV", "i i bII bII", "i7 i7 IV IV bVI bVI i i"),
        sad=("i7 i7 IV IV", "i i IV IV bVII bVII i i", "i7 i7 iv7 iv7"),
        dark=("i i bII bII", "i i bVI bVI", "i i iv iv bVI bVI V V"),
        tense=("i i bII bII", "i i bVI bVI iv iv V V"),
    ),
    bridges=MappingProxyType(
        {
            "major": ("IV IV V V", "vi vi IV IV", "II II IV IV"),
            "minor": ("bVI bVI bVII bVII", "iv iv i i", "IV IV bVI bVI"),
        }
    ),
    drums=_drums(
        {
            1: (("................", "................", "................"),),
            2: (
                ("x...............", "................", "..........x....."),
                ("x.......x.......", "................", "................"),
            ),
            3: (
                ("x.......x.......", "................", "x...x...x...x..."),
                ("x.........x.....", "................", "..x...x...x...x."),
            ),
        }
    ),
    registers=MappingProxyType(
        {"lead": (64, 84), "pad": (55, 72), "arp": (72, 91), "bass": (33, 52)}
    ),
)


ROCK = Style(
    "rock",
    "Distorted double-tracked power chords, bass, live drums; metal chugs for tense and dark.",
    ("rhythm guitars", "lead guitar", "bass", "drums"),
    (120, 180),
    ("heroic", "tense", "dark", "triumphant", "happy"),
    synth=lambda sr, bpm: _synth("rock", sr, bpm),
    sampled="rock",
    accent="kit",
    progressions=_progs(
        heroic=("I V vi IV", "I bVII IV I", "I IV bVII IV", "vi IV I V"),
        triumphant=("I bVI bVII I", "I IV V IV", "I V bVII IV"),
        happy=("I IV V IV", "I V IV V", "I vi IV V"),
        playful=("I IV V IV", "I bVII IV I"),
        calm=("I V vi IV", "I IV vi V"),
        tense=("i bVI bVII i", "i bII i bVII", "i i bVI bVII", "i iv bVI bVII"),
        dark=("i bII bVI V", "i bVI iv V", "i bII i bII", "i iv bII V"),
        sad=("i bVI bIII bVII", "i iv bVI V"),
        mysterious=("i bII i bVII", "i IV i bVI"),
    ),
    drums=_drums(
        {
            1: (
                ("x.......x.......", "....x.......x...", "x.x.x.x.x.x.x.x."),
                ("x.......x.x.....", "....x.......x...", "x...x...x...x..."),
            ),
            2: (
                ("x.......x.x.....", "....x.......x...", "x.x.x.x.x.x.x.x."),
                ("x..x....x.x.....", "....x.......x...", "x.x.x.x.x.x.x.x."),
                ("x.....x.x.......", "....x.......x...", "x.x.x.x.x.x.x.xo"),
            ),
            3: (
                ("xxxxxxxxxxxxxxxx", "....x.......x...", "x.x.x.x.x.x.x.x."),
                ("x.x.x.x.x.x.x.x.", "....x.......x...", "x.x.x.x.x.x.x.x."),
                ("x..x..x.x..x..x.", "....x.......x..x", "x.x.x.x.x.x.x.x."),
            ),
        }
    ),
    registers=MappingProxyType(
        {"lead": (62, 86), "pad": (52, 71), "arp": (52, 71), "bass": (28, 47)}
    ),
)


def _synth(kind: str, sample_rate: int, bpm: float) -> Any:
    if kind == "orchestra":
        from ..synth.orchestra import orchestra_synth

        return orchestra_synth(sample_rate, bpm)
    if kind == "lofi":
        from ..synth.keys import lofi_synth

        return lofi_synth(sample_rate, bpm)
    if kind == "ambient":
        from ..synth.keys import ambient_synth

        return ambient_synth(sample_rate, bpm)
    from ..synth.guitar import rock_synth

    return rock_synth(sample_rate, bpm)

