"""A synthesized orchestra: string sections, brass, choir, harp, timpani, in a hall.

Sections are ensembles of band-limited saw tables whose spectra carry the filtering (strings
dark above 4 kHz, choir formants), so a whole section costs a few table reads per sample at
the low rate. Brass brightens with its envelope by blending a dark and a bright table.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import signal

from ..channels import CH_BRASS, CH_CELLI, CH_STRINGS, CH_TIMPANI, CH_VIOLINS
from .band import LOOP_S, BandSynth, Voice, make_loop, nearest, play, shaped_table
from .drums import kit_voice, timpani_voice
from .dsp import F32, chain, compress, env_fast, midi_to_hz, osc, osc2, peak, phase, shelf, sos

# Extra channels written by the orchestral arrangement.


def _vol(note) -> float:
    return float(note["vol"]) / 15.0


@lru_cache(maxsize=512)
def ensemble_loop(
    kind: str, midi: int, sr: int, voices: int, cents: float, vib: float, vib_delay: float
) -> np.ndarray:
    """A section of ``voices`` players spread over +-``cents`` (alternately left and right),
    rendered once per pitch as a seamless loop: (2, n)."""
    t = np.arange(int(LOOP_S * sr)) / sr
    tab = shaped_table(kind, midi, sr)
    f = midi_to_hz(midi)
    out = np.zeros((2, len(t)))
    for k in range(voices):
        d = cents * (2.0 * k / max(voices - 1, 1) - 1.0) if voices > 1 else 0.0
        ph = phase(
            f * 2.0 ** (d / 1200.0),
            t,
            vib=vib,
            vib_rate=4.8 + 0.37 * k,
            vib_delay=vib_delay * (0.8 + 0.1 * k),
        )
        ph += 0.137 * k  # players are not phase-locked
        out[k % 2] += osc(tab, ph, inplace=True)
    out = 0.8 * out + 0.2 * out[::-1]  # wide, not two separate rooms
    return make_loop(out * (1.6 / voices), sr).astype(F32)


def ensemble(
    note,
    t: np.ndarray,
    sr: int,
    kind: str,
    *,
    voices: int,
    cents: float,
    vib: float = 12.0,
    vib_delay: float = 0.3,
) -> np.ndarray:
    loop = ensemble_loop(kind, int(round(float(note["pitch"]))), sr, voices, cents, vib, vib_delay)
    return play(loop, t, sr, loop=True)


def strings_voice(*, att: float = 0.15, rel: float = 0.35, voices: int = 6, **kw) -> Voice:
    def render(note, t, sr, gate):
        env = env_fast(t, gate, att, 1.5, 0.85, rel, smooth=True)
        return ensemble(note, t, sr, "strings", voices=voices, cents=12.0) * (env * _vol(note))

    return Voice(render, tail=rel * 6, cache=True, **kw)


def low_strings_voice(**kw) -> Voice:
    """Celli and basses: spiccato on short notes, sustained on long ones."""

    def render(note, t, sr, gate):
        short = gate < 0.3
        if short:  # spiccato dies within six of its releases (the voice's tail is for legato)
            t = t[: int(np.searchsorted(t, gate + 6 * 0.09))]
        env = env_fast(
            t,
            gate,
            0.012 if short else 0.09,
            0.18 if short else 1.0,
            0.35 if short else 0.8,
            0.09 if short else 0.3,
            smooth=not short,
        )
        y = ensemble(note, t, sr, "strings_low", voices=3, cents=9.0, vib=6.0 if short else 10.0)
        return y * (env * _vol(note))

    return Voice(render, tail=1.8, cache=True, **kw)


def brass_voice(**kw) -> Voice:
    """Horns/trumpets: a scoop into the note, brighter the louder the envelope."""

    def render(note, t, sr, gate):
        m = int(round(float(note["pitch"])))
        env = env_fast(t, gate, 0.06, 0.6, 0.7, 0.18, smooth=True)
        f = midi_to_hz(note["pitch"])
        dark, bright = shaped_table("brass_dark", m, sr), shaped_table("brass_bright", m, sr)
        slide = float(note["slide"]) or -0.25
        # Phase is proportional to frequency (slide and vibrato included): one for both.
        ph = phase(f, t, vib=10.0, vib_delay=0.35, slide=slide, slide_t=0.06)
        lev = env * F32(0.55 + 0.45 * _vol(note))
        y = np.zeros(len(t), F32)
        for d in (-4.0, 4.0):
            lo, hi = osc2(dark, bright, ph * 2.0 ** (d / 1200.0), inplace=True)
            hi -= lo
            hi *= lev
            y += lo
            y += hi  # dark * (1 - lev) + bright * lev
        y *= env
        y *= F32(0.8 * _vol(note))
        return y

    return Voice(render, tail=1.2, cache=True, **kw)


def choir_voice(**kw) -> Voice:
    def render(note, t, sr, gate):
        env = env_fast(t, gate, 0.45, 2.0, 0.8, 0.6, smooth=True)
        return ensemble(note, t, sr, "choir", voices=4, cents=10.0, vib=14.0, vib_delay=0.4) * (
            env * _vol(note)
        )

    return Voice(render, tail=3.6, cache=True, **kw)


@lru_cache(maxsize=256)
def harp_shot(midi: int, sr: int) -> np.ndarray:
    t = np.arange(int(2.2 * sr)) / sr
    y = osc(shaped_table("harp", midi, sr), midi_to_hz(midi) * t, inplace=True)
    y *= np.exp(-t / (0.9 - 0.004 * midi)) * np.minimum(t / 0.002, 1.0)
    y[-int(0.05 * sr) :] *= np.linspace(1.0, 0.0, int(0.05 * sr))
    return y.astype(F32)


def harp_voice(**kw) -> Voice:
    """Harp (or pizzicato): a plucked, decaying tone; chip-style arpeggio notes become rolled
    chords."""

    def render(note, t, sr, gate):
        m = int(round(float(note["pitch"])))
        tones = [0]
        if note["arp1"] or note["arp2"]:
            tones += [int(note["arp1"]), int(note["arp2"]), 12]
        n = len(t)
        y = np.zeros(n, F32)
        k0 = nearest(float(t[0]) * sr) if n else 0
        for k, iv in enumerate(tones):  # each string a slice of its cached pluck
            s = harp_shot(m + iv, sr)
            j0 = k0 - int(0.045 * sr) * k
            a, b = max(0, -j0), min(n, len(s) - j0)
            if b > a:
                y[a:b] += s[j0 + a : j0 + b]
        y *= F32(0.7 * _vol(note) / len(tones) ** 0.5)
        return y

    return Voice(render, tail=2.2, **kw)


def _bus(x: np.ndarray, sr: int) -> np.ndarray:
    x = signal.sosfilt(_bus_sos(sr), x, axis=-1)
    return compress(x, sr, thresh_db=-20.0, ratio=2.0, release=0.3)


_BUS: dict[int, np.ndarray] = {}


def _bus_sos(sr: int) -> np.ndarray:
    s = _BUS.get(sr)
    if s is None:
        s = _BUS[sr] = chain(
            sos("highpass", 35.0, sr, 2),
            peak(300.0, -2.5, 0.9, sr),  # less mud
            shelf(6000.0, -2.0, sr, True),  # a bed under a video
        )
    return s


def orchestra_synth(sample_rate: int, bpm: float) -> BandSynth:
    voices: dict[int | str, Voice] = {
        **{
            ch: strings_voice(pan=p, gain=0.42, send=0.55)
            for ch, p in zip(CH_STRINGS, (-0.35, -0.1, 0.15, 0.35), strict=True)
        },
        CH_VIOLINS: strings_voice(att=0.08, voices=5, pan=-0.15, gain=0.75, send=0.45),
        CH_CELLI: low_strings_voice(pan=0.25, gain=0.7, send=0.35),
        CH_TIMPANI: timpani_voice(gain=0.9, send=0.35),
        "lead": brass_voice(pan=0.15, gain=0.75, send=0.45),
        "counter": brass_voice(pan=-0.3, gain=0.45, send=0.5),
        "pad": choir_voice(gain=0.5, send=0.7),
        "arp": harp_voice(pan=0.3, gain=0.5, send=0.45),
        "bass": low_strings_voice(gain=0.75, send=0.3),
        "final": strings_voice(att=0.3, voices=6, gain=0.6, send=0.6),
        "kick": kit_voice("orchestral", "kick", gain=0.8, send=0.4),
        "snare": kit_voice("orchestral", "snare", gain=0.35, send=0.35, high=True, pan=0.1),
        "hat": kit_voice("orchestral", "shaker", gain=0.05, send=0.2, high=True),
        "crash": kit_voice("orchestral", "crash", gain=0.15, send=0.5, high=True),
        "tom": kit_voice("orchestral", "tom", gain=0.6, send=0.4),
    }
    return BandSynth(
        sample_rate,
        voices,
        gain=0.55,
        reverb=(2.6, 2.4, 3000.0, 0.03),
        bus=_bus,
        bus_low=True,
    )


# -- recorded orchestra ------------------------------------------------------------------------
STRINGS, SLOW_STRINGS, TREMOLO, PIZZICATO = (0, 48), (0, 49), (0, 44), (0, 45)
VIOLIN, CELLO, CONTRABASS, HARP, TIMPANI = (0, 40), (0, 42), (0, 43), (0, 46), (0, 47)
CHOIR, HORNS, BRASS, TRUMPET, TROMBONE = (0, 52), (0, 60), (0, 61), (0, 56), (0, 57)
ORCHESTRA_KIT = (128, 48)
ORCHESTRA_PRESETS = (
    STRINGS, SLOW_STRINGS, TREMOLO, PIZZICATO, VIOLIN, CELLO, CONTRABASS, HARP, TIMPANI,
    CHOIR, HORNS, BRASS, TRUMPET, TROMBONE, ORCHESTRA_KIT,
)  # fmt: skip


def _string_articulations(legato) -> dict:
    from .sampled import LEGATO, MARCATO
    from .sampled import PIZZICATO as PIZZ
    from .sampled import TREMOLO as TREM

    return {LEGATO: legato, MARCATO: STRINGS, TREM: TREMOLO, PIZZ: PIZZICATO}


def sampled_orchestra_synth(sample_rate: int, bpm: float, cache) -> BandSynth:
    """The orchestra from recorded instruments, seated as on a stage: violins left, violas and
    celli right of centre, basses right, horns left behind the strings, trumpets and trombones
    right, timpani and percussion at the back centre; one hall, wetter for the back rows."""
    from .sampled import MARCATO, concert_hall, drum_voice, sampled_voice

    arts = _string_articulations(STRINGS)
    # The chord parts, lowest to highest: celli, violas, second and first violins. The
    # ensemble patch swells in slowly; short bowed strokes come from the solo patches, whose
    # attack speaks at once (the lower two parts on cello, the upper two on violin).
    seats = (0.45, 0.15, -0.2, -0.45)
    strokes = (CELLO, CELLO, VIOLIN, VIOLIN)
    voices: dict[int | str, Voice] = {
        **{
            ch: sampled_voice(cache, STRINGS, articulations={**arts, MARCATO: stroke},
                              tail=1.6, pan=p, gain=0.3, send=0.24, min_hold=0.12)
            for ch, p, stroke in zip(CH_STRINGS, seats, strokes, strict=True)
        },
        CH_VIOLINS: sampled_voice(cache, VIOLIN, layers=((STRINGS, 0, 0.7),), tail=1.4,
                                  pan=-0.35, gain=0.5, send=0.24),
        CH_CELLI: sampled_voice(cache, CELLO, articulations=arts, layers=((CONTRABASS, -12, 0.5),),
                                tail=0.8, pan=0.3, gain=0.45, send=0.21, min_hold=0.1),
        CH_TIMPANI: sampled_voice(cache, TIMPANI, tail=2.5, gain=0.75, send=0.28),
        # The brass section's chords behind the strings, a little right (trumpets and
        # trombones), horns doubling them for warmth.
        CH_BRASS: sampled_voice(cache, BRASS, layers=((HORNS, 0, 0.6),), tail=1.2, pan=0.25,
                                gain=0.32, send=0.35, min_hold=0.15),
        "lead": sampled_voice(cache, HORNS, layers=((TROMBONE, -12, 0.35),), tail=1.2, pan=-0.2,
                              gain=0.55, send=0.32),
        "counter": sampled_voice(cache, TRUMPET, tail=1.0, pan=0.3, gain=0.3, send=0.32),
        "pad": sampled_voice(cache, CHOIR, tail=2.0, gain=0.18, send=0.32),
        "arp": sampled_voice(cache, HARP, tail=2.0, pan=-0.5, gain=0.45, send=0.28),
        "bass": sampled_voice(cache, CONTRABASS, articulations=_string_articulations(CONTRABASS),
                              layers=((CELLO, 12, 0.35),), tail=1.0, pan=0.55, gain=0.55,
                              send=0.17, min_hold=0.1),
        "final": sampled_voice(cache, SLOW_STRINGS, layers=((CHOIR, 0, 0.4),), tail=3.0,
                               gain=0.4, send=0.35),
        "kick": drum_voice(cache, ORCHESTRA_KIT, (36, 35), gain=0.6, send=0.32),
        "snare": drum_voice(cache, ORCHESTRA_KIT, (38, 40), gain=0.3, send=0.28, pan=0.1),
        "hat": drum_voice(cache, ORCHESTRA_KIT, (70, 82), gain=0.12, send=0.21, pan=0.2),
        "crash": drum_voice(cache, ORCHESTRA_KIT, (49, 57), tail=3.0, gain=0.28, send=0.35,
                            pan=-0.15),
        "tom": sampled_voice(cache, TIMPANI, tail=2.0, gain=0.6, send=0.28),
    }
    return BandSynth(
        sample_rate,
        voices,
        gain=0.9,
        reverb=(2.2, 3.5, 4000.0, 0.025),  # (its length sets the pre-roll the tail needs)
        hall=concert_hall(room=0.8, damping=0.5, predelay=0.025),
        low_rate=float(cache.sr),  # the notes' rate: the mix and its hall run there
        bus=_sampled_bus,
        bus_low=True,
    )


def _sampled_bus(x: np.ndarray, sr: int) -> np.ndarray:
    """Recordings need less correction than the saws: the rumble and a bed's top only, then
    a gentle glue compression."""
    from pedalboard import HighpassFilter, HighShelfFilter, Pedalboard

    board = Pedalboard([HighpassFilter(30.0), HighShelfFilter(9000.0, -1.5)])
    x = board(np.ascontiguousarray(x, dtype=F32), sr, reset=True)
    return compress(x, sr, thresh_db=-18.0, ratio=2.0, release=0.3)
