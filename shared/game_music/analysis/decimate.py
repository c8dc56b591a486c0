"""48 kHz blocks -> 16 kHz mono, streaming: any block split gives the same samples."""

from __future__ import annotations

import numpy as np
from scipy import signal

from ..media.audio import SAMPLE_RATE

VAD_RATE = 16000
_DECIMATE = SAMPLE_RATE // VAD_RATE
# Anti-alias before 48k -> 16k: what is analysed lies below 8 kHz.
_FIR = signal.firwin(48 + 1, 7000, fs=SAMPLE_RATE)
_HIST = len(_FIR) - 1  # a multiple of _DECIMATE


class Decimator:
    """``decimator(block)`` takes 48 kHz ``(n, channels)`` or ``(n,)`` float blocks in order
    and returns the 16 kHz mono float32 samples they complete."""

    def __init__(self) -> None:
        self._hist = np.zeros(_HIST)

    def __call__(self, block: np.ndarray) -> np.ndarray:
        x = np.asarray(block, dtype=np.float32)
        if x.ndim == 1:
            mono = x.astype(np.float64)
        elif x.shape[1] == 2:  # the usual case; a reduction over axis 1 is much slower
            mono = (x[:, 0] + x[:, 1]).astype(np.float64) * 0.5
        else:
            mono = x.mean(axis=1, dtype=np.float64)
        # Polyphase FIR with carried history. Index _HIST of the buffer is always the next
        # output position, so block boundaries leave the result unchanged.
        buf = np.concatenate([self._hist, mono])
        if len(buf) <= _HIST:
            self._hist = buf
            return np.zeros(0, np.float32)
        last = _HIST + (len(buf) - 1 - _HIST) // _DECIMATE * _DECIMATE
        y = signal.upfirdn(_FIR, buf[: last + 1], up=1, down=_DECIMATE)
        self._hist = buf[last + _DECIMATE - _HIST :]
        return y[_HIST // _DECIMATE : last // _DECIMATE + 1].astype(np.float32)
