"""gameboy, fm16, synthwave, edm: real synths, deterministic, block-exact, and each its genre."""

from __future__ import annotations

import numpy as np
import pytest

from game_music.music.channels import PULSE2, TRIANGLE
from game_music.music.notes import NOTE_DTYPE, ROLE
from game_music.music.synth.fm import FMSynth
from game_music.music.synth.gameboy import WAVES, GameBoySynth, wave_hz
from game_music.request import MusicRequest

from .helpers import SR, compose, ramp

STYLES = ("gameboy", "fm16", "synthwave", "edm")
D = 14.0
KW = {"energy": ramp(D, 0.3, 0.85), "cuts": [6.1]}


def _compose(style: str, seed: int = 4, duration: float = D, **kw):
    return compose(duration, seed=seed, request=MusicRequest(style=style), **(kw or KW))


@pytest.fixture(scope="module")
def rendered():
    out = {}
    for style in (*STYLES, "chiptune"):
        comp = _compose(style)
        out[style] = (comp, comp.render_all())
    return out


def _band_share(audio: np.ndarray, lo: float, hi: float) -> float:
    x = audio.mean(axis=1)
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / SR)
    return float(spec[(f >= lo) & (f < hi)].sum() / spec[f >= 20].sum())


def _centroid(audio: np.ndarray) -> float:
    """Power-weighted spectral centroid (Hz): where the energy sits."""
    x = audio.mean(axis=1)
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / SR)
    return float((spec * f).sum() / spec.sum())


