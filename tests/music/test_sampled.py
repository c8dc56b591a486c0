"""Recorded instruments: the SoundFont layer, the bank choice, the fallbacks."""

from __future__ import annotations

import logging
import sys

import numpy as np
import pytest

from game_music.music.composition import compose_music
from game_music.music.synth import bank as bankmod
from game_music.music.synth import sampled
from game_music.music.synth.bank import BUNDLED, BUNDLED_PRESETS, BankChoice, choose_bank
from game_music.music.synth.sampled import NoteCache, velocity
from game_music.music.synth.sf2file import SoundFontFile, SoundFontFormatError
from game_music.music.synth.soundfont import SoundFontPlayer, _decode_vorbis
from game_music.request import MusicRequest

from .helpers import make_analysis

pytest.importorskip("tinysoundfont")
SR = 48000
STRINGS, KIT = (0, 48), (128, 48)


def _bundled() -> BankChoice:
    return BankChoice(BUNDLED, "bundled")


def _compose(style: str, d: float = 12.0, seed: int = 5, **kw):
    a = make_analysis(d, energy=0.7, cuts=[d / 2], seed=1)
    return compose_music(a, MusicRequest(style=style), duration=d, seed=seed, sample_rate=SR,
                         **kw)


def test_the_bundled_bank_holds_every_preset_the_styles_play() -> None:
    with SoundFontFile(BUNDLED) as sf:
        have = {(p.bank, p.program) for p in sf.presets()}
        assert sf.compressed
    assert set(BUNDLED_PRESETS) <= have
    assert BUNDLED.stat().st_size < 16e6  # a compact bank, not a whole GM set


