"""Auto style: the video and the mood words pick a style when the request names none."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from game_music.analysis.result import HOP_S, Analysis, hop_count
from game_music.music import STYLE_INFO, compose_music
from game_music.music.auto_style import (
    MOOD_BONUS,
    VIDEO_WEIGHTS,
    choose_style,
    implemented_styles,
    style_scores,
)
from game_music.request import MOODS, STYLES, MusicRequest

from .helpers import make_analysis


def _video(kind: str):
    d = 120.0
    if kind == "frag":  # a montage: a cut every 2.5 s, loud fights and short lulls
        t = np.arange(int(d / 0.02)) * 0.02
        energy = np.where((t % 10) < 7, 0.9, 0.35)
        a = make_analysis(d, energy=energy, motion=0.8, cuts=list(np.arange(2.5, d, 2.5)))
        return dataclasses.replace(a, brightness=0.45)
    if kind == "explore":  # slow walk through a quiet world, one cut
        a = make_analysis(d, energy=0.08, motion=0.1, cuts=[60.0])
        return dataclasses.replace(a, brightness=0.35)
    if kind == "cozy":  # quiet, talky stream
        a = make_analysis(d, energy=0.1, motion=0.15, speech=[(5.0, 50.0), (60.0, 110.0)])
        return dataclasses.replace(a, brightness=0.5)
    if kind == "platformer":  # bright, lively, moderate cuts
        a = make_analysis(d, energy=0.45, motion=0.55, cuts=[20.0, 45.0, 80.0, 100.0])
        return dataclasses.replace(a, brightness=0.8)
    if kind == "night":  # dark, moving, no fights
        a = make_analysis(d, energy=0.3, motion=0.5, cuts=[30.0, 70.0])
        return dataclasses.replace(a, brightness=0.12)
    raise ValueError(kind)


def _best(scores: dict[str, float], k: int = 2) -> set[str]:
    return set(sorted(scores, key=lambda s: -scores[s])[:k])


@pytest.mark.parametrize(
    ("video", "mood", "expected"),
    [
        ("frag", None, {"rock", "edm"}),
        ("frag", "tense", {"rock", "edm"}),
        ("explore", None, {"ambient", "lofi"}),
        ("cozy", "calm", {"lofi", "ambient"}),
        ("platformer", None, {"chiptune", "gameboy"}),
        ("platformer", "playful", {"chiptune", "gameboy"}),
        ("night", None, {"synthwave", "orchestral"}),
        ("night", "dark", {"synthwave", "orchestral"}),
        ("explore", "heroic", {"orchestral"}),
        ("platformer", "triumphant", {"orchestral", "fm16"}),
    ],
)
def test_rules_rank_the_fitting_styles_first(video: str, mood: str | None, expected) -> None:
    scores = style_scores(_video(video), mood)
    assert set(scores) == set(STYLES)
    assert max(scores, key=scores.__getitem__) in expected, scores
    assert _best(scores, 3) & expected == expected, scores  # the other fitting one is close


def test_mood_words_move_the_choice() -> None:
    a = _video("platformer")
    plain = style_scores(a, None)
    for mood in MOODS:
        with_mood = style_scores(a, mood)
        for style in STYLES:
            gain = with_mood[style] - plain[style]
            assert gain == pytest.approx(MOOD_BONUS[mood].get(style, 0.0))


def test_choice_is_implemented_deterministic_and_explained() -> None:
    available = implemented_styles()
    assert "chiptune" in available
    assert set(available) == {s for s in STYLES if STYLE_INFO[s]["implemented"]}
    for video in ("frag", "explore", "cozy", "platformer", "night"):
        for mood in (None, *MOODS):
            style, reasons = choose_style(_video(video), mood)
            assert style in available
            assert (style, reasons) == choose_style(_video(video), mood)
            assert reasons and all(isinstance(r, str) and r for r in reasons)
            scores = style_scores(_video(video), mood)
            assert scores[style] == max(scores[s] for s in available)
    for mood in MOODS:
        style, reasons = choose_style(_video("frag"), mood)
        assert (f"mood '{mood}'" in reasons) is bool(MOOD_BONUS[mood].get(style))
        if "pace" in VIDEO_WEIGHTS[style]:  # 24 cuts a minute: worth saying when it counted
            assert any("cuts" in r for r in reasons)


def test_summary_records_auto_style_and_a_named_style_wins() -> None:
    a = _video("frag")
    auto = compose_music(a, MusicRequest(mood="tense"), duration=20.0, seed=3).summary
    expected, reasons = choose_style(a, "tense")
    assert auto["style"] == expected and auto["style_auto"] is True
    assert auto["style_reasons"] == list(reasons) and auto["style_fallback"] is False
    named = compose_music(a, MusicRequest(style="chiptune"), duration=20.0, seed=3).summary
    assert named["style"] == "chiptune"
    assert named["style_auto"] is False and named["style_reasons"] == []


def test_empty_and_silent_video_still_gets_a_style() -> None:
    n = hop_count(0.5)
    flat = Analysis(0.5, HOP_S, np.zeros(n, np.float32), np.zeros(n, np.float32),
                    np.zeros(n, np.float32), (), 0.5, False)  # no audio, no motion, no cuts
    style, reasons = choose_style(flat, None)
    assert style in implemented_styles() and reasons
    a = make_analysis(10.0, energy=0.5)
    a.energy[:] = np.nan
    assert choose_style(a, "sad")[0] in implemented_styles()


def test_the_documented_rule_table_is_the_one_in_the_code() -> None:
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "styles.md"
    rows = {}
    for line in doc.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] in STYLES:
            rows[cells[0]] = (cells[1], cells[2])

    def parse(text: str) -> dict[str, float]:
        return {k: float(v) for k, v in (item.rsplit(" ", 1) for item in text.split(", "))}

    assert set(rows) == set(STYLES)
    for style, (video, mood) in rows.items():
        assert parse(video) == dict(VIDEO_WEIGHTS[style])
        bonus = {m: b[style] for m, b in MOOD_BONUS.items() if style in b}
        assert parse(mood) == bonus
