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
from typing import NamedTuple

from ._prompt_words import LETTERS, data, term, term_regex


class Effect(NamedTuple):
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
             f"|{_NUMA}\\s*{sec}|{term('half_minute')})")
    nth_minute = f"{term('minute_word')}\\s*{NUM}(?!\\s*(?:[\\d:]|{sec}))"   # "el minuto 2"
    dur = f"(?:{CLOCK}|{nth_minute}|{units})"
    return {
        "units": units,
        "dur": dur,                                    # needs a unit or a clock
        "durb": f"(?:{CLOCK}|{nth_minute}|{units}|{NUM})",   # bare numbers are seconds
        "nth": nth_minute,
        "durm": f"(?:{dur}|{term('minute_word')})",    # "the first minute"
    }


@functools.cache
def _duration_regex() -> re.Pattern[str]:
    d = _dur()
    return re.compile(f"(?P<half>{term('half_minute')})|(?P<clock>{CLOCK})|(?P<nth>{d['nth']})"
                      f"|(?P<units>{d['units']})"
                      f"|(?P<minw>{term('minute_word')})|(?P<bare>{NUM})")


_SHORT = {"volume": "music_volume", "tempo": "tempo_bpm"}


@functools.cache
def _intensity_table() -> dict[str, dict[tuple[str, str, float], float]]:
    """``intensify`` of the data: ``{"much": {(field, op, value): stronger value}}``."""
    out: dict[str, dict[tuple[str, str, float], float]] = {}
    for kind, table in data()["intensify"].items():
        if kind.startswith("_"):
            continue
        for src, dst in table.items():
            key, _, value = src.partition("=")
            op = "mul" if key.endswith("*") else "set"
            out.setdefault(kind, {})[(_SHORT[key.rstrip("*")], op, float(value))] = float(
                dst.partition("=")[2])
    return out


def intensified(effect: Effect, kind: str) -> Effect:
    """``effect`` made stronger ("much") or milder ("bit"), if the data says how."""
    value = effect.value if isinstance(effect.value, (int, float)) else None
    if value is None:
        return effect
    new = _intensity_table()[kind].get((effect.field, effect.op, float(value)))
    return effect if new is None else Effect(effect.field, effect.op, new, effect.strength)


def _num(text: str) -> float:
    if text in ("a", "an"):
        return 1.0
    return float(text.replace(",", "."))


def timed(text: str) -> list[tuple[float, str]]:
    """``(seconds, kind)`` of every duration in ``text``; kind is clock, min, sec, bare."""
    out: list[tuple[float, str]] = []
    minutes = term_regex("minutes")
    for m in _duration_regex().finditer(text):
        if m.group("half"):
            out.append((30.0, "sec"))
        elif m.group("nth"):
            out.append((60.0 * _numbers(m.group())[0], "min"))
        elif m.group("clock"):
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


_FADE_DEFAULT = {"fade_in_s": 2.0, "fade_out_s": 3.0}   # as the bare fade words in the data


def _fade(*fields: str) -> Handler:
    def handle(m: re.Match[str]) -> list[Effect]:
        ds = durations(m.group())
        return [Effect(f, "set", _r(ds[-1]) if ds else _FADE_DEFAULT[f]) for f in fields]
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


def _before_end(m: re.Match[str]) -> list[Effect]:
    field = "start_s" if m.group("start") else "end_s"    # a bare "10 s before the end" stops
    return [Effect(field, "set", -_r(durations(m.group("d") or m.group("d2"))[0]))]


def _negated_text(text: str) -> bool:
    return bool(term_regex("negator").search(text) or term_regex("neg_post").search(text))


def _duck_clause(m: re.Match[str]) -> list[Effect]:
    """"lower the music when I talk" ducks; any negation in the clause turns ducking off."""
    return [Effect("duck_voice", "set", not _negated_text(m.group()), 3)]


def _game_level(m: re.Match[str]) -> list[Effect]:
    if m.group("absent"):
        return [Effect("game_audio", "set", "mute")]
    verb = "cut" if m.group("cut") else "cut2" if m.group("cut2") else None
    rest = m.group() if verb is None else (m.string[m.start():m.start(verb)]
                                           + m.string[m.end(verb):m.end()])
    if _negated_text(rest):                 # "Spielsound nicht stummschalten"; not "关闭" itself
        return [Effect("game_audio", "set", "keep", 3)]
    return [Effect("game_audio", "set", "mute" if m.group("cut") or m.group("cut2") else "duck")]


def _turn(m: re.Match[str]) -> list[Effect]:
    """"turn the music (way) down": the music level, made stronger or milder by its adverb."""
    eff = Effect("music_volume", "mul", 2.0 if m.group("up") else 0.5)
    groups = m.groupdict()
    kind = ("much" if groups.get("much") or groups.get("much2") else
            "bit" if groups.get("bit") or groups.get("bit2") else None)
    return [intensified(eff, kind) if kind else eff]


def _than(m: re.Match[str]) -> list[Effect]:
    up = m.group("up") or m.group("up2") or m.group("up3")
    return [Effect("music_volume", "mul", 2.0 if up else 0.5)]


# --- the patterns -----------------------------------------------------------------------------

