"""Typo repair for prompt words: "chiptuen" -> "chiptune", "volumne" -> "volume".

Only words the exact pass left unexplained are looked at, and only Latin words of five
letters or more: one edit (an adjacent swap counts as one) for words under eight letters,
two for longer ones, the first letter kept (people rarely mistype it), and no guess when two
different words are equally close (unless only one of them is as long as the typed word:
swapped letters, the commonest typo, keep the length).  Words in ``fuzzy.ordinary`` (real
words one typo away from a style, "horse" / "house") are never changed, and words in
``fuzzy.never`` are never guessed.  rapidfuzz is imported on the first prompt that needs
it, so importing the parser stays cheap.
"""

from __future__ import annotations

import functools
import re

from ._prompt_words import LETTERS, data, fold

_WORDS = re.compile(f"[{LETTERS}']+")
_RUNS = re.compile(r"([a-z])\1{2,}")        # "spoooky" -> "spooky"
MIN_LETTERS = 5


@functools.cache
def _vocabulary() -> dict[str, tuple[str, ...]]:
    """Known words by first letter (targets of a repair)."""
    d = data()
    never = {fold(w) for w in d["fuzzy"]["never"]}
    words: set[str] = set()
    phrases = [p for group in d["phrases"].values() for p in group]
    phrases += [t for group in d["terms"].values() for t in group] + d["stopwords"]
    for phrase in phrases:
        for w in _WORDS.findall(fold(phrase.removesuffix("*"))):
            if len(w) >= MIN_LETTERS and w not in never:
                words.add(w)
    out: dict[str, list[str]] = {}
    for w in sorted(words):
        out.setdefault(w[0], []).append(w)
    return {k: tuple(v) for k, v in out.items()}


@functools.cache
def _known() -> frozenset[str]:
    d = data()
    return frozenset(w for group in _vocabulary().values() for w in group) | frozenset(
        fold(w) for w in d["fuzzy"]["ordinary"])


@functools.cache
def repair(word: str) -> str | None:
    """The known word ``word`` is a typo of, or None ("chiptuen" -> "chiptune")."""
    w = fold(word)
    squeezed = _RUNS.sub(r"\1\1", w)
    if squeezed != w and squeezed in _known():
        return squeezed
    if len(squeezed) < MIN_LETTERS or squeezed in _known() or not squeezed.isascii():
        return None
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    limit = 1 if len(squeezed) < 8 else 2
    found = process.extract(squeezed, _vocabulary().get(squeezed[0], ()), scorer=OSA.distance,
                            score_cutoff=limit, limit=2)
    if not found:
        return None
    if len(found) > 1 and found[0][1] == found[1][1]:
        same_length = [w for w, _, _ in found if len(w) == len(squeezed)]
        return same_length[0] if len(same_length) == 1 else None  # a swap keeps the length
    return str(found[0][0])


def repaired(text: str, leftovers: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """``text`` with the typos among ``leftovers`` replaced, and what was replaced."""
    fixes: dict[str, str] = {}
    for phrase in leftovers:
        for w in _WORDS.findall(phrase):
            fix = repair(w)
            if fix:
                fixes[w] = fix
    if not fixes:
        return text, fixes
    pattern = re.compile("|".join(f"(?<![{LETTERS}]){re.escape(w)}(?![{LETTERS}])"
                                  for w in sorted(fixes, key=len, reverse=True)))
    return pattern.sub(lambda m: fixes[m.group()], text), fixes
