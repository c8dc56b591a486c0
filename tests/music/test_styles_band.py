"""The band styles (orchestral, lo-fi, ambient, rock): real renders, exact, and recognisable."""

from __future__ import annotations

import numpy as np
import pytest

from game_music.music import channels
from game_music.music.arrange import lofi as lofi_arrangement
from game_music.music.notes import NOTE_DTYPE, ROLE
from game_music.music.synth.guitar import power_chord_voice
from game_music.music.synth.orchestra import strings_voice
from game_music.request import MusicRequest

from .helpers import SR, compose, ramp

BAND = ("orchestral", "lofi", "ambient", "rock")
_MOOD = {"orchestral": "heroic", "lofi": "calm", "ambient": "mysterious", "rock": "tense"}
_CACHE: dict = {}


def _piece(style: str, seed: int = 5, d: float = 16.0):
    key = (style, seed, d)
    if key not in _CACHE:
        req = MusicRequest(style=style, mood=_MOOD[style])
        _CACHE[key] = compose(d, seed=seed, energy=ramp(d, 0.3, 0.85), request=req)
    return _CACHE[key]


def _audio(style: str, seed: int = 5, d: float = 16.0) -> np.ndarray:
    key = ("audio", style, seed, d)
    if key not in _CACHE:
        _CACHE[key] = _piece(style, seed, d).render_all()
    return _CACHE[key]


def _band_energy(x: np.ndarray, lo: float, hi: float) -> float:
    spec = np.abs(np.fft.rfft(x.mean(axis=1).astype(np.float64))) ** 2
    f = np.fft.rfftfreq(len(x), 1.0 / SR)
    return float(spec[(f >= lo) & (f < hi)].sum() / spec[f >= 20].sum())


