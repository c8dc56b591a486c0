"""The 2A03 model: duty cycles, the 4-bit triangle, the noise LFSR, timers, mixer, filters."""

from __future__ import annotations

import numpy as np
import pytest

from game_music.music.channels import NOISE, PULSE1, PULSE2, TRIANGLE
from game_music.music.notes import NOTE_DTYPE, ROLE
from game_music.music.synth.chip import (
    CPU_HZ,
    DMC,
    DMC_REST,
    DUTIES,
    DUTY_MACROS,
    ChipSynth,
    dpcm_decode,
    dpcm_encode,
    dpcm_sample,
    lfsr_bits,
    pulse_hz,
    triangle_hz,
)

SR = 48000


def _note(ch: int, pitch: float, seconds: float, **fields) -> np.ndarray:
    n = np.zeros(1, dtype=NOTE_DTYPE)
    n["ch"], n["pitch"], n["dur"], n["vol"] = ch, pitch, int(seconds * SR), 15.0
    for k, v in fields.items():
        n[k] = v
    return n


def _harmonics(y: np.ndarray, f: float, count: int) -> np.ndarray:
    """Amplitudes at exactly k * f (windowed projection: no bin scalloping)."""
    y = (y - y.mean()) * np.hanning(len(y))
    n = np.arange(len(y)) / SR
    return np.array([abs(np.dot(y, np.exp(-2j * np.pi * k * f * n))) for k in range(1, count + 1)])


@pytest.mark.parametrize(("duty", "second"), [(0, (0.8, 1.0)), (1, (0.6, 0.8)), (2, (0.0, 0.02))])
def test_pulse_duty_cycles_have_the_right_harmonics(duty: int, second: tuple) -> None:
    synth = ChipSynth(SR)
    y = synth.channels(_note(PULSE1, 57, 1.0, duty=duty), 0, SR)[PULSE1]
    f = float(pulse_hz(57))
    h = _harmonics(y[2000:-2000], f, 4)
    ratio = h[1] / h[0]  # 2nd harmonic: sin(2 pi d) / (2 sin(pi d))
    assert second[0] <= ratio <= second[1], ratio
    # a unipolar 0..15 wave; only samples next to an edge sit in between
    assert np.isin(y[5000:15000], [0.0, 15.0]).mean() > 0.95
    if duty == 2:
        assert h[2] / h[0] == pytest.approx(1 / 3, abs=0.03)  # odd harmonics at 1/k


def test_polyblep_removes_most_aliasing() -> None:
    pitch = 96  # ~2 kHz: harmonics fold over Nyquist many times
    f = float(pulse_hz(pitch))

    def inharmonic_share(bandlimit: bool) -> float:
        y = ChipSynth(SR, bandlimit=bandlimit).channels(_note(PULSE1, pitch, 1.0, duty=1), 0, SR)
        y = y[PULSE1][2000:-2000]
        y = y - y.mean()
        spec = np.abs(np.fft.rfft(y * np.hanning(len(y)))) ** 2
        freqs = np.fft.rfftfreq(len(y), 1 / SR)
        k = freqs / f
        harmonic = np.abs(k - np.rint(k)) * f < 8
        audible = freqs < 16000
        return spec[audible & ~harmonic].sum() / spec[audible].sum()

    naive, blep = inharmonic_share(False), inharmonic_share(True)
    assert blep < naive / 10, (naive, blep)


