"""Accents: hits on the strong beats nearest the clip's big moments, never over speech."""

from __future__ import annotations

import numpy as np
import pytest

from game_music.analysis.result import HOP_S
from game_music.music.accents import MIN_GAP_S, PER_MINUTE, find_moments
from game_music.music.composition import compose_music
from game_music.music.notes import ROLE
from game_music.request import STYLES, MusicRequest

from .helpers import SR, make_analysis

D = 60.0
BURSTS = (12.3, 31.7, 47.2)  # explosions in the game audio
TALK = (20.0, 27.0)
IN_TALK = 23.4  # a burst while the streamer talks: no accent there


def _analysis(bursts=BURSTS + (IN_TALK,), flash: float | None = None, seed: int = 3):
    t = np.arange(int(np.ceil(D / HOP_S))) * HOP_S
    energy = np.full(len(t), 0.35)
    for b in bursts:
        energy[(t >= b) & (t < b + 0.4)] = 0.95
    motion = np.full(len(t), 0.3)
    if flash is not None:
        motion[(t >= flash) & (t < flash + 0.1)] = 0.95
    return make_analysis(D, energy=energy, motion=motion, speech=[TALK], seed=seed)


def _strong_beats(plan) -> np.ndarray:
    bars = plan.bar_beat[:-1]
    half = (plan.bar_beat + plan.bar_len / 2)[:-1][plan.bar_len[:-1] >= 4]
    return np.concatenate([bars, half])


@pytest.mark.parametrize("style", STYLES)
def test_accents_land_on_strong_beats_near_the_planted_moments(style) -> None:
    a = _analysis()
    comp = compose_music(a, MusicRequest(style=style), duration=D, seed=4, sample_rate=SR,
                         sampled=False)
    plan = comp.plan
    hits = [c.hit_s for c in plan.accents]
    assert len(hits) == len(BURSTS), plan.accents
    for c, planted in zip(plan.accents, BURSTS, strict=True):
        assert abs(c.time_s - planted) < 0.3 and c.source == "burst"
        assert abs(c.hit_s - planted) <= 2 * plan.beat_s  # on the nearest strong beat...
        assert np.min(np.abs(_strong_beats(plan) - c.beat)) < 1e-9  # ...a downbeat or beat 3
        assert not TALK[0] - 1.0 < c.hit_s < TALK[1] + 1.0  # never over the voice
    # the music answers: a crash and the bass on each hit, the drums out of the way after it
    notes = comp.notes(0, comp.num_samples)
    for c in plan.accents:
        at = int(round(c.hit_s * SR))
        here = notes[np.abs(notes["start"] - at) <= 2]
        assert ROLE["crash"] in here["role"] and ROLE["bass"] in here["role"]
        if plan.style.accent == "soft":  # ambient: a swell, no kit to roll or break
            continue
        after = notes[(notes["start"] > at + 2) & (notes["start"] < at + 1.4 * plan.beat_s * SR)]
        drums = np.isin(after["role"], [ROLE[r] for r in ("kick", "snare", "hat", "crash")])
        assert not drums.any()
        build = notes[(notes["start"] >= at - plan.beat_s * SR - 2) & (notes["start"] < at - 2)]
        assert (build["role"] == ROLE["snare"]).sum() >= 3  # a roll into it
    assert comp.summary["accents"] and all("hit_s" in x for x in comp.summary["accents"])
    assert np.abs(comp.render(int((plan.accents[0].hit_s - 1) * SR), 2 * SR)).max() > 0.01


def test_no_accents_when_asked_and_no_accent_without_a_moment() -> None:
    comp = compose_music(_analysis(), MusicRequest(style="rock"), duration=D, seed=4,
                         sample_rate=SR, sampled=False, accents=False)
    assert comp.plan.accents == () and comp.summary["accents"] == []
    calm = compose_music(make_analysis(D, energy=0.4, seed=2), MusicRequest(style="rock"),
                         duration=D, seed=4, sample_rate=SR, sampled=False)
    assert calm.plan.accents == ()  # steady game sound: nothing stands out
    t = np.arange(int(np.ceil(D / HOP_S))) * HOP_S
    fight = make_analysis(D, energy=np.where(t < 30.0, 0.1, 0.9), seed=2)
    starts = compose_music(fight, MusicRequest(style="rock"), duration=D, seed=4,
                           sample_rate=SR, sampled=False)
    assert starts.plan.accents == ()  # a fight that starts and goes on is not a burst


def test_at_most_a_few_a_minute_and_spaced() -> None:
    many = tuple(np.arange(5.0, 58.0, 4.1))  # a firefight: a burst every 4 s
    comp = compose_music(_analysis(bursts=many), MusicRequest(style="chiptune"), duration=D,
                         seed=1, sample_rate=SR)
    hits = np.array([c.hit_s for c in comp.plan.accents])
    assert 1 <= len(hits) <= PER_MINUTE * D / 60
    assert (np.diff(hits) >= MIN_GAP_S).all()


def test_a_flash_in_the_picture_is_a_moment_too() -> None:
    moments = find_moments(_analysis(bursts=(), flash=40.0))
    assert moments and moments[0][2] == "flash" and abs(moments[0][0] - 40.0) < 0.2


def test_accents_do_not_change_how_blocks_come_out() -> None:
    a = _analysis()
    whole = compose_music(a, MusicRequest(style="chiptune"), duration=D, seed=2, sample_rate=SR)
    x = whole.render_all()
    part = compose_music(a, MusicRequest(style="chiptune"), duration=D, seed=2, sample_rate=SR)
    c = whole.plan.accents[0]
    at = int((c.hit_s - 0.7) * SR)
    np.testing.assert_array_equal(part.render(at, SR), x[at : at + SR])
