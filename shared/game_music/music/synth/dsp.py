"""The DSP kit every synthesizer builds on: pitch, noise, oscillators, envelopes, filters,
stereo, space, resampling and dynamics, each written once.

Everything here is a pure function of its inputs and of *absolute* sample positions (LFOs,
noise), so a synth built from these pieces renders any range of samples identically; effects
with memory (filters, reverb, compression) start from silence and rely on the synth's
``preroll``. Arrays are float64 (float32 where it says so), mono ``(n,)`` or stereo ``(2, n)``.

Where two synths were voiced with different maths for the same thing, both stay reachable (a
parameter, or two named primitives), so every style renders bit for bit as it was voiced:

- pitch and time: ``midi_to_hz``; ``times`` (cached ramps of note-relative seconds).
- noise: ``noise(offset, n)`` (a fixed table read from any offset); ``white_noise``.
- oscillators: ``table``/``osc``/``osc2`` (band-limited wavetables); ``polyblep``/
  ``add_polyblep`` (band-limited jumps); ``phase`` (slides and vibrato integrated in closed
  form).
- envelopes: ``adsr`` (float64, a release of fixed length); ``adsr_tau`` (float32, staged, a
  release time constant); ``decay``; ``control``/``env_fast`` (evaluated sparsely and held).
- filters: ``sos`` (cached designs), ``filt``; ``peak``/``shelf`` (RBJ sections), ``chain``;
  ``one_pole``; ``FilterLadder`` (a swept low-pass for many voices).
- level and stereo: ``db_to_gain``; ``pan_gains``/``pan``; ``chorus``; ``lfo``.
- space: ``hall_ir`` (a synthetic hall to convolve with); ``Reverb`` (a feedback delay network).
- resampling: ``upsample_fir`` (polyphase FIR, for a mix rendered at a low rate);
  ``upsample_linear``.
- dynamics: ``duck``, ``gate`` (gain curves from onsets); ``glue`` (a slow, smooth bus
  compressor); ``compress`` (a fast-attack bus compressor, gain held per block).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import fft as sp_fft
from scipy import signal

TABLE = 2048  # wavetable length: a power of two, so phases wrap by masking
F32 = np.float32
LN2 = float(np.log(2.0))


# -- pitch and time ----------------------------------------------------------------------------
def midi_to_hz(midi: float | np.ndarray) -> float | np.ndarray:
    """Equal-tempered frequency of a MIDI pitch (69 = A4 = 440 Hz).

    A scalar is computed in scalar maths and returned as a float, an array element-wise:
    numpy's vectorised ``pow`` may differ from the scalar one in the last bit, so each caller
    keeps the path its sound was made with."""
    if np.ndim(midi):
        return 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69.0) / 12.0)
    return 440.0 * 2.0 ** ((float(midi) - 69.0) / 12.0)


_RAMPS: dict[float, np.ndarray] = {}


def times(n0: int, n1: int, sr: float) -> np.ndarray:
    """Seconds ``arange(n0, n1) / sr`` (read-only), a view of a cached ramp when it is short
    enough: a note's time axis without a division per sample each time."""
    if n1 > 1 << 20:
        return np.arange(n0, n1) / sr
    r = _RAMPS.get(sr)
    if r is None or len(r) < n1:
        r = _RAMPS[sr] = np.arange(max(n1, 1 << 17)) / sr
        r.flags.writeable = False
    return r[n0:n1]


# -- noise -------------------------------------------------------------------------------------
def white_noise(shape: int | tuple[int, ...], seed, dtype: type = np.float64) -> np.ndarray:
    """Gaussian white noise (rms 1), the same for the same ``seed``."""
    return np.random.default_rng(seed).standard_normal(shape, dtype=dtype)


_NOISE_LEN = 1 << 18


@lru_cache(maxsize=1)
def _noise_table() -> np.ndarray:
    return white_noise(_NOISE_LEN, 0x6A6D) * 0.5


def noise(offset: int, n: int) -> np.ndarray:
    """``n`` samples of white noise (rms 0.5) starting at ``offset`` of a fixed table."""
    table = _noise_table()
    o = int(offset) % _NOISE_LEN
    if o + n <= _NOISE_LEN:
        return table[o : o + n]
    return np.take(table, np.arange(o, o + n), mode="wrap")


