"""Chiptune (NES): DPCM kick and snare, duty macros on the lead, frame-rate arpeggios.

What a 2A03 sound driver did that a generic chip arrangement does not: kick and snare as
DPCM samples (which frees the noise channel, so hats keep time under them), per-frame duty
sequences on lead notes, and pulse 2 faking chords with arpeggios at the frame rate.
"""

from __future__ import annotations

import numpy as np

from ..channels import NOISE, PULSE1, PULSE2
from ..notes import ROLE
from ..plan import Plan
from ..synth.chip import DMC, DPCM_DRUMS
from ._section import Arr, fade_final, role

# Per section: the lead's duty macro for long and for short notes (indices of DUTY_MACROS).
LEAD_MACROS = ((1, 2), (1, 0), (3, 2), (1, 1))
FRAME_ARPS = 0.65  # chance that a section fakes its chords with frame-rate arpeggios
HAT_UNDER = (0, 0, 0.02, 5.0)  # (period, mode, decay s, volume): the hat a DPCM hit frees


def arrange(plan: Plan, index: int, notes: np.ndarray) -> np.ndarray:
    notes = notes.copy()  # re-voiced in place below
    a = Arr(plan, index, notes)
    long_m, short_m = LEAD_MACROS[int(a.r.integers(len(LEAD_MACROS)))]
    lead = np.flatnonzero(role(notes, "lead") & (notes["ch"] == PULSE1))
    eighth = a.spb / 2.0
    notes["aux"][lead] = np.where(notes["dur"][lead] > eighth, long_m, short_m)
    keep = np.ones(len(notes), dtype=bool)
    if a.r.random() < FRAME_ARPS:
        keep &= ~_frame_arps(a, notes)
    _dpcm_drums(a, notes)
    return fade_final(a, a.merged(keep))


def _dpcm_drums(a: Arr, notes: np.ndarray) -> None:
    """Kick and snare move to the DMC as samples; on the eighths a hat now sounds with them."""
    hits = np.flatnonzero(role(notes, "kick", "snare") & (notes["ch"] == NOISE))
    steps = a.step_of(notes["start"][hits])
    bars = np.minimum(a.bar_of(notes["start"][hits]), a.final)
    for k, st, bar in zip(hits, steps, bars, strict=True):
        kind = "kick" if notes["role"][k] == ROLE["kick"] else "snare"
        notes["ch"][k] = DMC
        notes["dur"][k] = int(DPCM_DRUMS[kind][1] * a.p.sample_rate)
        if a.level(int(bar)) >= 2 and int(np.rint(st)) % 2 == 0:
            period, mode, decay, vol = HAT_UNDER
            a.nb.add(
                notes["start"][k] / a.spb, 0.1, NOISE, "hat", period,
                vol * float(notes["vol"][k]) / 12.0, decay=decay, sustain=0.0, mode=mode,
                aux=float(notes["aux"][k]),
            )


def _frame_arps(a: Arr, notes: np.ndarray) -> np.ndarray:
    """Replace broken-chord arpeggios with one frame-rate arpeggio per beat; the mask of the
    notes replaced."""
    arp = role(notes, "arp") & (notes["ch"] == PULSE2) & (notes["arp1"] == 0)
    idx = np.flatnonzero(arp)
    if not len(idx):
        return arp
    bars = np.minimum(a.bar_of(notes["start"][idx]), a.final)
    lo = a.p.style.registers["arp"][0]
    for bar in np.unique(bars):
        bar = int(bar)
        if bar == a.final:
            continue
        first = idx[bars == bar][0]
        iv = a.p.chords[bar].intervals
        beats = int(round(a.length(bar)))
        for b in range(beats):
            a.add(
                bar, 4 * b, 0.9, PULSE2, "arp", a.root(bar, lo), float(notes["vol"][first]),
                duty=int(notes["duty"][first]), decay=0.25, sustain=0.35, arp=(iv[1], iv[2]),
            )
    final = bars == a.final
    arp[idx[final]] = False
    return arp
