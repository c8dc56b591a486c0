"""The prompt corpus: prompts as people type them, each with the fields it must give.

Each ``*.jsonl`` file here is one language (``mixed`` mixes several); a line is
``{"p": prompt, "e": {field: value}}`` with every field that differs from the defaults of
:class:`MusicRequest`; all other fields must stay at their defaults.  Scoring counts every
Contract 3 field of every prompt (``unrecognized`` aside), so a field set by mistake is as
wrong as a field missed; the stricter "asked" score counts only the fields a prompt asks for
plus those the parser set, so the many fields left at their defaults do not pad it.

Two corpora: ``main`` (this folder, the prompts the parser's rules were written from) and
``holdout`` (``holdout/``, written before any rule was changed for it and kept apart, so its
score says how well the rules carry over to prompts they were not fitted to).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from game_music.request import MusicRequest

HERE = Path(__file__).parent
CORPORA = {"main": HERE, "holdout": HERE / "holdout"}
LANGUAGES = ("en", "es", "pt", "fr", "de", "zh", "ja", "mixed")
FIELDS = ("style", "mood", "tempo_bpm", "music_volume", "start_s", "end_s", "fade_in_s",
          "fade_out_s", "duck_voice", "game_audio", "aspect", "seed")
_TOLERANCE = {"music_volume": 0.011, "start_s": 0.05, "end_s": 0.05, "fade_in_s": 0.05,
              "fade_out_s": 0.05}


@dataclass(frozen=True)
class Case:
    lang: str
    prompt: str
    expect: dict[str, Any]


def cases(lang: str | None = None, corpus: str = "main") -> Iterator[Case]:
    for name in LANGUAGES if lang is None else (lang,):
        with (CORPORA[corpus] / f"{name}.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    yield Case(name, row["p"], row["e"])


def same(name: str, got: Any, want: Any) -> bool:
    if isinstance(want, float) and isinstance(got, (int, float)):
        return abs(got - want) <= _TOLERANCE.get(name, 0.0)
    return bool(got == want)


def wrong_fields(case: Case, request: MusicRequest) -> dict[str, tuple[Any, Any]]:
    """``{field: (got, wanted)}`` for every field the request gets wrong."""
    defaults = MusicRequest()
    out: dict[str, tuple[Any, Any]] = {}
    for name in FIELDS:
        want = case.expect.get(name, getattr(defaults, name))
        got = getattr(request, name)
        if not same(name, got, want):
            out[name] = (got, want)
    return out


def set_fields(request: MusicRequest) -> list[str]:
    """The fields of ``request`` that differ from the defaults."""
    defaults = MusicRequest()
    return [n for n in FIELDS if getattr(request, n) != getattr(defaults, n)]


@dataclass
class Score:
    fields: int = 0
    right: int = 0
    prompts: int = 0
    asked: int = 0           # fields the prompt asks for or the parser set (either non-default)
    asked_right: int = 0
    whole: int = 0           # prompts with every field right
    silent: int = 0          # wrong fields in prompts with nothing listed as not understood
    misses: list[tuple[Case, dict[str, tuple[Any, Any]], tuple[str, ...]]] = field(
        default_factory=list)

    @property
    def percent(self) -> float:
        return 100.0 * self.right / self.fields if self.fields else 100.0

    @property
    def asked_percent(self) -> float:
        return 100.0 * self.asked_right / self.asked if self.asked else 100.0


def score(parse: Callable[[str], MusicRequest], lang: str | None = None,
          corpus: str = "main") -> dict[str, Score]:
    """Per-language scores (and ``"all"``) of ``parse`` on one corpus."""
    out: dict[str, Score] = {"all": Score()}
    for case in cases(lang, corpus):
        request = parse(case.prompt)
        wrong = wrong_fields(case, request)
        asked = set(case.expect) | set(set_fields(request))
        for key in (case.lang, "all"):
            s = out.setdefault(key, Score())
            s.prompts += 1
            s.fields += len(FIELDS)
            s.right += len(FIELDS) - len(wrong)
            s.asked += len(asked)
            s.asked_right += len(asked - set(wrong))
            s.whole += not wrong
            if not request.unrecognized:
                s.silent += len(wrong)
        if wrong:
            out["all"].misses.append((case, wrong, request.unrecognized))
    return out
