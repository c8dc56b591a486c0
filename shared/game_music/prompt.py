"""Prompt understanding: free text -> :class:`MusicRequest` (Contract 3).

``parse_prompt("epic boss fight music at 35%, vertical, seed 7")`` finds, in English,
Spanish, Portuguese, French, German, Chinese and Japanese:

- styles by name, synonym or game reference ("8-bit", "NES", "Sega Genesis", "outrun",
  "Zelda", "lo-fi", "Minecraft", "like Doom", "frag movie"), and moods ("boss fight" ->
  tense, "cozy" -> calm, "victory" -> triumphant, "horror" -> dark, "spooky" -> mysterious).
  A genre name beats a game reference, which beats a hint such as "epic" or "retro";
  between equals the first mention wins.  "Celeste" means fm16 (its score is modern synths
  over 16-bit-looking pixel art); "Celeste Classic" / "PICO-8" mean chiptune.
- tempo ("140 bpm", "one hundred twenty bpm", "fast" = 150, "slow" = 80),
- music volume ("at 35%" -> 0.35, "-6 dB" -> 10 ** (-6 / 20), i.e. the amplitude ratio;
  "quiet" / "subtle background" -> 0.25, "loud" -> 0.8; clamped to [0, 1]),
- where the music plays ("from 0:15", "from 15s to 1:30", "only the first minute",
  "no music in the first 10 s" -> start 10),
- fades ("fade in 2 seconds", "fade out over 5s", "no fade" -> both 0; a fade word without a
  length means 2 s in, 3 s out), voice ducking ("duck under my voice", "no ducking"), the
  game's own audio ("mute the game", "keep game sound", "lower the game audio"), the output
  frame ("vertical", "for TikTok", "square", "16:9") and the seed ("seed 42", "take 3").

**Negative times count from the end of the video**: "last 30 seconds" gives
``start_s=-30.0`` (music starts 30 s before the end) and "no music in the last 10 s" gives
``end_s=-10.0``.  The engine resolves them against the video duration.

Refining: ``parse_prompt("quieter and faster", base=previous)`` keeps everything the new
prompt does not mention; relative words work from the base value or the default (volume
0.5, tempo 130): "quieter" is about -6 dB (x0.5), "louder" +6 dB, "faster" / "slower"
+/-15 %.  ``unrecognized`` always lists the leftovers of the *new* prompt only.

Words are data (``data/prompt_words.json``); matching is longest-phrase-first, case- and
accent-insensitive, whole words for Latin script and substrings for Chinese and Japanese.
Whatever is neither understood nor a filler word ("add", "music", "my", "the", ...) is
returned in ``unrecognized``, in prompt order.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterator
from typing import Any, NamedTuple

from ._errors import UsageError
from ._prompt_patterns import Effect, intensified, patterns
from ._prompt_words import (
    compact,
    digits_view,
    fold,
    normalize,
    phrase_groups,
    stopword_regex,
    term,
)
from .request import MusicRequest

MAX_PROMPT_CHARS = 2000
DEFAULT_VOLUME = 0.5
DEFAULT_TEMPO = 130
TEMPO_RANGE = (40, 240)

_FIELDS = {
    "style": "style", "mood": "mood", "tempo": "tempo_bpm", "volume": "music_volume",
    "fade_in": "fade_in_s", "fade_out": "fade_out_s", "duck_voice": "duck_voice",
    "game_audio": "game_audio", "aspect": "aspect", "start": "start_s", "end": "end_s",
    "seed": "seed",
}
_DEFAULTS: dict[str, Any] = {"music_volume": DEFAULT_VOLUME, "tempo_bpm": DEFAULT_TEMPO}


@functools.cache
def _action_effects(action: str) -> tuple[Effect, ...]:
    """``"style=rock@2 mood=tense@1"`` -> effects (the action syntax of the data file)."""
    out: list[Effect] = []
    for item in action.split():
        if item == "noop":
            continue
        key, _, raw = item.partition("=")
        op = "mul" if key.endswith("*") else "set"
        field = _FIELDS[key.rstrip("*")]
        text, _, strength = raw.partition("@")
        value: Any = text
        if text in ("true", "false"):
            value = text == "true"
        elif field in ("tempo_bpm", "music_volume", "fade_in_s", "fade_out_s", "start_s", "end_s"):
            value = float(text)
        out.append(Effect(field, op, value, int(strength or 2)))
    return tuple(out)


class _Match(NamedTuple):
    start: int
    end: int
    effects: tuple[Effect, ...]
    phrase: bool = False        # a word of the table (no number in it)


def _all_matches(regex: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Matches at every start position (finditer would hide "doom eternal" behind "like doom")."""
    pos = 0
    while (m := regex.search(text, pos)) is not None:
        yield m
        pos = m.start() + 1


