"""The recorded-instrument synth of a style family: its presets, played from a SoundFont.

Above the instrument modules (orchestra, guitar, keys), which play their parts through the
shared note machinery of :mod:`.sampled`: this is the one place that knows all three.
"""

from __future__ import annotations

from .sampled import open_cache


def sampled_synth(kind: str, sample_rate: int, bpm: float, bank) -> tuple[object, object] | None:
    """The recorded-instrument synth for a style family ("orchestra", "rock", "lofi") and the
    bank it plays, or None when no SoundFont can be played (the caller synthesizes)."""
    if kind == "orchestra":
        from .orchestra import ORCHESTRA_PRESETS as presets
        from .orchestra import sampled_orchestra_synth as factory
    elif kind == "rock":
        from .guitar import ROCK_PRESETS as presets
        from .guitar import sampled_rock_synth as factory
    elif kind == "lofi":
        from .keys import LOFI_PRESETS as presets
        from .keys import sampled_lofi_synth as factory
    else:
        raise ValueError(f"no sampled synth for {kind!r}")
    # Strings, brass and a dusty e-piano hold little above 12 kHz worth its cost (and lofi's
    # tape filter cuts far below): their notes, mix and hall run at half the rate, lifted to
    # the full rate once at the end. Guitars and cymbals keep the full rate.
    rate = sample_rate // 2 if kind in _HALF_RATE and sample_rate % 2 == 0 else sample_rate
    cache = open_cache(bank, presets, rate)
    if cache is None:
        return None
    return factory(sample_rate, bpm, cache), cache.player.choice


_HALF_RATE = frozenset({"orchestra", "lofi"})
