"""Speech activity: WebRTC's VAD on 16 kHz mono 20 ms frames, a periodicity guard, smoothing.

WebRTC's VAD alone calls almost any loud sound "speech" (explosions, engines, music), which is
fine on a clean microphone track but not on a game mix. So a frame only counts when the VAD
says speech *and* there is voicing nearby (a pitch-like autocorrelation peak within +-100 ms:
vowels are periodic, noise is not) *and* that pitch is not frozen like a held synth note.
Then short gaps between words are bridged and a hangover keeps the speech state through the
end of a phrase, which is what ducking needs.
"""

from __future__ import annotations

import numpy as np
import webrtcvad
from scipy import fft as sp_fft
from scipy import signal
from scipy.ndimage import maximum_filter1d, minimum_filter1d, uniform_filter1d

from ..media.audio import SAMPLE_RATE
from .result import HOP_S

VAD_RATE = 16000
FRAME_S = 0.02  # one VAD frame per curve hop
AGGRESSIVENESS = 2  # 0..3; chosen by the tests in tests/analysis/test_speech.py
MIN_LEVEL_DBFS = -55.0  # quieter frames are never speech
MIN_VOICING = 0.45  # normalised autocorrelation peak that counts as "voiced"
VOICING_REACH_S = 0.1  # consonants next to a voiced vowel count too
STEADY_PITCH_S = 0.16  # a pitch unchanged this long is a held note, not a voice
TONAL_WINDOW_S = 1.0  # ... and where such notes make up most of the voicing around a frame
TONAL_SHARE = 0.5
BRIDGE_S = 0.45  # gaps between words shorter than this stay "speech"
HANGOVER_S = 0.25  # keep speaking this long after the last voiced frame
LEAD_S = 0.06  # and start this early (offline, so ducking can anticipate the voice)
MIN_SPAN_S = 0.12  # isolated blips shorter than this are dropped

