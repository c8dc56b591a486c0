"""Speech activity on synthetic speech mixed with game noise and music at known spans
(real gameplay and spoken sentences: test_speech_real.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from scipy import signal
from scipy.io import wavfile

from game_music.analysis import speech as speech_mod
from game_music.analysis.result import hop_count
from game_music.analysis.speech import SpeechDetector, spans, speech_curve

from .signals import SR, explosion, gunfire, music, place, speech_like

TOTAL_S = 40.0
SPEECH = [(1.0, 3.2), (5.0, 6.4), (9.0, 12.0), (15.5, 17.0), (21.0, 24.5), (27.0, 28.3),
          (33.0, 36.0)]
NOISE = [(3.9, 4.7, explosion), (7.0, 8.3, gunfire), (13.0, 14.6, explosion),
         (25.2, 26.4, gunfire), (37.0, 38.5, explosion)]
MUSIC = [(18.0, 20.4), (29.0, 32.0)]


def _mix(seed: int, *, noise_under_speech: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    items = [(a, speech_like(b - a, rng)) for a, b in SPEECH]
    items += [(a, make(b - a, rng)) for a, b, make in NOISE]
    items += [(a, music(b - a)) for a, b in MUSIC]
    if noise_under_speech:  # game noise going on while someone talks
        items += [(a, 0.3 * gunfire(b - a, rng, level=0.5)) for a, b in SPEECH[::2]]
    mix = place(TOTAL_S, items)
    return mix + 0.002 * rng.standard_normal(mix.shape).astype(np.float32)  # room tone


def _span_scores(found: list[tuple[float, float]]) -> tuple[float, float]:
    """Span recall (true spans at least half covered) and precision (found spans that
    overlap a true one)."""
    def overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
        return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))

    recall = np.mean([sum(overlap(t, f) for f in found) >= 0.5 * (t[1] - t[0]) for t in SPEECH])
    precision = np.mean([any(overlap(f, t) > 0 for t in SPEECH) for f in found]) if found else 0
    return float(recall), float(precision)


def _frame_scores(curve: np.ndarray) -> tuple[float, float]:
    """Frame recall inside the true spans, and precision against spans widened by the
    hangover the detector is meant to add."""
    t = (np.arange(len(curve)) + 0.5) * 0.02
    truth = np.zeros(len(curve), bool)
    near = np.zeros(len(curve), bool)
    for a, b in SPEECH:
        truth |= (t >= a) & (t < b)
        near |= (t >= a - 0.2) & (t < b + 0.5)
    on = curve > 0.5
    return float(on[truth].mean()), float(near[on].mean()) if on.any() else 0.0


@pytest.mark.parametrize("seed", [1, 2])
def test_speech_spans_are_found_among_game_noise_and_music(seed: int) -> None:
    curve = speech_curve(_mix(seed), hop_count(TOTAL_S))
    assert curve.shape == (hop_count(TOTAL_S),) and curve.dtype == np.float32
    assert 0.0 <= curve.min() and curve.max() <= 1.0
    recall, precision = _span_scores(spans(curve))
    assert recall >= 0.8 and precision >= 0.8, spans(curve)
    f_recall, f_precision = _frame_scores(curve)
    assert f_recall >= 0.8 and f_precision >= 0.8


def test_speech_over_game_noise_is_still_speech() -> None:
    curve = speech_curve(_mix(3, noise_under_speech=True), hop_count(TOTAL_S))
    recall, precision = _span_scores(spans(curve))
    assert recall >= 0.8 and precision >= 0.8, spans(curve)


def test_noise_and_music_alone_are_not_speech() -> None:
    rng = np.random.default_rng(4)
    game = place(20.0, [(0.5, explosion(3.0, rng)), (4.0, gunfire(4.0, rng)),
                        (9.0, music(6.0)), (15.5, explosion(2.0, rng))])
    curve = speech_curve(game, hop_count(20.0))
    assert (curve > 0.5).mean() < 0.1


def test_word_gaps_are_bridged() -> None:
    # One phrase of syllables with natural gaps: a single span, not a flicker.
    rng = np.random.default_rng(5)
    curve = speech_curve(place(6.0, [(1.0, speech_like(3.0, rng))]), hop_count(6.0))
    found = spans(curve)
    assert len(found) == 1
    (a, b), = found
    assert 0.8 <= a <= 1.1 and 3.9 <= b <= 4.5  # starts a bit early, hangs over the end


def test_hysteresis_and_weak_spans() -> None:
    # Starts above the onset, holds down to the offset; a growl that only grazes the onset
    # (a doubtful span) and a short blip are not talk.
    score = np.array([0.1, 0.4, 0.6, 0.9, 0.4, 0.36, 0.2, 0.55, 0.45, 0.1], np.float32)
    assert speech_mod.hysteresis(score).tolist() == [False, False, True, True, True, True,
                                                     False, True, True, False]
    weak = np.r_[np.zeros(5), np.full(20, 0.5), np.zeros(5)].astype(np.float32)
    assert not speech_mod.smooth_decisions(weak > 0.35, weak).any()
    blip = np.r_[np.zeros(5), np.full(6, 0.95), np.zeros(5)].astype(np.float32)
    assert not speech_mod.smooth_decisions(blip > 0.35, blip).any()
    talk = np.r_[np.zeros(5), np.full(20, 0.95), np.zeros(5)].astype(np.float32)
    assert speech_mod.smooth_decisions(talk > 0.35, talk)[5:25].all()


def test_blocks_give_the_same_curve_as_the_whole() -> None:
    mix = _mix(6)
    n = hop_count(TOTAL_S)
    whole = speech_curve(mix, n)
    det = SpeechDetector()
    step = int(3.7 * SR) + 11  # block edges off the frame grid
    for i in range(0, len(mix), step):
        det.feed(mix[i : i + step])
    np.testing.assert_array_equal(det.curve(n), whole)


def test_silence_and_missing_audio_give_zeros() -> None:
    assert not speech_curve(None, 50).any()
    assert not (speech_curve(np.zeros((SR, 2), np.float32), 50) > 0.5).any()


def test_real_synthesised_speech_when_espeak_is_installed(tmp_path: Path) -> None:
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if not exe:
        pytest.skip("espeak-ng is not installed")
    talk = [(1.0, "The enemy team is pushing mid, fall back and regroup."),
            (8.0, "Nice shot! That was close.")]
    rng = np.random.default_rng(8)
    items = [(4.5, explosion(1.5, rng)), (11.5, music(3.0))]
    spans_true = []
    for k, (start, text) in enumerate(talk):
        wav = tmp_path / f"s{k}.wav"
        subprocess.run([exe, "-w", str(wav), text], check=True, capture_output=True)
        rate, x = wavfile.read(wav)
        x = signal.resample_poly(x.astype(np.float64) / 32768.0, SR, rate)
        items.append((start, 0.5 * x / (np.abs(x).max() + 1e-9)))
        spans_true.append((start, start + len(x) / SR))
    mix = place(16.0, items)
    curve = speech_curve(mix, hop_count(16.0))
    t = (np.arange(len(curve)) + 0.5) * 0.02
    truth = np.zeros(len(curve), bool)
    for a, b in spans_true:
        truth |= (t >= a) & (t < b)
    on = curve > 0.5
    assert on[truth].mean() >= 0.8
    assert on[(t > 4.5) & (t < 6.0)].mean() < 0.2  # the explosion
