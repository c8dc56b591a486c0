"""Prompt understanding (Contract 3): a table of prompts in seven languages, refinement of an
earlier request, what is left unrecognized, and the explanation text."""

from __future__ import annotations

import json
import math
import re

import pytest

from game_music import prompt as prompt_mod
from game_music._errors import UsageError
from game_music._prompt_words import data
from game_music.prompt import DEFAULT_TEMPO, DEFAULT_VOLUME, describe, parse_prompt
from game_music.request import ASPECTS, GAME_AUDIO, MOODS, STYLES, MusicRequest

# Each prompt with every field that differs from the defaults (all others must stay default).
CASES: list[tuple[str, dict[str, object]]] = [
    ('NES style music for my speedrun', {'style': 'chiptune', 'unrecognized': ('speedrun',)}),
    ('retro chiptune, fast', {'style': 'chiptune', 'tempo_bpm': 150}),
    ('Sega Mega Drive 16-bit vibes', {'style': 'fm16'}),
    ('like Final Fantasy but sad', {'style': 'orchestral', 'mood': 'sad'}),
    ('Zelda adventure music', {'style': 'orchestral', 'mood': 'heroic'}),
    ('happy Mario music, 140 bpm', {'style': 'chiptune', 'mood': 'happy', 'tempo_bpm': 140}),
    ('lo-fi study beats, quiet', {'style': 'lofi', 'mood': 'calm', 'music_volume': 0.25}),
    ('chill beats for a cozy stream', {'style': 'lofi', 'mood': 'calm'}),
    ('spooky mysterious exploration', {'style': 'ambient', 'mood': 'mysterious'}),
    ('shred metal for my ranked clutch', {'style': 'rock', 'mood': 'tense'}),
    ('drum n bass montage, loud', {'style': 'edm', 'music_volume': 0.8}),
    ('a hundred and twenty bpm', {'tempo_bpm': 120}),
    ('ninety-nine bpm', {'tempo_bpm': 99}),
    ('tempo 95', {'tempo_bpm': 95}),
    ('music at 20 percent', {'music_volume': 0.2}),
    ('volume 0.3', {'music_volume': 0.3}),
    ('lower the music by 6 dB', {'music_volume': 0.251}),
    ('6 dB quieter', {'music_volume': 0.251}),
    ('music at -12 dB', {'music_volume': 0.251}),
    ('+3 dB', {'music_volume': 1.0}),
    ('fade in over 3 seconds and fade out over the last 5 seconds',
     {'fade_in_s': 3.0, 'fade_out_s': 5.0}),
    ('2 second fade in', {'fade_in_s': 2.0}),
    ('no fade', {'fade_in_s': 0.0, 'fade_out_s': 0.0}),
    ('no fade in, fade out 4s', {'fade_in_s': 0.0, 'fade_out_s': 4.0}),
    ('fade in and out', {'fade_in_s': 2.0, 'fade_out_s': 3.0}),
    ('duck under my voice', {}),
    ("don't duck", {'duck_voice': False}),
    ('mute the game audio', {'game_audio': 'mute'}),
    ('keep the game sound', {}),
    ('lower the game audio', {'game_audio': 'duck'}),
    ('game audio at 30%', {'game_audio': 'duck'}),
    ('for YouTube Shorts', {'aspect': '9:16'}),
    ('instagram reels 9:16', {'aspect': '9:16'}),
    ('square 1:1', {'aspect': '1:1'}),
    ('landscape 16:9', {'aspect': '16:9'}),
    ('seed 42', {'seed': 42}),
    ('take 3', {'seed': 3}),
    ('seed #7', {'seed': 7}),
    ('the last minute', {'start_s': -60.0}),
    ('music from 1:00 to 2:30', {'start_s': 60.0, 'end_s': 150.0}),
    ('between 10 and 20 seconds', {'start_s': 10.0, 'end_s': 20.0}),
    ('from 1 to 2 minutes', {'start_s': 60.0, 'end_s': 120.0}),
    ('until 1:30', {'end_s': 90.0}),
    ('no music in the last 10 seconds', {'end_s': -10.0}),
    ('skip the first 15 seconds', {'start_s': 15.0}),
    ('from 0:15 on', {'start_s': 15.0}),
    ('after 20 seconds', {'start_s': 20.0}),
    ('starting at 1 min 30', {'start_s': 90.0}),
    ('fade in one second', {'fade_in_s': 1.0}),
    ('twenty five percent volume', {'music_volume': 0.25}),
    ('música épica, más rápida', {'style': 'orchestral', 'mood': 'heroic', 'tempo_bpm': 150}),
    ('añade música 8 bits a mi video, vertical', {'style': 'chiptune', 'aspect': '9:16'}),
    ('música tranquila de fondo al 30%', {'mood': 'calm', 'music_volume': 0.3}),
    ('sin ducking, silenciar el juego', {'duck_voice': False, 'game_audio': 'mute'}),
    ('los últimos 30 segundos', {'start_s': -30.0}),
    ('desde 0:15 hasta 1:30', {'start_s': 15.0, 'end_s': 90.0}),
    ('fundido de entrada de 3 segundos', {'fade_in_s': 3.0}),
    ('música de terror, lenta', {'mood': 'dark', 'tempo_bpm': 80}),
    ('semilla 42', {'seed': 42}),
    ('ciento veinte bpm', {'tempo_bpm': 120}),
    ('música relaxante lo-fi, volume 40%', {'style': 'lofi', 'mood': 'calm', 'music_volume': 0.4}),
    ('coloque música épica no meu vídeo', {'style': 'orchestral', 'mood': 'heroic'}),
    ('sem som do jogo, formato vertical', {'game_audio': 'mute', 'aspect': '9:16'}),
    ('os primeiros trinta segundos', {'start_s': 0.0, 'end_s': 30.0}),
    ('musique calme pour ma vidéo', {'mood': 'calm'}),
    ('musique épique, plus rapide, carré',
     {'style': 'orchestral', 'mood': 'heroic', 'tempo_bpm': 150, 'aspect': '1:1'}),
    ('les 30 dernières secondes', {'start_s': -30.0}),
    ('pas de musique pendant les 10 premières secondes', {'start_s': 10.0}),
    ('couper le son du jeu', {'game_audio': 'mute'}),
    ('ruhige Musik', {'mood': 'calm'}),
    ('epische Musik, hochformat, schneller',
     {'style': 'orchestral', 'mood': 'heroic', 'tempo_bpm': 150, 'aspect': '9:16'}),
    ('die letzten 30 Sekunden', {'start_s': -30.0}),
    ('Spielsound stumm, ohne Ducking', {'duck_voice': False, 'game_audio': 'mute'}),
    ('einhundertzwanzig bpm', {'tempo_bpm': 120}),
    ('düstere Musik im 16-Bit-Stil', {'style': 'fm16', 'mood': 'dark'}),
    ('8ビットの曲、速く', {'style': 'chiptune', 'tempo_bpm': 150}),
    ('壮大なオーケストラ、縦型', {'style': 'orchestral', 'mood': 'heroic', 'aspect': '9:16'}),
    ('ゲーム音をミュートして', {'game_audio': 'mute'}),
    ('最後の30秒だけ', {'start_s': -30.0}),
    ('ボス戦の音楽、テンポ140', {'mood': 'tense', 'tempo_bpm': 140}),
    ('史诗音乐', {'style': 'orchestral', 'mood': 'heroic'}),
    ('竖屏，8位风格', {'style': 'chiptune', 'aspect': '9:16'}),
    ('静音游戏声音', {'game_audio': 'mute'}),
    ('最后30秒', {'start_s': -30.0}),
    ('前10秒不要音乐', {'start_s': 10.0}),
    ('轻松的lofi音乐，音量百分之三十', {'style': 'lofi', 'mood': 'calm', 'music_volume': 0.3}),
    ('从15秒到1分30秒', {'start_s': 15.0, 'end_s': 90.0}),
    ('紧张的战斗音乐，每分钟140拍', {'mood': 'tense', 'tempo_bpm': 140}),
    ('种子42', {'seed': 42}),
    ('淡入3秒', {'fade_in_s': 3.0}),
    ('add some music to my gameplay video please', {}),
    ('I want something like Celeste but darker', {'style': 'fm16', 'mood': 'dark'}),
    ('music like Doom Eternal at 120 bpm from 0:30',
     {'style': 'rock', 'mood': 'tense', 'tempo_bpm': 120, 'start_s': 30.0}),
    ('42', {'unrecognized': ('42',)}),
    ('seed forty two', {'seed': 42}),
    ('seed abc', {'unrecognized': ('seed abc',)}),
    ('!!!', {}),
    ('the a the', {}),
    ('make it sound like Hotline Miami', {'style': 'synthwave'}),
    ('Pokemon Game Boy style, happy, take 2', {'style': 'gameboy', 'mood': 'happy', 'seed': 2}),
    ('Streets of Rage, Sonic vibes', {'style': 'fm16'}),
    ('Final Fantasy victory fanfare', {'style': 'orchestral', 'mood': 'triumphant'}),
    ('Minecraft cave ambience, spooky',
     {'style': 'ambient', 'mood': 'mysterious', 'unrecognized': ('cave',)}),
    ('CS:GO frag movie, dubstep, 9:16', {'style': 'edm', 'aspect': '9:16'}),
    ('tense horror, 70 bpm, very quiet', {'mood': 'tense', 'tempo_bpm': 70, 'music_volume': 0.12}),
    ('ambient, barely audible, no fades',
     {'style': 'ambient', 'music_volume': 0.12, 'fade_in_s': 0.0, 'fade_out_s': 0.0}),
    ('subtle background music, duck under commentary', {'music_volume': 0.25}),
    ('Celeste Classic pico-8 tune', {'style': 'chiptune'}),
    ('chill lofi hip hop for studying', {'style': 'lofi', 'mood': 'calm'}),
    ('victory music for the last 20 seconds', {'mood': 'triumphant', 'start_s': -20.0}),
    ('cozy Stardew vibes', {'style': 'lofi', 'mood': 'calm'}),
    ('synthwave at fifty percent', {'style': 'synthwave', 'music_volume': 0.5}),
    ('vertical video for tiktok with epic music',
     {'style': 'orchestral', 'mood': 'heroic', 'aspect': '9:16'}),
    ('fade out over 5s and mute the game', {'fade_out_s': 5.0, 'game_audio': 'mute'}),
    ('quieter and slower', {'tempo_bpm': 111, 'music_volume': 0.25}),
    ('add epic boss fight music at 35%, vertical, seed 7',
     {'style': 'orchestral', 'mood': 'tense', 'music_volume': 0.35, 'aspect': '9:16', 'seed': 7}),
    ('8-bit retro chiptune for my speedrun', {'style': 'chiptune', 'unrecognized': ('speedrun',)}),
    ('Celeste-style music', {'style': 'fm16'}),
    ('like Doom', {'style': 'rock', 'mood': 'tense'}),
    ('Game Boy tunes please', {'style': 'gameboy'}),
    ('Sega Genesis soundtrack', {'style': 'fm16'}),
    ('outrun retrowave 120 bpm', {'style': 'synthwave', 'tempo_bpm': 120}),
    ('lo-fi chill beats to study to, -6 dB',
     {'style': 'lofi', 'mood': 'calm', 'music_volume': 0.501}),
    ('ambient Minecraft exploration, no ducking',
     {'style': 'ambient', 'mood': 'calm', 'duck_voice': False}),
    ('metal shred, mute the game', {'style': 'rock', 'game_audio': 'mute'}),
    ('dubstep frag movie montage for TikTok', {'style': 'edm', 'aspect': '9:16'}),
    ('drum and bass, square, take 3', {'style': 'edm', 'aspect': '1:1', 'seed': 3}),
    ('spooky horror music from 0:15', {'mood': 'mysterious', 'start_s': 15.0}),
    ('from 15s to 1:30, fade in 2 seconds, fade out over 5s',
     {'start_s': 15.0, 'end_s': 90.0, 'fade_in_s': 2.0, 'fade_out_s': 5.0}),
    ('last 30 seconds only', {'start_s': -30.0}),
    ('no music in the first 10 s', {'start_s': 10.0}),
    ('only the first minute', {'start_s': 0.0, 'end_s': 60.0}),
    ('one hundred twenty bpm', {'tempo_bpm': 120}),
    ('quiet subtle background music', {'music_volume': 0.25}),
    ('música épica para mi partida', {'style': 'orchestral', 'mood': 'heroic'}),
    ('musique calme, 9:16', {'mood': 'calm', 'aspect': '9:16'}),
    ('ruhige Musik, leiser', {'mood': 'calm', 'music_volume': 0.25}),
    ('8ビットのBGMを追加して', {'style': 'chiptune'}),
    ('史诗音乐，竖屏，静音游戏声音',
     {'style': 'orchestral', 'mood': 'heroic', 'game_audio': 'mute', 'aspect': '9:16'}),
    ('add banana music with a purple cow', {'unrecognized': ('banana', 'purple cow')}),
    ('fondu de sortie de vingt et une secondes', {'fade_out_s': 21.0}),
    ('cinematic RPG score', {'style': 'orchestral'}),
    ('playful cartoon tune, 9x16', {'mood': 'playful', 'aspect': '9:16'}),
    ('traurige Musik', {'mood': 'sad'}),
    ('música triste', {'mood': 'sad'}),
    ('musique joyeuse', {'mood': 'happy'}),
    ('可爱的音乐', {'mood': 'playful'}),
    ('悲しい曲', {'mood': 'sad'}),
    ('ミステリアスなアンビエント', {'style': 'ambient', 'mood': 'mysterious'}),
    ('heroic orchestral, landscape', {'style': 'orchestral', 'mood': 'heroic', 'aspect': '16:9'}),
    ('seed ninety-nine', {'seed': 99}),
    ('from 1:30 to 0:15', {'start_s': 15.0, 'end_s': 90.0}),
    ('from 0:10 until 0:50, fade in 1.5 s', {'start_s': 10.0, 'end_s': 50.0, 'fade_in_s': 1.5}),
    ('fade-out 2,5 Sekunden', {'fade_out_s': 2.5}),
    ('Ausblenden über 4 Sekunden', {'fade_out_s': 4.0}),
    ('game audio at 0%', {'game_audio': 'mute'}),
    ('no music in the first half minute', {'start_s': 30.0}),
]


