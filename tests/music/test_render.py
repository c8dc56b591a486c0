"""The Composition contract: exact length, determinism, block independence, no gaps."""

from __future__ import annotations

import numpy as np
import pytest

from game_music.music import STYLE_INFO, compose_music
from game_music.request import STYLES, MusicRequest

from .helpers import SR, compose, make_analysis, ramp


@pytest.fixture(scope="module")
def piece():
    comp = compose(24.0, seed=7, energy=ramp(24.0, 0.2, 0.8), cuts=[6.3, 13.9])
    return comp, comp.render_all()


def test_duration_is_exact_and_shape(piece) -> None:
    comp, audio = piece
    assert comp.num_samples == round(24.0 * SR) == audio.shape[0]
    assert audio.shape == (comp.num_samples, 2) and audio.dtype == np.float32
    for d in (0.0, 0.37, 1.9, 3.3):
        c = compose(d)
        assert c.num_samples == round(d * SR)
        assert c.render_all().shape == (c.num_samples, 2)


def test_same_seed_same_samples_other_seed_other_music(piece) -> None:
    comp, audio = piece
    again = compose(24.0, seed=7, energy=ramp(24.0, 0.2, 0.8), cuts=[6.3, 13.9]).render_all()
    assert np.array_equal(audio, again)
    other = compose(24.0, seed=8, energy=ramp(24.0, 0.2, 0.8), cuts=[6.3, 13.9]).render_all()
    assert not np.allclose(audio, other)


@pytest.mark.parametrize("block", [1000, 4801, 32768 + 7, 250_000])
def test_blocks_of_any_size_give_the_same_samples(piece, block: int) -> None:
    comp, audio = piece
    fresh = compose(24.0, seed=7, energy=ramp(24.0, 0.2, 0.8), cuts=[6.3, 13.9])
    parts = [fresh.render(s, block) for s in range(0, comp.num_samples, block)]
    joined = np.concatenate(parts)[: comp.num_samples]
    assert np.array_equal(joined, audio)


def test_random_access_blocks_match(piece) -> None:
    comp, audio = piece
    fresh = compose(24.0, seed=7, energy=ramp(24.0, 0.2, 0.8), cuts=[6.3, 13.9])
    for start, n in [(900_000, 777), (5, 70_000), (1_100_000, 52_000), (comp.num_samples - 10, 30)]:
        block = fresh.render(start, n)
        inside = audio[start : start + n]
        assert np.array_equal(block[: len(inside)], inside)
        assert not block[len(inside) :].any()  # past the end: silence


@pytest.mark.parametrize(
    ("seed", "kw"),
    [
        (1, {"energy": 0.0, "speech": [(0.0, 30.0)]}),  # quietest: no action, someone talks
        (2, {"energy": 0.9, "cuts": [5.0, 11.0, 17.5]}),
        (3, {"energy": None}),
    ],
)
def test_no_silent_gap_until_the_final_decay(seed: int, kw: dict) -> None:
    comp = compose(20.0, seed=seed, **kw)
    audio = comp.render_all()
    win = SR // 2
    rms = np.sqrt((audio[: len(audio) // win * win, 0] ** 2).reshape(-1, win).mean(axis=1))
    # every half second until the last one (the decay tail) has music in it
    assert (rms[:-1] > 10 ** (-50 / 20)).all(), np.round(20 * np.log10(rms + 1e-12))


def test_peak_is_about_minus_six_dbfs(piece) -> None:
    _, audio = piece
    peak = float(np.abs(audio).max())
    assert 10 ** (-12 / 20) < peak < 10 ** (-2 / 20)


def test_final_chord_decays_into_the_end(piece) -> None:
    comp, audio = piece
    tail = audio[-SR // 50 :]
    assert np.abs(tail).max() < 0.2 * np.abs(audio).max()
    last_second = np.sqrt((audio[-SR : -SR // 2] ** 2).mean())
    assert last_second > 1e-3  # ringing, not silent


def test_style_registry_and_fallback() -> None:
    assert set(STYLE_INFO) == set(STYLES)
    for info in STYLE_INFO.values():
        assert {"name", "summary", "instruments", "tempo_range", "moods", "implemented"} <= set(
            info
        )
    assert STYLE_INFO["chiptune"]["implemented"] is True
    unimplemented = [name for name, info in STYLE_INFO.items() if not info["implemented"]]
    a = make_analysis(6.0)
    for style in ["chiptune", *unimplemented[:1]]:
        comp = compose_music(a, MusicRequest(style=style), duration=6.0, seed=1)
        assert comp.summary["style"] == "chiptune"
        assert comp.summary["style_fallback"] is (style != "chiptune")
    auto = compose_music(a, MusicRequest(), duration=6.0, seed=1).summary  # no style: auto
    assert STYLE_INFO[auto["style"]]["implemented"] and auto["style_fallback"] is False


def test_three_hour_piece_builds_lazily_and_renders_anywhere() -> None:
    d = 3 * 3600.0
    comp = compose(d, seed=5, energy=0.5, cuts=list(np.arange(20.0, d - 30, 47.0)))
    assert comp.num_samples == round(d * SR)
    assert comp.summary["bars"] > 5000
    block = comp.render(int(2 * 3600 * SR), SR)
    assert block.shape == (SR, 2) and np.abs(block).max() > 1e-3
    assert len(comp._sections) <= 4  # only the sections around the block were composed


def test_bad_arguments_are_one_clear_error_and_nan_curves_are_harmless() -> None:
    from game_music import InternalError

    a = make_analysis(5.0)
    with pytest.raises(InternalError):
        compose_music(a, MusicRequest(), duration=float("nan"), seed=1)
    with pytest.raises(InternalError):
        compose_music(a, MusicRequest(), duration=5.0, seed=1, sample_rate=12)
    a.energy[10:50] = np.nan
    comp = compose_music(a, MusicRequest(), duration=5.0, seed=-3)
    assert np.isfinite(comp.render_all()).all()
