"""Music that follows the video, for every style: cuts, intensity, speech, ending, no loops.

The planner's properties (see test_plan.py) must survive each style's tempo range, harmony,
drum patterns and arrangement, so every test here runs once per style.
"""

from __future__ import annotations

import numpy as np
import pytest

from game_music.music import STYLE_INFO, theory
from game_music.music.notes import ROLE
from game_music.request import STYLES, MusicRequest

from .helpers import SR, compose, ramp

_DRUMS = [ROLE[r] for r in ("kick", "snare", "hat", "crash", "tom")]
_MELODY = [ROLE["lead"], ROLE["counter"]]


def _style(name: str) -> str:
    if not STYLE_INFO[name]["implemented"]:
        pytest.skip(f"{name} is not implemented yet")
    return name


def _bar_of(comp, starts: np.ndarray) -> np.ndarray:
    plan = comp.plan
    return np.searchsorted(plan.beat_to_sample(plan.bar_beat), starts, side="right") - 1


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(
    ("seed", "duration", "cuts"),
    [(2, 60.0, [5.1, 12.0, 19.7, 31.3, 40.05]), (4, 50.0, [4.6, 11.9, 16.4, 27.0, 33.3])],
)
def test_sections_change_within_a_beat_of_strong_cuts(style, seed, duration, cuts) -> None:
    comp = compose(duration, seed=seed, cuts=cuts, request=MusicRequest(style=_style(style)))
    s = comp.summary
    assert s["style"] == style and not s["style_fallback"]
    lo, hi = STYLE_INFO[style]["tempo_range"]
    assert lo <= s["tempo_bpm"] <= hi
    beat = 60.0 / s["tempo_bpm"]
    starts = np.array([x["start_s"] for x in s["sections"]])
    notes = comp.notes(0, comp.num_samples)
    crashes = notes["start"][notes["role"] == ROLE["crash"]] / SR
    changes = 0
    for c in cuts:
        if np.abs(starts - c).min() <= beat:
            changes += 1
            continue
        # Too soon after the last change for a new section (under two bars): the planner
        # marks the cut with a stinger on the nearest eighth instead.
        before = starts[starts < c]
        assert c - before.max() < 8 * beat, (c, starts, beat)
        near = np.abs(crashes - c) <= beat / 2
        assert near.any(), f"{style}: cut at {c} s has no section change and no stinger"
    assert changes >= len(cuts) - 2


def _rms_db(audio: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(audio.astype(np.float64) ** 2) + 1e-20))


@pytest.mark.parametrize("style", STYLES)
def test_layers_and_loudness_follow_the_action(style) -> None:
    d = 60.0
    comp = compose(d, seed=2, energy=ramp(d, 0.05, 0.9), request=MusicRequest(style=_style(style)))
    plan = comp.plan
    mid = plan.bar_at(d / 2)
    bars = np.arange(plan.n_bars - 3)  # leave out the cadence
    low, high = bars < mid - 1, bars > mid + 1
    level = plan.intensity[bars].astype(float)
    assert level[high].mean() >= level[low].mean() + 1.5
    notes = comp.notes(0, comp.num_samples)
    onsets = np.bincount(_bar_of(comp, notes["start"]), minlength=plan.n_bars)[bars]
    assert onsets[high].mean() > 1.5 * onsets[low].mean(), (onsets[low], onsets[high])
    assert "lead" in comp.layers_active(d * 0.8) and "drums" in comp.layers_active(d * 0.8)
    assert "lead" not in comp.layers_active(d * 0.2)
    # ...and the listener hears it: the action half of the music is louder.
    quiet = comp.render(int(5 * SR), int(20 * SR))
    loud = comp.render(int(35 * SR), int(20 * SR))
    assert _rms_db(loud) >= _rms_db(quiet) + 2.0, (_rms_db(quiet), _rms_db(loud))


