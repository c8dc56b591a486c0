"""The engine under the band styles (orchestral, lo-fi, ambient, rock): voices, buses, a hall.

A :class:`BandSynth` routes every note to a :class:`Voice` (by channel first, then by role),
renders each voice's notes as closed-form functions of the time since note-on, and mixes:

- Tonal voices whose sound lives below ~7 kHz (strings, choir, e-piano, pads) render at a low
  rate (``sr / div``, about 16 kHz): a third of the work, and nothing to alias above it.
  Bright voices (cymbals, hats, guitars) render at the full rate.
- The reverb is a convolution with a synthetic stereo hall, run at the low rate on a send
  rendered over the whole pre-roll; so the pre-roll (the hall's tail) costs a third too.
- Bus effects (EQ, compression) run at the full rate over a short warm-up before the chunk.

Low-rate samples sit on a global grid (low sample ``i`` is full-rate sample ``i * div``), so a
chunk's audio depends only on its position: block rendering stays exact.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import fft as sfft
from scipy import signal

from ..notes import ROLES

TABLE = 2048
F32 = np.float32
LN2 = float(np.log(2.0))


def hz(midi: float | np.ndarray) -> float | np.ndarray:
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69.0) / 12.0)


# -- wavetables --------------------------------------------------------------------------------
@lru_cache(maxsize=1024)
def table(amps: tuple[float, ...]) -> np.ndarray:
    """One cycle (plus a wrap sample) of sine partials 1..n with amplitudes ``amps``."""
    spec = np.zeros(TABLE // 2 + 1, dtype=np.complex128)
    spec[1 : len(amps) + 1] = -1j * np.asarray(amps) * (TABLE / 2)
    wave = np.fft.irfft(spec, TABLE)
    return np.concatenate([wave, wave[:1]]).astype(F32)


def n_partials(f_max: float, sr: float, cap: int = 96) -> int:
    return int(max(1, min(cap, 0.45 * sr / max(f_max, 1.0))))


@lru_cache(maxsize=2048)
def shaped_table(kind: str, midi: int, sr: int) -> np.ndarray:
    """A band-limited table for one pitch: saw partials shaped by a spectral envelope."""
    f0 = float(hz(midi))
    n = n_partials(f0 * 1.06, sr)
    k = np.arange(1, n + 1, dtype=np.float64)
    f = k * f0
    amps = 1.0 / k
    amps = amps * SPECTRA[kind](f)
    return table(tuple(float(x) for x in amps))


def _lp(f: np.ndarray, fc: float, order: int = 2) -> np.ndarray:
    return 1.0 / np.sqrt(1.0 + (f / fc) ** (2 * order))


def _hp(f: np.ndarray, fc: float, order: int = 1) -> np.ndarray:
    x = (f / fc) ** (2 * order)
    return np.sqrt(x / (1.0 + x))


def _formant(
    f: np.ndarray, centres: tuple[float, ...], widths: tuple[float, ...], gains
) -> np.ndarray:
    out = np.full_like(f, 0.06)
    for c, w, g in zip(centres, widths, gains, strict=True):
        out += g / (1.0 + ((f - c) / w) ** 2)
    return out


SPECTRA: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "saw": lambda f: np.ones_like(f),
    # Bowed strings: dark above 4 kHz, a body resonance near 300 Hz, a bridge hill near 2.5 kHz.
    "strings": lambda f: (
        _lp(f, 4000.0, 2) * _hp(f, 120.0) * (1.0 + 0.5 / (1.0 + ((f - 2500.0) / 900.0) ** 2))
    ),
    "strings_low": lambda f: _lp(f, 2200.0, 2) * (1.0 + 0.6 / (1.0 + ((f - 250.0) / 150.0) ** 2)),
    # Brass: one dark and one bright table, mixed by the envelope (a filter that follows it).
    "brass_dark": lambda f: _lp(f, 700.0, 2),
    "brass_bright": lambda f: _lp(f, 3200.0, 2) * (1.0 + 0.7 / (1.0 + ((f - 1200.0) / 500.0) ** 2)),
    # Choir "ah": formants at 700 / 1220 / 2600 Hz on a saw ensemble.
    "choir": lambda f: (
        _formant(f, (700.0, 1220.0, 2600.0), (110.0, 130.0, 180.0), (1.0, 0.5, 0.25))
        * _lp(f, 3500.0, 2)
    ),
    "pad": lambda f: _lp(f, 1800.0, 2),
    "glass": lambda f: _lp(f, 2500.0, 1) * (1.0 + 0.8 / (1.0 + ((f - 1800.0) / 400.0) ** 2)),
    "bass": lambda f: _lp(f, 900.0, 2),
    "lead": lambda f: _lp(f, 5000.0, 1),
    "harp": lambda f: _lp(f, 2500.0, 2),
}


def osc(tab: np.ndarray, ph: np.ndarray, *, inplace: bool = False) -> np.ndarray:
    """Read a table at phases ``ph`` (cycles, >= 0), linear interpolation (``inplace``: ``ph``
    is scratch, used up to spare two copies)."""
    if inplace:
        p = ph
        p *= TABLE
    else:
        p = ph * TABLE
    i = p.astype(np.int64)
    if inplace:
        p -= i
        fr = p.astype(F32)
    else:
        fr = (p - i).astype(F32)
    i &= TABLE - 1  # the table is a power of two long: wrap by masking
    lo = np.take(tab, i)
    hi = np.take(tab[1:], i)
    hi -= lo
    hi *= fr
    hi += lo
    return hi


def osc2(
    tab_a: np.ndarray, tab_b: np.ndarray, ph: np.ndarray, *, inplace: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`osc` of two tables at the same phases (the index work done once)."""
    if inplace:
        p = ph
        p *= TABLE
    else:
        p = ph * TABLE
    i = p.astype(np.int64)
    if inplace:
        p -= i
        fr = p.astype(F32)
    else:
        fr = (p - i).astype(F32)
    i &= TABLE - 1
    out = []
    for tab in (tab_a, tab_b):
        lo = np.take(tab, i)
        hi = np.take(tab[1:], i)
        hi -= lo
        hi *= fr
        hi += lo
        out.append(hi)
    return out[0], out[1]


