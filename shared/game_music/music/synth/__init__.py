"""Synthesizers: one per style family; each renders the shared note table.

A synth is any object with::

    preroll: int                      # samples its filters need to forget their start
    lookback: int                     # (optional) how far before ``a`` it reads notes (echo)
    lookahead: int                    # (optional) how far after ``b`` it reads notes (risers)
    chunk: int                        # (optional) the renderer's chunk length for this synth
    render_chunk(notes, a, b) -> ndarray  # float32 (b - a, 2) for samples [a, b)

built by the style's factory ``synth(sample_rate, bpm)``. ``notes`` is a ``notes.NOTE_DTYPE``
array of every note sounding in [a - lookback, b + lookahead). ``render_chunk``
must be a pure function of its arguments (no state carried between calls): the renderer asks
for fixed chunks with ``preroll`` extra samples in front and throws those away, which is what
makes block rendering exact. Voices are given by ``ch`` (two melodic, one bass, one drum
voice) and ``role`` (pad, arp, lead, counter, bass, kick, snare, hat, crash, tom, final), so a
richer synth can choose an instrument per role.
"""

from __future__ import annotations

from .chip import ChipSynth

__all__ = ["ChipSynth"]