@pytest.mark.parametrize("style", STYLES)
def test_the_melody_steps_back_while_someone_talks(style) -> None:
    d = 48.0
    talk = [(10.0, 22.0), (30.0, 36.0)]
    comp = compose(d, seed=4, energy=0.85, speech=talk, request=MusicRequest(style=_style(style)))
    plan = comp.plan
    notes = comp.notes(0, comp.num_samples)
    in_speech = plan.speech[_bar_of(comp, notes["start"])]
    melodic = np.isin(notes["role"], _MELODY)
    assert melodic[~in_speech].any()  # the lead plays when nobody talks...
    assert not melodic[in_speech].any()  # ...and never in a speech bar
    assert plan.speech[plan.bar_at(15.0)] and plan.speech[plan.bar_at(33.0)]
    for t in (12.0, 20.0, 33.0):  # harmony, bass and drums keep going under the voice
        layers = comp.layers_active(t)
        assert "lead" not in layers and "bass" in layers


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("mood", ["heroic", "sad", None])
def test_the_ending_resolves_on_the_last_second(style, mood) -> None:
    d = 21.7
    req = MusicRequest(style=_style(style), mood=mood)
    comp = compose(d, seed=11, request=req, energy=0.6)
    plan = comp.plan
    last = plan.n_bars - 1
    assert plan.chords[last].is_tonic and not plan.chords[last - 1].is_tonic
    key = plan.key_of_bar(last)
    start = int(plan.beat_to_sample(plan.bar_beat[last]))
    assert d - start / SR >= 2 * plan.beat_s  # the last chord rings for a while
    notes = comp.notes(start, comp.num_samples)
    final = notes[(notes["start"] >= start) & ~np.isin(notes["role"], _DRUMS)]
    assert len(final) >= 2
    sounding = np.concatenate(  # chip arpeggios carry the chord's other tones in arp1/arp2
        [final["pitch"], (final["pitch"] + final["arp1"])[final["arp1"] != 0],
         (final["pitch"] + final["arp2"])[final["arp2"] != 0]]
    )
    pcs = {int(round(p)) % 12 for p in sounding}
    scale = plan.scale
    third = (key + scale[2]) % 12
    assert int(round(final["pitch"].min())) % 12 == key  # the tonic in the bass
    assert {key, third} <= pcs  # a tonic chord, major or minor as the mood says
    assert pcs <= {(key + s) % 12 for s in scale}  # nothing outside the key
    assert theory.NOTE_NAMES[plan.tonic] == comp.summary["key"]
    # it sounds to the end and dies away on the last samples, no cut-off, no silence first
    tail = comp.render(comp.num_samples - SR, SR)
    body = comp.render(comp.num_samples - 4 * SR, 3 * SR)
    assert np.sqrt(np.mean(tail[: SR // 2] ** 2)) > 1e-3
    assert np.abs(tail[-SR // 50 :]).max() < 0.2 * max(np.abs(body).max(), np.abs(tail).max())


def _bar_signatures(comp) -> list[tuple]:
    plan = comp.plan
    notes = comp.notes(0, comp.num_samples)
    starts = plan.beat_to_sample(plan.bar_beat)
    step = plan.beat_s * SR / 4
    bar_of = _bar_of(comp, notes["start"])
    sigs = []
    for b in range(plan.n_bars):
        n = notes[bar_of == b]
        rel = np.rint((n["start"] - starts[b]) / step).astype(int)
        sigs.append(tuple(zip(n["ch"].tolist(), rel.tolist(), n["pitch"].tolist(), strict=True)))
    return sigs


@pytest.mark.parametrize("style", STYLES)
def test_ten_minutes_never_repeat_an_eight_bar_block(style) -> None:
    d = 600.0
    t = np.arange(int(d / 0.02)) * 0.02
    energy = 0.5 + 0.4 * np.sin(2 * np.pi * t / 97.0)
    comp = compose(
        d, seed=9, energy=energy, cuts=list(np.arange(17.0, d - 20, 23.0)),
        request=MusicRequest(style=_style(style)),
    )
    sigs = _bar_signatures(comp)
    first = comp.plan.bar_at(120.0)
    seen: dict[tuple, int] = {}
    for i in range(len(sigs) - 8):
        w = tuple(sigs[i : i + 8])
        if w in seen and i >= first:
            raise AssertionError(f"{style}: bars {seen[w]} and {i} are the same 8 bars")
        seen.setdefault(w, i)
    keys = {comp.plan.key_of_bar(b) for b in range(comp.plan.n_bars)}
    assert len(keys) >= 3  # movements and the climax modulate