def _lerp_add(dst: np.ndarray, coarse: np.ndarray, every: int) -> None:
    """``dst += coarse`` linearly interpolated, ``coarse`` sampled every ``every`` samples
    of ``dst`` (so ``len(coarse) == ceil(len(dst) / every)``)."""
    n = len(dst)
    m = (n - 1) // every  # whole segments between coarse points
    dst[0] += coarse[0]
    if m > 0:  # segment by segment: start + slope x (1 .. every), one outer product
        slope = np.diff(coarse[: m + 1]) * (1.0 / every)
        seg = dst[1 : m * every + 1].reshape(m, every)
        seg += np.multiply.outer(slope, np.arange(1, every + 1, dtype=dst.dtype)) + coarse[
            :m, None
        ]
    dst[m * every + 1 :] += coarse[m]


def phase(
    f: float,
    t: np.ndarray,
    *,
    vib: float = 0.0,
    vib_rate: float = 5.2,
    vib_delay: float = 0.3,
    slide: float = 0.0,
    slide_t: float = 0.05,
) -> np.ndarray:
    """Cycles since note-on with an exponential slide (semitones) and delayed vibrato (cents),
    both integrated in closed form."""
    ph = t * f
    if slide:
        T = max(slide_t, 1e-4)
        c = slide / 12.0 * LN2
        tt = np.minimum(t, T)
        ph += f * (np.exp(c) * T / c * (1.0 - np.exp(-c * tt / T)) - tt)
    if vib:
        w = 2.0 * np.pi * vib_rate
        depth = f * vib * LN2 / 1200.0 / w
        if len(t) > 64:  # slow: evaluate every 16 samples, interpolate between
            tc = t[::16]
            off = depth * (1.0 - np.cos(w * np.maximum(tc - vib_delay, 0.0)))
            _lerp_add(ph, off, 16)
        else:
            ph += depth * (1.0 - np.cos(w * np.maximum(t - vib_delay, 0.0)))
    return ph


def adsr(
    t: np.ndarray, gate: float, att: float, dec: float, sus: float, rel: float, *, smooth=False
) -> np.ndarray:
    """Attack (linear, or raised-cosine when ``smooth``), exponential decay towards ``sus``,
    exponential release from wherever the envelope was at ``gate``. ``t`` rises (note
    times), so the stages are consecutive runs, each computed on its own; float32 (an
    envelope needs no more, and its exponentials run several times faster)."""
    t = np.asarray(t, dtype=F32)
    env = np.empty(len(t), F32)
    kg = int(np.searchsorted(t, gate, side="right"))  # t[:kg] <= gate
    ka = int(np.searchsorted(t[:kg], att, side="left")) if att > 0 else 0  # t[:ka] < att

    def attack(x):
        a = np.clip(x / att, 0.0, 1.0)
        return 0.5 - 0.5 * np.cos(np.pi * a) if smooth else a

    def decay(x):
        if dec <= 0:
            return np.ones_like(x)
        return sus + (1.0 - sus) * np.exp((att - x) / dec)

    if ka:
        env[:ka] = attack(t[:ka])
    if kg > ka:
        env[ka:kg] = decay(t[ka:kg])
    if kg < len(t):
        a = min(max(gate / att, 0.0), 1.0) if att > 0 else 1.0
        if smooth:
            a = 0.5 - 0.5 * np.cos(np.pi * a)
        d = sus + (1.0 - sus) * np.exp(-max(gate - att, 0.0) / dec) if dec > 0 else 1.0
        env[kg:] = F32(a * d) * np.exp((gate - t[kg:]) / F32(rel))
    return env