def _candidates(folded: str) -> list[_Match]:
    """Every phrase and number pattern that matches, longest first (ties: earliest, then a
    number pattern, then a word as written over a stem: "langsamer" is "slower", not
    "langsam*")."""
    found: list[tuple[int, int, int, int, tuple[Effect, ...]]] = []
    view, index_map = digits_view(folded)
    for rank, pat in enumerate(patterns()):
        for m in _all_matches(pat.regex, view):
            s, e = index_map[m.start()], index_map[m.end()]
            if e > s:
                found.append((s, e, 0, rank, tuple(pat.handle(m))))
    for rank, group in enumerate(phrase_groups()):
        if not group.may_match(folded):
            continue
        for regex in group.regexes:
            for m in _all_matches(regex, folded):
                if m.end() > m.start():
                    kind = 1 if compact(m.group()) in group.exact else 2
                    found.append((m.start(), m.end(), kind, rank, _action_effects(group.action)))
    found.sort(key=lambda c: (c[0] - c[1], c[0], c[2], c[3]))
    return [_Match(s, e, eff, kind > 0) for s, e, kind, _, eff in found]


def _claim(folded: str) -> tuple[list[_Match], bytearray]:
    taken = bytearray(len(folded))
    kept: list[_Match] = []
    for cand in _candidates(folded):
        if not any(taken[cand.start:cand.end]):
            taken[cand.start:cand.end] = b"\x01" * (cand.end - cand.start)
            kept.append(cand)
    kept.sort(key=lambda c: c.start)
    return kept, taken


def _is_separator(ch: str) -> bool:
    return ch not in "'-" and unicodedata.category(ch)[0] in "PS"


def _leftovers(original: str, folded: str, taken: bytearray) -> tuple[str, ...]:
    """The not-understood phrases: uncovered text minus filler words, split at punctuation."""
    out: list[str] = []
    n = len(folded)
    i = 0
    while i < n:
        if taken[i]:
            i += 1
            continue
        j = i
        while j < n and not taken[j]:
            j += 1
        cut = bytearray(j - i)
        for m in stopword_regex().finditer(folded, i, j):
            cut[m.start() - i:m.end() - i] = b"\x01" * (m.end() - m.start())
        for k in range(i, j):
            if _is_separator(folded[k]):
                cut[k - i] = 1
        k = 0
        while k < len(cut):
            if cut[k]:
                k += 1
                continue
            end = k
            while end < len(cut) and not cut[end]:
                end += 1
            phrase = " ".join(original[i + k:i + end].split()).strip("'-_ ")
            if any(ch.isalnum() for ch in phrase):
                out.append(phrase)
            k = end
        i = j
    return tuple(out)


_NEGATED = {("duck_voice", True): False, ("game_audio", "mute"): "keep",
            ("game_audio", "duck"): "keep"}
_NEGATED_WORD = {("fade_in_s", 2.0): 0.0, ("fade_out_s", 3.0): 0.0}  # "sin fundidos": no fades


@functools.cache
def _negator_regex() -> re.Pattern[str]:
    """A negation right before a phrase ("don't", "no need to", "não", "不要"), ending there."""
    return re.compile("(?:" + term("negator") + r")[\s\-]*(?:\S+[\s\-]+){0,2}?$")


