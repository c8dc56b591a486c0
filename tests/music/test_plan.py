"""Plan and composition behaviour: cuts, intensity, speech, ending, variety."""

from __future__ import annotations

import numpy as np
import pytest

from game_music.music.channels import NOISE, PULSE1, PULSE2, TRIANGLE
from game_music.music.notes import ROLE
from game_music.request import MusicRequest

from .helpers import SR, compose, ramp


@pytest.mark.parametrize(
    ("seed", "duration", "cuts"),
    [
        (1, 40.0, [7.3, 15.9, 24.2]),
        (2, 60.0, [5.1, 12.0, 19.7, 31.3, 40.05]),
        (3, 45.0, [9.99, 17.2, 30.6]),
        (4, 50.0, [4.6, 11.9, 16.4, 27.0, 33.3]),
    ],
)
def test_sections_change_within_a_beat_of_strong_cuts(seed, duration, cuts) -> None:
    comp = compose(duration, seed=seed, cuts=cuts)
    beat = 60.0 / comp.summary["tempo_bpm"]
    starts = np.array([s["start_s"] for s in comp.summary["sections"]])
    for c in cuts:
        assert np.abs(starts - c).min() <= beat, (c, starts, beat)


def test_tempo_in_style_range_mood_and_override() -> None:
    calm = compose(30.0, seed=3, request=MusicRequest(mood="calm")).summary
    tense = compose(30.0, seed=3, request=MusicRequest(mood="tense")).summary
    assert 120 <= calm["tempo_bpm"] < tense["tempo_bpm"] <= 170
    assert calm["mode"] == "major" and tense["mode"] == "minor"
    fixed = compose(30.0, seed=3, request=MusicRequest(tempo_bpm=133)).summary
    assert fixed["tempo_bpm"] == 133


def _onsets_per_bar(comp) -> np.ndarray:
    plan = comp.plan
    notes = comp.notes(0, comp.num_samples)
    bar_starts = plan.beat_to_sample(plan.bar_beat)
    bars = np.searchsorted(bar_starts, notes["start"], side="right") - 1
    return np.bincount(bars, minlength=plan.n_bars)


def test_intensity_and_density_follow_energy() -> None:
    d = 60.0
    comp = compose(d, seed=2, energy=ramp(d, 0.05, 0.9))
    plan = comp.plan
    mid = plan.bar_at(d / 2)
    body = slice(0, plan.n_bars - 3)  # leave out the cadence
    low = np.arange(plan.n_bars)[body] < mid - 1
    high = np.arange(plan.n_bars)[body] > mid + 1
    level = plan.intensity[body].astype(float)
    onsets = _onsets_per_bar(comp)[body]
    assert level[high].mean() >= level[low].mean() + 1.5
    assert onsets[high].mean() > 1.5 * onsets[low].mean()
    assert "lead" in comp.layers_active(d * 0.8) and "drums" in comp.layers_active(d * 0.8)
    assert "lead" not in comp.layers_active(d * 0.2)


def test_no_lead_while_someone_talks() -> None:
    d = 48.0
    talk = [(10.0, 22.0), (30.0, 36.0)]
    comp = compose(d, seed=4, energy=0.85, speech=talk)
    plan = comp.plan
    notes = comp.notes(0, comp.num_samples)
    bar_of = np.searchsorted(plan.beat_to_sample(plan.bar_beat), notes["start"], side="right") - 1
    melodic = np.isin(notes["role"], [ROLE["lead"], ROLE["counter"]])
    assert melodic[~plan.speech[bar_of]].any()  # the lead plays when nobody talks...
    assert not melodic[plan.speech[bar_of]].any()  # ...and never in a speech bar
    assert plan.speech[plan.bar_at(15.0)] and plan.speech[plan.bar_at(33.0)]
    for t in (12.0, 20.0, 33.0):  # harmony, bass and drums keep going under the voice
        layers = comp.layers_active(t)
        assert "lead" not in layers and "bass" in layers and "arp" in layers