class Pattern(NamedTuple):
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
    adj_fade = f"{t('fade_adj')}\\s*"               # "quick fade in": the adjective is the fade's
    music = f"(?:{t('music_noun')}\\s*)"
    # a verb, then maybe "the music", then maybe "at": "que la música termine a los 2 minutos"
    minw = f"{t('minute_word')}(?!\\s*\\d)"            # "al minuto": at the one-minute mark
    start_lead = f"(?:{t('from')}|{t('start_verb')}\\s*{music}?(?:{t('at')}\\s*)?)"
    stop_lead = f"(?:{t('until')}|{t('stop_verb')}\\s*{music}?(?:{t('at')}\\s*)?)"
    start_verb = f"{t('start_verb')}\\s*{music}?(?:{t('at')}\\s*)?{fill}(?:{dur}|{minw})"
    stop_verb = f"{t('stop_verb')}\\s*{music}?(?:{t('at')}\\s*)?{fill}(?:{dur}|{minw})"
    at_pre = f"(?:{t('at')}\\s*)?"
    at_post = f"(?:{t('at_post')}\\s*)?"
    level = f"(?:{t('music_noun')}|{t('level_noun')})"
    # a clause: no punctuation, and no word that starts another thought ("than", "and", "music")
    sep = r"[^,.;!?、。，；！？]"
    clause = f"(?:(?!{t('than')}|{t('conj')}|{t('music_noun')}){sep}){{0,24}}?"
    voice = f"(?:{t('voice_noun')}|{t('game_noun')})"
    return [
        # Listed most specific first: on equal length the earlier pattern wins.
        ("span", f"(?:{t('from')}|{t('between')})\\s*{durb}\\s*{t('to')}\\s*{durb}"
                 f"(?:\\s*{t('until_post')})?|{lead}{dur}\\s*{t('to')}\\s*{dur}"
                 f"(?:\\s*{t('until_post')})?", _span),
        ("skip_first", f"{skip}{first}|{first}\\s*{t('no_music_post')}", _skip_first),
        ("skip_last", f"{skip}{last}|{last}\\s*{t('no_music_post')}", _skip_last),
        ("first", first, _first),
        ("last", last, _last),
        ("before_end", f"(?:(?P<start>{start_lead})|{stop_lead})?\\s*{fill}{lead}(?P<d>{dur})\\s*"
                       f"{t('before_end')}|{t('before_end')}\\s*(?P<d2>{dur})"
                       f"(?:\\s*{at_post}{music}?{t('until_post')})?", _before_end),
        ("from", f"{t('from')}\\s*{fill}{durb}(?:\\s*{t('from_post')})?|{start_verb}"
                 f"|{at_pre}{lead}{dur}\\s*{at_post}(?:{t('from_post')}\\s*)?{music}?"
                 f"{t('from_post')}", _from),
        ("until", f"{t('until')}\\s*{fill}{durb}|{stop_verb}"
                  f"|{at_pre}{lead}{dur}\\s*{at_post}{music}?{t('until_post')}", _until),
        ("duck_clause", f"(?:{music}?(?:{t('negator')})[\\s\\-]*)?{music}?{t('duck_verb')}"
                        f"{sep}{{0,30}}?,?\\s*{t('voice_when')}|{t('voice_when')}{sep}{{0,16}}?{t('duck_verb')}"
                        f"(?:\\s*{t('music_noun')})?(?:{t('neg_post')})?", _duck_clause),
        ("game_level", f"(?:(?P<cut>{t('cut_verb')})|{t('lower_word')})\\s*{clause}{t('game_noun')}"
                       f"|{t('game_noun')}\\s*{clause}(?:(?P<cut2>{t('cut_verb')})|{t('lower_word')})"
                       f"|(?P<absent>{t('absent')})\\s*{fill}{t('game_noun')}", _game_level),
        ("turn", f"{t('turn_verb')}\\s*{music}?(?:(?P<much>{t('much')})|(?P<bit>{t('bit')}))?\\s*"
                 f"(?:(?P<down>{t('down')})|(?P<up>{t('up')}))(?![{LETTERS}])", _turn),
        ("level_verb", f"(?:(?P<down>{t('down_verb')})|(?P<up>{t('up_verb')}))\\s*"
                       f"(?:(?P<much>{t('much')})|(?P<bit>{t('bit')}))?\\s*{fill}{level}"
                       f"(?:\\s*(?:(?P<much2>{t('much')})|(?P<bit2>{t('bit')})))?", _turn),
        ("than", f"(?:(?P<down>{t('quieter')})|(?P<up>{t('louder')}))\\s*{t('than')}\\s*"
                 f"{fill}{voice}"
                 f"|{t('than')}\\s*{fill}{voice}\\s*(?:的\\s*)?"
                 f"(?:(?P<down2>{t('quieter')})|(?P<up2>{t('louder')}))"
                 f"|{voice}\\s*{t('than')}\\s*(?:(?P<down3>{t('quieter')})|(?P<up3>{t('louder')}))",
         _than),
        ("fade_in", f"{t('fade_in')}{fade_tail}|{adj}{lead}{dur}\\s*{t('fade_in')}"
                    f"|{adj_fade}{t('fade_in')}(?:{fade_tail})?", _fade("fade_in_s")),
        ("fade_out", f"{t('fade_out')}{fade_tail}|(?:{t('last')}\\s*)?{adj}{lead}{dur}\\s*"
                     f"(?:{t('over')}\\s*)?{t('fade_out')}|{adj_fade}{t('fade_out')}(?:{fade_tail})?",
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