@pytest.mark.parametrize("style", BAND)
def test_renders_exactly_and_at_a_sane_level(style) -> None:
    comp = _piece(style)
    s = comp.summary
    assert s["style"] == style and not s["style_fallback"]
    audio = _audio(style)
    assert audio.dtype == np.float32 and audio.shape == (comp.num_samples, 2)
    assert np.isfinite(audio).all()
    peak = float(np.abs(audio).max())
    assert 0.1 < peak < 0.95, peak  # about -6 dBFS: room for mastering, no clipping
    # The same seed gives the same samples from a fresh composition, in any block size.
    again = compose(16.0, seed=5, energy=ramp(16.0, 0.3, 0.85),
                    request=MusicRequest(style=style, mood=_MOOD[style]))
    parts, pos = [], 0
    for n in (1000, 47_999, 300_001, 12_345):
        parts.append(again.render(pos, n))
        pos += n
    parts.append(again.render(pos, comp.num_samples - pos))
    assert np.array_equal(np.concatenate(parts), audio)
    # No silent gap: every half second after the first (pads may swell in) is audible.
    last = int(comp.plan.beat_to_sample(comp.plan.bar_beat[-1]))  # the ending fades out
    body = audio[SR:last].astype(np.float64)
    win = SR // 2
    rms = np.sqrt((body[: len(body) // win * win].reshape(-1, win, 2) ** 2).mean(axis=(1, 2)))
    assert rms.min() > 10 ** (-45 / 20), 20 * np.log10(rms.min())


@pytest.mark.parametrize("style", BAND)
def test_different_seeds_differ(style) -> None:
    a = _piece(style, seed=5)
    b = _piece(style, seed=6)
    x, y = a.render(4 * SR, SR), b.render(4 * SR, SR)
    assert not np.allclose(x, y)


def test_lofi_is_dusty_and_swung() -> None:
    audio = _audio("lofi")
    assert _band_energy(audio, 8000.0, 24000.0) < 0.002  # low-passed like a worn tape
    comp = _piece("lofi", d=90.0)  # notes only: cheap
    notes = comp.notes(0, comp.num_samples)
    plan = comp.plan
    step = plan.beat_s * SR / 4.0
    bar_s = plan.beat_to_sample(plan.bar_beat)
    drums = notes[np.isin(notes["role"], [ROLE["kick"], ROLE["hat"]])]
    pos = (drums["start"] - bar_s[np.searchsorted(bar_s, drums["start"], "right") - 1]) / step
    grid = np.rint(pos)
    late = pos - grid
    swung = late > 0.02
    # Off-beat sixteenths land late by (swing - 50 %) of a sixteenth's pair; on-beats stay put.
    assert swung.sum() >= 8
    assert (grid[swung] % 2 == 1).all() and (grid[~swung] % 2 == 0).all()
    assert np.allclose(late[swung], (lofi_arrangement.SWING - 0.5) * 2.0, atol=0.02)
    assert (np.abs(late[~swung]) < 0.01).all()
    # ...and chords are 7ths/9ths: at least four pitch classes sound in a chord bar.
    keys = notes[np.isin(notes["ch"], channels.CH_KEYS)]
    first = keys[keys["start"] < keys["start"].min() + plan.beat_s * SR / 2]
    assert len(first) == 4 and len({int(p) % 12 for p in first["pitch"]}) == 4


def test_ambient_is_sparse_and_slow() -> None:
    amb, rock = _piece("ambient", d=120.0), _piece("rock", d=120.0)  # notes only: cheap

    def onsets_per_s(comp) -> float:
        n = comp.notes(0, comp.num_samples)
        return len(np.unique(n["start"])) / (comp.num_samples / SR)

    assert onsets_per_s(amb) < 0.35 * onsets_per_s(rock)
    n = amb.notes(0, amb.num_samples)
    outro = amb.plan.beat_to_sample(amb.plan.bar_beat[amb.plan.sections[-1].first_bar])
    pads = n[np.isin(n["ch"], channels.CH_PADS) & (n["start"] < outro)]
    bar = amb.plan.beat_s * 4 * SR
    assert np.median(pads["dur"]) >= 1.9 * bar  # chords change every two bars or more
    drums = n[np.isin(n["role"], [ROLE[r] for r in ("snare", "tom")])]
    assert len(drums) == 0


def test_rock_guitars_are_distorted() -> None:
    note = np.zeros(1, dtype=NOTE_DTYPE)[0]
    note["pitch"], note["vol"], note["dur"] = 40, 13.0, SR
    v = power_chord_voice(0, drive=14.0)
    t = np.arange(SR) / SR
    clean = v.render(note, t, SR, 1.0)
    dist = v.post(clean, 0, SR)

    def crest(x):
        return np.abs(x).max() / np.sqrt(np.mean(x**2))

    assert crest(dist) < 0.5 * crest(clean)  # the amp squashes the pluck into a wall
    spec = np.abs(np.fft.rfft(dist[SR // 4 :])) ** 2
    f = np.fft.rfftfreq(len(dist) - SR // 4, 1.0 / SR)
    assert spec[(f >= 1000) & (f < 4000)].sum() > 0.2 * spec[(f >= 60) & (f < 1000)].sum()
    assert spec[f >= 8000].sum() < 0.01 * spec[f >= 60].sum()  # ...through a cabinet
    # In the mix: two takes hard left and right, so the sides differ (double tracking).
    mix = _audio("rock").astype(np.float64)
    spec_l, spec_r = np.fft.rfft(mix[:, 0]), np.fft.rfft(mix[:, 1])
    f = np.fft.rfftfreq(len(mix), 1.0 / SR)
    band = (f >= 1000) & (f < 4000)
    side = np.abs(spec_l[band] - spec_r[band]) ** 2
    mid = np.abs(spec_l[band] + spec_r[band]) ** 2
    assert side.sum() > 0.3 * mid.sum()


def test_orchestral_strings_bow_in_slowly() -> None:
    note = np.zeros(1, dtype=NOTE_DTYPE)[0]
    note["pitch"], note["vol"], note["dur"] = 60, 12.0, SR
    sr = 16000
    t = np.arange(sr) / sr
    y = strings_voice().render(note, t, sr, 1.0)
    env = np.sqrt(np.convolve((y**2).mean(axis=0), np.ones(160) / 160, "same"))
    reach = np.argmax(env >= 0.9 * env[: sr // 2].max()) / sr
    assert 0.08 <= reach <= 0.6, reach
    assert env[int(0.02 * sr)] < 0.3 * env.max()  # no percussive onset
    # Timpani mark the start of each loud section.
    comp = _piece("orchestral")
    n = comp.notes(0, comp.num_samples)
    timp = n[n["ch"] == channels.CH_TIMPANI]
    assert len(timp) >= 1