@pytest.mark.parametrize("mood", ["heroic", "tense", "sad", None])
def test_ending_resolves_on_the_tonic_at_the_last_bar(mood) -> None:
    d = 21.7
    comp = compose(d, seed=11, request=MusicRequest(mood=mood), energy=0.6)
    plan = comp.plan
    last = plan.n_bars - 1
    assert plan.chords[last].is_tonic
    assert not plan.chords[last - 1].is_tonic  # approached by a cadence, not just held
    key = plan.key_of_bar(last)
    triad = {(key + pc) % 12 for pc in plan.chords[last].pcs}
    start = int(plan.beat_to_sample(plan.bar_beat[last]))
    assert (d - start / SR) >= 2 * plan.beat_s  # the last chord rings for a while
    notes = comp.notes(start, comp.num_samples)
    final = notes[notes["start"] >= start]
    bass = final[final["ch"] == TRIANGLE]
    assert len(bass) >= 1 and int(bass["pitch"][0]) % 12 == key
    pulses = final[np.isin(final["ch"], [PULSE1, PULSE2])]
    assert {int(p) % 12 for p in pulses["pitch"]} <= triad
    assert (pulses["start"] + pulses["dur"] == comp.num_samples).any()  # held to the last sample
    assert (final["ch"] == NOISE).any()


def _bar_signatures(comp) -> list[tuple]:
    plan = comp.plan
    notes = comp.notes(0, comp.num_samples)
    starts = plan.beat_to_sample(plan.bar_beat)
    step = plan.beat_s * SR / 4
    bar_of = np.searchsorted(starts, notes["start"], side="right") - 1
    sigs = []
    for b in range(plan.n_bars):
        n = notes[bar_of == b]
        rel = np.rint((n["start"] - starts[b]) / step).astype(int)
        sigs.append(
            tuple(
                zip(
                    n["ch"].tolist(),
                    rel.tolist(),
                    n["pitch"].tolist(),
                    n["role"].tolist(),
                    strict=True,
                )
            )
        )
    return sigs


def test_ten_minutes_never_repeat_an_eight_bar_block() -> None:
    d = 600.0
    t = np.arange(int(d / 0.02)) * 0.02
    energy = 0.5 + 0.4 * np.sin(2 * np.pi * t / 97.0)
    comp = compose(d, seed=9, energy=energy, cuts=list(np.arange(17.0, d - 20, 23.0)))
    sigs = _bar_signatures(comp)
    plan = comp.plan
    first = plan.bar_at(120.0)
    windows = [tuple(sigs[i : i + 8]) for i in range(len(sigs) - 8)]
    seen: dict[tuple, int] = {}
    for i, w in enumerate(windows):
        if w in seen and i >= first:
            raise AssertionError(f"bars {seen[w]} and {i} are the same 8 bars")
        seen.setdefault(w, i)
    kinds = {s["kind"] for s in comp.summary["sections"]}
    assert {"A", "B", "outro"} <= kinds
    keys = {plan.key_of_bar(b) for b in range(plan.n_bars)}
    assert len(keys) >= 3  # movements and the climax modulate


def test_drums_fill_before_and_crash_on_section_changes() -> None:
    comp = compose(40.0, seed=6, energy=0.9, cuts=[10.2, 20.5])
    plan = comp.plan
    notes = comp.notes(0, comp.num_samples)
    starts = plan.beat_to_sample(plan.bar_beat)
    bar_of = np.searchsorted(starts, notes["start"], side="right") - 1
    crash_starts = notes["start"][notes["role"] == ROLE["crash"]]
    drum_hits = np.isin(notes["role"], [ROLE["snare"], ROLE["tom"]])
    checked = 0
    for prev, s in zip(plan.sections, plan.sections[1:], strict=False):
        if plan.intensity[s.first_bar] >= 2:
            assert int(starts[s.first_bar]) in crash_starts
        last = s.first_bar - 1
        if plan.intensity[last] >= 2 and prev.n_bars > 1:
            fill = np.count_nonzero(drum_hits & (bar_of == last))
            usual = np.count_nonzero(drum_hits & (bar_of == last - 1))
            assert fill > usual, (fill, usual)
            checked += 1
    assert checked >= 2


def test_cut_inside_a_section_gets_a_stinger() -> None:
    # two cuts a bar apart: the second cannot start a section, it gets an accent instead
    comp = compose(40.0, seed=3, energy=0.7, cuts=[12.0, 14.2])
    plan = comp.plan
    beat = plan.beat_s
    starts = np.array([s["start_s"] for s in comp.summary["sections"]])
    assert np.abs(starts - 12.0).min() <= beat
    assert np.abs(starts - 14.2).min() > beat
    notes = comp.notes(0, comp.num_samples)
    crashes = notes["start"][notes["role"] == ROLE["crash"]] / SR
    assert np.abs(crashes - 14.2).min() <= beat / 2
