"""Pitch, scales and Roman-numeral chords: the little music theory the composer needs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

NOTE_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
# Degrees of Roman numerals, counted on the major scale; flats and sharps are written out.
_DEGREE = {"i": 0, "ii": 2, "iii": 4, "iv": 5, "v": 7, "vi": 9, "vii": 11}
_QUALITY = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "dim": (0, 3, 6),
    "maj7": (0, 4, 7, 11),
    "dom7": (0, 4, 7, 10),
    "min7": (0, 3, 7, 10),
}
_ROMAN = re.compile(r"^(b|#)?(vii|iii|iv|vi|ii|v|i)(°|maj7|7)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Chord:
    root: int  # semitones above the tonic, 0..11
    intervals: tuple[int, ...]  # semitones above the root, starting with 0
    numeral: str

    @property
    def pcs(self) -> tuple[int, ...]:
        """Pitch classes relative to the tonic."""
        return tuple((self.root + i) % 12 for i in self.intervals)

    @property
    def is_tonic(self) -> bool:
        return self.root == 0


@lru_cache(maxsize=256)
def chord(numeral: str) -> Chord:
    """Parse ``I``, ``vi``, ``bVII``, ``V7``, ``Imaj7``, ``vii°`` (degrees of the major scale)."""
    m = _ROMAN.match(numeral)
    if m is None:
        raise ValueError(f"not a Roman-numeral chord: {numeral!r}")
    acc, deg, suffix = m.groups()
    root = _DEGREE[deg.lower()] + {"b": -1, "#": 1, None: 0}[acc]
    major = deg.isupper()
    if suffix == "°":
        quality = "dim"
    elif suffix == "maj7":
        quality = "maj7"
    elif suffix == "7":
        quality = "dom7" if major else "min7"
    else:
        quality = "maj" if major else "min"
    return Chord(root % 12, _QUALITY[quality], numeral)


def progression(text: str) -> tuple[Chord, ...]:
    return tuple(chord(tok) for tok in text.split())


def bar_scale(mode_scale: tuple[int, ...], ch: Chord) -> tuple[int, ...]:
    """The key's scale bent to contain the chord's tones.

    An altered chord tone replaces its scale neighbour: flats (borrowed chords in major, bII)
    the note above (bVII in C: Bb replaces B), raised tones in minor the note below (V in C
    minor: B replaces Bb). The tonic and the chord's own tones are never removed.
    """
    pcs = set(mode_scale)
    chord_pcs = set(ch.pcs)
    flat = ch.numeral.startswith("b") or mode_scale == MAJOR
    for pc in ch.pcs:
        if pc in pcs:
            continue
        first, second = ((pc + 1) % 12, (pc - 1) % 12) if flat else ((pc - 1) % 12, (pc + 1) % 12)
        for victim in (first, second):
            if victim in pcs and victim != 0 and victim not in chord_pcs:
                pcs.discard(victim)
                break
        pcs.add(pc)
    return tuple(sorted(pcs))


def pitches_in(pcs: tuple[int, ...], tonic: int, lo: int, hi: int) -> np.ndarray:
    """All MIDI notes in [lo, hi] whose pitch class (relative to ``tonic``) is in ``pcs``."""
    notes = np.arange(lo, hi + 1)
    return notes[np.isin((notes - tonic) % 12, pcs)]


def nearest(pitches: np.ndarray, target: float) -> int:
    return int(pitches[int(np.argmin(np.abs(pitches - target)))])


def step(pitches: np.ndarray, current: int, steps: int) -> int:
    """Move ``steps`` scale steps from ``current`` inside ``pitches`` (clamped at the ends)."""
    i = int(np.searchsorted(pitches, current))
    if i < len(pitches) and pitches[i] != current and steps > 0:
        steps -= 1  # current lies between two scale notes: the first step up lands on pitches[i]
    j = min(max(i + steps, 0), len(pitches) - 1)
    return int(pitches[j])
