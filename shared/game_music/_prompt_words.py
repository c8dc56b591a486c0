"""Vocabulary of the prompt parser: text folding, phrase regexes and number words.

Everything here is loaded once from ``data/prompt_words.json`` and compiled lazily, so
importing :mod:`game_music.prompt` stays cheap and parsing a prompt is pure regex work.
"""

from __future__ import annotations

import functools
import json
import os
import re
import unicodedata
from collections.abc import Iterable
from typing import Any, NamedTuple

# Latin letters after folding (accents mostly gone, but ß, œ, æ, ø stay).
LETTERS = "a-z\u00c0-\u024f"
_WORD = f"0-9{LETTERS}"
_CJK_DIGITS = "零〇一二两三四五六七八九十百千"

_PUNCT_MAP = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'", "`": "'",
                            "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u3000": " "})


def normalize(text: str) -> str:
    """NFKC (full-width digits, half-width kana) and plain ASCII quotes and dashes."""
    return unicodedata.normalize("NFKC", text).translate(_PUNCT_MAP)


def _fold_char(ch: str) -> str:
    low = ch.lower()
    if len(low) != 1:
        return ch
    if "\u00c0" <= low <= "\u024f":
        base = unicodedata.normalize("NFD", low)[0]
        if base.isascii():
            return base
    return low


def fold(text: str) -> str:
    """Lower-case and strip Latin accents, one character for one (spans stay aligned)."""
    return "".join(_fold_char(ch) for ch in text)


def is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum() or "\u00c0" <= ch <= "\u024f"


@functools.cache
def data() -> dict[str, Any]:
    # the package's own loader reads files and zips alike, without importing importlib.resources
    # (with pathlib and tempfile it costs a CLI start ~15 ms)
    path = os.path.join(os.path.dirname(__file__), "data", "prompt_words.json")
    raw = __loader__.get_data(path)  # type: ignore[attr-defined]
    return json.loads(raw.decode("utf-8"))


# --- phrase regexes -------------------------------------------------------------------------

_SPLIT = re.compile(r"\s+|(?<=\w)-(?=\w)")


_END = ""  # trie key marking "a phrase may end here"


def _trie_regex(items: Iterable[list[str]]) -> str:
    """One regex for many atom sequences, shared prefixes factored out (fast to run)."""
    root: dict[str, Any] = {}
    for atoms in items:
        node = root
        for atom in atoms:
            node = node.setdefault(atom, {})
        node[_END] = {}

    def chain(atom: str, node: dict[str, Any]) -> str:
        while len(node) == 1 and _END not in node:  # radix-compress single paths
            (nxt, node), = node.items()
            atom += nxt
        return atom + emit(node)

    def emit(node: dict[str, Any]) -> str:
        alts = [chain(atom, child) for atom, child in node.items() if atom != _END]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 and _END not in node else "(?:" + "|".join(alts) + ")"
        return body + "?" if _END in node else body

    return "(?:" + emit(root) + ")"


@functools.cache
def _filler() -> str:
    words = [[*map(re.escape, fold(w)), r"[\s\-]+"] for w in data()["terms"]["fill"]]
    return "(?:" + _trie_regex(words) + r"|[ld]'\s*)"


def _atoms(phrase: str) -> tuple[list[str], bool, bool]:
    """Regex atoms of one phrase, and whether it needs a word boundary before / after."""
    p = fold(phrase.strip())
    star = p.endswith("*") and len(p) > 1
    if star:
        p = p[:-1]
    atoms: list[str] = []
    for i, part in enumerate(p.split(" ~ ")):
        if i:
            atoms.append(r"(?:[\s\-]+" + _filler() + r"{1,2}|[\s\-_/]*)")
        for j, word in enumerate(w for w in _SPLIT.split(part.strip()) if w):
            if j:
                atoms.append(r"[\s\-_/]*")
            atoms.extend(re.escape(ch) for ch in word)
    p = p.replace(" ~ ", " ")
    if star:
        atoms.append(f"[{LETTERS}]{{0,3}}")
    elif _conjugates(p):
        atoms[-1] = _I_FORMS
    return atoms, is_latin(p[0]), is_latin(p[-1]) or star


# A Japanese i-adjective is said in other forms too: 悲しい, 悲しく(て), 悲しかった.
_I_FORMS = "(?:い|くて|く|かった)"


def _conjugates(folded: str) -> bool:
    return len(folded) >= 2 and folded.endswith("い") and not is_latin(folded[-2]) \
        and folded[-2] not in "ーっ"


