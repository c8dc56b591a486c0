"""Roman numerals, scales bent to borrowed chords, scale steps."""

from __future__ import annotations

import numpy as np
import pytest

from game_music.music import theory
from game_music.music.styles import BRIDGES, CADENCES, MOOD_PROGRESSIONS


@pytest.mark.parametrize(
    ("numeral", "root", "pcs"),
    [
        ("I", 0, (0, 4, 7)),
        ("vi", 9, (9, 0, 4)),
        ("bVII", 10, (10, 2, 5)),
        ("V7", 7, (7, 11, 2, 5)),
        ("Imaj7", 0, (0, 4, 7, 11)),
        ("vii°", 11, (11, 2, 5)),
        ("bII", 1, (1, 5, 8)),
        ("i", 0, (0, 3, 7)),
    ],
)
def test_roman_numerals(numeral: str, root: int, pcs: tuple) -> None:
    ch = theory.chord(numeral)
    assert ch.root == root and ch.pcs == pcs


def test_every_progression_in_the_tables_parses() -> None:
    tables = [*MOOD_PROGRESSIONS.values(), *BRIDGES.values(), *CADENCES.values()]
    for progs in tables:
        for text in progs:
            assert len(theory.progression(text)) >= 3
    for progs in CADENCES.values():
        assert all(theory.progression(p)[-1].is_tonic for p in progs)
    with pytest.raises(ValueError):
        theory.chord("H7")


@pytest.mark.parametrize(
    ("mode", "numeral", "added", "removed"),
    [
        ("major", "bVII", 10, 11),
        ("major", "iv", 8, 9),
        ("minor", "V", 11, 10),
        ("minor", "bII", 1, 2),
        ("minor", "II", 6, 5),
    ],
)
def test_bar_scale_swaps_the_right_neighbour(mode, numeral, added, removed) -> None:
    scale = theory.MAJOR if mode == "major" else theory.MINOR
    bent = theory.bar_scale(scale, theory.chord(numeral))
    assert added in bent and removed not in bent and 0 in bent and len(bent) == 7


def test_steps_move_along_the_scale() -> None:
    c_major = theory.pitches_in(theory.MAJOR, 0, 60, 84)
    assert theory.step(c_major, 60, 1) == 62
    assert theory.step(c_major, 64, -2) == 60
    assert theory.step(c_major, 61, 1) == 62  # between scale notes: up lands on the next
    assert theory.step(c_major, 84, 5) == 84  # clamped at the top
    assert theory.nearest(np.array([60, 64, 67]), 65.4) == 64