def _negated(matches: list[_Match], folded: str) -> list[_Match]:
    """Flip voice ducking and game-audio changes that a negation governs.

    "don't lower the music when I talk" turns ducking off, "no need to mute the game" keeps
    the game audio; other effects of a negated phrase are dropped (nothing is set by it).
    """
    out: list[_Match] = []
    prev_end = 0
    for m in matches:
        table = {**_NEGATED, **_NEGATED_WORD} if m.phrase else _NEGATED
        flips = [e for e in m.effects if (e.field, e.value) in table]
        window = folded[prev_end:m.start]
        if flips and _negator_regex().search(window[-40:]):
            m = _Match(m.start, m.end, tuple(
                Effect(e.field, "set", table[(e.field, e.value)], 3) for e in flips), m.phrase)
        out.append(m)
        prev_end = m.end
    return out


@functools.cache
def _intensifier_regexes() -> tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...]:
    """Per kind ("much", "bit"): the word right before a phrase, and right after it."""
    return tuple((kind, re.compile(f"(?:{term(kind)})[\\s\\-]*$"),
                  re.compile(f"[\\s\\-]*(?:{term(kind)})(?![a-z])")) for kind in ("much", "bit"))


def _intensified(matches: list[_Match], folded: str) -> list[_Match]:
    """"super low", "way louder", "sube un poco": an adverb next to a level or tempo word.

    Only an adverb touching the phrase counts (at most spaces between), before it or after
    it; the data says what each effect becomes (``intensify``)."""
    out: list[_Match] = []
    for i, m in enumerate(matches):
        before = folded[matches[i - 1].end if i else 0:m.start]
        after = folded[m.end:matches[i + 1].start if i + 1 < len(matches) else len(folded)]
        for kind, pre, post in _intensifier_regexes():
            if pre.search(before) or post.match(after):
                new = tuple(intensified(e, kind) for e in m.effects)
                if new != m.effects:
                    m = _Match(m.start, m.end, new, m.phrase)
                    break
        out.append(m)
    return out


def _resolve(matches: list[_Match], base: MusicRequest) -> dict[str, Any]:
    best: dict[str, tuple[int, int, Any]] = {}        # field -> (strength, -order, value)
    relative: list[Effect] = []
    order = 0
    for match in matches:
        for eff in match.effects:
            order += 1
            if eff.op != "set":
                relative.append(eff)
                continue
            key = (eff.strength, -order, eff.value)
            if eff.field not in best or key[:2] > best[eff.field][:2]:
                best[eff.field] = key
    changes = {field: value for field, (_, _, value) in best.items()}
    for eff in relative:
        current = changes.get(eff.field, getattr(base, eff.field))
        if current is None:
            current = _DEFAULTS[eff.field]
        value = float(eff.value)  # type: ignore[arg-type]
        changes[eff.field] = current * value if eff.op == "mul" else current + value
    return changes


def _tidy(changes: dict[str, Any], base: MusicRequest) -> dict[str, Any]:
    """Clamp and round what the prompt set so it satisfies Contract 3."""
    if changes.get("tempo_bpm") is not None:
        lo, hi = TEMPO_RANGE
        changes["tempo_bpm"] = int(min(hi, max(lo, math.floor(changes["tempo_bpm"] + 0.5))))
    if changes.get("music_volume") is not None:
        changes["music_volume"] = round(min(1.0, max(0.0, float(changes["music_volume"]))), 3)
    for name in ("fade_in_s", "fade_out_s"):
        if changes.get(name) is not None:
            changes[name] = round(max(0.0, float(changes[name])), 3)
    start = changes.get("start_s", base.start_s)
    end = changes.get("end_s", base.end_s)
    if start is not None and end is not None and 0 <= end < start:
        changes["start_s"], changes["end_s"] = end, start
    return changes


def parse_prompt(text: str | None, base: MusicRequest | None = None) -> MusicRequest:
    """Understand ``text``; with ``base``, refine that earlier request (see module doc).

    Raises :class:`UsageError` for prompts longer than ``MAX_PROMPT_CHARS``.
    """
    base = base or MusicRequest()
    original = normalize(text or "")
    if len(original) > MAX_PROMPT_CHARS:
        raise UsageError(f"the prompt is {len(original)} characters long; "
                         f"keep it under {MAX_PROMPT_CHARS}")
    folded = fold(original)
    matches, taken = _claim(folded)
    leftovers = _leftovers(original, folded, taken)
    if leftovers:                             # typos: repair the unexplained words, read again
        from ._prompt_fuzzy import repaired  # on demand: most prompts need no repair

        fixed, fixes = repaired(original, leftovers)
        if fixes:
            original, folded = fixed, fold(fixed)
            matches, taken = _claim(folded)
            leftovers = _leftovers(original, folded, taken)
    changes = _tidy(_resolve(_negated(_intensified(matches, folded), folded), base), base)
    if "game_audio" in changes:
        changes["game_audio_asked"] = True
    return base.replace(**changes, unrecognized=leftovers)