@pytest.mark.parametrize("style", STYLES)
def test_renders_its_own_synth_with_sane_levels_and_no_gap(rendered, style: str) -> None:
    comp, audio = rendered[style]
    assert comp.summary["style"] == style and comp.summary["style_fallback"] is False
    assert audio.shape == (comp.num_samples, 2) and np.isfinite(audio).all()
    peak = float(np.abs(audio).max())
    assert 10 ** (-12 / 20) < peak < 10 ** (-2 / 20), 20 * np.log10(peak)
    win = SR // 2
    rms = np.sqrt((audio[: len(audio) // win * win] ** 2).mean(axis=1).reshape(-1, win).mean(1))
    assert (rms[:-2] > 10 ** (-50 / 20)).all()  # the last second is the final fade
    assert (rms[:-1] > 10 ** (-60 / 20)).all(), np.round(20 * np.log10(rms + 1e-12))
    assert not np.array_equal(audio[:, 0], audio[:, 1])  # stereo


@pytest.mark.parametrize("style", STYLES)
def test_deterministic_and_block_size_independent(rendered, style: str) -> None:
    comp, audio = rendered[style]
    fresh = _compose(style)
    block = 48_001
    parts = [fresh.render(s, block) for s in range(0, comp.num_samples, block)]
    assert np.array_equal(np.concatenate(parts)[: comp.num_samples], audio)
    fresh = _compose(style)
    for start, n in [(400_000, 777), (7, 60_000), (comp.num_samples - 10, 30)]:
        got = fresh.render(start, n)
        assert np.array_equal(got[: len(audio[start : start + n])], audio[start : start + n])
    other = _compose(style, seed=5).render_all()
    assert not np.allclose(audio, other)


def test_synthwave_is_darker_than_chiptune(rendered) -> None:
    sw, chip = rendered["synthwave"][1], rendered["chiptune"][1]
    assert _centroid(sw) < 0.7 * _centroid(chip), (_centroid(sw), _centroid(chip))
    comp = rendered["synthwave"][0]
    assert 80 <= comp.summary["tempo_bpm"] <= 118


def test_edm_has_sub_bass_and_four_on_the_floor(rendered) -> None:
    audio, chip = rendered["edm"][1], rendered["chiptune"][1]
    sub = _band_share(audio, 20, 60)
    assert sub > 0.08 and sub > 3 * _band_share(chip, 20, 60), sub
    # a busy stretch: kicks (under the claps too) on every beat, loudest right on the beat
    comp = _compose("edm", duration=20.0, energy=0.9, cuts=[])
    beat = 60.0 / comp.summary["tempo_bpm"]
    hits = comp.events(0.0, 20.0)
    onsets = np.array(sorted({e["t"] for e in hits if e["role"] == "kick" or e["role"] == "snare"}))
    on_beat = onsets[np.abs(onsets / beat - np.rint(onsets / beat)) < 0.01]
    steps = np.diff(on_beat) / beat
    assert len(on_beat) >= 16 and np.mean(np.abs(steps - 1.0) < 0.02) > 0.7, np.round(steps, 2)
    k0 = on_beat[4]
    x = comp.render(int(k0 * SR), int(8 * beat * SR)).mean(axis=1)
    win = SR // 25
    beats = k0 + beat * np.arange(7)
    rms = lambda i: float(np.sqrt((x[i : i + win] ** 2).mean()))  # noqa: E731
    on = [rms(int((k - k0) * SR)) for k in beats]
    off = [rms(int((k - k0 + beat / 2) * SR)) for k in beats]
    assert np.mean(on) > 1.3 * np.mean(off), (np.mean(on), np.mean(off))


def _note(ch: int, role: str, pitch: float, seconds: float, **fields) -> np.ndarray:
    n = np.zeros(1, dtype=NOTE_DTYPE)
    n["ch"], n["role"], n["pitch"], n["dur"], n["vol"] = ch, ROLE[role], pitch, seconds * SR, 15
    for k, v in fields.items():
        n[k] = v
    return n


def test_gameboy_wave_channel_is_a_32_step_4_bit_table_and_pulse_2_is_hard_panned() -> None:
    synth = GameBoySynth(SR, bandlimit=False)
    y = synth.channels(_note(TRIANGLE, "bass", 45, 0.5), 0, SR // 2)[(TRIANGLE, 0)]
    body = y[1000:20000]
    assert set(np.unique(body)) <= set(WAVES["saw"] - 7.5)  # 4-bit samples from wave RAM
    f = wave_hz(45)
    steps = np.count_nonzero(np.diff(body)) / (len(body) / SR * f)
    assert 12 <= steps <= 32  # stairs: every change is one of the 32 steps of a cycle
    mixed = synth.dac_mix(synth.channels(_note(PULSE2, "arp", 72, 0.3), 0, SR // 2))
    assert np.abs(mixed[0]).max() == 0 and np.abs(mixed[1]).max() > 0  # right only


def test_fm_bells_have_inharmonic_partials_and_the_bass_slaps() -> None:
    synth = FMSynth(SR)
    f = 440.0
    t = np.arange(SR) / SR
    bell = synth.voice(ROLE["counter"], f, t, 1.0, 1.0)
    spec = np.abs(np.fft.rfft(bell * np.hanning(len(bell))))
    at = lambda x: spec[int(round(x))]  # noqa: E731  (1 Hz bins)
    assert at(2.5 * f) > 0.01 * at(f) and at(4.5 * f) > 0.01 * at(f)  # 1 +- 3.5 k partials
    bass = synth.voice(ROLE["bass"], 55.0, t, 1.0, 1.0)

    def bright(x: np.ndarray) -> float:
        s = np.abs(np.fft.rfft(x * np.hanning(len(x))))
        return float(s[len(s) // 10 :].sum() / s.sum())

    # the slap: the index is high at the attack and decays fast
    assert bright(bass[: SR // 20]) > 2 * bright(bass[SR // 2 : SR // 2 + SR // 20])


@pytest.mark.parametrize("style", ["fm16", "synthwave", "edm"])
def test_note_cache_never_changes_the_audio(rendered, style: str, monkeypatch) -> None:
    """Notes are rendered once and reused; with (almost) no room to keep them, every note is
    rendered again each time, and the audio must not change by a bit."""
    from game_music.music.synth import analog, fm

    monkeypatch.setattr(analog, "_CACHE_BYTES", 0)
    monkeypatch.setattr(fm, "_CACHE_BYTES", 0)
    comp, audio = rendered[style]
    fresh = _compose(style)
    assert np.array_equal(fresh.render_all(), audio)
