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
from scipy import fft as sfft

from ..notes import ROLES
from .dsp import (
    F32,
    hall_ir,
    midi_to_hz,
    n_partials,
    one_pole,
    pan_gains,
    table,
    times,
    upsample_fir,
)


# -- the band's timbres ------------------------------------------------------------------------
@lru_cache(maxsize=2048)
def shaped_table(kind: str, midi: int, sr: int) -> np.ndarray:
    """A band-limited table for one pitch: saw partials shaped by a spectral envelope."""
    f0 = midi_to_hz(midi)
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


# -- loops and one-shots -----------------------------------------------------------------------
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
            t = times(0, s1 - s0, sr) + (s0 * isr - t0)
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
        t = times(0, n, sr) + q / (12.0 * sr)
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
                    gl, gr = pan_gains(v.pan, y.ndim == 2)
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
        env = one_pole(imp, a, unity_dc=False)
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
            up = upsample_fir(low, D)
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