_DECIMATE = SAMPLE_RATE // VAD_RATE
_FRAME = int(VAD_RATE * FRAME_S)
# Voicing is measured at 8 kHz (pairs of 16 kHz samples averaged): plenty for pitch, 4x cheaper.
_LAGS = (8000 // 400, 8000 // 70)  # pitch 70..400 Hz, in 8 kHz samples
_NFFT = 512  # >= 40 ms window + longest lag: no circular wrap; a fast size
# Anti-alias before 48k -> 16k; short, as the VAD only looks below 4 kHz.
_FIR = signal.firwin(48 + 1, 6500, fs=SAMPLE_RATE)
_HIST = len(_FIR) - 1  # a multiple of _DECIMATE
_CHUNK = 5 * SAMPLE_RATE


class SpeechDetector:
    """Feed 48 kHz ``(n, channels)`` float blocks in order; :meth:`curve` gives the result."""

    def __init__(self, aggressiveness: int = AGGRESSIVENESS) -> None:
        self._vad = webrtcvad.Vad(aggressiveness)
        self._hist = np.zeros(_HIST)  # 48 kHz history for the decimating filter
        self._pending = np.zeros(0)  # 16 kHz samples not yet framed
        self._prev = np.zeros(_FRAME // 2)  # previous 8 kHz frame: voicing looks at 40 ms
        self._vad_flags: list[np.ndarray] = []
        self._levels: list[np.ndarray] = []
        self._voicing: list[np.ndarray] = []
        self._lags: list[np.ndarray] = []

    def feed(self, block: np.ndarray) -> None:
        # Work in chunks of a few seconds: small temporaries stay in cache and are reused
        # instead of page-faulting fresh hundreds of MB for a long array.
        for i in range(0, len(block), _CHUNK):
            self._feed(block[i : i + _CHUNK])

    def _feed(self, block: np.ndarray) -> None:
        x = np.asarray(block, dtype=np.float32)
        if x.ndim == 1:
            mono = x.astype(np.float64)
        elif x.shape[1] == 2:  # the usual case; a reduction over axis 1 is much slower
            mono = (x[:, 0] + x[:, 1]).astype(np.float64) * 0.5
        else:
            mono = x.mean(axis=1, dtype=np.float64)
        x16 = np.concatenate([self._pending, self._decimate(mono)])
        n = len(x16) // _FRAME
        if n:
            self._frames(x16[: n * _FRAME].reshape(n, _FRAME))
        self._pending = x16[n * _FRAME :]

    def _decimate(self, mono: np.ndarray) -> np.ndarray:
        # Polyphase FIR with carried history. Index _HIST of the buffer is always the next
        # output position, so block boundaries leave the result unchanged.
        buf = np.concatenate([self._hist, mono])
        if len(buf) <= _HIST:
            self._hist = buf
            return np.zeros(0)
        last = _HIST + (len(buf) - 1 - _HIST) // _DECIMATE * _DECIMATE
        y = signal.upfirdn(_FIR, buf[: last + 1], up=1, down=_DECIMATE)
        self._hist = buf[last + _DECIMATE - _HIST :]
        return y[_HIST // _DECIMATE : last // _DECIMATE + 1]

    def _frames(self, frames: np.ndarray) -> None:
        pcm = (np.clip(frames, -1.0, 1.0) * 32767.0).astype("<i2")
        self._vad_flags.append(
            np.fromiter((self._vad.is_speech(f.tobytes(), VAD_RATE) for f in pcm), bool, len(pcm))
        )
        rms = np.sqrt(np.mean(np.square(frames), axis=1))
        self._levels.append(20.0 * np.log10(np.maximum(rms, 1e-9)))
        half = frames.reshape(len(frames), -1, 2).mean(axis=2)  # 8 kHz
        prev = np.concatenate([[self._prev], half[:-1]])
        windows = np.concatenate([prev, half], axis=1)
        voicing, lag = _voicing(windows)
        self._voicing.append(voicing)
        self._lags.append(lag)
        self._prev = half[-1]

    def curve(self, n_hops: int) -> np.ndarray:
        """Speech 0..1 per hop (> 0.5 while someone talks), exactly ``n_hops`` values."""
        if self._pending.size:  # the last partial frame, padded with silence
            self._frames(np.pad(self._pending, (0, _FRAME - len(self._pending)))[None, :])
            self._pending = np.zeros(0)
        if not self._vad_flags:
            return np.zeros(n_hops, dtype=np.float32)
        raw = frame_decisions(
            np.concatenate(self._vad_flags), np.concatenate(self._levels),
            np.concatenate(self._voicing), np.concatenate(self._lags),
        )  # fmt: skip
        frames = smooth_decisions(raw)
        if abs(FRAME_S - HOP_S) > 1e-9:  # keep working if the hop ever changes
            t = np.arange(n_hops) * HOP_S
            frames = np.interp(t, np.arange(len(frames)) * FRAME_S, frames)
        out = np.zeros(n_hops, dtype=np.float32)
        m = min(n_hops, len(frames))
        out[:m] = frames[:m]
        return out


def speech_curve(audio: np.ndarray | None, n_hops: int) -> np.ndarray:
    """Speech curve of a whole 48 kHz ``(n, 2)`` array (zeros when there is no audio)."""
    if audio is None or not len(audio):
        return np.zeros(n_hops, dtype=np.float32)
    det = SpeechDetector()
    det.feed(audio)
    return det.curve(n_hops)


def _voicing(windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalised autocorrelation peak (0..1) in the pitch range and its lag, per window."""
    w = windows - windows.mean(axis=1, keepdims=True)
    w[:, 1:] -= 0.95 * w[:, :-1].copy()  # pre-emphasis: low rumble is not "periodic"
    taper = np.hanning(w.shape[1])
    spec = sp_fft.rfft(w * taper, _NFFT, axis=1)
    ac = sp_fft.irfft(np.square(np.abs(spec)), _NFFT, axis=1)[:, : _LAGS[1] + 2]
    ac /= np.maximum(ac[:, :1], 1e-12)
    ac /= _taper_ac(w.shape[1])[: _LAGS[1] + 2]  # undo the window's own decay
    rows = np.arange(len(ac))
    seg = ac[:, _LAGS[0] - 1 : _LAGS[1] + 2]
    core = seg[:, 1:-1]
    peaks = (core > seg[:, :-2]) & (core >= seg[:, 2:])
    best = core.max(axis=1, keepdims=True)
    # The shortest lag with a peak nearly as high as the best: the fundamental, not a
    # multiple of it (octave errors would make a held note look like a moving voice).
    first = peaks & (core >= 0.85 * best)
    lag = np.where(first.any(axis=1), first.argmax(axis=1), core.argmax(axis=1)) + _LAGS[0]
    peak, left, right = ac[rows, lag], ac[rows, lag - 1], ac[rows, lag + 1]
    # Parabolic interpolation: sub-sample lags tell a held note from a gliding voice.
    denom = left - 2 * peak + right
    shift = np.where(np.abs(denom) > 1e-9, 0.5 * (left - right) / np.where(denom, denom, 1), 0)
    return np.clip(peak, 0.0, 1.0), lag + np.clip(shift, -0.5, 0.5)


def _taper_ac(n: int) -> np.ndarray:
    spec = sp_fft.rfft(np.hanning(n), _NFFT)
    ac = sp_fft.irfft(np.square(np.abs(spec)), _NFFT)
    return np.maximum(ac / ac[0], 1e-3)


def frame_decisions(
    vad: np.ndarray, level_db: np.ndarray, voicing: np.ndarray, lag: np.ndarray
) -> np.ndarray:
    """Per-frame speech decisions from the VAD and the periodicity guards."""
    reach = max(1, int(round(VOICING_REACH_S / FRAME_S)))
    voiced = voicing >= MIN_VOICING
    # Where most voiced frames of the last/next half second hold a frozen pitch, the
    # periodicity comes from music (held notes, pads), not from a voice.
    steady = _steady_pitch(lag, voiced).astype(np.float64)
    around = max(1, int(round(TONAL_WINDOW_S / FRAME_S)))
    tonal = uniform_filter1d(steady, around) > TONAL_SHARE * np.maximum(
        uniform_filter1d(voiced.astype(np.float64), around), 1e-6
    )
    voiced_near = maximum_filter1d((voiced & ~tonal).astype(np.uint8), 2 * reach + 1) > 0
    return vad & (level_db >= MIN_LEVEL_DBFS) & voiced_near


def _steady_pitch(lag: np.ndarray, voiced: np.ndarray) -> np.ndarray:
    """Voiced frames inside a run whose pitch stays within 0.5 % (a held note, not a voice)."""
    run = max(2, int(round(STEADY_PITCH_S / FRAME_S)))
    if len(lag) < run:
        return np.zeros(len(lag), dtype=bool)
    hi = maximum_filter1d(np.where(voiced, lag, 1e6), run)
    lo = minimum_filter1d(np.where(voiced, lag, -1e6), run)
    steady_window = (hi - lo <= 0.005 * lag) & voiced
    # A frame is steady when any window of `run` frames that covers it is steady.
    return (maximum_filter1d(steady_window.astype(np.uint8), run) > 0) & voiced


def smooth_decisions(raw: np.ndarray) -> np.ndarray:
    """Bridge word gaps, drop blips, add lead and hangover; map to 0..1 (> 0.5 = speech)."""
    active = raw.copy()
    active = _close_gaps(active, int(round(BRIDGE_S / FRAME_S)))
    active = _drop_short(active, int(round(MIN_SPAN_S / FRAME_S)))
    hang, lead = int(round(HANGOVER_S / FRAME_S)), int(round(LEAD_S / FRAME_S))
    for a, b in _runs(active.copy(), True):
        active[max(0, a - lead) : b + hang] = True
    density = uniform_filter1d(raw.astype(np.float64), 11)  # how much of the last ~0.2 s
    return np.where(active, 0.5 + 0.5 * np.maximum(density, 0.2), 0.4 * density).astype(
        np.float32
    )


def _runs(mask: np.ndarray, value: bool) -> list[tuple[int, int]]:
    padded = np.concatenate([[not value], mask == value, [not value]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2], edges[1::2], strict=True))


def _close_gaps(mask: np.ndarray, max_gap: int) -> np.ndarray:
    out = mask.copy()
    for a, b in _runs(mask, False):
        if 0 < a and b < len(mask) and b - a <= max_gap:
            out[a:b] = True
    return out


def _drop_short(mask: np.ndarray, min_len: int) -> np.ndarray:
    out = mask.copy()
    for a, b in _runs(mask, True):
        if b - a < min_len:
            out[a:b] = False
    return out


def spans(curve: np.ndarray, hop: float = HOP_S) -> list[tuple[float, float]]:
    """Speech spans ``(start_s, end_s)`` where ``curve > 0.5``."""
    return [(a * hop, b * hop) for a, b in _runs(curve > 0.5, True)]
