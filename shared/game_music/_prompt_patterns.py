"""Prompt patterns that carry numbers: times, spans, fades, tempo, volume, seeds.

The patterns run over the "digits view" of the prompt (number words already turned into
digits, see :func:`_prompt_words.digits_view`) and are built from the word classes in
``data/prompt_words.json`` (``terms``), so other languages only need data.  Each pattern has
a small handler that turns the matched text into effects on :class:`MusicRequest` fields.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from ._prompt_words import LETTERS, term, term_regex


@dataclass(frozen=True)
class Effect:
    """One change a prompt asks for: ``op`` is ``set`` (with a strength), ``mul`` or ``add``."""

    field: str
    op: str
    value: object
    strength: int = 2


NUM = r"\d+(?:[.,]\d+)?"
_A = r"(?<![a-z])an?(?=\s)"                   # "a minute", "an hour" style counts
_NUMA = f"(?:{NUM}|{_A})"
CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?"


@functools.cache
def _dur() -> dict[str, str]:
    sec, mins = term("seconds"), term("minutes")
    units = (f"(?:{_NUMA}\\s*{mins}(?:\\s*(?:and|y|e|et|und)?\\s*{NUM}\\s*(?:{sec})?)?"
             f"|{_NUMA}\\s*{sec})")
    dur = f"(?:{CLOCK}|{units})"
    return {
        "units": units,
        "dur": dur,                                    # needs a unit or a clock
        "durb": f"(?:{CLOCK}|{units}|{NUM})",          # bare numbers are seconds
        "durm": f"(?:{dur}|{term('minute_word')})",    # "the first minute"
    }


@functools.cache
def _duration_regex() -> re.Pattern[str]:
    d = _dur()
    return re.compile(f"(?P<clock>{CLOCK})|(?P<units>{d['units']})|(?P<minw>{term('minute_word')})"
                      f"|(?P<bare>{NUM})")


def _num(text: str) -> float:
    if text in ("a", "an"):
        return 1.0
    return float(text.replace(",", "."))


def timed(text: str) -> list[tuple[float, str]]:
    """``(seconds, kind)`` of every duration in ``text``; kind is clock, min, sec, bare."""
    out: list[tuple[float, str]] = []
    minutes = term_regex("minutes")
    for m in _duration_regex().finditer(text):
        if m.group("clock"):
            whole, _, frac = m.group().replace(",", ".").partition(".")
            secs = 0.0
            for piece in whole.split(":"):
                secs = secs * 60 + int(piece)
            out.append((secs + (float("0." + frac) if frac else 0.0), "clock"))
        elif m.group("units"):
            secs, kind = 0.0, "sec"
            for n, unit in re.findall(f"({NUM}|{_A})\\s*([^\\d\\s]*)", m.group()):
                is_min = bool(unit) and minutes.fullmatch(unit) is not None
                kind = "min" if is_min and kind == "sec" and secs == 0 else kind
                secs += _num(n) * (60.0 if is_min else 1.0)
            out.append((secs, kind))
        elif m.group("minw"):
            out.append((60.0, "min"))
        else:
            out.append((_num(m.group()), "bare"))
    return out


def durations(text: str) -> list[float]:
    """Seconds of every duration in ``text`` in order ("1:30" -> 90, "1 min 5" -> 65)."""
    return [secs for secs, _ in timed(text)]


def _numbers(text: str) -> list[float]:
    return [_num(n) for n in re.findall(NUM, text)]


def _r(x: float) -> float:
    return round(x, 3)


# --- handlers ---------------------------------------------------------------------------------

Handler = Callable[[re.Match[str]], list[Effect]]


def _span(m: re.Match[str]) -> list[Effect]:
    ds = timed(m.group())
    if len(ds) < 2:
        return []
    (a, kind_a), (b, kind_b) = ds[0], ds[-1]
    if kind_a == "bare" and kind_b == "min":
        a *= 60                               # "from 1 to 2 minutes"
    return [Effect("start_s", "set", _r(min(a, b))), Effect("end_s", "set", _r(max(a, b)))]


def _from(m: re.Match[str]) -> list[Effect]:
    return [Effect("start_s", "set", _r(durations(m.group())[0]))]


def _until(m: re.Match[str]) -> list[Effect]:
    return [Effect("end_s", "set", _r(durations(m.group())[0]))]


def _first(m: re.Match[str]) -> list[Effect]:
    return [Effect("start_s", "set", 0.0), Effect("end_s", "set", _r(durations(m.group())[0]))]


def _last(m: re.Match[str]) -> list[Effect]:
    return [Effect("start_s", "set", -_r(durations(m.group())[0]))]


def _skip_first(m: re.Match[str]) -> list[Effect]:
    return [Effect("start_s", "set", _r(durations(m.group())[0]))]


def _skip_last(m: re.Match[str]) -> list[Effect]:
    return [Effect("end_s", "set", -_r(durations(m.group())[0]))]


def _fade(*fields: str) -> Handler:
    def handle(m: re.Match[str]) -> list[Effect]:
        ds = durations(m.group())
        return [Effect(f, "set", _r(ds[-1])) for f in fields] if ds else []
    return handle


def _tempo_set(m: re.Match[str]) -> list[Effect]:
    return [Effect("tempo_bpm", "set", _numbers(m.group())[0], 3)]   # a number beats "fast"


def _tempo_rel(m: re.Match[str]) -> list[Effect]:
    n = _numbers(m.group())[0]
    sign = 1 if m.group("up") else -1
    if m.group("pct"):
        return [Effect("tempo_bpm", "mul", 1 + sign * n / 100)]
    return [Effect("tempo_bpm", "add", sign * n)]


def _volume_pct(m: re.Match[str]) -> list[Effect]:
    return [Effect("music_volume", "set", _numbers(m.group())[0] / 100, 3)]  # beats "quiet"


def _volume_bare(m: re.Match[str]) -> list[Effect]:
    n = _numbers(m.group())[0]
    return [Effect("music_volume", "set", n if n <= 1 else n / 100)]


def _volume_rel_pct(m: re.Match[str]) -> list[Effect]:
    n = _numbers(m.group())[0]
    sign = 1 if m.group("up") else -1
    return [Effect("music_volume", "mul", max(0.0, 1 + sign * n / 100))]


def _volume_db(m: re.Match[str]) -> list[Effect]:
    n = _numbers(m.group())[-1]
    down = m.group("down") or m.group("dverb")
    up = m.group("up") or m.group("uverb")
    if down or up:                            # "6 dB quieter": relative to the current level
        return [Effect("music_volume", "mul", 10 ** ((n if up else -n) / 20))]
    signed = -n if m.group("minus") else n    # "-6 dB": absolute amplitude ratio
    return [Effect("music_volume", "set", 10 ** (signed / 20))]


def _seed(m: re.Match[str]) -> list[Effect]:
    return [Effect("seed", "set", int(re.findall(r"\d+", m.group())[-1]) % 2**32)]


def _game_pct(m: re.Match[str]) -> list[Effect]:
    n = _numbers(m.group())[-1]
    return [Effect("game_audio", "set", "mute" if n <= 0 else "keep" if n >= 100 else "duck")]


# --- the patterns -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Pattern:
    name: str
    regex: re.Pattern[str]
    handle: Handler


def _sources() -> list[tuple[str, str, Handler]]:
    t = term
    d = _dur()
    dur, durb, durm = d["dur"], d["durb"], d["durm"]
    sec_or_min = f"(?:{t('seconds')}|{t('minutes')})"
    lead = f"(?<![{LETTERS}0-9])"   # never start inside a word or number (no quadratic scans)
    first = f"(?:{t('first')}\\s*{durm}|{lead}{NUM}\\s*{t('first_post')}\\s*{sec_or_min})"
    last = f"(?:{t('last')}\\s*{durm}|{lead}{NUM}\\s*{t('last_post')}\\s*{sec_or_min})"
    sign = f"(?:(?:(?P<minus>-|{t('minus')})|(?P<plus>\\+|{t('plus')}))\\s*)?"
    pct = f"(?:%|{t('percent')})"
    opt_at = f"(?:{t('at')}\\s*)?"
    adj = f"(?:{t('fade_adj')}\\s*)?"              # "quick 1 second fade": not a tempo
    fill = f"(?:{t('fill')}\\s*)?"                 # "stop at the 3 minute mark"
    skip = f"(?:{t('no_music')})\\s*(?:{t('prep')}\\s*)?(?:{t('fill')}\\s*)?"
    fade_tail = f"\\s*(?:{t('over')}\\s*)?(?:{t('fill')}\\s*)?(?:{t('last')}\\s*)?{durb}"
    return [
        # Listed most specific first: on equal length the earlier pattern wins.
        ("span", f"(?:{t('from')}|{t('between')})\\s*{durb}\\s*{t('to')}\\s*{durb}"
                 f"(?:\\s*{t('until_post')})?|{lead}{dur}\\s*{t('to')}\\s*{dur}"
                 f"(?:\\s*{t('until_post')})?", _span),
        ("skip_first", f"{skip}{first}|{first}\\s*{t('no_music_post')}", _skip_first),
        ("skip_last", f"{skip}{last}|{last}\\s*{t('no_music_post')}", _skip_last),
        ("first", first, _first),
        ("last", last, _last),
        ("from", f"{t('from')}\\s*{fill}{durb}(?:\\s*{t('from_post')})?"
                 f"|{lead}{dur}\\s*{t('from_post')}", _from),
        ("until", f"{t('until')}\\s*{fill}{durb}|{lead}{dur}\\s*{t('until_post')}", _until),
        ("fade_in", f"{t('fade_in')}{fade_tail}|{adj}{lead}{dur}\\s*{t('fade_in')}",
         _fade("fade_in_s")),
        ("fade_out", f"{t('fade_out')}{fade_tail}|(?:{t('last')}\\s*)?{adj}{lead}{dur}\\s*"
                     f"(?:{t('over')}\\s*)?{t('fade_out')}",
         _fade("fade_out_s")),
        ("fade_both", f"{t('fade_both')}{fade_tail}|{adj}{lead}{dur}\\s*{t('fade_both')}",
         _fade("fade_in_s", "fade_out_s")),
        ("tempo_rel", f"{lead}{NUM}\\s*(?:(?P<pct>{pct})|{t('bpm')})\\s*"
                      f"(?:(?P<up>{t('faster')})|(?P<down>{t('slower')}))", _tempo_rel),
        ("tempo", f"{lead}{NUM}\\s*{t('bpm')}|{t('tempo')}\\s*{opt_at}{NUM}(?!\\s*{pct})"
                  f"|{t('bpm_prefix')}\\s*{NUM}(?:\\s*{t('bpm')})?", _tempo_set),
        ("game_pct", f"{t('game_noun')}\\s*{opt_at}{NUM}\\s*{pct}", _game_pct),
        ("volume_rel", f"{lead}{NUM}\\s*{pct}\\s*"
                       f"(?:(?P<up>{t('louder')})|(?P<down>{t('quieter')}))", _volume_rel_pct),
        ("volume_pct", f"(?:{t('volume')}\\s*)?{opt_at}{lead}{NUM}\\s*{pct}"
                       f"|(?:{t('volume')}\\s*{opt_at})?{t('percent_prefix')}\\s*{NUM}",
         _volume_pct),
        ("volume_db", f"(?:(?P<dverb>{t('down_verb')})|(?P<uverb>{t('up_verb')}))"
                      f"\\s+(?:\\S+\\s+){{0,3}}?(?:{t('by')}\\s*)?{NUM}\\s*{t('db')}"
                      f"|{sign}{lead}{NUM}\\s*{t('db')}"
                      f"(?:\\s*(?:(?P<down>{t('quieter')})|(?P<up>{t('louder')})))?", _volume_db),
        # a bare number after "volume"/"music at" is a level unless a unit says otherwise
        ("volume", f"{t('volume')}\\s*{opt_at}{NUM}"
                   f"(?!\\s*(?:{pct}|[\\d.,:]|{t('db')}|{t('bpm')}|{sec_or_min}))",
         _volume_bare),
        ("seed", f"{t('seed')}\\s*(?:#|no\\.?|nr\\.?|number|n°|=|:)?\\s*\\d+", _seed),
    ]


@functools.cache
def patterns() -> tuple[Pattern, ...]:
    return tuple(Pattern(name, re.compile(src), handle) for name, src, handle in _sources())