def alternation(phrases: Iterable[str], *, letters_only: bool = False) -> str:
    """One regex group matching any of ``phrases``.

    Spaces and inner hyphens in a phrase match any run of spaces/hyphens or nothing; a
    `` ~ `` may also hold up to two filler words ("mute ~ game" = "mute the game"); a
    trailing ``*`` allows up to three more letters ("ruhig*" matches "ruhige").  Latin words
    match whole words; CJK text matches as a substring.  ``letters_only`` loosens the word
    boundary to letters so units can touch digits ("30s", "seed42").
    """
    return "(?:" + "|".join(_bucket_sources(phrases, letters_only)) + ")"


def _bucket_sources(phrases: Iterable[str], letters_only: bool = False) -> list[str]:
    """One trie regex per kind of word boundary the phrases need.

    Boundaries sit outside each trie (far cheaper to compile than one per phrase); the
    mixed-script bucket ("boss战", "8ビット") comes first so it is not shadowed by "boss".
    """
    bound = LETTERS if letters_only else _WORD
    buckets: dict[tuple[bool, bool], list[list[str]]] = {}
    for phrase in set(phrases):
        atoms, before, after = _atoms(phrase)
        buckets.setdefault((before, after), []).append(atoms)
    return [(f"(?<![{bound}])" if before else "") + _trie_regex(items)
            + (f"(?![{bound}])" if after else "")
            for (before, after), items in sorted(buckets.items(), key=lambda kv: kv[0][1])]


@functools.cache
def term(name: str) -> str:
    """Alternation for one word class of ``terms`` (used inside number patterns)."""
    return alternation(data()["terms"][name], letters_only=True)


def term_regex(name: str) -> re.Pattern[str]:
    return _term_regex(name)


@functools.cache
def _term_regex(name: str) -> re.Pattern[str]:
    return re.compile(term(name))


_COMPACT = re.compile(r"[\s\-_/'~]+")


def compact(text: str) -> str:
    """Folded text without spaces, hyphens and the like ("lo-fi" and "lo fi" -> "lofi")."""
    return _COMPACT.sub("", fold(text))


class PhraseGroup:
    """The phrases of one action. Their regexes are built on first use: a phrase can only
    match where its first word occurs literally, so a prompt compiles the few groups it may
    touch instead of all of them (compiling every group costs a CLI start ~0.3 s)."""

    def __init__(self, action: str, words: list[str]) -> None:
        self.action = action
        self._words = words
        self._anchors = tuple({_first_word(w) for w in words})

    def may_match(self, folded: str) -> bool:
        return any(a in folded for a in self._anchors)

    @functools.cached_property
    def exact(self) -> frozenset[str]:
        """The words as written (a stem for ``word*``), to prefer them over a stretched stem."""
        return frozenset(compact(w.strip().removesuffix("*")) for w in self._words)

    @functools.cached_property
    def regexes(self) -> tuple[re.Pattern[str], ...]:  # one per boundary kind
        return tuple(re.compile(src) for src in _bucket_sources(self._words))


def _first_word(phrase: str) -> str:
    p = fold(phrase.strip()).removesuffix("*")
    if " " not in p and _conjugates(p):
        return p[:-1]
    return next((w for w in _SPLIT.split(p.split(" ~ ")[0].strip()) if w), p)


@functools.cache
def phrase_groups() -> tuple[PhraseGroup, ...]:
    return tuple(PhraseGroup(action, words) for action, words in data()["phrases"].items())


@functools.cache
def stopword_regex() -> re.Pattern[str]:
    return re.compile(alternation(data()["stopwords"]))


# --- number words ---------------------------------------------------------------------------

class _Numbers(NamedTuple):
    values: dict[str, int]
    mults: dict[str, int]
    connectors: frozenset[str]
    articles: frozenset[str]
    longest: int


@functools.cache
def _numbers() -> _Numbers:
    raw = data()["numbers"]
    values = {fold(k): v for k, v in raw["values"].items()}
    mults = {fold(k): v for k, v in raw["multipliers"].items()}
    conns = frozenset(fold(c) for c in raw["connectors"])
    articles = frozenset(fold(c) for c in raw["articles"])
    longest = max(len(k) for k in (*values, *mults, *conns))
    return _Numbers(values, mults, conns, articles, longest)


@functools.cache
def _unit_regex() -> re.Pattern[str]:
    """What makes an article a number: a unit or a number word after it ("una hora")."""
    d = data()
    units = [w for name in ("seconds", "minutes", "half_minute", "percent", "bpm", "db")
             for w in d["terms"][name]] + list(d["numbers"]["multipliers"])
    return re.compile(r"[\s\-]*" + alternation(units, letters_only=True))


Part = tuple[int, bool]  # (value, is multiplier)


