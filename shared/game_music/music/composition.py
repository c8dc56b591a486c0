"""``Composition``: the planned piece, composed and synthesized lazily, block by block.

Audio is produced on a fixed grid of chunks; each chunk is rendered from a clean filter state
with a pre-roll, so the same sample always comes out of the same computation whatever block
sizes a caller asks for (bit-identical), and memory stays flat for hours of music. Sections are
composed on demand and cached, so building a 3-hour piece costs only its plan.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import InternalError
from ..analysis.result import Analysis
from ..request import MusicRequest
from .compose import compose_section
from .notes import NOTE_DTYPE, ROLES, monophonic
from .plan import Plan, make_plan

CHUNK = 65536
_SECTION_CACHE = 24
_CHUNK_CACHE = 4


class Composition:
    def __init__(self, plan: Plan, synth: Any, bank: Any = None) -> None:
        self.plan = plan
        self.bank = bank  # the SoundFont the style plays (a ``BankChoice``), or None
        self.sample_rate = plan.sample_rate
        self.num_samples = plan.num_samples
        self._synth = synth
        # Synths with long effect tails (reverb) use longer chunks so the pre-roll stays cheap.
        self._chunk_len = int(getattr(synth, "chunk", CHUNK))
        secs = plan.sections
        first = np.array([s.first_bar for s in secs], dtype=np.int64)
        last = np.array([s.first_bar + s.n_bars - 1 for s in secs], dtype=np.int64)
        self._sec_start = (
            plan.beat_to_sample(plan.bar_beat[first]) if secs else np.zeros(0, np.int64)
        )
        tail = max(int(plan.beat_to_sample(8.0)), 2 * self.sample_rate)
        self._sec_reach = (
            plan.beat_to_sample(plan.bar_beat[last] + plan.bar_len[last]) + tail
            if secs
            else np.zeros(0, np.int64)
        )
        self._sections: OrderedDict[int, np.ndarray] = OrderedDict()
        self._chunks: OrderedDict[int, np.ndarray] = OrderedDict()

    def release(self) -> None:
        """Free what rendering kept (chunks, composed sections, the synth with a SoundFont's
        loaded instruments and notes): the plan and summary stay; it renders no more."""
        self._chunks.clear()
        self._sections.clear()
        self._synth = None
        if self.bank is not None:
            from .synth import sampled

            sampled.release_shared()

    @property
    def summary(self) -> dict[str, Any]:
        out = self.plan.summary()
        if self.bank is not None:
            out["instruments"] = {"soundfont": self.bank.name, "source": self.bank.source}
        elif self.plan.style.sampled is not None:
            out["instruments"] = {"soundfont": None, "source": "synthesized"}
        return out

    # -- notes --------------------------------------------------------------------------------
    def _section_notes(self, i: int) -> np.ndarray:
        notes = self._sections.get(i)
        if notes is None:
            notes = compose_section(self.plan, i)
            self._sections[i] = notes
            if len(self._sections) > _SECTION_CACHE:
                self._sections.popitem(last=False)
        else:
            self._sections.move_to_end(i)
        return notes

    def notes(self, a: int, b: int) -> np.ndarray:
        """Notes sounding in samples [a, b), one voice per channel, sorted by start."""
        lo = int(np.searchsorted(self._sec_reach, a, side="right"))
        hi = int(np.searchsorted(self._sec_start, b, side="left"))
        parts = [self._section_notes(i) for i in range(lo, hi)]
        if not parts:
            return np.zeros(0, dtype=NOTE_DTYPE)
        notes = monophonic(np.concatenate(parts))
        end = notes["start"] + notes["dur"]
        return notes[(notes["start"] < b) & (end > a)]

    def events(self, start_s: float, end_s: float) -> list[dict[str, Any]]:
        """Notes starting in [start_s, end_s) as plain dicts (for inspection and tests)."""
        a, b = int(start_s * self.sample_rate), int(end_s * self.sample_rate)
        n = self.notes(a, b)
        n = n[n["start"] >= a]
        return [
            {
                "t": int(x["start"]) / self.sample_rate,
                "dur": int(x["dur"]) / self.sample_rate,
                "ch": int(x["ch"]),
                "role": ROLES[int(x["role"])],
                "pitch": float(x["pitch"]),
                "vol": float(x["vol"]),
            }
            for x in n
        ]

    def layers_active(self, t: float) -> tuple[str, ...]:
        return self.plan.layers(self.plan.bar_at(t))

    # -- audio --------------------------------------------------------------------------------
    def _chunk(self, k: int) -> np.ndarray:
        audio = self._chunks.get(k)
        if audio is not None:
            self._chunks.move_to_end(k)
            return audio
        c0 = k * self._chunk_len
        c1 = min(c0 + self._chunk_len, self.num_samples)
        a = c0 - self._synth.preroll
        notes = self.notes(
            a - getattr(self._synth, "lookback", 0), c1 + getattr(self._synth, "lookahead", 0)
        )
        audio = self._synth.render_chunk(notes, a, c1)[c0 - a :]
        self._chunks[k] = audio
        if len(self._chunks) > _CHUNK_CACHE:
            self._chunks.popitem(last=False)
        return audio

    def render(self, start: int, n: int) -> np.ndarray:
        """Samples [start, start + n) as float32 (n, 2); silence outside the piece."""
        start, n = int(start), int(n)
        out = np.zeros((max(n, 0), 2), dtype=np.float32)
        lo, hi = max(start, 0), min(start + n, self.num_samples)
        size = self._chunk_len
        k = lo // size
        while lo < hi:
            c0 = k * size
            take = min(hi, c0 + size) - lo
            out[lo - start : lo - start + take] = self._chunk(k)[lo - c0 : lo - c0 + take]
            lo += take
            k += 1
        return out

    def render_all(self) -> np.ndarray:
        return self.render(0, self.num_samples)


def compose_music(
    analysis: Analysis,
    request: MusicRequest,
    *,
    duration: float,
    seed: int = 0,
    sample_rate: int = 48000,
    soundfont: str | Path | None = None,
    sampled: bool = True,
    accents: bool = True,
) -> Composition:
    """Plan and prepare the music for ``duration`` seconds; audio comes from ``render``.

    Styles of recorded instruments play them from ``soundfont`` (else the bank chosen by
    ``synth.bank.choose_bank``); ``sampled=False`` or no playable bank: their synthesized
    instruments. ``accents=False``: no hits on the clip's big moments."""
    if not math.isfinite(duration) or duration < 0:
        raise InternalError(f"music duration must be a finite number of seconds, not {duration}")
    if not 8000 <= int(sample_rate) <= 384000:
        raise InternalError(f"unsupported music sample rate {sample_rate}")
    plan = make_plan(analysis, request, duration=duration, seed=int(seed), sample_rate=sample_rate,
                     accents=accents)
    style = plan.style
    if sampled and style.sampled is not None:
        from .synth.bank import choose_bank
        from .synth.recorded import sampled_synth

        made = sampled_synth(style.sampled, sample_rate, plan.bpm, choose_bank(soundfont))
        if made is not None:
            return Composition(plan, made[0], made[1])
    return Composition(plan, style.synth(sample_rate, plan.bpm))
