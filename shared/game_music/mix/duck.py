"""Voice-activity envelope for ducking, computed once on the analysis hop grid.

The speech curve (0..1 per hop) becomes a "someone talks" envelope in 0..1:

- short pauses between words and sentences are bridged, and the envelope holds a little after
  the talk ends, so the music does not pump between words;
- because the whole curve is known in advance, the attack starts *before* the first word
  (look-ahead) and is fully down when the voice starts; the release is slow;
- ramps are shaped with a smoothstep so the gain has no corners.

The result is a low-rate curve; the mixer interpolates it per sample, so processing block by
block gives exactly what processing the whole file gives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .levels import SPEECH_THRESHOLD


@dataclass(frozen=True)
class DuckTiming:
    attack_s: float = 0.08  # ramp down, finished when the voice starts
    release_s: float = 0.5  # ramp back up after the hold
    hold_s: float = 0.25  # stay down this long after the last voiced frame
    bridge_s: float = 0.6  # pauses shorter than this count as talk


DEFAULT_TIMING = DuckTiming()


def speech_envelope(
    speech: np.ndarray, hop: float = 0.02, timing: DuckTiming = DEFAULT_TIMING
) -> np.ndarray:
    """0..1 ducking envelope on the same grid as ``speech`` (value k is at time ``k * hop``)."""
    s = np.asarray(speech, np.float32)
    n = s.size
    if not n:
        return np.zeros(0, np.float32)
    active = s >= SPEECH_THRESHOLD
    if not active.any():
        return np.zeros(n, np.float32)
    active = _bridge(active, int(round(timing.bridge_s / hop)))
    hold = int(round(timing.hold_s / hop))
    if hold:
        # Extend every active run forward by the hold time (trailing window max).
        active = ndimage.maximum_filter1d(
            active.astype(np.uint8), hold + 1, origin=hold // 2, mode="constant", cval=0
        ) > 0
    idx = np.arange(n)
    last = np.maximum.accumulate(np.where(active, idx, -(10**9)))
    nxt = np.minimum.accumulate(np.where(active, idx, 10**9)[::-1])[::-1]
    after = (idx - last) * hop  # seconds since the envelope's last active frame
    before = (nxt - idx) * hop  # seconds until the next active frame
    up = np.clip(1.0 - after / max(timing.release_s, hop), 0.0, 1.0)
    down = np.clip(1.0 - before / max(timing.attack_s, hop), 0.0, 1.0)
    u = np.maximum(up, down)
    u = u * u * (3.0 - 2.0 * u)  # smoothstep: no corners at the ramp ends
    return u.astype(np.float32)


def regions(envelope: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) hop indices of every stretch where the envelope is above zero."""
    labels, count = ndimage.label(envelope > 0)
    if not count:
        return []
    spans = ndimage.find_objects(labels)
    return [(sl[0].start, sl[0].stop) for sl in spans]


def _bridge(active: np.ndarray, gap: int) -> np.ndarray:
    """Fill inactive runs shorter than ``gap`` frames that lie between two active runs."""
    if gap <= 0:
        return active
    out = active.copy()
    edges = np.flatnonzero(np.diff(active.astype(np.int8)))
    # Inactive runs strictly inside: start after a falling edge, end at the next rising edge.
    for i in range(len(edges) - 1):
        a, b = edges[i] + 1, edges[i + 1] + 1
        if not active[a] and active[a - 1] and b - a < gap:
            out[a:b] = True
    return out