@pytest.mark.slow
def test_a_subset_plays_the_same_note_as_the_whole_bank() -> None:
    whole = SoundFontPlayer(_bundled(), BUNDLED_PRESETS, SR)
    alone = SoundFontPlayer(_bundled(), [STRINGS], SR)
    a = whole.note(STRINGS, 60, 96, SR // 2, max_tail=SR)
    b = alone.note(STRINGS, 60, 96, SR // 2, max_tail=SR)
    assert a.shape == b.shape and a.shape[1] == 2
    assert np.abs(a).max() > 0.05  # it sounds
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_a_note_is_the_same_whatever_was_played_before() -> None:
    p = SoundFontPlayer(_bundled(), [STRINGS, KIT], SR)
    first = p.note(STRINGS, 64, 84, SR // 4, max_tail=SR)
    p.note(KIT, 49, 127, 2400, max_tail=SR // 10)  # a crash cut off while ringing
    p.note(STRINGS, 40, 120, SR, max_tail=SR // 20)
    again = p.note(STRINGS, 64, 84, SR // 4, max_tail=SR)
    np.testing.assert_array_equal(first, again)


def test_velocity_is_coarse_for_reuse_and_the_rest_is_gain() -> None:
    v1, g1 = velocity(10.0)
    v2, g2 = velocity(10.3)
    assert v1 == v2 and v1 % 16 == 0 and g2 > g1  # one render, a louder copy
    assert velocity(15.0)[0] > velocity(6.0)[0]  # harder playing picks another sample
    assert velocity(0.0)[0] >= 16 and velocity(20.0)[0] <= 127


@pytest.mark.slow
def test_sampled_styles_are_deterministic_and_chunk_independent() -> None:
    for style in ("orchestral", "rock", "lofi"):
        a = _compose(style, soundfont=BUNDLED)
        b = _compose(style, soundfont=BUNDLED)
        assert a.bank is not None and a.bank.source == "option"
        x = a.render_all()
        assert np.abs(x).max() > 0.05
        np.testing.assert_array_equal(x, b.render_all())
        # in odd blocks, from a fresh composition: the same samples
        c = _compose(style, soundfont=BUNDLED)
        n, step, parts = x.shape[0], 48001, []
        for i in range(0, n, step):
            parts.append(c.render(i, min(step, n - i)))
        np.testing.assert_array_equal(x, np.concatenate(parts))


@pytest.mark.slow
def test_another_seed_plays_another_take() -> None:
    a = _compose("orchestral", seed=1, soundfont=BUNDLED).render_all()
    b = _compose("orchestral", seed=2, soundfont=BUNDLED).render_all()
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("content", [b"", b"not a soundfont at all", b"RIFF\x10\0\0\0sfbkLIST"])
def test_a_broken_user_soundfont_costs_one_line_and_the_bundled_bank_plays(
    tmp_path, caplog, content
) -> None:
    bad = tmp_path / "mine.sf2"
    bad.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="game_music"):
        comp = _compose("rock", d=6.0, soundfont=bad)
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and "mine.sf2" in lines[0] and "bundled" in lines[0]
    assert "\n" not in lines[0]
    assert comp.bank.source == "bundled"
    assert np.abs(comp.render_all()).max() > 0.05


def test_a_missing_user_soundfont_falls_back_too(tmp_path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="game_music"):
        comp = _compose("lofi", d=6.0, soundfont=tmp_path / "nowhere.sf2")
    assert comp.bank.source == "bundled"
    assert any("nowhere.sf2" in r.getMessage() for r in caplog.records)


def test_a_user_bank_lacking_presets_borrows_them_from_the_bundled_one(tmp_path) -> None:
    with SoundFontFile(BUNDLED) as sf:
        small = sf.subset([STRINGS], decode=_decode_vorbis)  # an SF2 with strings only
    mine = tmp_path / "strings.sf2"
    mine.write_bytes(small)
    p = SoundFontPlayer(BankChoice(mine, "option"), [STRINGS, KIT], SR)
    assert p.choice.path == mine
    assert np.abs(p.note(KIT, 38, 100, 2400, max_tail=SR // 2)).max() > 0.05
    assert np.abs(p.note(STRINGS, 60, 100, 4800, max_tail=SR // 2)).max() > 0.05


def test_no_renderer_means_synthesized_instruments_and_one_line(monkeypatch, caplog) -> None:
    monkeypatch.setitem(sys.modules, "tinysoundfont", None)  # import fails
    monkeypatch.setattr(sampled, "_SHARED", type(sampled._SHARED)())  # nothing loaded yet
    with caplog.at_level(logging.WARNING, logger="game_music"):
        comp = _compose("orchestral", d=6.0)
    assert comp.bank is None
    assert comp.summary["instruments"] == {"soundfont": None, "source": "synthesized"}
    msgs = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(msgs) == 1 and "tinysoundfont" in msgs[0]
    assert np.abs(comp.render_all()).max() > 0.05


def test_the_bank_is_chosen_option_env_config_system_bundled(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv(bankmod.ENV_SOUNDFONT, raising=False)
    system = tmp_path / "FluidR3_GM.sf2"
    system.write_bytes(b"x")
    monkeypatch.setattr(bankmod, "_SYSTEM", (str(system),))
    monkeypatch.setattr(bankmod.sys, "platform", "linux")
    assert choose_bank(config={}) == BankChoice(system, "system")
    assert choose_bank(config={"soundfont": "~/my.sf2"}).source == "config"
    monkeypatch.setenv(bankmod.ENV_SOUNDFONT, str(tmp_path / "env.sf2"))
    assert choose_bank(config={"soundfont": "x.sf2"}).source == "env"
    assert choose_bank(tmp_path / "opt.sf3", config={}) == BankChoice(tmp_path / "opt.sf3",
                                                                       "option")
    monkeypatch.delenv(bankmod.ENV_SOUNDFONT)
    monkeypatch.setattr(bankmod, "_SYSTEM", ())
    assert choose_bank(config={}) == BankChoice(BUNDLED, "bundled")


def test_the_reader_names_what_is_wrong(tmp_path) -> None:
    f = tmp_path / "cut.sf2"
    f.write_bytes(BUNDLED.read_bytes()[:200_000])  # cut short
    with pytest.raises(SoundFontFormatError, match="cut.sf2"):
        SoundFontFile(f)


def test_notes_are_reused_not_rerendered() -> None:
    calls = []

    class Counting:
        sample_rate = SR

        def note(self, preset, key, velocity, hold, *, max_tail):
            calls.append(key)
            return np.full((hold + 100, 2), 0.1, np.float32)

    cache = NoteCache(Counting())
    a = cache.get(STRINGS, [60, 67], 96, 4800, 1000, SR)
    b = cache.get(STRINGS, [60, 67], 96, 4800, 1000, SR)
    assert a is b and calls == [60, 67]
    low = cache.get(STRINGS, [60, 67], 96, 4800, 1000, SR // 2)  # another rate: resampled
    assert abs(low.shape[1] - a.shape[1] / 2) <= 2 and calls == [60, 67]


def test_the_next_job_reuses_the_loaded_bank(tmp_path) -> None:
    a = _compose("rock", d=4.0, soundfont=BUNDLED)
    cache = sampled._SHARED[next(iter(sampled._SHARED))]
    b = _compose("rock", d=4.0, soundfont=BUNDLED)
    assert next(iter(sampled._SHARED.values())) is cache
    np.testing.assert_array_equal(a.render_all(), b.render_all())


def test_a_note_is_held_for_its_length_whatever_the_mixer_rate() -> None:
    """The mixer hands a kept note its length in seconds: at half the rate (orchestral,
    lofi) a one-second note is still held one second, as the composer wrote it."""
    from game_music.music.notes import NoteBuilder
    from game_music.music.synth.band import BandSynth
    from game_music.music.synth.sampled import sampled_voice

    holds = []

    class Recording:
        sample_rate = SR // 2

        def note(self, preset, key, velocity, hold, *, max_tail):
            holds.append(hold)
            return np.full((hold + 100, 2), 0.1, np.float32)

    cache = NoteCache(Recording())
    synth = BandSynth(SR, {"pad": sampled_voice(cache, STRINGS, tail=0.1)}, gain=1.0,
                      low_rate=float(cache.sr))
    nb = NoteBuilder()
    nb.add(1.0, 2.0, 4, "pad", 60, 12.0)  # at 120 bpm: from 0.5 s, one second long
    notes = nb.table(SR / 2.0, 3 * SR)
    synth.render_chunk(notes, -synth.preroll, 3 * SR)
    assert holds and all(h == SR // 2 for h in holds)  # one second at 24 kHz
