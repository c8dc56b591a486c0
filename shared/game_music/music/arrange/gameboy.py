"""Game Boy: a narrower, shuffled, hard-panned arrangement with wave-channel bass.

What a DMG sound driver did with its four channels: no pads (pulse 1 carries the lead alone),
pulse 2 echoing the lead at a lower volume on the other side or playing the arpeggio, the
wave channel playing the bass with a wave RAM pattern per section (no triangle kick sweeps),
noise drums with the 7-bit (metallic) width for hats and toms, NR51 panning that changes per
section, and a shuffle feel.
"""

from __future__ import annotations

import numpy as np

from ..channels import NOISE, PULSE1, PULSE2, TRIANGLE
from ..plan import Plan
from ..synth.gameboy import PAN_BOTH, PAN_LEFT, PAN_RIGHT, WAVE_NAMES
from ._section import Arr, fade_final, role

SHUFFLE = 0.62  # the off-beat eighth lands at 62 % of the beat (2/3 is a full triplet)
ECHO_CHANCE = 0.65  # sections where pulse 2 echoes the lead instead of arpeggiating
ECHO_VOL = 0.45
# NR51 per section (lead, pulse-2 part, bass); the drums stay on both sides.
PANS = (
    (PAN_BOTH, PAN_RIGHT, PAN_BOTH),
    (PAN_LEFT, PAN_RIGHT, PAN_BOTH),
    (PAN_BOTH, PAN_LEFT, PAN_BOTH),
    (PAN_RIGHT, PAN_LEFT, PAN_BOTH),
)
BASS_WAVES = ("saw", "square", "organ", "pulse25", "saw")
# Noise drums by role: (period index, 7-bit width, decay s, volume), and the composer's own
# volume for each (its accents, fills and ducking scale from there).
COMPOSER_VOL = {"kick": 11.0, "snare": 12.0, "hat": 6.0, "open": 6.0, "tom": 12.0}
DRUMS = {
    "kick": (13, 0, 0.03, 8.0),
    "snare": (5, 0, 0.07, 10.0),
    "hat": (1, 1, 0.015, 4.0),
    "open": (2, 0, 0.10, 4.0),
    "tom": (8, 1, 0.08, 11.0),
}


def arrange(plan: Plan, index: int, notes: np.ndarray) -> np.ndarray:
    notes = notes.copy()  # re-voiced in place below
    a = Arr(plan, index, notes)
    lead_pan, p2_pan, bass_pan = PANS[int(a.r.integers(len(PANS)))]
    echo = a.r.random() < ECHO_CHANCE
    delay = 2 if a.r.random() < 0.6 else 3  # an eighth or a dotted eighth, in sixteenths
    wave = WAVE_NAMES.index(BASS_WAVES[int(a.r.integers(len(BASS_WAVES)))])

    keep = ~role(notes, "pad", "counter")
    lead = role(notes, "lead") & (notes["ch"] == PULSE1)
    notes["aux"][lead] = lead_pan
    p2 = (notes["ch"] == PULSE2) & ~role(notes, "final")
    notes["aux"][p2] = p2_pan
    bass = notes["ch"] == TRIANGLE
    notes["aux"][bass] = bass_pan
    notes["duty"][bass] = wave
    # the wave channel's output level code: 50 % in calm bars, 100 % when the action is on
    calm = a.p.intensity[np.minimum(a.bar_of(notes["start"]), a.final)] <= 1
    line = bass & role(notes, "bass")
    notes["vol"][line] = np.where(calm, 10.0, 15.0)[line]
    notes["slide"][line] = 0.0  # no triangle-kick sweeps: that is the NES's idiom
    _drums(notes)
    bars = np.minimum(a.bar_of(notes["start"]), a.final)
    shift = delay * a.spb / 4.0
    lead_bars = np.unique(bars[lead])
    if echo:
        # with no lead to echo, pulse 1 echoes the arpeggio from the other side (ping-pong)
        arps = np.flatnonzero(role(notes, "arp") & ~np.isin(bars, lead_bars))
        for k in arps:
            n = notes[k]
            a.nb.add(
                (n["start"] + shift) / a.spb, n["dur"] / a.spb, PULSE1, "arp", n["pitch"],
                max(1.0, round(float(n["vol"]) * 0.6)), duty=int(n["duty"]),
                decay=float(n["decay"]), sustain=float(n["sustain"]),
                arp=(int(n["arp1"]), int(n["arp2"])), aux=float(_opposite(p2_pan)),
            )
    if echo and lead.any():
        keep &= ~(role(notes, "arp") & np.isin(bars, lead_bars))
        for k in np.flatnonzero(lead):
            n = notes[k]
            lands = min(int(a.bar_of(np.array([n["start"] + shift]))[0]), a.final)
            if plan.speech[lands] or lands == a.final:
                continue  # an echo never spills into talking or the last chord
            a.nb.add(
                (n["start"] + shift) / a.spb, n["dur"] / a.spb, PULSE2, "counter", n["pitch"],
                max(1.0, round(float(n["vol"]) * ECHO_VOL)), duty=int(n["duty"]),
                decay=float(n["decay"]), sustain=float(n["sustain"]), vib=float(n["vib"]),
                aux=float(p2_pan),
            )
    out = a.merged(keep)
    return fade_final(a, _shuffle(a, out))


def _opposite(pan: int) -> int:
    return {PAN_LEFT: PAN_RIGHT, PAN_RIGHT: PAN_LEFT}.get(pan, PAN_BOTH)


def _drums(notes: np.ndarray) -> None:
    """The composer's noise voices re-tuned to DMG presets."""
    for name in ("kick", "snare", "hat", "tom"):
        m = role(notes, name) & (notes["ch"] == NOISE)
        if name == "hat":
            opened = m & (notes["decay"] > 0.05)
            _set(notes, opened, "open")
            m &= ~opened
        _set(notes, m, name)


def _set(notes: np.ndarray, m: np.ndarray, name: str) -> None:
    period, width, decay, vol = DRUMS[name]
    scale = notes["vol"][m] / COMPOSER_VOL[name]
    notes["pitch"][m], notes["mode"][m], notes["decay"][m] = period, width, decay
    notes["vol"][m] = np.clip(np.rint(vol * scale), 1.0, 15.0)


def _shuffle(a: Arr, notes: np.ndarray) -> np.ndarray:
    """Warp time inside every beat: its first half to SHUFFLE of the beat, the rest after."""
    notes = notes.copy()

    def warp(s: np.ndarray) -> np.ndarray:
        b = s / a.spb
        whole = np.floor(b)
        f = b - whole
        g = np.where(f < 0.5, f * 2 * SHUFFLE, SHUFFLE + (f - 0.5) * 2 * (1 - SHUFFLE))
        return np.rint((whole + g) * a.spb).astype(np.int64)

    start = notes["start"]
    end = start + notes["dur"]
    ws, we = warp(start), warp(end)
    short = role(notes, "kick", "snare", "hat", "tom", "crash")
    notes["start"] = ws
    notes["dur"] = np.where(short, notes["dur"], np.maximum(we - ws, 1))  # hits keep length
    return notes