def test_triangle_is_a_32_step_4_bit_staircase() -> None:
    raw = ChipSynth(SR, bandlimit=False).channels(_note(TRIANGLE, 45, 0.5), 0, SR)[TRIANGLE]
    assert np.array_equal(np.unique(raw), np.arange(16.0))
    smooth = ChipSynth(SR).channels(_note(TRIANGLE, 45, 0.5), 0, SR)[TRIANGLE]
    on_levels = np.isin(smooth[: SR // 2 - 1000], np.arange(16.0)).mean()
    assert on_levels > 0.7  # band-limiting touches only the samples next to a step
    # no volume control: the note holds its level and then the channel rests on step 15
    assert (raw[SR // 2 + 100 :] == 15.0).all()


def test_timers_quantise_pitch_like_the_chip() -> None:
    for midi in (33, 45, 57, 69, 81):
        t = CPU_HZ / (16 * pulse_hz(midi)) - 1
        assert abs(t - round(t)) < 1e-6
        t = CPU_HZ / (32 * triangle_hz(midi)) - 1
        assert abs(t - round(t)) < 1e-6
        # same timer value: the triangle sounds an octave below the pulse
        assert triangle_hz(midi) == pytest.approx(pulse_hz(midi), rel=0.01)
    assert abs(1200 * np.log2(pulse_hz(69) / 440.0)) < 5  # within a few cents of A4


def test_noise_lfsr_periods() -> None:
    long, short = lfsr_bits(False), lfsr_bits(True)
    assert len(long) == 32767
    assert len(short) in (31, 93)
    assert 0.45 < long.mean() < 0.55
    synth = ChipSynth(SR)
    hat = synth.channels(_note(NOISE, 0, 0.2, decay=0.05, sustain=0.0), 0, SR)[NOISE]
    levels = np.unique(hat)
    assert set(levels) <= set(np.arange(16.0)) and len(levels) > 5  # 4-bit decaying envelope
    assert hat[: SR // 100].max() == 15 and hat[int(0.19 * SR) : int(0.2 * SR)].max() <= 1
    metal = synth.channels(_note(NOISE, 6, 0.5, mode=1), 0, SR)[NOISE]
    # short mode repeats: strong periodicity at 93 (or 31) LFSR steps
    period_s = len(short) * 128 / CPU_HZ
    lag = int(round(period_s * SR))
    a, b = metal[1000:20000], metal[1000 + lag : 20000 + lag]
    assert np.corrcoef(a, b)[0, 1] > 0.5


def test_mixer_is_the_chips_non_linear_formula() -> None:
    synth = ChipSynth(SR)
    n = 4096
    ch = {
        PULSE1: np.full(n, 15.0),
        PULSE2: np.full(n, 15.0),
        TRIANGLE: np.zeros(n),
        NOISE: np.zeros(n),
    }
    rest = 159.79 / (1.0 / (DMC_REST / 22638.0) + 100.0)  # the DMC counter at rest
    pre = synth.dac_mix(ch)
    both = 95.88 / (8128.0 / 30.0 + 100.0)
    assert pre.mean() == pytest.approx(both + rest, rel=1e-6)
    ch[PULSE1][:] = 0
    ch[PULSE2][:] = 0
    ch[TRIANGLE][:] = 15.0
    ch[NOISE][:] = 15.0
    tnd = 159.79 / (1.0 / (15 / 8227.0 + 15 / 12241.0 + DMC_REST / 22638.0) + 100.0)
    assert synth.dac_mix(ch).mean() == pytest.approx(tnd, rel=1e-6)
    # the output high-passes remove DC
    out = synth.mix(ch)
    assert np.abs(out[-100:]).max() < 1e-3


def test_slides_vibrato_and_arpeggio_are_continuous() -> None:
    synth = ChipSynth(SR, bandlimit=False)
    for fields in ({"slide": -2.0, "slide_t": 0.05}, {"vib": 20.0}, {"arp1": 4, "arp2": 7}):
        y = synth.channels(_note(PULSE2, 64, 0.6, duty=2, **fields), 0, int(0.6 * SR))[PULSE2]
        edges = np.flatnonzero(np.diff((y > 0).astype(int)) == 1)
        periods = np.diff(edges)
        f = float(pulse_hz(64))
        # no broken cycles: every period stays within the pitch range the note moves through
        assert periods.min() >= SR / (f * 2 ** (8 / 12)) - 2
        assert periods.max() <= SR / (f * 2 ** (-3 / 12)) + 2


def test_the_console_is_mono() -> None:
    synth = ChipSynth(SR, 120.0)
    notes = np.concatenate([_note(PULSE1, 69, 0.2, duty=1), _note(PULSE2, 76, 0.2, duty=2)])
    out = synth.mix(synth.channels(notes, 0, SR // 2))
    assert synth.lookback == 0
    assert np.array_equal(out[:, 0], out[:, 1]) and np.abs(out).max() > 0.05


def test_dpcm_is_a_1_bit_delta_stream_on_a_7_bit_counter() -> None:
    t = np.arange(4000)
    target = 64 + 50 * np.sin(2 * np.pi * t / 200.0)
    bits = dpcm_encode(target, 64)
    assert set(np.unique(bits)) <= {0, 1}
    levels = dpcm_decode(bits, 64)
    assert set(np.abs(np.diff(levels))) <= {0.0, 2.0}  # +-2 a bit, held at the rails
    assert levels.min() >= 0 and levels.max() <= 127
    assert np.abs(levels[400:] - target[400:]).max() < 6  # it follows a slow wave
    kick = dpcm_sample("kick", 3, SR)
    assert 0.1 < len(kick) / SR < 0.3 and np.abs(kick).max() > 40
    assert np.abs(kick[-50:]).max() <= 2  # it ends back at the rest level: no DC step


def test_dpcm_drums_play_in_the_tnd_group_and_free_the_noise_channel() -> None:
    synth = ChipSynth(SR)
    kick = _note(DMC, 0, 0.16)
    kick["role"] = ROLE["kick"]
    hat = _note(NOISE, 0, 0.05, decay=0.02, sustain=0.0)
    ch = synth.channels(np.concatenate([kick, hat]), 0, SR // 4)
    assert np.abs(ch[DMC]).max() > 40 and np.abs(ch[NOISE]).max() > 0  # both at once
    spec = np.abs(np.fft.rfft(dpcm_sample("kick", 3, SR))) ** 2
    f = np.fft.rfftfreq(len(dpcm_sample("kick", 3, SR)), 1 / SR)
    assert spec[(f > 40) & (f < 200)].sum() > 0.8 * spec.sum()  # a thump, not a click


def test_duty_macros_change_the_duty_every_frame() -> None:
    synth = ChipSynth(SR, bandlimit=False)
    macro = 1
    y = synth.channels(_note(PULSE1, 93, 0.2, duty=2, aux=macro), 0, int(0.2 * SR))[PULSE1]
    frame = int(SR / 60.0)
    seq = DUTY_MACROS[macro]
    for j, d in enumerate(seq[:5]):
        part = y[j * frame + 200 : (j + 1) * frame - 200]
        assert (part > 0).mean() == pytest.approx(DUTIES[d], abs=0.06), (j, d)