# -- oscillators -------------------------------------------------------------------------------
@lru_cache(maxsize=1024)
def table(amps: tuple[float, ...]) -> np.ndarray:
    """One cycle (plus a wrap sample) of sine partials 1..n with amplitudes ``amps``."""
    spec = np.zeros(TABLE // 2 + 1, dtype=np.complex128)
    spec[1 : len(amps) + 1] = -1j * np.asarray(amps) * (TABLE / 2)
    wave = np.fft.irfft(spec, TABLE)
    return np.concatenate([wave, wave[:1]]).astype(F32)


def n_partials(f_max: float, sr: float, cap: int = 96) -> int:
    return int(max(1, min(cap, 0.45 * sr / max(f_max, 1.0))))


def _table_pos(ph: np.ndarray, inplace: bool) -> tuple[np.ndarray, np.ndarray]:
    """Wrapped integer index and float32 fraction of phases ``ph`` (cycles) in a table."""
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
    return i, fr


def _table_read(tab: np.ndarray, i: np.ndarray, fr: np.ndarray) -> np.ndarray:
    lo = np.take(tab, i)
    hi = np.take(tab[1:], i)
    hi -= lo
    hi *= fr
    hi += lo
    return hi


def osc(tab: np.ndarray, ph: np.ndarray, *, inplace: bool = False) -> np.ndarray:
    """Read a table at phases ``ph`` (cycles, >= 0), linear interpolation (``inplace``: ``ph``
    is scratch, used up to spare two copies)."""
    return _table_read(tab, *_table_pos(ph, inplace))


def osc2(
    tab_a: np.ndarray, tab_b: np.ndarray, ph: np.ndarray, *, inplace: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`osc` of two tables at the same phases (the index work done once)."""
    i, fr = _table_pos(ph, inplace)
    return _table_read(tab_a, i, fr), _table_read(tab_b, i, fr)


def polyblep(
    x: np.ndarray, dt: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """PolyBLEP residual of a unit downward jump where the phase ``x`` (cycles, [0, 1))
    wraps, ``dt`` its step per sample (a float, or one per sample; at most 0.5): ``(i, r, j,
    q)``, the samples just after a wrap and their residuals, then those just before one and
    theirs. Only samples next to a wrap have one, so callers add them there alone."""
    per_sample = isinstance(dt, np.ndarray)
    i = np.flatnonzero(x < dt)
    u = x[i] / (dt[i] if per_sample else dt)
    r = u + u - u * u - 1.0
    j = np.flatnonzero(x > 1.0 - dt)
    u = (x[j] - 1.0) / (dt[j] if per_sample else dt)
    q = u * u + u + u + 1.0
    return i, r, j, q


def add_polyblep(
    wave: np.ndarray, x: np.ndarray, dt: np.ndarray | float, height: float = 1.0
) -> None:
    """Add into ``wave`` the :func:`polyblep` residual of a jump of ``height`` where ``x``
    wraps (a naive saw falls there: ``height`` -1 makes it band-limited)."""
    i, r, j, q = polyblep(x, dt)
    wave[i] += height * r
    wave[j] += height * q


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


# -- envelopes ---------------------------------------------------------------------------------
def adsr(
    t: np.ndarray, dur: float, attack: float, decay_s: float, sustain: float, release: float
) -> np.ndarray:
    """Linear attack, exponential decay to ``sustain``, exponential release after ``dur`` s.

    The release starts from the level the envelope had at ``dur`` (no jump), and is cut to zero
    at ``dur + release`` with a short ramp so the tail ends without a click."""
    attack = max(attack, 1e-4)
    e = sustain + (1.0 - sustain) * np.exp(-np.maximum(t - attack, 0.0) / max(decay_s, 1e-4))
    np.minimum(e, t / attack, out=e, where=t < attack)
    if release > 0 and t.size and t[-1] > dur:
        k = int(np.searchsorted(t, dur))
        at = min(dur / attack, 1.0) * (
            sustain + (1.0 - sustain) * np.exp(-max(dur - attack, 0.0) / max(decay_s, 1e-4))
        )
        tr = t[k:] - dur
        e[k:] = at * np.exp(-tr * (5.0 / release)) * np.clip((release - tr) / (0.1 * release), 0, 1)
    return e


def adsr_tau(
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


def decay(t: np.ndarray, tau: float, *, divide: bool = False) -> np.ndarray:
    """exp(-t / tau), as ``t`` times the rate ``-1 / tau`` (``tau`` at least 10 us); with
    ``divide``, as ``-t / tau`` itself, which rounds differently in the last bit (the band
    drums were made with it)."""
    if divide:
        return np.exp(-t / tau)
    return np.exp(t * (-1.0 / max(tau, 1e-5)))


def control(
    fn: Callable[[np.ndarray], np.ndarray], t: np.ndarray, every: int = 16, whole: int = 2
) -> np.ndarray:
    """``fn(t)`` evaluated once every ``every`` samples of the evenly spaced times ``t`` and
    held: envelopes and sweeps change slowly, and exp() per sample is what costs. Up to
    ``whole * every`` samples long, ``t`` is evaluated at every sample."""
    if len(t) <= whole * every:
        return fn(t)
    return np.repeat(fn(t[::every]), every)[: len(t)]


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
    """:func:`adsr_tau` evaluated every ``every`` samples and held in between (envelopes are
    slow; ``every`` samples at 16 kHz is 2 ms)."""
    return control(lambda u: adsr_tau(u, gate, att, dec, sus, rel, smooth=smooth), t, every, 4)


# -- filters -----------------------------------------------------------------------------------
@lru_cache(maxsize=256)
def sos(
    kind: str, hz: float | tuple[float, float], sr: int, order: int = 2, q: float | None = None
) -> np.ndarray:
    """Second-order sections, clipped below Nyquist: ``lowpass``/``highpass`` Butterworth (or
    resonant with ``q``); ``bandpass`` a Butterworth band between the two edges ``hz``, or
    for one ``hz`` a peak there (``q`` the quality)."""
    if isinstance(hz, tuple):
        edges = tuple(min(x, 0.45 * sr) for x in hz)
        return signal.butter(order, edges, kind, fs=sr, output="sos")
    hz = min(float(hz), 0.45 * sr)
    if kind == "bandpass":
        b, a = signal.iirpeak(hz, q or 1.0, fs=sr)
        return signal.tf2sos(b, a)
    if q is None:
        return signal.butter(order, hz, kind, fs=sr, output="sos")
    # Resonant: a cascade of (order / 2) biquads, the last one with quality ``q``.
    out = []
    for i in range(max(order // 2, 1)):
        w = 2 * np.pi * hz / sr
        alpha = np.sin(w) / (2 * (q if i == order // 2 - 1 else 0.7071))
        c = np.cos(w)
        if kind == "lowpass":
            b = [(1 - c) / 2, 1 - c, (1 - c) / 2]
        else:
            b = [(1 + c) / 2, -(1 + c), (1 + c) / 2]
        a0 = 1 + alpha
        out.append([b[0] / a0, b[1] / a0, b[2] / a0, 1.0, -2 * c / a0, (1 - alpha) / a0])
    return np.array(out)


def filt(x: np.ndarray, kind: str, hz: float, sr: int, order: int = 2, q: float | None = None):
    return signal.sosfilt(sos(kind, hz, sr, order, q), x, axis=-1)


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


def one_pole(x: np.ndarray, a: float, *, unity_dc: bool = True) -> np.ndarray:
    """y[i] = b x[i] + a y[i - 1] from silence: a smoother (``b = 1 - a``, unity gain at DC),
    or without ``unity_dc`` a leaky integrator (``b = 1``)."""
    return signal.lfilter([1.0 - a if unity_dc else 1.0], [1.0, -a], x)


RING = 1200  # samples of a ladder rung's ring-out kept after its input ends (~ -100 dB)


class FilterLadder:
    """A time-varying low-pass for any number of voices at the price of a few fixed ones.

    Voices add their signal at a *position* on a ladder of cutoffs (0 = the first cutoff,
    len(cutoffs) = fully open), a float per sample; the signal is split between the two
    neighbouring rungs with linear weights, each rung is filtered once for all voices, and the
    rungs are summed. Because an envelope changes slowly next to the audio, weighting before
    the filter sounds like sweeping the cutoff (a filter envelope), for 24 dB/oct slopes.
    """

    def __init__(self, sr: int, cutoffs=(220.0, 700.0, 2200.0, 7000.0), q: float = 1.1) -> None:
        self.sr = sr
        self.cutoffs = tuple(cutoffs)
        # float32 rungs: half the memory traffic, and -120 dB of rounding is far below hiss
        self._sos64 = [sos("lowpass", c, sr, 4, q) for c in self.cutoffs]
        self.sos = [s.astype(np.float32) for s in self._sos64]
        self._blends: dict[tuple[int, float], np.ndarray] = {}

    def buffer(self, n: int, channels: int = 2) -> np.ndarray:
        return np.zeros((len(self.cutoffs) + 1, channels, n), dtype=np.float32)

    def add(self, buf: np.ndarray, x: np.ndarray, pos, s0: int) -> None:
        """Add stereo ``x`` (2, m) at ladder position ``pos`` (a float, or (m,) per sample)
        to samples [s0, s0 + m)."""
        for k, r0, r1, part in _rung_parts(x, pos, len(self.cutoffs)):
            buf[k, :, s0 + r0 : s0 + r1] += part

    def render(self, x: np.ndarray, pos, ring: int) -> np.ndarray:
        """``x`` (c, m) through the ladder at ``pos`` on its own, ``ring`` samples of the
        filters' ring-out after it: a note filtered once and then reused (the ladder is
        linear, so the sum of filtered notes is the filtered sum). Only the rungs ``pos``
        visits are filtered.

        A recursive filter's cost is its per-sample dependency chain, nearly whatever its
        order: so a fixed ``pos`` runs as one filter (the two rungs' blend in one set of
        sections), and a swept stereo note feeds its rungs as one complex signal (left real,
        right imaginary: real coefficients filter both at once, a little faster than two)."""
        c, m = x.shape
        top = len(self.cutoffs)
        stereo = c == 2
        if np.ndim(pos) == 0:
            q = min(max(float(pos), 0.0), float(top))
            if q < top:
                k = min(int(q), top - 1)
                y = np.zeros((c, m + ring), dtype=np.float32)
                y[:, :m] = x
                return signal.sosfilt(self._blend(k, round(q - k, 6)), y, axis=-1)
        kind = np.complex64 if stereo else np.float32
        out = np.zeros(m + ring if stereo else (c, m + ring), dtype=kind)
        parts = list(_rung_parts(x, pos, top))
        spans: dict[int, tuple[int, int]] = {}  # where a rung is fed: [first, last + 1)
        for k, r0, r1, _ in parts:
            lo, hi = spans.get(k, (r0, r1))
            spans[k] = (min(lo, r0), max(hi, r1))
        # a rung is silent before it is fed, and has rung out ``ring`` samples after
        rungs = {
            k: np.zeros(hi + ring - lo if stereo else (c, hi + ring - lo), dtype=kind)
            for k, (lo, hi) in spans.items()
            if k != top
        }
        for k, r0, r1, part in parts:
            r, lo = (out, 0) if k == top else (rungs[k], spans[k][0])
            if stereo:
                r.real[r0 - lo : r1 - lo] += part[0]
                r.imag[r0 - lo : r1 - lo] += part[1]
            else:
                r[:, r0 - lo : r1 - lo] += part
        for k, r in rungs.items():
            lo = spans[k][0]
            out[..., lo : lo + r.shape[-1]] += signal.sosfilt(self.sos[k], r, axis=-1)
        return np.stack([out.real, out.imag]) if stereo else out

    def _blend(self, k: int, w: float) -> np.ndarray:
        """Sections of ``(1 - w) rung k + w rung k+1`` (the top rung passes all) as one
        filter, cached."""
        key = (k, w)
        sec = self._blends.get(key)
        if sec is None:
            sec = self._blends[key] = _blend_sos(
                self._sos64[k], self._sos64[k + 1] if k + 1 < len(self._sos64) else None, w
            ).astype(np.float32)
        return sec

    def process(self, buf: np.ndarray) -> np.ndarray:
        out = buf[-1].copy()
        n = buf.shape[-1]
        for k, s in enumerate(self.sos):
            # only the span a rung holds signal in, and its ring-out: a filter fed silence
            # from silence stays silent
            live = np.flatnonzero(buf[k].any(axis=0))
            if not len(live):
                continue
            lo, hi = int(live[0]), min(int(live[-1]) + 1 + RING, n)
            out[:, lo:hi] += signal.sosfilt(s, buf[k, :, lo:hi], axis=-1)
        return out


# -- level and stereo --------------------------------------------------------------------------
def db_to_gain(db: float | np.ndarray) -> float | np.ndarray:
    """The amplitude factor of ``db`` decibels (a float or an array)."""
    return 10.0 ** (db / 20.0)


def pan_gains(p: float, stereo: bool = False) -> tuple[float, float]:
    """Left/right gains for position ``p`` (-1 left, 0 centre, 1 right): constant power
    (unity at the centre) for a mono source, a balance for a stereo one."""
    if stereo:
        return (min(1.0, 1.0 - p), min(1.0, 1.0 + p)) if p else (1.0, 1.0)
    th = (p + 1.0) * np.pi / 4.0
    return float(np.cos(th) * np.sqrt(2.0)), float(np.sin(th) * np.sqrt(2.0))


def pan(x: np.ndarray, p: float) -> np.ndarray:
    """Mono ``x`` panned by :func:`pan_gains` -> (2, n)."""
    gl, gr = pan_gains(p)
    return np.stack([x * gl, x * gr])


def chorus(
    x: np.ndarray,
    a: int,
    sr: int,
    depth_ms: float = 2.5,
    rate: float = 0.6,
    mix: float = 0.5,
    *,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Two modulated delays (LFOs in quadrature, on absolute time) around mono or stereo ``x``.

    Returns stereo: the dry signal plus a delayed copy per side whose delay wanders (added
    into ``out`` when given). The delays are held for 16 samples on the absolute grid (as
    :func:`lfo` holds them), so within one such block a side is a fixed whole-sample shift
    and a fixed fraction: each block reads one 17-sample window of the source."""
    if x.ndim == 1:
        x = np.stack([x, x])
    n = x.shape[-1]
    dry = 1.0 / (1.0 + 0.5 * mix)
    if out is None:
        out = np.zeros((2, n), dtype=np.result_type(x.dtype, np.float32))
    out += x * out.dtype.type(dry)
    every = 16
    base = 7.0e-3 * sr
    depth = depth_ms * 1e-3 * sr
    # only the span that sounds (and the longest delay after it) needs the delays
    live = x.any(axis=0)
    if not live.any():
        return out
    first, last = int(live.argmax()), n - 1 - int(live[::-1].argmax())
    lo, hi = max(first - 1, 0), min(last + int(base + depth) + 3, n)
    pad = int(base + depth) + 2 + every  # the past before the chunk is silence
    k0, k1 = (a + lo) // every, (a + hi - 1) // every + 1
    starts = np.arange(k0, k1, dtype=np.int64) * every - a + pad  # blocks' first samples
    s0 = a + lo - k0 * every  # where [lo, hi) begins in the blocks' flat layout
    src = np.zeros(pad + n + every + 1, dtype=x.dtype)
    windows = sliding_window_view(src, every + 1)
    for side, phase in ((0, 0.0), (1, np.pi / 2)):
        d = base + depth * np.sin((2 * np.pi * rate * every / sr) * np.arange(k0, k1) + phase)
        shift = np.ceil(d)
        frac = (shift - d).astype(x.dtype)[:, None]
        src[pad : pad + n] = x[side]
        rows = windows[starts - shift.astype(np.int64)]  # (blocks, 17), a copy
        # (1 - frac) x[i] + frac x[i + 1]: a linear fractional delay
        wet = rows[:, 1:] - rows[:, :-1]
        wet *= frac
        wet += rows[:, :-1]
        wet *= out.dtype.type(mix * dry)
        out[side, lo:hi] += wet.reshape(-1)[s0 : s0 + hi - lo]
    return out


def lfo(a: int, n: int, sr: int, rate: float, phase: float = 0.0, every: int = 16) -> np.ndarray:
    """sin(2 pi rate t + phase) on absolute time for samples [a, a + n), evaluated once every
    ``every`` samples and held (an LFO is smooth; this is what keeps modulation cheap)."""
    k0, k1 = a // every, (a + n - 1) // every + 1
    coarse = np.sin((2 * np.pi * rate * every / sr) * np.arange(k0, k1) + phase)
    return np.repeat(coarse, every)[a - k0 * every : a - k0 * every + n]


# -- space -------------------------------------------------------------------------------------
@lru_cache(maxsize=16)
def hall_ir(sr: int, rt60: float, length: float, damp_hz: float, predelay: float) -> np.ndarray:
    """A stereo hall: decorrelated noise decaying with ``rt60`` (highs twice as fast), a few
    early reflections, normalised to unit energy per side. (2, n)."""
    n = int(length * sr)
    t = np.arange(n) / sr
    noise = white_noise((2, n), 0x4A11)
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


_DELAYS = np.array([1123, 1361, 1583, 1801, 2053, 2293, 2539, 2797])  # at 48 kHz, coprime
_OUT_L = np.array([1, -1, 1, -1, 1, 1, -1, -1], dtype=np.float64)
_OUT_R = np.array([1, 1, -1, -1, 1, -1, 1, -1], dtype=np.float64)
_TAPS = ((0.0, 0.5), (0.0113, 0.35), (0.0197, 0.3), (0.0271, 0.22))  # early reflections (s, gain)


class Reverb:
    """An 8-line feedback delay network (Householder mixing, damped feedback): plate/hall.

    It runs at a quarter of the sample rate (a tail has little above 6 kHz, and that keeps it
    cheap). The network is linear and time-invariant, so it is run once, on impulses, when the
    reverb is built, and a send is then convolved with that stereo impulse response (FFT);
    ``rt60`` seconds of decay, ``damp`` 0..0.5 (how fast highs die), ``predelay`` seconds,
    ``size`` scales the lines (density and colour). ``tail`` is the pre-roll the reverb needs
    to forget its start.
    """

    def __init__(
        self,
        sr: int,
        rt60: float = 1.8,
        damp: float = 0.3,
        predelay: float = 0.02,
        size: float = 1.0,
    ) -> None:
        self.sr = sr
        self.step = max(1, sr // 12000)
        rate = sr / self.step
        self.d = np.maximum((_DELAYS * size * rate / 48000.0).astype(np.int64), 16)
        self.g = 10.0 ** (-3.0 * self.d / (rt60 * rate))
        self.damp = float(damp)
        self.pre = int(predelay * rate)
        self.taps = [(int(t * rate), g) for t, g in _TAPS]
        self.tail = int(rt60 * sr * 0.85)  # the residue is below about -50 dB after this
        self.hp = sos("highpass", 150.0, int(rate), 2)
        # impulse responses (input side, output side, time) at the low rate, to -60 dB
        m = int(rt60 * rate) + 1
        imp = np.zeros((2, m))
        imp[0, 0] = 1.0
        left = self._network(imp)
        imp[0, 0], imp[1, 0] = 0.0, 1.0
        self.ir = np.stack([left, self._network(imp)])
        self._spectra: dict[int, np.ndarray] = {}

    def _network(self, low: np.ndarray) -> np.ndarray:
        """The low-rate network: wet (2, m) for the decimated send ``low`` (2, m)."""
        m_all = low.shape[-1]
        low = signal.sosfilt(self.hp, low, axis=-1)  # keep the low end out of the tail
        lead = self.pre + self.taps[-1][0]
        sent = np.zeros((2, m_all + lead))
        for t, g in self.taps:  # a few early reflections, then the diffuse tail
            sent[:, self.pre + t : self.pre + t + m_all] += g * low
        sent = sent[:, :m_all]
        d, g, a = self.d, self.g, self.damp
        dmax = int(d.max()) + 1
        block = int(d.min())  # within a block no line reads a sample written in it
        width = dmax + m_all
        buf = np.zeros((8, width))
        flat = buf.reshape(-1)
        inp = np.empty((8, m_all))
        inp[:4] = sent[0] * 0.35
        inp[4:] = sent[1] * 0.35
        inp[1::2] *= -1.0
        c_now, c_old = (g * (1.0 - a))[:, None], (g * a)[:, None]
        # line i reads its samples [p - d_i - 1, p - d_i + m) of the flat buffer: one gather
        rd = (np.arange(8) * width - d - 1)[:, None] + np.arange(block + 1)
        for t0 in range(0, m_all, block):
            m = min(block, m_all - t0)
            p = dmax + t0
            r = flat[rd[:, : m + 1] + p]
            y = r[:, 1:] * c_now
            y += r[:, :-1] * c_old
            y -= 0.25 * y.sum(axis=0)
            y += inp[:, t0 : t0 + m]
            buf[:, p : p + m] = y
        lines = buf[:, dmax:]
        # (no matrix product: BLAS threads would spin on a shared machine)
        wet = np.stack(
            [(lines * _OUT_L[:, None]).sum(axis=0), (lines * _OUT_R[:, None]).sum(axis=0)]
        )
        return wet * 0.5

    def __call__(
        self, x: np.ndarray, *, out: np.ndarray | None = None, gain: float = 1.0
    ) -> np.ndarray:
        """Wet stereo (2, n) for stereo send ``x`` (2, n); with ``out``, ``gain`` times the
        wet is added into ``out`` instead (no full-rate copy of it is made) and ``out``
        returned."""
        n = x.shape[-1]
        if not x.any():
            return np.zeros((2, n)) if out is None else out
        st = self.step
        m_all = -(-n // st)
        # float32 from here: the rounding (~ -130 dB) is far below the tail's own noise
        low = np.zeros((2, m_all), dtype=np.float32)
        for j in range(st):  # the mean of each group of ``st`` samples (strided: fast)
            part = x[:, j::st]
            low[:, : part.shape[-1]] += part
        low *= np.float32(1.0 / st)
        size = sp_fft.next_fast_len(m_all + self.ir.shape[-1] - 1, real=True)
        spec = self._spectra.get(size)
        if spec is None:
            # (float32 in: the spectrum is wanted in complex64, and the transform halves)
            spec = sp_fft.rfft(self.ir.astype(np.float32), size, axis=-1)
            self._spectra[size] = spec
        xs = sp_fft.rfft(low, size, axis=-1)
        prod = xs[0] * spec[0]
        prod += xs[1] * spec[1]
        wet = sp_fft.irfft(prod, size, axis=-1)[:, :m_all]
        # back to the full rate by linear interpolation (a gentle low-pass on the images)
        if out is None:
            up = upsample_linear(wet, st, n)
            return up if gain == 1.0 else up * gain
        return upsample_linear(wet, st, n, add_to=out, gain=gain)


# -- resampling --------------------------------------------------------------------------------
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
    return tuple((sp_fft.rfft(taps, _UP_FFT), s) for taps, s in _up_phases(d))


def upsample_fir(x: np.ndarray, d: int) -> np.ndarray:
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
    spec = sp_fft.rfft(sliding_window_view(pad, _UP_FFT, axis=-1)[:, ::hop][:, :nb], axis=-1)
    # phase p's convolution sample q lands on output q - s_p: each phase's blocks are
    # written straight into their strided place in one buffer, which holds the output
    # (contiguous per side) from ``lead`` on
    lead = max(s for _, s in _up_spectra(d))
    buf = np.empty((c, lead + nb * hop, d), dtype=F32)
    for p, (h, s) in enumerate(_up_spectra(d)):
        # a block's outputs from its ``taps - 1``-th on are free of the circular wrap
        y = sp_fft.irfft(spec * h, _UP_FFT, axis=-1)[..., taps - 1 :]
        buf[:, lead - s : lead - s + nb * hop, p].reshape(c, nb, hop)[...] = y
    return buf[:, lead : lead + n].reshape(c, n * d)


def upsample_linear(
    w: np.ndarray, st: int, n: int, *, add_to: np.ndarray | None = None, gain: float = 1.0
) -> np.ndarray:
    """``w`` (c, m) at 1/``st`` of the rate, sample k centred on full-rate sample
    k st + (st - 1) / 2, back to ``n`` full-rate samples by linear interpolation (the ends
    held). With ``add_to`` (c, n), ``gain`` times the result is added into it instead,
    phase by phase, and ``add_to`` returned."""
    if add_to is not None and not 1 < st <= 16:
        add_to += upsample_linear(w, st, n) * add_to.dtype.type(gain)
        return add_to
    if st == 1:
        return w[:, :n].copy()
    c, m = w.shape
    wp = np.concatenate([w[:, :1], w, w[:, -1:]], axis=1)
    fr = (np.arange(st) - (st - 1) / 2) / st  # offsets from the centre, in low-rate samples
    h = st // 2  # phases 0 .. h-1 sit before their centre, between samples k-1 and k
    if st <= 16:  # few phases: one pass per phase (a tiny last axis would be slow to broadcast)
        # left neighbour + slope x offset, in a contiguous scratch row, then one strided copy
        out = np.empty((c, m, st), dtype=w.dtype) if add_to is None else None
        slope = np.diff(wp, axis=1)
        tmp = np.empty((c, m), dtype=w.dtype)
        for j in range(st):
            k = 0 if j < h else 1  # wp index of the left neighbour, less k of the centre
            np.multiply(slope[:, k : k + m], w.dtype.type(fr[j] + 1.0 - k), out=tmp)
            tmp += wp[:, k : k + m]
            if out is not None:
                out[:, :, j] = tmp
            else:
                tmp *= tmp.dtype.type(gain)
                add_to[:, j::st] += tmp[:, : (n - j + st - 1) // st]
        return add_to if out is None else out.reshape(c, m * st)[:, :n]
    out = np.empty((c, m, st), dtype=w.dtype)
    lo, hi = out[:, :, :h], out[:, :, h:]
    np.multiply(wp[:, :m, None], -fr[:h], out=lo)
    lo += wp[:, 1 : m + 1, None] * (1.0 + fr[:h])
    np.multiply(wp[:, 1 : m + 1, None], 1.0 - fr[h:], out=hi)
    hi += wp[:, 2 : m + 2, None] * fr[h:]
    return out.reshape(c, m * st)[:, :n]


# -- dynamics ----------------------------------------------------------------------------------
@lru_cache(maxsize=16)
def _duck_curve(sr: int, depth: float, attack: float, release: float) -> tuple[int, np.ndarray]:
    """(samples before the onset, gain curve) of one sidechain dip."""
    span = int((attack + 2.5 * release) * sr)
    att = max(int(attack * sr), 1)
    t = np.arange(-att, span) / sr
    # a quick dip before the hit lands, then a smooth (raised-cosine) recovery
    curve = np.where(
        t < 0,
        1.0 + t / attack,
        0.5 * (1 + np.cos(np.pi * np.minimum(t / (2.5 * release), 1.0))),
    )
    return att, 1.0 - depth * np.clip(curve, 0, 1)


def duck(
    starts: np.ndarray,
    a: int,
    n: int,
    sr: int,
    depth_db: float = 6.0,
    attack: float = 0.004,
    release: float = 0.18,
    dtype: type = np.float64,
) -> np.ndarray:
    """Gain curve (n,) for samples [a, a + n) dipping ``depth_db`` at each onset in ``starts``
    (absolute samples) and recovering over ``release`` s: sidechain compression from the kick.
    (``dtype`` float32 gives the float64 curve rounded, without making it first.)"""
    g = np.ones(n, dtype=dtype)
    att, curve = _duck_curve(sr, 1.0 - db_to_gain(-depth_db), attack, release)
    curve = curve.astype(dtype, copy=False)
    span = len(curve) - att
    for s in np.asarray(starts, dtype=np.int64).tolist():
        lo, hi = max(s - att, a), min(s + span, a + n)
        if hi <= lo:
            continue
        c = curve[lo - (s - att) : hi - (s - att)]
        np.minimum(g[lo - a : hi - a], c, out=g[lo - a : hi - a])
    return g


def gate(starts: np.ndarray, a: int, n: int, sr: int, hold: float = 0.25, fall: float = 0.02):
    """Gain (n,) open for ``hold`` s after each onset, closing over ``fall`` s (gated reverb)."""
    g = np.zeros(n)
    for s in np.asarray(starts, dtype=np.int64):
        lo, hi = max(s, a), min(s + int((hold + fall) * sr), a + n)
        if hi <= lo:
            continue
        t = (np.arange(lo, hi) - s) / sr
        np.maximum(
            g[lo - a : hi - a], np.clip((hold + fall - t) / fall, 0, 1), out=g[lo - a : hi - a]
        )
    return g


def glue(
    x: np.ndarray,
    sr: int,
    threshold_db: float = -18.0,
    ratio: float = 2.0,
    attack: float = 0.03,
    release: float = 0.25,
    block: int = 512,
    inplace: bool = False,
    *,
    channels_last: bool = False,
    makeup: float = 1.0,
) -> np.ndarray:
    """A bus compressor on block rms (stereo-linked), gain smoothed and interpolated per sample
    (applied to ``x`` itself when ``inplace``), times ``makeup``. ``x`` is (c, n), or (n, c)
    with ``channels_last`` (an interleaved output buffer).

    Cheap and smooth by design: it glues a mix (2:1, slow attack), it does not catch peaks."""
    n, c = x.shape if channels_last else x.shape[::-1]
    nb, full = -(-n // block), n // block
    # mean square per block over both sides (a partial last block counts its missing
    # samples as silence); einsum sums the squares without a squared copy
    ms = np.zeros(nb)
    if channels_last:
        whole = x[: full * block].reshape(full, block * c)
        ms[:full] = np.einsum("bk,bk->b", whole, whole)
    else:
        whole = x[:, : full * block].reshape(c, full, block)
        ms[:full] = np.einsum("cbk,cbk->b", whole, whole)
    if full < nb:
        rest = x[full * block :] if channels_last else x[:, full * block :]
        ms[full] = np.einsum("ck,ck->", rest, rest)
    ms /= c * block
    level = 10 * np.log10(ms + 1e-12)
    over = np.maximum(level - threshold_db, 0.0)
    target = -over * (1.0 - 1.0 / ratio)  # dB of gain reduction wanted per block
    # one-pole smoothing of the gain per block (slow: glue, not peak catching)
    k = np.exp(-block / (0.5 * (attack + release) * sr))
    gdb = one_pole(target, k)
    g = (np.exp(gdb * (np.log(10) / 20)) * makeup).astype(x.dtype)
    curve = upsample_linear(g[None, :], block, n)[0]
    if channels_last and c == 2 and x.dtype == np.float32 and x.flags.c_contiguous:
        # an interleaved stereo pair is a complex64 signal: scaling it by a real gain
        # touches both sides in one contiguous pass (a (n, 1) broadcast is several times
        # slower)
        out = x if inplace else x.copy()
        out.view(np.complex64).reshape(n)[:] *= curve
        return out
    if channels_last:
        curve = curve.reshape(n, 1)
    if inplace:
        x *= curve
        return x
    return x * curve


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
    sm = one_pole(gr, a)
    sm = np.minimum(sm, gr)
    g = db_to_gain(sm).astype(F32)
    x *= np.repeat(g, block)[:n]
    return x


def _blend_sos(a: np.ndarray, b: np.ndarray | None, w: float) -> np.ndarray:
    """Second-order sections of ``(1 - w) A + w B`` for low-pass cascades ``A`` and ``B``
    (``None``: a wire). Poles are both filters' own; the zeros of the blend's numerator
    are found once (the double zeros at Nyquist that both share are kept exact)."""
    if w <= 0.0:
        return a
    if b is None and w >= 1.0:
        return np.array([[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]])
    if b is not None and w >= 1.0:
        return b

    def poly(sec: np.ndarray, part: slice) -> np.ndarray:
        out = np.ones(1)
        for row in sec:
            out = np.convolve(out, row[part])
        return out

    den_a = poly(a, slice(3, 6))
    den_b = poly(b, slice(3, 6)) if b is not None else np.ones(1)
    poles = np.concatenate([np.roots(r[3:]) for r in (a if b is None else np.vstack([a, b]))])
    if b is None:
        num = (1.0 - w) * poly(a, slice(0, 3)) + w * den_a
        zeros = np.roots(num)
        gain = num[0]
    else:
        # each low-pass section's numerator is g (1 + 1/z)^2: take the common (1 + 1/z)^4
        # out before finding the rest
        ga, gb = np.prod(a[:, 0]), np.prod(b[:, 0])
        rest = (1.0 - w) * ga * den_b + w * gb * den_a
        zeros = np.concatenate([-np.ones(2 * len(a)), np.roots(rest)])
        gain = rest[0]
    return signal.zpk2sos(zeros, poles, gain)


def _rung_parts(
    x: np.ndarray, pos: float | np.ndarray, top: int
) -> Iterator[tuple[int, int, int, np.ndarray]]:
    """Split ``x`` (c, m) between the two ladder rungs around ``pos`` (a float, or (m,) per
    sample): yields (rung, r0, r1, part) so that the parts add up to ``x`` crossfaded."""
    m = x.shape[-1]
    if np.ndim(pos) == 0:
        q = min(max(float(pos), 0.0), float(top))
        k = min(int(q), top - 1)
        yield k, 0, m, x * (k + 1 - q)
        yield k + 1, 0, m, x * (q - k)
        return
    pos = np.clip(pos, 0.0, top).astype(x.dtype)  # (weights as precise as the signal)
    i = np.minimum(pos.astype(np.int8), top - 1)  # (int8: a quarter of the traffic)
    # an envelope crosses few rungs: work on the runs where the pair of rungs is constant
    edges = np.concatenate([[0], np.flatnonzero(np.diff(i)) + 1, [m]])
    for r0, r1 in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        k = int(i[r0])
        seg = x[:, r0:r1]
        hi = seg * (pos[r0:r1] - x.dtype.type(k))
        yield k, r0, r1, seg - hi
        yield k + 1, r0, r1, hi