def env_fast(
    t: np.ndarray,
    gate: float,
    att: float,
    dec: float,
    sus: float,
    rel: float,
    *,
    smooth: bool = False,
    every: int = 32,
) -> np.ndarray:
    """:func:`adsr` evaluated every ``every`` samples and held in between (envelopes are slow;
    ``every`` samples at 16 kHz is 2 ms)."""
    if len(t) <= 4 * every:
        return adsr(t, gate, att, dec, sus, rel, smooth=smooth)
    coarse = adsr(t[::every], gate, att, dec, sus, rel, smooth=smooth)
    return np.repeat(coarse, every)[: len(t)]


LOOP_S, LOOP_FROM, XFADE = 2.6, 0.9, 0.35


def make_loop(wave: np.ndarray, sr: int) -> np.ndarray:
    """Make ``wave[..., LOOP_FROM * sr:]`` loop seamlessly: its end is cross-faded (equal
    power) into the samples just before the loop point."""
    ls, xf = int(LOOP_FROM * sr), int(XFADE * sr)
    w = wave.copy()
    fade = np.sqrt(np.linspace(0.0, 1.0, xf))
    w[..., -xf:] = wave[..., -xf:] * fade[::-1] + wave[..., ls - xf : ls] * fade
    return w


def loop_index(idx: np.ndarray, n: int, sr: int) -> np.ndarray:
    ls = int(LOOP_FROM * sr)
    over = idx >= n
    if over.any():
        idx = idx.copy()
        idx[over] = ls + (idx[over] - ls) % (n - ls)
    return idx


def nearest(x: float) -> int:
    """The nearest sample index; half-way (an onset between samples at 24 kHz) rounds up
    whatever the float noise, so every path to the same note agrees."""
    return int(np.floor(x + 0.5 + 1e-6))


def play(buf: np.ndarray, t: np.ndarray, sr: int, *, loop: bool = False) -> np.ndarray:
    """``buf`` (a cached one-shot or loop, last axis time) read at note times ``t`` (evenly
    spaced samples from note-on): a view when it can be; past the end, silence or the loop."""
    n, size = len(t), buf.shape[-1]
    k0 = nearest(float(t[0]) * sr) if n else 0
    if k0 + n <= size:
        return buf[..., k0 : k0 + n]
    if not loop:
        out = np.zeros(buf.shape[:-1] + (n,), F32)
        m = max(0, size - k0)
        if m:
            out[..., :m] = buf[..., k0:size]
        return out
    ls = int(LOOP_FROM * sr)
    parts, k, left = [], k0, n
    while left > 0:
        if k >= size:
            k = ls + (k - ls) % (size - ls)
        take = min(left, size - k)
        parts.append(buf[..., k : k + take])
        k += take
        left -= take
    return np.concatenate(parts, axis=-1)


def decay(t: np.ndarray, tau: float) -> np.ndarray:
    return np.exp(-t / tau)


# -- filters -----------------------------------------------------------------------------------
@lru_cache(maxsize=256)
def sos(kind: str, f: float | tuple[float, float], sr: int, order: int = 2) -> np.ndarray:
    f = tuple(min(x, 0.45 * sr) for x in f) if isinstance(f, tuple) else min(f, 0.45 * sr)
    return signal.butter(order, f, kind, fs=sr, output="sos")


@lru_cache(maxsize=256)
def peak(f: float, gain_db: float, q: float, sr: int) -> np.ndarray:
    """RBJ peaking EQ as one second-order section."""
    A = 10.0 ** (gain_db / 40.0)
    w = 2.0 * np.pi * min(f, 0.45 * sr) / sr
    al = np.sin(w) / (2.0 * q)
    b = np.array([1 + al * A, -2 * np.cos(w), 1 - al * A])
    a = np.array([1 + al / A, -2 * np.cos(w), 1 - al / A])
    return np.concatenate([b / a[0], a / a[0]])[None, :]


