"""The prompt corpus (``tests/prompts``) as a gate, and one regression test per kind of
phrase the corpus taught the parser (typos, time phrases, negation, numbers, game sound)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from game_music._prompt_fuzzy import repair
from game_music.prompt import describe, parse_prompt
from prompts.corpus import LANGUAGES, cases, score

MIN_ASKED_PERCENT = 97.0     # fields each prompt asks for, plus any the parser set
MIN_ALL_PERCENT = 99.0       # every Contract 3 field of every prompt
MAX_SILENT = 2               # wrong fields with nothing shown as not understood


def test_corpus_is_broad() -> None:
    counts = {lang: sum(1 for _ in cases(lang)) for lang in LANGUAGES}
    assert sum(counts.values()) >= 300
    assert all(counts[lang] >= 30 for lang in ("es", "pt", "fr", "de", "zh", "ja")), counts


def test_corpus_accuracy() -> None:
    scores = score(parse_prompt)
    total = scores["all"]
    detail = "\n".join(f"[{c.lang}] {c.prompt!r}: {w}" for c, w, _ in total.misses)
    assert total.asked_percent >= MIN_ASKED_PERCENT, detail
    assert total.percent >= MIN_ALL_PERCENT, detail
    assert total.silent <= MAX_SILENT, detail
    for lang in LANGUAGES:
        assert scores[lang].asked_percent >= 95.0, (lang, detail)


@pytest.mark.parametrize(("text", "fields"), [
    # typos, repaired only when one known word is that close
    ("chiptuen musci plz", {"style": "chiptune"}),
    ("synthwav", {"style": "synthwave"}),
    ("orchestal boss music", {"style": "orchestral", "mood": "tense"}),
    ("volumne 40%", {"music_volume": 0.4}),
    ("spoooky", {"mood": "mysterious"}),
    # time phrases
    ("start the music at 0:15", {"start_s": 15.0}),
    ("bring the music in at 90 seconds and stop it at 2:30", {"start_s": 90.0, "end_s": 150.0}),
    ("stop the music at the 3 minute mark", {"end_s": 180.0}),
    ("begin the music after fifteen seconds", {"start_s": 15.0}),
    ("fade it out over 4 seconds", {"fade_out_s": 4.0}),
    ("que empiece a los 10 segundos", {"start_s": 10.0}),
    ("最後は5秒かけてフェードアウトして", {"fade_out_s": 5.0}),
    ("最后5秒淡出", {"fade_out_s": 5.0}),
    ("arrête la musique à 2:30", {"end_s": 150.0}),
    # negation and scope
    ("don't lower the music when I talk", {"duck_voice": False}),
    ("não abaixa a música quando eu falar", {"duck_voice": False}),
    ("no need to mute the game", {}),
    ("don't duck the game audio", {}),
    ("keep the original game audio as is", {}),
    ("lower the music when i talk", {}),
    # numbers bound to their quantity
    ("quiet ambient pads at 15%", {"style": "ambient", "music_volume": 0.15}),
    ("music at half volume", {"music_volume": 0.5}),
    ("Tetris-style music at 140 BPM", {"style": "gameboy", "tempo_bpm": 140}),
    ("fast chiptune 180bpm", {"style": "chiptune", "tempo_bpm": 180}),
    ("end the music at 4:00", {"end_s": 240.0}),
    ("music at 35% and the game at 60%", {"music_volume": 0.35, "game_audio": "duck"}),
    # the game sound in plain words
    ("turn the game sounds down a bit", {"game_audio": "duck"}),
    ("make the game quieter", {"game_audio": "duck"}),
    ("coupe le son du jeu", {"game_audio": "mute"}),
    ("Spiel-Audio ausschalten", {"game_audio": "mute"}),
    ("把游戏声音关掉", {"game_audio": "mute"}),
    ("ゲーム音を少し下げて", {"game_audio": "duck"}),
    ("baja un poco el sonido del juego", {"game_audio": "duck"}),
    # moods people say
    ("ゆったりしたBGM", {"mood": "calm"}),
])
def test_field_regressions(text: str, fields: dict[str, object]) -> None:
    got = parse_prompt(text)
    want = {"style": None, "mood": None, "tempo_bpm": None, "music_volume": None,
            "start_s": None, "end_s": None, "fade_in_s": None, "fade_out_s": None,
            "duck_voice": True, "game_audio": "keep", **fields}
    assert {k: getattr(got, k) for k in want} == want


@pytest.mark.parametrize("word", ["horse", "bottle", "rocket", "racing", "medal", "better",
                                  "night", "drove", "hello", "music"])
def test_ordinary_words_never_become_a_style(word: str) -> None:
    assert repair(word) is None or repair(word) == word
    req = parse_prompt(f"music for my {word} clip")
    assert (req.style, req.mood) == (None, None)


def test_explain_never_lists_an_applied_word() -> None:
    req = parse_prompt("音量は小さめ")
    assert req.music_volume == 0.25 and req.unrecognized == ()
    assert "Not understood" not in describe(req)
    assert parse_prompt("chiptuen with a dragon").unrecognized == ("dragon",)


def test_parser_import_does_not_load_rapidfuzz() -> None:
    code = "import sys, game_music.prompt; print('rapidfuzz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
