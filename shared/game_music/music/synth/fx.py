"""Effects and helpers shared by the synthesizers: envelopes, filters, space, dynamics.

Everything here is a pure function of its inputs and of *absolute* sample positions (LFOs,
noise), so a synth built from these pieces renders any range of samples identically; effects
with memory (filters, reverb, compression) start from silence and rely on the synth's
``preroll``. Arrays are float64 mono ``(n,)`` or stereo ``(2, n)``.

Building blocks, in the order a voice uses them:

- ``noise(offset, n)``: a fixed white-noise table, read from any offset (drums).
- ``adsr(t, dur, ...)``, ``decay(t, tau)``: envelopes of note-relative time in seconds.
- ``FilterLadder``: a swept low-pass for many voices at the price of a few static filters.
- ``pan(x, p)``, ``chorus(x, a, sr)``, ``lfo(a, n, sr, rate)``: placement, width, motion.
- ``Reverb``: an 8-line feedback delay network (plate/hall), block-vectorised.
- ``duck(starts, a, n, sr)``, ``gate(...)``: gain curves from note onsets (sidechain, gated
  reverb).
- ``glue(x, sr)``: a slow bus compressor; ``sos(kind, hz, sr)``: cached filter designs.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import fft as sp_fft
from scipy import signal

_NOISE_LEN = 1 << 18


@lru_cache(maxsize=1)
def _noise_table() -> np.ndarray:
    return np.random.default_rng(0x6A6D).standard_normal(_NOISE_LEN).astype(np.float64) * 0.5


def noise(offset: int, n: int) -> np.ndarray:
    """``n`` samples of white noise (rms 0.5) starting at ``offset`` of a fixed table."""
    table = _noise_table()
    o = int(offset) % _NOISE_LEN
    if o + n <= _NOISE_LEN:
        return table[o : o + n]
    return np.take(table, np.arange(o, o + n), mode="wrap")


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


def decay(t: np.ndarray, tau: float) -> np.ndarray:
    return np.exp(t * (-1.0 / max(tau, 1e-5)))


def control(fn, t: np.ndarray, every: int = 16):
    """``fn(t)`` evaluated once every ``every`` samples of the evenly spaced times ``t`` and
    held: envelopes and sweeps change slowly, and exp() per sample is what costs."""
    if len(t) <= 2 * every:
        return fn(t)
    return np.repeat(fn(t[::every]), every)[: len(t)]


# -- filters -----------------------------------------------------------------------------------
@lru_cache(maxsize=128)
def sos(kind: str, hz: float, sr: int, order: int = 2, q: float | None = None) -> np.ndarray:
    """Second-order sections: ``lowpass``/``highpass`` Butterworth (or resonant with ``q``),
    ``bandpass`` (``hz`` is the centre, ``q`` the quality), clipped below Nyquist."""
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


def shelf(x: np.ndarray, hz: float, gain_db: float, sr: int, high: bool = True) -> np.ndarray:
    """A first-order shelf: ``gain_db`` above (``high``) or below ``hz``."""
    g = 10 ** (gain_db / 20)
    lp = filt(x, "lowpass", hz, sr, order=1)
    return lp + g * (x - lp) if high else g * lp + (x - lp)


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


# -- stereo ------------------------------------------------------------------------------------
def pan(x: np.ndarray, p: float) -> np.ndarray:
    """Constant-power pan of mono ``x``: p = -1 left, 0 centre, 1 right -> (2, n)."""
    a = (p + 1.0) * np.pi / 4
    return np.stack([x * np.cos(a), x * np.sin(a)]) * np.sqrt(2.0)


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
    att, curve = _duck_curve(sr, 1.0 - 10 ** (-depth_db / 20), attack, release)
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
    gdb = signal.lfilter([1.0 - k], [1.0, -k], target)
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
