"""Keys and pads: a tine e-piano and tape for lo-fi; pads, bells and a drone for ambient.

The e-piano is two-operator FM (a 1:1 modulator whose index falls after the hammer: the
"bark"), plus a short high tine partial and a soft second harmonic. Bells are FM with an
inharmonic 1:3.5 modulator. Lo-fi's tape is a global-time delay modulation (wow and flutter)
plus vinyl crackle and hiss drawn per fixed block of the timeline, so any range renders alike.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import signal

from .band import BandSynth, Voice, play, shaped_table
from .drums import kit_voice
from .dsp import (
    F32,
    TABLE,
    chain,
    compress,
    db_to_gain,
    env_fast,
    midi_to_hz,
    n_partials,
    osc,
    peak,
    phase,
    shelf,
    sos,
    table,
)
from .orchestra import ensemble_loop

TWO_PI = 2.0 * np.pi


def _vol(note) -> float:
    return float(note["vol"]) / 15.0


@lru_cache(maxsize=512)
def epiano_shot(midi: int, level: int, bark: float, sr: int) -> np.ndarray:
    """One e-piano note held for ``_EP_S`` seconds at velocity step ``level`` (0..7)."""
    n = int(_EP_S * sr)
    t = (np.arange(n) / sr).astype(F32)
    f = midi_to_hz(midi)
    v = (level + 1) / 8.0
    cyc = np.arange(n) * (f / sr)  # cycles in float64, wrapped: float32 holds the rest
    ph = (TWO_PI * (cyc - np.floor(cyc))).astype(F32)
    index = F32(bark) * (F32(0.25) + F32(1.6 * v) * np.exp(-t / F32(0.35)))
    y = np.sin(ph + index * np.sin(ph))
    y += F32(0.2) * np.sin(F32(2.0) * ph) * np.exp(-t / F32(0.5))
    if 7.0 * f < 0.45 * sr:  # the tine's ping (only its first 0.4 s is audible)
        m = min(n, int(0.4 * sr))
        y[:m] += F32(0.12 * v) * np.sin(F32(7.0) * ph[:m]) * np.exp(-t[:m] / F32(0.04))
    tau = 2.2 * 2.0 ** (-(midi - 60.0) / 24.0)  # low notes ring longer
    y *= np.minimum(t / F32(0.004), F32(1.0)) * np.exp(-t / F32(tau))
    y[-int(0.3 * sr) :] *= np.linspace(1.0, 0.0, int(0.3 * sr), dtype=F32)
    return y


_EP_S = 4.5


def _shot(s: np.ndarray, t: np.ndarray, sr: int) -> np.ndarray:
    return play(s, t, sr)


def epiano_voice(*, bark: float = 1.0, **kw) -> Voice:
    def render(note, t, sr, gate):
        v = _vol(note)
        s = epiano_shot(int(round(float(note["pitch"]))), min(7, int(v * 8)), bark, sr)
        y = _shot(s, t, sr) * F32(v)
        k = int(np.searchsorted(t, gate, side="right"))
        if k < len(t):  # the damper, from the key's release on
            y[k:] *= np.exp(-(t[k:] - gate) / 0.22).astype(F32)
        return y

    return Voice(render, tail=1.4, **kw)


@lru_cache(maxsize=256)
def bell_shot(midi: int, sr: int) -> np.ndarray:
    n = int(6.0 * sr)
    t = (np.arange(n) / sr).astype(F32)
    f = midi_to_hz(midi)
    cyc = np.arange(n) * (f / sr)
    ph = TWO_PI * (cyc - np.floor(cyc))  # wrapped (float64), so 3.5 x stays exact
    index = F32(2.2) * np.exp(-t / F32(1.2)) + F32(0.3)
    if 3.5 * f < 0.45 * sr:
        c35 = 3.5 * cyc
        mod = np.sin((TWO_PI * (c35 - np.floor(c35))).astype(F32))
    else:
        mod = F32(0.0)
    ph = ph.astype(F32)
    y = np.sin(ph + index * mod) + F32(0.25) * np.sin(F32(2.0) * ph) * np.exp(-t / F32(1.0))
    y *= np.minimum(t / F32(0.003), F32(1.0)) * np.exp(-t / F32(2.8))
    y[-int(0.2 * sr) :] *= np.linspace(1.0, 0.0, int(0.2 * sr), dtype=F32)
    return y


def bell_voice(**kw) -> Voice:
    def cached(note, sr: int, gate: float = 0.0) -> tuple[np.ndarray, float]:
        return bell_shot(int(round(float(note["pitch"]))), sr), _vol(note)

    def render(note, t, sr, gate):
        s, scale = cached(note, sr)
        return _shot(s, t, sr) * F32(scale)

    return Voice(render, tail=6.0, oneshot=True, shot=cached, **kw)


def pad_voice(
    kind: str = "pad",
    *,
    att: float = 2.0,
    rel: float = 2.5,
    voices: int = 4,
    cents: float = 9.0,
    **kw,
) -> Voice:
    """A slow ensemble pad, wide (odd voices left, even right), drifting a few cents."""

    def render(note, t, sr, gate):
        loop = ensemble_loop(kind, int(round(float(note["pitch"]))), sr, voices, cents, 5.0, 0.0)
        env = env_fast(t, gate, att, 4.0, 0.8, rel, smooth=True)
        env *= F32(_vol(note) * 1.3)
        return play(loop, t, sr, loop=True) * env

    return Voice(render, tail=rel * 5.0, **kw)


def soft_lead_voice(kind: str = "glass", *, att: float = 0.06, rel: float = 0.3, **kw) -> Voice:
    """A breathy, rounded lead (flute/ocarina-like) with delayed vibrato."""

    def render(note, t, sr, gate):
        m = float(note["pitch"])
        tab = shaped_table(kind, int(round(m)), sr)
        f = midi_to_hz(m)
        ph = phase(
            f,
            t,
            vib=max(float(note["vib"]), 12.0),
            vib_delay=0.25,
            slide=float(note["slide"]),
            slide_t=0.05,
        )
        fr = ph - np.floor(ph)
        y = F32(0.6) * osc(tab, ph) + F32(0.4) * np.sin((TWO_PI * fr).astype(F32))
        return y * (env_fast(t, gate, att, 1.2, 0.7, rel, smooth=True) * F32(_vol(note)))

    return Voice(render, tail=rel * 6.0, **kw)


@lru_cache(maxsize=256)
def bass_table(midi: int, drive: float, sr: int) -> np.ndarray:
    """One band-limited cycle of the bass: a sine with a little low-passed saw, driven."""
    x = np.arange(TABLE) / TABLE
    saw = table(tuple(float(v) for v in 0.25 / np.arange(1, 12) * _BASS_LP[:11]))[:-1]
    y = np.sin(TWO_PI * x) + saw
    if drive != 1.0:
        y = np.tanh(drive * y) / np.tanh(drive)
    spec = np.fft.rfft(y)
    spec[n_partials(midi_to_hz(midi) * 1.03, sr) + 1 :] = 0.0  # keep it band-limited
    y = np.fft.irfft(spec, TABLE)
    return np.concatenate([y, y[:1]]).astype(F32)


_BASS_LP = 1.0 / np.sqrt(1.0 + (np.arange(1, 40) * 80.0 / 900.0) ** 4)


def sub_bass_voice(*, att: float = 0.008, rel: float = 0.12, drive: float = 1.0, **kw) -> Voice:
    def render(note, t, sr, gate):
        m = float(note["pitch"])
        slide = float(note["slide"]) * 0.3
        ph = phase(midi_to_hz(m), t, slide=slide, slide_t=0.03) if slide else midi_to_hz(m) * t
        y = osc(bass_table(int(round(m)), drive, sr), ph, inplace=True)
        return y * (env_fast(t, gate, att, 0.8, 0.6, rel, every=8) * F32(_vol(note)))

    return Voice(render, tail=rel * 6.0, cache=True, **kw)


# -- lo-fi ------------------------------------------------------------------------------------
WOW_HZ, WOW_CENTS = 0.55, 9.0
FLUTTER_HZ, FLUTTER_CENTS = 7.3, 2.5
CRACKLE_DBFS = -40.0
_BLOCK = 16384  # vinyl noise is drawn per block of the timeline


def _tape(x: np.ndarray, i0: int, sr: int) -> np.ndarray:
    """Wow and flutter: read the mix through a delay that breathes with absolute time (the
    delay is slow: computed every 32 samples, interpolated between)."""
    n = x.shape[1]
    every = 32
    tc = (i0 + np.arange(0, n + every, every)) / sr
    k = 1200.0 / np.log(2.0)
    a_w = WOW_CENTS / k / (TWO_PI * WOW_HZ)
    a_f = FLUTTER_CENTS / k / (TWO_PI * FLUTTER_HZ)
    dc = 0.004 + a_w * np.sin(TWO_PI * WOW_HZ * tc) + a_f * np.sin(TWO_PI * FLUTTER_HZ * tc + 1.3)
    m = len(tc) - 1
    lag = (dc[:-1, None] + np.diff(dc)[:, None] * (np.arange(every) / every)[None, :])
    pos = np.arange(m * every, dtype=np.float64).reshape(m, every)
    pos -= lag * sr
    pos = np.clip(pos.ravel()[:n], 0.0, n - 1.0)
    j = pos.astype(np.int64)
    fr = (pos - j).astype(F32)
    j1 = np.minimum(j + 1, n - 1)
    out = np.empty(x.shape, F32)
    for c in range(2):
        lo = np.take(x[c], j)
        out[c] = lo + fr * (np.take(x[c], j1) - lo)
    return out


def _vinyl(i0: int, n: int, sr: int) -> np.ndarray:
    """Crackle and hiss for low-rate samples [i0, i0 + n): a fixed draw per timeline block."""
    b0, b1 = i0 // _BLOCK, (i0 + n - 1) // _BLOCK + 1
    parts = []
    for b in range(b0, b1):
        r = np.random.default_rng((0x5EED, b & 0xFFFF_FFFF_FFFF))
        blk = r.standard_normal(_BLOCK, dtype=F32)
        blk *= F32(0.18)  # hiss
        k = r.poisson(14.0 * _BLOCK / sr)  # ~14 pops a second
        pos = r.integers(0, _BLOCK, size=k)
        blk[pos] += r.choice([-1.0, 1.0], size=k) * r.uniform(1.0, 6.0, size=k)
        parts.append(blk)
    y = np.concatenate(parts)[i0 - b0 * _BLOCK : i0 - b0 * _BLOCK + n]
    y = signal.sosfilt(sos("bandpass", (500.0, 5000.0), sr), y)
    return (y * db_to_gain(CRACKLE_DBFS)).astype(F32)


def _lofi_low(x: np.ndarray, i0: int, sr: int) -> np.ndarray:
    x = _tape(x, i0, sr)
    x = signal.sosfilt(_lofi_sos(sr), x, axis=-1)
    x += _vinyl(i0, x.shape[1], sr)[None, :]
    return x


_SOS: dict[tuple[str, int], np.ndarray] = {}


def _lofi_sos(sr: int) -> np.ndarray:
    s = _SOS.get(("lofi", sr))
    if s is None:
        s = _SOS[("lofi", sr)] = chain(
            sos("lowpass", 6500.0, sr, 2),  # the dusty top
            sos("highpass", 30.0, sr, 1),
            peak(250.0, -2.0, 0.8, sr),
            peak(110.0, 2.0, 0.9, sr),  # warmth
        )
    return s


def _lofi_bus(x: np.ndarray, sr: int) -> np.ndarray:
    return compress(x, sr, thresh_db=-18.0, ratio=2.5, release=0.2)


def lofi_synth(sample_rate: int, bpm: float) -> BandSynth:
    from ..channels import CH_KEYS

    voices: dict[int | str, Voice] = {
        **{
            ch: epiano_voice(pan=p, gain=0.5, send=0.25, duck=0.35)
            for ch, p in zip(CH_KEYS, (-0.25, -0.08, 0.08, 0.25), strict=True)
        },
        "lead": epiano_voice(bark=0.6, gain=0.55, send=0.3, pan=0.1),
        "final": pad_voice(att=0.4, gain=0.35, send=0.3),  # holds the last chord to the end
        "bass": sub_bass_voice(gain=0.85, rel=0.08, drive=1.6),
        "kick": kit_voice("lofi", "kick", gain=0.9),
        "snare": kit_voice("lofi", "snare", gain=0.5, send=0.25, pan=0.05),
        "hat": kit_voice("lofi", "hat", gain=0.2, pan=0.2),
        "crash": kit_voice("lofi", "crash", gain=0.16, send=0.2),
        "tom": kit_voice("lofi", "tom", gain=0.5),
    }
    return BandSynth(
        sample_rate,
        voices,
        gain=0.6,
        reverb=(1.2, 1.1, 3000.0, 0.015),
        bus=_lofi_bus,
        bus_low=True,
        low_bus=_lofi_low,
    )


# -- ambient ----------------------------------------------------------------------------------
def _ambient_bus(x: np.ndarray, sr: int) -> np.ndarray:
    s = _SOS.get(("ambient", sr))
    if s is None:
        s = _SOS[("ambient", sr)] = chain(
            sos("highpass", 35.0, sr, 2), peak(350.0, -2.5, 0.8, sr), shelf(6000.0, -2.0, sr, True)
        )
    x = signal.sosfilt(s, x, axis=-1)
    return compress(x, sr, thresh_db=-12.0, ratio=1.8, release=0.5)


def ambient_synth(sample_rate: int, bpm: float) -> BandSynth:
    from ..channels import CH_DRONE, CH_ECHO, CH_PADS

    voices: dict[int | str, Voice] = {
        **{
            ch: pad_voice(pan=p, gain=0.45, send=0.6)
            for ch, p in zip(CH_PADS, (-0.4, -0.15, 0.15, 0.4), strict=True)
        },
        CH_DRONE: pad_voice(
            "strings_low", att=3.0, rel=3.0, voices=3, cents=5.0, gain=0.5, send=0.4
        ),
        CH_ECHO: bell_voice(pan=-0.6, gain=0.4, send=0.8),
        CH_ECHO + 1: bell_voice(pan=0.6, gain=0.4, send=0.8),
        "arp": bell_voice(pan=0.1, gain=0.45, send=0.6),
        "lead": soft_lead_voice(att=0.25, rel=0.8, gain=0.45, send=0.6),
        "final": pad_voice(att=1.0, gain=0.45, send=0.6),
        "bass": sub_bass_voice(att=0.6, rel=1.2, gain=0.7, send=0.1),
        "kick": kit_voice("orchestral", "boom", gain=0.45, send=0.4),
        "hat": kit_voice("ambient", "shaker", gain=0.12, send=0.5, high=True),
        "snare": kit_voice("lofi", "snare", gain=0.2, send=0.5),
        "crash": kit_voice("ambient", "crash", gain=0.05, send=0.6, high=True),
        "tom": kit_voice("lofi", "tom", gain=0.3, send=0.5),
    }
    return BandSynth(
        sample_rate,
        voices,
        gain=0.7,
        reverb=(3.6, 3.2, 2500.0, 0.04),
        bus=_ambient_bus,
        bus_low=True,
    )


# -- recorded lo-fi ----------------------------------------------------------------------------
RHODES, PIANO, UPRIGHT, VIBES, LOFI_KIT = (0, 4), (0, 0), (0, 32), (0, 11), (128, 0)
WARM_PAD = (0, 89)
LOFI_PRESETS = (RHODES, PIANO, UPRIGHT, VIBES, WARM_PAD, LOFI_KIT)


def sampled_lofi_synth(sample_rate: int, bpm: float, cache) -> BandSynth:
    """Lo-fi from recordings: a Rhodes comping the 7th/9th chords, a soft piano melody, an
    upright bass, a kit played lightly; then the tape (wow and flutter), the dusty top and the
    vinyl over everything, as a sampled record would be."""
    from ..channels import CH_KEYS
    from .sampled import TOMS, concert_hall, drum_voice, sampled_voice

    kit = LOFI_KIT
    voices: dict[int | str, Voice] = {
        **{
            ch: sampled_voice(cache, RHODES, tail=0.8, pan=p, gain=0.42, send=0.18, duck=0.3,
                              vel_floor=30)
            for ch, p in zip(CH_KEYS, (-0.3, -0.1, 0.1, 0.3), strict=True)
        },
        "lead": sampled_voice(cache, PIANO, tail=1.0, pan=0.12, gain=0.38, send=0.2,
                              vel_floor=20),
        "counter": sampled_voice(cache, VIBES, tail=1.2, pan=-0.25, gain=0.22, send=0.25),
        # (an e-piano dies away within the bar: a warm pad under it holds the last chord)
        "final": sampled_voice(cache, RHODES, layers=((WARM_PAD, 0, 0.45),), tail=3.0,
                               gain=0.4, send=0.25),
        "bass": sampled_voice(cache, UPRIGHT, tail=0.35, gain=0.85, min_hold=0.1),
        "kick": drum_voice(cache, kit, (36, 35), gain=0.75),
        "snare": drum_voice(cache, kit, (38, 37), gain=0.42, send=0.15, pan=0.05),
        "hat": drum_voice(cache, kit, (42, 44), open_key=46, gain=0.16, pan=0.2),
        "crash": drum_voice(cache, kit, (51, 59), tail=2.0, gain=0.14, send=0.15),
        "tom": drum_voice(cache, kit, (45,), by_pitch=TOMS, gain=0.4),
    }
    return BandSynth(
        sample_rate,
        voices,
        gain=0.75,
        reverb=(1.0, 1.4, 3000.0, 0.015),
        hall=concert_hall(room=0.4, damping=0.7, predelay=0.015, high_cut=4500.0),
        low_rate=float(cache.sr),  # the notes' rate
        bus=_lofi_bus,
        bus_low=True,
        low_bus=_lofi_low,
    )
