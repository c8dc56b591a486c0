"""Typo repair for prompt words: "chiptuen" -> "chiptune", "volumne" -> "volume".

Only words the exact pass left unexplained are looked at, and only Latin words of five
letters or more: one edit (an adjacent swap counts as one) for words under eight letters,
two for longer ones, the first letter kept (people rarely mistype it).  Four-letter words
are only repaired into a style or mood word, and only by a dropped vowel or a single letter
for a double one ("metl" -> "metal", "chil" -> "chill"; "meal" stays).  Between equally
close words, swapped letters win, then a dropped or doubled letter, then a meaning word over
a filler; still a tie, no guess.  Words of the data and words in ``fuzzy.ordinary`` (real
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
SHORT_LETTERS = 4           # repaired by one dropped letter only


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
def _style_mood_words() -> frozenset[str]:
    """Five-letter style and mood words, the only targets of a four-letter typo."""
    d = data()
    never = {fold(w) for w in d["fuzzy"]["never"]}
    return frozenset(w for action, group in d["phrases"].items()
                     if "style=" in action or "mood=" in action for p in group
                     for w in _WORDS.findall(fold(p.removesuffix("*")))
                     if len(w) == SHORT_LETTERS + 1 and w not in never)


def _dropped(typed: str, word: str) -> bool:
    """``typed`` is ``word`` less one vowel, or with one letter of a double written once."""
    for i, ch in enumerate(word):
        if word[:i] + word[i + 1:] == typed and (
                ch in "aeiouy" or word[i - 1:i] == ch or word[i + 1:i + 2] == ch):
            return True
    return False


@functools.cache
def _known() -> frozenset[str]:
    """Words never repaired: every word of the data, of any length, and ``fuzzy.ordinary``."""
    d = data()
    phrases = [p for group in d["phrases"].values() for p in group]
    phrases += [t for group in d["terms"].values() for t in group] + d["stopwords"]
    return frozenset(w for p in phrases for w in _WORDS.findall(fold(p.removesuffix("*")))) | \
        frozenset(fold(w) for w in d["fuzzy"]["ordinary"])


@functools.cache
def repair(word: str) -> str | None:
    """The known word ``word`` is a typo of, or None ("chiptuen" -> "chiptune")."""
    w = fold(word)
    squeezed = _RUNS.sub(r"\1\1", w)
    if squeezed != w and squeezed in _known():
        return squeezed
    if len(squeezed) < SHORT_LETTERS or squeezed in _known() or not squeezed.isascii():
        return None
    from rapidfuzz import process
    from rapidfuzz.distance import OSA, Indel

    if len(squeezed) == SHORT_LETTERS:
        short = [w for w in _style_mood_words() if w[0] == squeezed[0] and _dropped(squeezed, w)]
        return short[0] if len(short) == 1 else None
    limit = 1 if len(squeezed) < 8 else 2
    found = process.extract(squeezed, _vocabulary().get(squeezed[0], ()), scorer=OSA.distance,
                            score_cutoff=limit, limit=None)
    if not found:
        return None
    best = [str(w) for w, dist, _ in found if dist == found[0][1]]
    if len(best) == 1:
        return best[0]
    # swapped letters (the commonest typo), then fewest insertions and deletions, then a
    # word that means something over a filler ("quiter": "quieter", not "quite")
    stop = _stopwords()
    ranked = sorted((sorted(w) != sorted(squeezed), Indel.distance(squeezed, w), w in stop, w)
                    for w in best)
    return ranked[0][3] if ranked[0][:3] < ranked[1][:3] else None


@functools.cache
def _stopwords() -> frozenset[str]:
    return frozenset(fold(w) for w in data()["stopwords"])


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
