"""Sections last musical spans and turn on real changes, on real gameplay and on made-up curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from game_music.analysis import analyse_file
from game_music.analysis.result import HOP_S
from game_music.media.probe import probe
from game_music.music.plan import SECTION_BARS, make_plan
from game_music.request import MusicRequest

from .helpers import SR, make_analysis

DATA = Path(__file__).resolve().parents[1] / "data" / "gameplay"


def _check_sections(plan, cuts: list[float]) -> None:
    beat = plan.beat_s
    starts = np.array([s.start_s for s in plan.sections])
    for c in cuts:  # every real change of scene turns the section, on a bar line
        assert np.abs(starts - c).min() <= beat, (c, starts)
    cut_bars = {plan.bar_at(c + beat) for c in cuts}
    for i, s in enumerate(plan.sections[:-1]):
        if s.kind == "intro":
            continue
        # Shorter than a musical span only between two cuts (or a cut and the ending).
        bounded = s.first_bar in cut_bars and (
            s.first_bar + s.n_bars in cut_bars or i == len(plan.sections) - 2
        )
        assert s.n_bars >= SECTION_BARS[0] - 2 or bounded, (i, s, cuts)
        assert s.n_bars <= SECTION_BARS[1], s


@pytest.mark.slow
@pytest.mark.parametrize("name", ["doom_music.mp4", "doom_sfx.mp4"])
@pytest.mark.parametrize("style", [None, "chiptune", "orchestral", "ambient"])
def test_real_gameplay_sections_are_musical_spans(name: str, style: str | None) -> None:
    info = probe(DATA / name)
    analysis = analyse_file(info)
    cuts = [c.time for c in analysis.cuts]
    assert len(cuts) == 3  # the real changes of scene (see tests/analysis)
    plan = make_plan(analysis, MusicRequest(style=style), duration=analysis.duration, seed=1,
                     sample_rate=SR)
    usable = [c for c in cuts if c - 0 >= 4.5]  # slow styles start with one section anyway
    _check_sections(plan, usable if plan.bpm < 100 else cuts)
    # 75 s with three changes of scene: a handful of sections, not one every two bars.
    assert len(plan.sections) <= 8, [s.n_bars for s in plan.sections]


def test_long_stretch_splits_where_the_action_changes() -> None:
    # 90 s without a cut: calm, then a fight from 40 s on. The section turns at the fight.
    d = 90.0
    t = np.arange(int(np.ceil(d / HOP_S))) * HOP_S
    energy = np.where(t < 40.0, 0.15, 0.8)
    plan = make_plan(make_analysis(d, energy=energy), MusicRequest(style="chiptune", tempo_bpm=150),
                     duration=d, seed=3, sample_rate=SR)
    _check_sections(plan, [])
    starts = np.array([s.start_s for s in plan.sections])
    assert np.abs(starts - 40.0).min() <= 2 * 4 * plan.beat_s, starts  # within two bars
    # Intensity follows the action inside the sections.
    assert plan.intensity[plan.bar_at(20.0)] < plan.intensity[plan.bar_at(60.0)]


def test_hard_cut_of_an_edited_clip_lands_on_a_bar_line() -> None:
    d, cut = 60.0, 23.37
    plan = make_plan(make_analysis(d, cuts=[cut]), MusicRequest(style="rock", tempo_bpm=140),
                     duration=d, seed=2, sample_rate=SR)
    bar_starts = plan.bar_beat * plan.beat_s
    assert np.abs(bar_starts - cut).min() <= 0.5 * plan.beat_s
    assert any(abs(s.start_s - cut) <= 0.5 * plan.beat_s for s in plan.sections)
