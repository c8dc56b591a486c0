"""chiptune (NES) and gameboy (DMG) each sound like their own machine, and apart.

The DMG: NR51 panning is hard left, hard right or both, never in between; the wave channel
plays 32-sample 4-bit patterns from wave RAM; no pads; a shuffle. The NES: mono, kick and
snare as DPCM samples. Both deterministic, and a nearest-neighbour check on audio features
finds every take nearest a take of its own style.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from game_music.music.channels import NOISE, PULSE1, PULSE2, TRIANGLE
from game_music.music.notes import ROLE
from game_music.music.synth.chip import DMC
from game_music.music.synth.gameboy import WAVE_NAMES, WAVES, GameBoySynth, side_of
from game_music.request import MusicRequest

from .helpers import SR, compose, ramp

D = 16.0
KW = {"energy": ramp(D, 0.35, 0.9), "cuts": [8.0], "speech": [(5.0, 7.0)]}


def _compose(style: str, seed: int = 6):
    return compose(D, seed=seed, request=MusicRequest(style=style), **KW)


@pytest.fixture(scope="module")
def pieces():
    return {s: _compose(s) for s in ("chiptune", "gameboy")}


@pytest.mark.parametrize("style", ["chiptune", "gameboy"])
def test_same_seed_same_samples(pieces, style: str) -> None:
    audio = pieces[style].render_all()
    again = _compose(style).render_all()
    assert np.array_equal(audio, again)
    assert not np.allclose(audio, _compose(style, seed=7).render_all())


def test_gameboy_panning_is_hard_left_right_or_centre(pieces) -> None:
    comp = pieces["gameboy"]
    notes = comp.notes(0, comp.num_samples)
    sides = {side_of(n) for n in notes}
    assert sides <= {-1, 0, 1} and {-1, 1} & sides  # some voices really are one-sided
    synth = GameBoySynth(SR)
    ch = synth.channels(notes, 0, comp.num_samples)
    left, right = synth.dac_mix(ch)
    # every channel is on one side at full level or on both at the same level
    for (c, side), y in ch.items():
        if not np.abs(y).max():
            continue
        solo = synth.dac_mix({(c, side): y})
        if side == 0:
            assert np.array_equal(solo[0], solo[1])
        else:
            assert not np.abs(solo[0 if side > 0 else 1]).any()
    assert not np.array_equal(left, right)


def test_gameboy_wave_patterns_are_32_samples_of_4_bits(pieces) -> None:
    for name, w in WAVES.items():
        assert len(w) == 32 and np.array_equal(w, np.rint(w)), name
        assert w.min() >= 0 and w.max() <= 15 and len(np.unique(w)) >= 2, name
    comp = pieces["gameboy"]
    bass = [n for n in comp.notes(0, comp.num_samples) if n["ch"] == TRIANGLE]
    assert {WAVE_NAMES[int(n["duty"])] for n in bass} - {"soft"}  # bass waves, not a triangle
    assert all(n["slide"] == 0 for n in bass if n["role"] == ROLE["bass"])
    synth = GameBoySynth(SR)
    for n in bass[:20]:
        one = np.array([n])
        one["start"] = 0
        y = synth.channels(one, 0, int(one["dur"][0]))[(TRIANGLE, side_of(n))]
        levels = np.unique(np.rint(y[400:-400] * 8) / 8)
        table = synth.wave_table(n) - 7.5
        scales = (1.0, 0.5, 0.25)
        assert any(set(levels) <= set(table * s) for s in scales)  # raw 4-bit stairs


def test_gameboy_is_narrower_and_shuffled(pieces) -> None:
    comp = pieces["gameboy"]
    notes = comp.notes(0, comp.num_samples)
    assert not (notes["role"] == ROLE["pad"]).any()
    assert set(np.unique(notes["ch"])) <= {PULSE1, PULSE2, TRIANGLE, NOISE}
    spb = comp.plan.beat_s * SR
    frac = (notes["start"] / spb) % 1.0
    assert not np.any(np.abs(frac - 0.5) < 0.02)  # nothing on the straight off-beat
    assert np.any(np.abs(frac - 0.62) < 0.02)  # it is late: the shuffle


def test_chiptune_is_mono_with_dpcm_drums(pieces) -> None:
    comp = pieces["chiptune"]
    audio = comp.render_all()
    assert np.array_equal(audio[:, 0], audio[:, 1])
    notes = comp.notes(0, comp.num_samples)
    dmc = notes[notes["ch"] == DMC]
    assert len(dmc) and set(dmc["role"]) <= {ROLE["kick"], ROLE["snare"]}
    noise = notes[notes["ch"] == NOISE]
    assert not np.isin(noise["role"], [ROLE["kick"], ROLE["snare"]]).any()
    assert (notes["ch"] == TRIANGLE).any()  # the triangle keeps the bass


def _load_benchmark():
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "style_features.py"
    spec = importlib.util.spec_from_file_location("style_features", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("style_features", mod)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_every_take_is_nearest_a_take_of_its_own_style() -> None:
    bench = _load_benchmark()
    table = {
        f"{s}/{seed}": bench.features(bench.render(s, seed, 30.0))
        for s in bench.STYLES
        for seed in (1, 2, 3)
    }
    for mono in (False, True):
        nn = bench.nearest(table, mono)
        wrong = {k: v[0] for k, v in nn.items() if v[0].split("/")[0] != k.split("/")[0]}
        assert not wrong, (mono, wrong)
        ratio = np.median([other / own for _, own, other in nn.values()])
        assert ratio > 1.3, (mono, ratio)