# --- explanation ------------------------------------------------------------------------------

_STYLE_NOTES = {
    "chiptune": "NES-era 8-bit: pulse leads, triangle bass, noise drums",
    "gameboy": "handheld 4-bit: thin pulses, wavetable, noise",
    "fm16": "16-bit FM (Genesis / Mega Drive): FM bass, brass, bells",
    "synthwave": "80s analog synths, arpeggios, gated snare",
    "orchestral": "epic / cinematic: strings, brass, timpani, choir pads",
    "lofi": "lo-fi hip hop: swung drums, electric piano, vinyl noise",
    "ambient": "exploration pads, slow harmony, sparse percussion",
    "rock": "distorted guitars, bass, live drums",
    "edm": "electronic dance: drum and bass, dubstep, montage energy",
}
_GAME_AUDIO = {None: "kept as recorded (lowered under the music if it has its own)",
               "keep": "kept as recorded", "duck": "lowered under the music", "mute": "muted"}
_ASPECT = {"source": "same as the input", "16:9": "16:9 landscape", "9:16": "9:16 vertical",
           "1:1": "1:1 square"}


def _clock(seconds: float) -> str:
    whole = abs(seconds)
    minutes, secs = divmod(whole, 60)
    text = f"{int(minutes)}:{secs:04.1f}" if secs % 1 else f"{int(minutes)}:{int(secs):02d}"
    return text


def _when(seconds: float) -> str:
    return f"{_clock(seconds)} before the end" if seconds < 0 else _clock(seconds)


def _span(req: MusicRequest) -> str:
    start, end = req.start_s, req.end_s
    if start is None and end is None:
        return "the whole video"
    if start is not None and start < 0 and end is None:
        return f"the last {_clock(start)} of the video (start {start:g} s: counted from the end)"
    if (start is None or start == 0) and end is not None and end >= 0:
        return f"the first {_clock(end)} of the video"
    parts = [f"from {_when(start)}" if start else "from the start"]
    parts.append(f"until {_when(end)}" if end is not None else "to the end")
    return " ".join(parts)


def _fade(seconds: float | None) -> str:
    if seconds is None:
        return "default"
    return "none" if seconds == 0 else f"{seconds:g} s"


def describe(request: MusicRequest) -> str:
    """A short, human explanation of a request (what ``game-music explain`` prints)."""
    r = request
    style = (f"{r.style} ({_STYLE_NOTES[r.style]})" if r.style else "chosen from the video")
    volume = "default mix"
    if r.music_volume is not None:
        level = r.music_volume
        volume = f"{level:.0%} ({20 * math.log10(level):+.1f} dB)" if level > 0 else "0% (silent)"
    lines = [
        f"Style:       {style}",
        f"Mood:        {r.mood or 'chosen from the video'}",
        f"Tempo:       {f'{r.tempo_bpm} BPM' if r.tempo_bpm else 'style default'}",
        f"Music level: {volume}",
        f"Music plays: {_span(r)}",
        f"Fades:       in {_fade(r.fade_in_s)}, out {_fade(r.fade_out_s)}",
        f"Voice:       {'music dips under speech' if r.duck_voice else 'no ducking'}",
        f"Game audio:  {_GAME_AUDIO[r.game_audio if r.game_audio_asked else None]}",
        f"Frame:       {_ASPECT[r.aspect]}",
        f"Seed:        {r.seed if r.seed is not None else 'automatic'}",
    ]
    if r.unrecognized:
        lines.append("Not understood: " + ", ".join(f'"{p}"' for p in r.unrecognized))
    return "\n".join(lines)


__all__ = ["parse_prompt", "describe", "DEFAULT_VOLUME", "DEFAULT_TEMPO", "MAX_PROMPT_CHARS"]
