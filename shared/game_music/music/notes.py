"""The note table: one numpy record per note, the hand-over from composer to synthesizer."""

from __future__ import annotations

import numpy as np

ROLES = ("pad", "arp", "lead", "counter", "bass", "kick", "snare", "hat", "crash", "tom", "final")
ROLE = {name: i for i, name in enumerate(ROLES)}

# Articulations: the ``mode`` of a band style's note, which a sampled voice plays on its own
# preset (a string section's tremolo and pizzicato, a guitar's palm mute as MARCATO).
LEGATO, MARCATO, TREMOLO, PIZZICATO = 0, 1, 2, 3

NOTE_DTYPE = np.dtype(
    [
        ("start", np.int64),  # first sample
        ("dur", np.int64),  # samples
        ("ch", np.int8),
        ("role", np.int8),
        ("pitch", np.float64),  # MIDI note; noise: period index 0..15
        ("vol", np.float32),  # peak level 0..15 (4-bit DAC units)
        ("duty", np.int8),  # pulse duty index: 0 12.5 %, 1 25 %, 2 50 %
        ("decay", np.float32),  # seconds, exponential decay towards ``sustain`` (0: none)
        ("sustain", np.float32),  # 0..1
        ("arp1", np.int8),  # arpeggio: semitones of the 2nd and 3rd step (0, 0: no arpeggio)
        ("arp2", np.int8),
        ("slide", np.float32),  # semitones the pitch starts away from the note
        ("slide_t", np.float32),  # seconds the slide takes
        ("vib", np.float32),  # vibrato depth in cents (starts after a short delay)
        ("mode", np.int8),  # noise: 1 = short (metallic) LFSR mode
        ("fade", np.int8),  # 1: the envelope reaches silence exactly at the note's end
        ("aux", np.float64),  # noise: LFSR start offset
        ("swell", np.float32),  # sampled voices: a crescendo from this level (0: none)
    ]
)


class NoteBuilder:
    """Collects notes in beats; :meth:`table` converts them to samples once."""

    __slots__ = ("_rows",)

    def __init__(self) -> None:
        self._rows: list[tuple] = []

    def add(
        self,
        beat: float,
        length: float,
        ch: int,
        role: str,
        pitch: float,
        vol: float,
        *,
        duty: int = 2,
        decay: float = 0.0,
        sustain: float = 1.0,
        arp: tuple[int, int] = (0, 0),
        slide: float = 0.0,
        slide_t: float = 0.0,
        vib: float = 0.0,
        mode: int = 0,
        fade: bool = False,
        aux: float = 0.0,
        swell: float = 0.0,
    ) -> None:
        if length <= 0 or vol <= 0:
            return
        self._rows.append(
            (
                beat,
                beat + length,
                ch,
                ROLE[role],
                pitch,
                vol,
                duty,
                decay,
                sustain,
                arp[0],
                arp[1],
                slide,
                slide_t,
                vib,
                mode,
                int(fade),
                aux,
                swell,
            )
        )

    def table(self, samples_per_beat: float, limit: int) -> np.ndarray:
        out = np.zeros(len(self._rows), dtype=NOTE_DTYPE)
        if not self._rows:
            return out
        cols = list(zip(*self._rows, strict=True))
        start = np.rint(np.asarray(cols[0]) * samples_per_beat).astype(np.int64)
        end = np.minimum(np.rint(np.asarray(cols[1]) * samples_per_beat).astype(np.int64), limit)
        out["start"], out["dur"] = start, end - start
        for name, col in zip(NOTE_DTYPE.names[2:], cols[2:], strict=True):
            out[name] = col
        out = out[(out["dur"] > 0) & (out["start"] < limit)]
        return out[np.lexsort((out["ch"], out["start"]))]


def monophonic(notes: np.ndarray) -> np.ndarray:
    """Cut each note where the next note on its channel starts (one voice per channel)."""
    if notes.size < 2:
        return notes
    order = np.lexsort((notes["start"], notes["ch"]))
    n = notes[order]
    same = n["ch"][1:] == n["ch"][:-1]
    nxt = np.where(same, n["start"][1:], np.iinfo(np.int64).max)
    n["dur"][:-1] = np.minimum(n["dur"][:-1], np.maximum(nxt - n["start"][:-1], 0))
    n = n[n["dur"] > 0]
    return n[np.lexsort((n["ch"], n["start"]))]