@lru_cache(maxsize=256)
def shelf(f: float, gain_db: float, sr: int, high: bool = True) -> np.ndarray:
    """RBJ shelf (slope 1) as one second-order section."""
    A = 10.0 ** (gain_db / 40.0)
    w = 2.0 * np.pi * min(f, 0.45 * sr) / sr
    al = np.sin(w) / 2.0 * np.sqrt(2.0)
    c, s2 = np.cos(w), 2.0 * np.sqrt(A) * al
    sg = 1.0 if high else -1.0
    b = A * np.array(
        [
            (A + 1) + sg * (A - 1) * c + s2,
            -2 * sg * ((A - 1) + sg * (A + 1) * c),
            (A + 1) + sg * (A - 1) * c - s2,
        ]
    )
    a = np.array(
        [
            (A + 1) - sg * (A - 1) * c + s2,
            2 * sg * ((A - 1) - sg * (A + 1) * c),
            (A + 1) - sg * (A - 1) * c - s2,
        ]
    )
    return np.concatenate([b / a[0], a / a[0]])[None, :]


def chain(*parts: np.ndarray) -> np.ndarray:
    return np.concatenate(parts, axis=0)


# -- space and dynamics ------------------------------------------------------------------------
@lru_cache(maxsize=16)
def hall_ir(sr: int, rt60: float, length: float, damp_hz: float, predelay: float) -> np.ndarray:
    """A stereo hall: decorrelated noise decaying with ``rt60`` (highs twice as fast), a few
    early reflections, normalised to unit energy per side. (2, n)."""
    r = np.random.default_rng(0x4A11)
    n = int(length * sr)
    t = np.arange(n) / sr
    noise = r.standard_normal((2, n))
    lo = signal.sosfilt(sos("lowpass", damp_hz, sr, 2), noise, axis=-1)
    hi = noise - lo
    ir = lo * np.exp(-6.91 * t / rt60) + 0.5 * hi * np.exp(-6.91 * t / (0.45 * rt60))
    ir *= np.minimum(t / 0.04, 1.0) ** 2  # diffuse build-up
    for k, (d, g) in enumerate(((0.011, 0.5), (0.019, 0.35), (0.027, 0.3), (0.041, 0.2))):
        i = int(d * sr)
        if i < n:
            ir[k % 2, i] += g * 6.0
            ir[(k + 1) % 2, int(i * 1.13)] += g * 4.0
    ir /= np.sqrt((ir**2).sum(axis=1, keepdims=True))
    pre = int(predelay * sr)
    return np.concatenate([np.zeros((2, pre)), ir], axis=1)