@pytest.mark.parametrize(("text", "fields"), CASES, ids=[c[0] for c in CASES])
def test_prompt_table(text: str, fields: dict[str, object]) -> None:
    assert parse_prompt(text) == MusicRequest(**fields)


def test_table_is_broad() -> None:
    assert len(CASES) >= 80
    seen_styles = {f.get("style") for _, f in CASES}
    seen_moods = {f.get("mood") for _, f in CASES}
    assert set(STYLES) <= seen_styles
    assert set(MOODS) <= seen_moods
    cjk = [t for t, _ in CASES if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", t)]
    assert len(cjk) >= 15


@pytest.mark.parametrize(("text", "fields"), CASES[:40])
def test_round_trip(text: str, fields: dict[str, object]) -> None:
    req = parse_prompt(text)
    assert MusicRequest.from_dict(req.to_dict()) == req
    assert MusicRequest.from_dict(json.loads(json.dumps(req.to_dict()))) == req


def test_empty_prompt_gives_defaults() -> None:
    assert parse_prompt("") == MusicRequest()
    assert parse_prompt("   ") == MusicRequest()
    assert parse_prompt(None) == MusicRequest()


def test_decibels_are_amplitude_ratios() -> None:
    for db in (-3, -6, -12, -20):
        assert parse_prompt(f"music at {db} dB").music_volume == round(10 ** (db / 20), 3)
    assert parse_prompt("+6 dB").music_volume == 1.0          # clamped to [0, 1]
    assert parse_prompt("music at 150%").music_volume == 1.0
    assert parse_prompt("music at 0%").music_volume == 0.0


def test_tempo_is_clamped_to_a_playable_range() -> None:
    assert parse_prompt("500 bpm").tempo_bpm == prompt_mod.TEMPO_RANGE[1]
    assert parse_prompt("tempo 5").tempo_bpm == prompt_mod.TEMPO_RANGE[0]


@pytest.mark.parametrize(("words", "value"), [
    ("ninety-nine", 99), ("twenty one", 21), ("seventeen", 17), ("one hundred twenty", 120),
    ("a hundred and five", 105), ("cuarenta y dos", 42), ("veintidós", 22), ("cento e vinte", 120),
    ("quarenta e cinco", 45), ("soixante-dix", 70), ("quatre-vingt-dix-neuf", 99),
    ("vingt et un", 21), ("einundzwanzig", 21), ("neunundneunzig", 99), ("dreiundsechzig", 63),
    ("九十九", 99), ("二十", 20), ("一百二十", 120), ("十五", 15),
])
def test_number_words(words: str, value: int) -> None:
    assert parse_prompt(f"seed {words}").seed == value


def test_separate_numbers_are_not_summed() -> None:
    assert parse_prompt("between one and two minutes") == MusicRequest(start_s=60.0, end_s=120.0)


@pytest.mark.parametrize(("text", "fields"), [
    ("don't mute the game", {"game_audio": "keep"}),
    ("do not mute game audio", {"game_audio": "keep"}),
    ("不要静音游戏声音", {"game_audio": "keep"}),
    ("don't fade", {"fade_in_s": 0.0, "fade_out_s": 0.0}),
    ("don't duck", {"duck_voice": False}),
])
def test_negations_win_over_the_plain_word(text: str, fields: dict[str, object]) -> None:
    assert parse_prompt(text) == MusicRequest(**fields)


def test_overlong_prompt_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as err:
        parse_prompt("epic " * (prompt_mod.MAX_PROMPT_CHARS // 5 + 1))
    assert err.value.code == "usage" and err.value.exit_code == 2
    assert "\n" not in str(err.value)


# --- refinement --------------------------------------------------------------------------------

BASE = MusicRequest(style="chiptune", mood="tense", tempo_bpm=120, music_volume=0.4,
                    fade_in_s=2.0, aspect="9:16", seed=5, unrecognized=("speedrun",))

REFINE: list[tuple[str, dict[str, object]]] = [
    ("quieter music", {"music_volume": 0.2}),
    ("louder", {"music_volume": 0.8}),
    ("much quieter", {"music_volume": 0.1}),
    ("a bit louder", {"music_volume": 0.564}),
    ("3 dB louder", {"music_volume": 0.565}),
    ("6 dB quieter", {"music_volume": 0.2}),
    ("more epic", {"style": "orchestral", "mood": "heroic"}),
    ("faster", {"tempo_bpm": 138}),
    ("slower", {"tempo_bpm": 102}),
    ("20% faster", {"tempo_bpm": 144}),
    ("10 bpm slower", {"tempo_bpm": 110}),
    ("no ducking", {"duck_voice": False}),
    ("calmer please", {"mood": "calm"}),
    ("make it rock", {"style": "rock"}),
    ("square", {"aspect": "1:1"}),
    ("take 9", {"seed": 9}),
    ("no fade", {"fade_in_s": 0.0, "fade_out_s": 0.0}),
    ("mute the game", {"game_audio": "mute"}),
    ("más rápido", {"tempo_bpm": 138}),
    ("leiser", {"music_volume": 0.2}),
    ("小一点", {"music_volume": 0.2}),
    ("banana", {"unrecognized": ("banana",)}),
]


@pytest.mark.parametrize(("text", "changes"), REFINE, ids=[r[0] for r in REFINE])
def test_refine_keeps_what_is_not_mentioned(text: str, changes: dict[str, object]) -> None:
    expected = BASE.replace(unrecognized=()).replace(**changes)
    assert parse_prompt(text, base=BASE) == expected


def test_refine_with_empty_prompt_keeps_base_but_not_its_leftovers() -> None:
    assert parse_prompt("", base=BASE) == BASE.replace(unrecognized=())


def test_relative_words_without_base_use_the_defaults() -> None:
    assert parse_prompt("quieter").music_volume == round(DEFAULT_VOLUME * 0.5, 3)
    assert parse_prompt("louder").music_volume == round(DEFAULT_VOLUME * 2, 3)
    assert parse_prompt("faster").tempo_bpm == math.floor(DEFAULT_TEMPO * 1.15 + 0.5)
    assert parse_prompt("slower").tempo_bpm == math.floor(DEFAULT_TEMPO * 0.85 + 0.5)
    # "about 6 dB"
    assert abs(20 * math.log10(parse_prompt("quieter").music_volume / DEFAULT_VOLUME) + 6) < 0.1


def test_refine_chain() -> None:
    first = parse_prompt("synthwave, 100 bpm, at 50%")
    second = parse_prompt("faster and quieter", base=first)
    third = parse_prompt("vertical, seed 3", base=second)
    assert third == MusicRequest(style="synthwave", tempo_bpm=115, music_volume=0.25,
                                 aspect="9:16", seed=3)


# --- what is not understood --------------------------------------------------------------------

@pytest.mark.parametrize(("text", "left"), [
    ("add banana music with a purple cow", ("banana", "purple cow")),
    ("chiptune, banana; heroic, kiwi pie", ("banana", "kiwi pie")),
    ("please add some music to my gameplay video", ()),
    ("añade música a mi vídeo por favor", ()),
    ("ajoute de la musique à ma vidéo s'il te plaît", ()),
    ("füge bitte Musik zu meinem Video hinzu", ()),
    ("请给我的视频添加背景音乐", ()),
    ("動画にBGMを追加してください", ()),
    ("Epic Quokka music", ("Quokka",)),
    ("ドラゴンのような音楽", ("ドラゴン",)),
    ("42", ("42",)),
])
def test_unrecognized(text: str, left: tuple[str, ...]) -> None:
    assert parse_prompt(text).unrecognized == left


def test_unrecognized_keeps_original_spelling_and_order() -> None:
    req = parse_prompt("Zyx Élan, metal, Qwop!")
    assert req.style == "rock"
    assert req.unrecognized == ("Zyx Élan", "Qwop")


# --- explanation -------------------------------------------------------------------------------

def test_describe_names_every_field() -> None:
    req = parse_prompt("chiptune boss fight at 35%, 140 bpm, from 0:15 to 1:30, fade in 2s, "
                       "no ducking, mute the game, vertical, seed 7, banana")
    text = describe(req)
    for needle in ("chiptune", "tense", "140 BPM", "35%", "0:15", "1:30", "2 s", "no ducking",
                   "muted", "9:16", "7", '"banana"'):
        assert needle in text, needle
    assert len(text.splitlines()) >= 10


def test_describe_explains_negative_times() -> None:
    assert "counted from the end" in describe(parse_prompt("last 30 seconds"))
    assert "before the end" in describe(parse_prompt("from 0:10, no music in the last 5 s"))
    assert "whole video" in describe(MusicRequest())
    assert "default mix" in describe(MusicRequest())


# --- the vocabulary itself ---------------------------------------------------------------------

def test_every_phrase_means_what_the_data_says() -> None:
    """Each vocabulary phrase, alone, is fully understood and sets its strong fields."""
    fields = {"style": STYLES, "mood": MOODS, "game_audio": GAME_AUDIO, "aspect": ASPECTS}
    for action, words in data()["phrases"].items():
        effects = prompt_mod._action_effects(action)
        for eff in effects:
            if eff.field in fields:
                assert eff.value in fields[eff.field], action
        for word in words:
            req = parse_prompt(word.replace(" ~ ", " ").rstrip("*"))
            assert req.unrecognized == (), (action, word)
            for eff in effects:
                if eff.op == "set" and eff.strength >= 2:
                    assert getattr(req, eff.field) == eff.value, (action, word)


@pytest.mark.parametrize("style", STYLES)
def test_every_style_is_chosen_by_its_own_name(style: str) -> None:
    # The names the CLI's help, the sidecar and the docs print are what people type back.
    assert parse_prompt(style).style == style
    assert parse_prompt(f"add {style.upper()} music to my clip").style == style