def _word_parts(word: str) -> list[Part] | None:
    """Split one word into number morphemes ("veintidos" -> 20, 2), fewest pieces first."""
    nums = _numbers()
    n = len(word)
    best: list[list[Part] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(n):
        if best[i] is None:
            continue
        for j in range(i + 1, min(n, i + nums.longest) + 1):
            piece = word[i:j]
            if piece in nums.values:
                add: list[Part] = [(nums.values[piece], False)]
            elif piece in nums.mults:
                add = [(nums.mults[piece], True)]
            elif piece in nums.connectors and 0 < i and j < n:
                add = []  # glued "und" in "einundzwanzig"
            else:
                continue
            cand = best[i] + add  # type: ignore[operator]
            if best[j] is None or len(cand) < len(best[j]):  # type: ignore[arg-type]
                best[j] = cand
    return best[n] or None


def combine(parts: list[Part]) -> int:
    total = cur = 0
    for value, is_mult in parts:
        if is_mult:
            cur = (cur or 1) * value
            if value >= 100:
                total, cur = total + cur, 0
        else:
            cur += value
    return total + cur


def _joins(prev: list[Part], nxt: list[Part]) -> bool:
    """Whether two number words form one number ("twenty five", not "one two")."""
    pv, nv = combine(prev), combine(nxt)
    if len(nxt) == 1 and nxt[0][1]:
        return pv < 100                       # "one hundred", "deux cents"
    if prev[-1][1] and prev[-1][0] >= 100:
        return nv < 100                       # "hundred twenty"
    last = pv % 100
    if last % 10 == 0 and 20 <= last <= 90 and 1 <= nv <= 9:
        return True                           # "twenty five", "treinta y dos"
    if last in (60, 80) and 10 <= nv <= 19:
        return True                           # "soixante-dix", "quatre-vingt-dix"
    return last == 10 and 7 <= nv <= 9        # "dix-sept"


_TOKEN = re.compile(f"[{LETTERS}]+|(?!百分之)[{_CJK_DIGITS}]+")  # 百分之 = "percent of"
_GAP = re.compile(r"[\s\-]*")
_ARTICLE = re.compile(f"(?<![{LETTERS}])an?\\s+$")


def number_runs(folded: str) -> list[tuple[int, int, int]]:
    """``(start, end, value)`` of every number written in words in ``folded`` text."""
    nums = _numbers()
    runs: list[tuple[int, int, int]] = []
    cur: list[Part] = []
    last: list[Part] = []
    start = end = scan = 0

    def flush() -> None:
        if not cur or combine(cur) >= 10**9:     # "九十十十…" is no number anyone means
            return
        if folded[start:end] in nums.articles and not _unit_regex().match(folded, end):
            return                               # "un poco", "une musique": an article
        runs.append((start, end, combine(cur)))

    for m in _TOKEN.finditer(folded):
        word = m.group()
        gap_ok = bool(cur) and _GAP.fullmatch(folded, scan, m.start()) is not None
        if gap_ok and word in nums.connectors and scan == end:
            scan = m.end()                    # "twenty and five", "vingt et un"
            continue
        parts = _word_parts(word)
        if parts is None:
            flush()
            cur = []
            continue
        if gap_ok and word.startswith("vingt") and len(last) == 1 and combine(last) == 4:
            cur[-1] = (80, False)             # "quatre vingt(s)"
            cur.extend(parts[1:])
            last = [(80, False)]
        elif gap_ok and _joins(last, parts):
            cur.extend(parts)
            last = parts
        else:
            flush()
            cur, last, start = list(parts), parts, m.start()
            article = _ARTICLE.search(folded, 0, m.start()) if parts[0][1] else None
            if article:                       # "a hundred"
                start = article.start()
        end = scan = m.end()
    flush()
    return runs


@functools.cache
def _hedge_regex() -> re.Pattern[str]:
    return re.compile(f"(?:{term('hedge')})\\s*(?=\\d)")


def digits_view(folded: str) -> tuple[str, list[int]]:
    """``folded`` with number words replaced by digits and hedges before a number dropped
    ("around 90", "like 20 secs"), and a map back to ``folded`` indices.

    ``index_map[i]`` is the position in ``folded`` of character ``i`` of the view; it has one
    extra entry for the end, so a view span ``[a, b)`` is ``[index_map[a], index_map[b])``.
    """
    out: list[str] = []
    index_map: list[int] = []
    pos = 0
    for s, e, value in number_runs(folded):
        out.append(folded[pos:s])
        index_map.extend(range(pos, s))
        digits = str(value)
        out.append(digits)
        index_map.extend([s] * len(digits))
        pos = e
    out.append(folded[pos:])
    index_map.extend(range(pos, len(folded) + 1))
    view = "".join(out)
    if not any(ch.isdigit() for ch in view):
        return view, index_map
    kept: list[str] = []
    kept_map: list[int] = []
    pos = 0
    for m in _hedge_regex().finditer(view):
        kept.append(view[pos:m.start()])
        kept_map.extend(index_map[pos:m.start()])
        pos = m.end()
    kept.append(view[pos:])
    kept_map.extend(index_map[pos:])
    return "".join(kept), kept_map