def compress(
    x: np.ndarray,
    sr: int,
    *,
    thresh_db: float,
    ratio: float,
    release: float = 0.15,
    block: int = 256,
) -> np.ndarray:
    """Feed-forward bus compressor on block RMS (stereo-linked), gain held per block (the
    smoothed gain moves little within one). Stateless apart from the smoothing, which the
    caller's warm-up covers. Works in place when ``x`` is float32."""
    x = np.asarray(x, dtype=F32)
    n = x.shape[1]
    nb = -(-n // block)
    pw = np.zeros(nb * block, F32)
    np.square(x[0], out=pw[:n])
    pw[:n] += x[1] * x[1]
    rms = np.sqrt(pw.reshape(nb, block).mean(axis=1, dtype=np.float64) / 2.0 + 1e-12)
    level = 20.0 * np.log10(rms)
    gr = np.minimum(0.0, (thresh_db - level) * (1.0 - 1.0 / ratio))
    # Fast attack (one block), smooth release: a one-pole on the gain reduction's recovery.
    a = np.exp(-block / (release * sr))
    sm = signal.lfilter([1.0 - a], [1.0, -a], gr)
    sm = np.minimum(sm, gr)
    g = (10.0 ** (sm / 20.0)).astype(F32)
    x *= np.repeat(g, block)[:n]
    return x


# -- voices ------------------------------------------------------------------------------------
NoteFn = Callable[[np.void, np.ndarray, int, float], np.ndarray]
PostFn = Callable[[np.ndarray, int, int], np.ndarray]
ShotFn = Callable[[np.void, int, float], tuple[np.ndarray, float]]


@dataclass(frozen=True)
class Voice:
    """How one part sounds.

    ``render(note, t, sr, gate)`` gives mono (n,) or stereo (2, n) samples for ``t`` seconds
    since note-on, envelope included (``gate``: the note's length in seconds; it may stop
    early, where a short release has died away: the rest is silence); ``tail`` seconds
    ring past the note's end (one-shots with ``oneshot`` ignore the note's length);
    ``post(buf, i0, sr)`` processes the voice's summed mono bus (distortion, cabinet) and may
    return stereo."""

    render: NoteFn
    tail: float = 0.3
    pan: float = 0.0
    gain: float = 1.0
    send: float = 0.0
    high: bool = False  # render the dry signal at the full rate
    oneshot: bool = False
    post: PostFn | None = None
    duck: float = 0.0  # sidechain depth from the kick (0..1)
    # A voice may also give its cached sound and level, ``shot(note, sr, gate) -> (buf,
    # scale)``, so the mix adds slices of it without a copy (``render`` must sound the same).
    shot: ShotFn | None = None
    # Render a note whole the first time it is heard and reuse it when the same note comes
    # again (riffs, ostinati and bass lines repeat their notes)
    cache: bool = False


@lru_cache(maxsize=8)
def _up_window(d: int) -> np.ndarray:
    """A short interpolation filter: the low-rate mix holds nothing near its Nyquist."""
    h = signal.firwin(24 * d + 1, 0.85 / d, window=("kaiser", 8.0))  # resample_poly: x d
    return h.astype(F32)


@lru_cache(maxsize=8)
def _up_phases(d: int) -> tuple[tuple[np.ndarray, int], ...]:
    """Per output phase ``p``: the taps of :func:`_up_window` (gain ``d``) that phase uses,
    and the offset of its first output in their full convolution with the low-rate signal."""
    h = _up_window(d) * F32(d)
    half = (len(h) - 1) // 2
    out = []
    for p in range(d):
        k0 = (p + half) % d
        out.append((np.ascontiguousarray(h[k0::d]), (p + half - k0) // d))
    return tuple(out)


_UP_FFT = 4096  # the upsampler's block transform


@lru_cache(maxsize=8)
def _up_spectra(d: int) -> tuple[tuple[np.ndarray, int], ...]:
    """Per output phase: its taps' spectrum at the block size, and its output offset."""
    return tuple((sfft.rfft(taps, _UP_FFT), s) for taps, s in _up_phases(d))


def upsample(x: np.ndarray, d: int) -> np.ndarray:
    """``x`` (c, n) at ``d`` (>= 2) times the rate: ``resample_poly(x, d, 1, window=_up_window(d))``
    computed as ``d`` short convolutions, one per output phase, by overlap-save: each block
    of ``x`` is transformed once for all phases (about half the cost of the direct
    polyphase loop)."""
    c, n = x.shape
    taps = max(len(t) for t, _ in _up_phases(d))
    hop = _UP_FFT - taps + 1
    nb = -(-(n + taps - 1) // hop)  # blocks covering the whole convolution
    pad = np.zeros((c, (nb - 1) * hop + _UP_FFT), dtype=F32)
    pad[:, taps - 1 : taps - 1 + n] = x
    spec = sfft.rfft(sliding_window_view(pad, _UP_FFT, axis=-1)[:, ::hop][:, :nb], axis=-1)
    # phase p's convolution sample q lands on output q - s_p: each phase's blocks are
    # written straight into their strided place in one buffer, which holds the output
    # (contiguous per side) from ``lead`` on
    lead = max(s for _, s in _up_spectra(d))
    buf = np.empty((c, lead + nb * hop, d), dtype=F32)
    for p, (h, s) in enumerate(_up_spectra(d)):
        # a block's outputs from its ``taps - 1``-th on are free of the circular wrap
        y = sfft.irfft(spec * h, _UP_FFT, axis=-1)[..., taps - 1 :]
        buf[:, lead - s : lead - s + nb * hop, p].reshape(c, nb, hop)[...] = y
    return buf[:, lead : lead + n].reshape(c, n * d)


_RAMPS: dict[float, np.ndarray] = {}


def _times(n: int, sr: float) -> np.ndarray:
    """``arange(n) / sr`` (read-only), from a cached ramp when it is short enough."""
    if n > 1 << 20:
        return np.arange(n) / sr
    r = _RAMPS.get(sr)
    if r is None or len(r) < n:
        r = _RAMPS[sr] = np.arange(max(n, 1 << 17)) / sr
        r.flags.writeable = False
    return r[:n]


def _gains(stereo: bool, p: float) -> tuple[float, float]:
    """Left/right gains: constant-power pan for mono, balance for stereo."""
    if stereo:
        return (min(1.0, 1.0 - p), min(1.0, 1.0 + p)) if p else (1.0, 1.0)
    th = (p + 1.0) * np.pi / 4.0
    return float(np.cos(th) * np.sqrt(2.0)), float(np.sin(th) * np.sqrt(2.0))


def _add(dst: np.ndarray, j0: int, y: np.ndarray, gl: float, gr: float) -> None:
    """``dst[:, j0 : j0 + n] += y`` panned (mono ``y``) or balanced (stereo ``y``)."""
    j1 = j0 + y.shape[-1]
    for c, g in ((0, gl), (1, gr)):
        if not g:
            continue
        src = y[c] if y.ndim == 2 else y
        if g == 1.0:
            dst[c, j0:j1] += src
        else:
            dst[c, j0:j1] += src * F32(g)


def _add_send(send: np.ndarray, j0: int, y: np.ndarray, g: float) -> None:
    j1 = j0 + y.shape[-1]
    if y.ndim == 2:
        send[j0:j1] += (y[0] + y[1]) * F32(0.5 * g)
    else:
        send[j0:j1] += y * F32(g)


_WHOLE_BYTES = 64 << 20  # whole notes kept for reuse


class BandSynth:
    """Mixes voices at two rates with a convolution hall; see the module docstring."""

    def __init__(
        self,
        sample_rate: int,
        voices: dict[int | str, Voice],
        *,
        gain: float,
        reverb: tuple[float, float, float, float] = (2.4, 2.2, 3500.0, 0.02),
        low_rate: float = 16000.0,
        bus: Callable[[np.ndarray, int], np.ndarray] | None = None,
        low_bus: Callable[[np.ndarray, int, int], np.ndarray] | None = None,
        duck_tau: float = 0.18,
        warm: float = 0.25,
        bus_low: bool = False,
        hall: Callable[[np.ndarray, int], np.ndarray] | None = None,
    ) -> None:
        self.sr = int(sample_rate)
        self.div = max(1, int(round(self.sr / low_rate)))
        self.lsr = self.sr // self.div if self.sr % self.div == 0 else self.sr / self.div
        self.voices = voices
        self.gain = gain
        self.rt60, ir_len, self.damp, self.predelay = reverb
        self.ir = hall_ir(int(round(self.lsr)), self.rt60, ir_len, self.damp, self.predelay)
        self._irf: dict[int, np.ndarray] = {}  # the hall's spectrum per FFT size
        # An algorithmic room instead of the convolution (mono send -> stereo wet, (2, n));
        # ``reverb``'s length still sets the pre-roll its tail needs.
        self.hall = hall
        self.bus = bus
        self.bus_low = bus_low  # run ``bus`` on the low-rate mix (full-rate voices bypass it)
        self.low_bus = low_bus
        self.duck_tau = duck_tau
        self.warm = int(warm * self.sr)
        self.preroll = int(ir_len * self.sr) + self.warm + 64 * self.div
        self.chunk = 1 << 20  # long chunks keep the hall's pre-roll cheap
        self._whole: OrderedDict[tuple, np.ndarray] = OrderedDict()  # notes rendered whole
        self._whole_bytes = 0
        self.lookahead = 64 * self.div  # the resampler peeks a little past the chunk
        self.lookback = int(max((v.tail for v in voices.values()), default=0.0) * self.sr) + 1

    # -- note routing ---------------------------------------------------------------------
    def _groups(self, notes: np.ndarray) -> list[tuple[Voice, np.ndarray]]:
        out = []
        by_ch = {k: v for k, v in self.voices.items() if isinstance(k, int)}
        by_role = {ROLES.index(k): v for k, v in self.voices.items() if isinstance(k, str)}
        routed = np.zeros(len(notes), dtype=bool)
        for ch, v in by_ch.items():
            m = notes["ch"] == ch
            routed |= m
            if m.any():
                out.append((v, notes[m]))
        for role, v in by_role.items():
            m = (notes["role"] == role) & ~routed
            if m.any():
                out.append((v, notes[m]))
        return out

    def _notes(self, v: Voice, notes: np.ndarray, i0: int, i1: int, sr: float):
        """Voice ``v``'s notes on the grid of rate ``sr`` within samples [i0, i1): yields
        (first sample, samples, scale) per note, envelope and the piece's final fade
        included."""
        isr = 1.0 / sr
        for note in notes:
            t0 = int(note["start"]) / self.sr
            gate = int(note["dur"]) / self.sr
            fade = bool(note["fade"])
            end = t0 + (gate if fade else v.tail if v.oneshot else gate + v.tail)
            s0 = max(i0, int(np.ceil(t0 * sr)))
            s1 = min(i1, int(np.ceil(end * sr)))
            if s1 <= s0:
                continue
            if v.shot is not None and not fade:  # a slice of the cached one-shot
                buf, scale = v.shot(note, int(round(sr)), gate)
                k0 = nearest(s0 - t0 * sr)
                k1 = min(buf.shape[-1], k0 + s1 - s0)
                if k1 > k0:
                    yield s0, buf[..., k0:k1], scale
                continue
            if v.cache and not fade and s0 * isr - t0 < isr:  # from its start: cached whole
                yield s0, self._whole_note(v, note, s0 * isr - t0, gate, sr)[..., : s1 - s0], 1.0
                continue
            t = _times(s1 - s0, sr) + (s0 * isr - t0)
            y = v.render(note, t, int(round(sr)), gate)
            if fade:  # the piece's last notes stop at its end (render_chunk fades the mix)
                y = y * np.minimum((gate - t[: y.shape[-1]]) / 0.05, 1.0).astype(F32)
            yield s0, y, 1.0

    def _whole_note(self, v: Voice, note, lag: float, gate: float, sr: float) -> np.ndarray:
        """Voice ``v``'s ``note`` from its first sample on the grid of rate ``sr`` (``lag``
        seconds after the onset, a whole fraction of a sample) to the end of its tail,
        rendered once: the key is everything about the note but when it starts."""
        q = nearest(lag * sr * 12.0)  # the onset's place between samples, in 12ths
        key = (id(v), note.tobytes()[8:], q, sr)  # (bytes 0-8: the start)
        y = self._whole.get(key)
        if y is not None:
            self._whole.move_to_end(key)
            return y
        n = int(np.ceil((gate + v.tail) * sr)) + 1
        t = _times(n, sr) + q / (12.0 * sr)
        y = v.render(note, t, int(round(sr)), gate)
        y = np.array(y, dtype=F32)  # (its own copy: a render may return a view)
        y.flags.writeable = False
        self._whole[key] = y
        self._whole_bytes += y.nbytes
        while self._whole_bytes > _WHOLE_BYTES and len(self._whole) > 1:
            self._whole_bytes -= self._whole.popitem(last=False)[1].nbytes
        return y

    def _voice(
        self,
        v: Voice,
        notes: np.ndarray,
        i0: int,
        i1: int,
        sr: float,
        *,
        dst: np.ndarray | None,
        dbase: int,
        centre: np.ndarray | None = None,
        send: np.ndarray | None,
        sbase: int,
        duck: np.ndarray | None,
    ) -> None:
        """Render voice ``v`` over samples [i0, i1) of rate ``sr`` once and add it into
        ``dst`` (stereo, panned and scaled; indexed from sample ``dbase``, earlier samples
        dropped; mono sounds panned to the centre go to ``centre``, ``dst``'s mono twin)
        and ``send`` (mono, indexed from ``sbase``). ``duck`` starts at ``i0``."""
        sg = v.send * v.gain
        gains = {}

        def put(s0: int, y: np.ndarray, scale: float = 1.0) -> None:
            if v.duck and duck is not None:
                y = y * (1.0 - F32(v.duck) * duck[s0 - i0 : s0 - i0 + y.shape[-1]])
            if send is not None:
                _add_send(send, s0 - sbase, y, sg * scale)
            if dst is not None:
                j = s0 - dbase
                if j < 0:
                    y = y[..., -j:]
                    j = 0
                if not y.shape[-1]:
                    return
                if y.ndim == 1 and not v.pan and centre is not None:
                    centre[j : j + len(y)] += y * F32(v.gain * scale)
                    return
                g = gains.get(y.ndim)
                if g is None:
                    gl, gr = _gains(y.ndim == 2, v.pan)
                    g = gains[y.ndim] = (gl * v.gain, gr * v.gain)
                _add(dst, j, y, g[0] * scale, g[1] * scale)

        if v.post is None:  # straight into the mix, note by note
            for s0, y, scale in self._notes(v, notes, i0, i1, sr):
                put(s0, y, scale)
            return
        buf: np.ndarray | None = None  # a bus of its own: the post processing needs the sum
        spans: list[list[int]] = []  # where the bus sounds: runs of notes
        gap, ring = int(0.3 * sr), int(0.05 * sr)
        for s0, y, scale in self._notes(v, notes, i0, i1, sr):
            if scale != 1.0:
                y = y * F32(scale)
            if buf is None:
                buf = np.zeros((2, i1 - i0) if y.ndim == 2 else i1 - i0, F32)
            if y.ndim == 2 and buf.ndim == 1:
                buf = np.stack([buf, buf])
            j0, j1 = s0 - i0, s0 - i0 + y.shape[-1]
            if buf.ndim == 2 and y.ndim == 1:
                buf[:, j0:j1] += y
            else:
                buf[..., j0:j1] += y
            if spans and j0 <= spans[-1][1] + gap:
                spans[-1][1] = max(spans[-1][1], j1)
            else:
                spans.append([j0, j1])
        if buf is None:
            return
        # The post (amp, cabinet) runs only where the bus sounds, plus its filters' ring; it
        # leaves silence silent.
        for j0, j1 in spans:
            j1 = min(j1 + ring, buf.shape[-1])
            put(i0 + j0, v.post(buf[..., j0:j1], i0 + j0, int(round(sr))).astype(F32, copy=False))

    def _duck(self, notes: np.ndarray, i0: int, i1: int, sr: float) -> np.ndarray:
        kicks = notes[notes["role"] == ROLES.index("kick")]
        imp = np.zeros(i1 - i0)
        idx = np.ceil(kicks["start"] / self.sr * sr).astype(np.int64) - i0
        idx = idx[(idx >= 0) & (idx < len(imp))]
        np.add.at(imp, idx, 1.0)
        a = np.exp(-1.0 / (self.duck_tau * sr))
        env = signal.lfilter([1.0], [1.0, -a], imp)
        return np.minimum(env, 1.0).astype(F32)

    def _hall(self, send: np.ndarray, first: int) -> np.ndarray:
        """The wet hall for send samples [first, len(send)): one FFT convolution. Outputs
        before ``first`` are never used, so the transform may wrap onto them."""
        if self.hall is not None:
            return self.hall(send, int(round(self.lsr)))[:, first:]
        n, m = len(send), self.ir.shape[1]
        nfft = sfft.next_fast_len(n + max(0, m - 1 - first), real=True)
        irf = self._irf.get(nfft)
        if irf is None:
            if len(self._irf) > 4:
                self._irf.clear()
            # (float32 in: the spectrum is kept in complex64, and the transform halves)
            irf = self._irf[nfft] = sfft.rfft(self.ir.astype(F32), nfft, axis=-1)
        spec = sfft.rfft(send, nfft)
        return sfft.irfft(spec[None, :] * irf, nfft, axis=-1)[:, first:n]

    # -- the chunk ------------------------------------------------------------------------
    def render_chunk(self, notes: np.ndarray, a: int, b: int) -> np.ndarray:
        D, sr = self.div, self.sr
        c0 = a + self.preroll
        w0 = c0 - self.warm  # full-rate processing starts here
        la, lb = a // D, -(-b // D) + 48
        n_low = lb - la
        j0 = w0 - la * D  # low sample la + j is full-rate sample (la + j) * D
        first = max(0, j0 // D - 32)  # the low-rate samples the chunk's output needs
        low = np.zeros((2, n_low - first), F32)
        send = np.zeros(n_low, F32)
        hi = np.zeros((2, b - w0), F32)
        low_c = np.zeros(n_low - first, F32)  # centred mono sounds, spread at the end
        hi_c = np.zeros(b - w0, F32)
        groups = self._groups(notes)
        duck = duck_hi = None
        if any(v.duck for v, _ in groups):
            duck = self._duck(notes, la, lb, self.lsr)
        for v, ns in groups:
            if v.high:
                if v.send:  # the hall's send renders from the chunk's very start (pre-roll)
                    self._voice(v, ns, la, lb, self.lsr, dst=None, dbase=0, send=send,
                                sbase=la, duck=duck)
                if v.duck and duck_hi is None:
                    duck_hi = self._duck(notes, w0, b, sr)
                self._voice(v, ns, w0, b, sr, dst=hi, dbase=w0, centre=hi_c, send=None,
                            sbase=0, duck=duck_hi)
            else:  # dry-only voices skip the pre-roll
                i0 = la if v.send else la + first
                self._voice(v, ns, i0, lb, self.lsr, dst=low, dbase=la + first, centre=low_c,
                            send=send if v.send else None, sbase=la,
                            duck=None if duck is None else duck[i0 - la :])
        low += low_c
        hi += hi_c
        if send.any():
            low += self._hall(send, first)
        if self.low_bus is not None:
            low = self.low_bus(low, la + first, int(round(self.lsr))).astype(F32, copy=False)
        if self.bus is not None and self.bus_low:
            low = self.bus(low, int(round(self.lsr))).astype(F32, copy=False)
        k = j0 - first * D
        if D > 1:
            up = upsample(low, D)
            mix = up[:, k : k + (b - w0)]
            mix += hi
        else:
            mix = low[:, k : k + (b - w0)] + hi
        if self.bus is not None and not self.bus_low:
            mix = self.bus(mix, sr).astype(F32, copy=False)
        fade = notes[notes["fade"] != 0]
        if len(fade):  # the piece's last bar: everything, reverb too, dies away on its end
            f0, f1 = int(fade["start"].min()), int((fade["start"] + fade["dur"]).max())
            pos = np.arange(w0, b)
            g = np.clip((f1 - pos) / max(f1 - f0, 1), 0.0, 1.0)
            mix *= np.where(pos >= f0, np.sqrt(g), 1.0).astype(F32)
        mix *= F32(self.gain)
        # A soft knee above 0.6 keeps stray peaks under 0.85 (mastering sets the real level).
        if mix.max() > 0.6 or mix.min() < -0.6:
            over = np.abs(mix) > 0.6
            x = mix[over]
            mix[over] = np.sign(x) * (0.6 + 0.25 * np.tanh((np.abs(x) - 0.6) / 0.25))
        out = np.empty((b - a, 2), dtype=np.float32)
        out[: c0 - a] = 0.0
        for c in range(2):  # one side at a time: a transposed copy is several times slower
            out[c0 - a :, c] = mix[c, self.warm :]
        return out
