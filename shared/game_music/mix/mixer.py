"""Mix the music bed with the game audio and the voice: levels, ducking, span and fades.

Level rules (all loudness in LUFS, measured by :mod:`.levels`):

- The reference ("100 %") is the game track's loudness while nobody talks (the voice's when
  the game audio is muted, absent, or only hiss below ``QUIET_GAME_LUFS``).
  ``request.music_volume`` is an amplitude ratio against it; by default the bed sits 6 dB
  under it (0.5), so between sentences it is clearly heard (a few dB under the mix).
- While someone talks the music dips (at least ``MIN_DIP_DB``) so that it sits
  ``UNDER_SPEECH_DB`` (21 dB) under the voice: the output contract asks for at least 18, and
  3 dB is margin for the estimate; deeper than that only buries the music. The dip depth is
  chosen per stretch of talk from the music's own loudness there, so a loud chorus under a
  sentence is dipped deeper than a quiet intro.
- ``lift_db`` raises the bed (not the music under speech) when the game track is too quiet
  for the mix to reach the loudness target by itself: mastering never raises the game audio,
  so the music reaches its level on its own (see :func:`.fit.plan_to_target`).
- ``game_audio="keep"`` when nothing was asked (``game_audio_asked`` false) keeps the
  original audio, unless the game track
  carries music of its own (:mod:`game_music.analysis.game_music`): its soundtrack under
  ours clashes, so it is lowered by ``GAME_MUSIC_DUCK_DB`` (8 dB), the way "duck" is (not
  under a voice on the same track). Sound effects stay audible: 8 dB down they still
  stand out over the bed, as they are short and loud. A prompt's keep/duck/mute wins.
- ``game_audio="duck"`` lowers the original audio by 12 dB, except while someone talks when
  the voice is part of that track (one mixed track, e.g. OBS's default), so the voice stays
  intelligible; with the voice on its own track the game track is lowered throughout.
  ``"mute"`` silences the game track; a separate voice track is always kept.
- ``duck_voice=False`` keeps the bed steady (no dips; the bed is then kept 6 dB under the
  voice).

All gains are a low-rate curve (the analysis hop) interpolated per sample, and fades are a
closed-form function of time, so :class:`Mixer` can run block by block with exactly the result
of one whole-file call. The mix is not clipped: mastering sets the final level and peaks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._errors import UsageError
from ..request import MusicRequest
from .duck import DEFAULT_TIMING, DuckTiming, regions, speech_envelope
from .levels import Levels, measure_levels
from .loudness import block_energy, gated_loudness

DEFAULT_VOLUME_DB = -6.0  # music_volume None == 0.5 of the reference level
UNDER_SPEECH_DB = 21.0
MIN_DIP_DB = 6.0
QUIET_GAME_LUFS = -45.0  # a game track quieter than this is hiss, not a level to sit under
NO_DUCK_BELOW_VOICE_DB = 6.0
GAME_DUCK_DB = 12.0
GAME_MUSIC_DUCK_DB = 8.0  # the game track when it carries its own music (nothing asked)
NOMINAL_LUFS = -16.0  # music with nothing to sit under: mastering sets the real level
FADE_IN_MID_S = 1.0
FADE_OUT_END_S = 2.5
FADE_OUT_MID_S = 1.5
EDGE_FADE_S = 0.05  # click guard where the music starts/ends with its own shape


@dataclass(frozen=True, eq=False)
class MixPlan:
    """Everything the mixer needs, fixed before the first sample: reusable for any block."""

    sample_rate: int
    n_samples: int
    hop: float
    music_gain_db: np.ndarray  # per hop, value k at k * hop (before fades)
    game_gain_db: np.ndarray | None  # per hop; None = unity (keep)
    game_muted: bool
    span: tuple[float, float]  # music plays in [start, end) seconds
    fades: tuple[float, float]  # fade-in, fade-out seconds
    levels: Levels
    bed_lufs: float
    under_speech_lufs: float | None
    info: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            **self.levels.summary(),
            "bed_lufs": _r(self.bed_lufs),
            "music_under_speech_lufs": _r(self.under_speech_lufs),
            "span_s": [round(self.span[0], 3), round(self.span[1], 3)],
            "fades_s": [round(self.fades[0], 3), round(self.fades[1], 3)],
            **self.info,
        }


@dataclass(frozen=True, eq=False)
class MixBlock:
    mix: np.ndarray  # (n, 2) float32
    music: np.ndarray  # (n, 2) float32: the placed music alone (the stem)


@dataclass(frozen=True, eq=False)
class MixResult:
    mix: np.ndarray  # (n, 2) float32, unclipped
    music_stem: np.ndarray  # (n, 2) float32, music with gains and fades applied
    gain_curve: np.ndarray  # music gain in dB per hop (ducking and level, before fades)
    game_gain_curve: np.ndarray | None  # game-track gain in dB per hop; None = unchanged
    hop: float
    plan: MixPlan

    @property
    def levels(self) -> Levels:
        return self.plan.levels

    def summary(self) -> dict[str, Any]:
        return self.plan.summary()


def plan_mix(
    levels: Levels,
    speech: np.ndarray,
    request: MusicRequest,
    n_samples: int,
    sample_rate: int = 48000,
    *,
    hop: float = 0.02,
    has_game: bool = True,
    has_voice: bool = False,
    music_ending: bool = False,
    timing: DuckTiming = DEFAULT_TIMING,
    lift_db: float = 0.0,
    game_has_music: bool = False,
) -> MixPlan:
    duration = n_samples / sample_rate
    n_hops = max(1, int(math.ceil(duration / hop)) + 1)
    speech = _fit(np.asarray(speech, np.float32), n_hops)
    envelope = speech_envelope(speech, hop, timing)
    v = levels.voice_lufs if math.isfinite(levels.voice_lufs) else None
    talk = bool(envelope.any())

    # Reference ("100 %") level and the bed.
    game_level = (levels.game_between_lufs if math.isfinite(levels.game_between_lufs)
                  else levels.game_lufs)
    game_in_mix = has_game and request.game_audio != "mute" and math.isfinite(game_level)
    if game_in_mix and game_level >= QUIET_GAME_LUFS:
        reference = game_level
    elif v is not None:
        reference = v
    else:
        reference = NOMINAL_LUFS
    if request.music_volume is None:
        bed = reference + DEFAULT_VOLUME_DB
        if v is not None and not request.duck_voice:
            bed = min(bed, v - NO_DUCK_BELOW_VOICE_DB)
    elif request.music_volume <= 0:
        bed = -math.inf
    else:
        bed = reference + 20 * math.log10(request.music_volume)
    bed += lift_db

    music_lufs = levels.music_lufs
    if not math.isfinite(music_lufs) or not math.isfinite(bed):
        base_gain = 0.0 if math.isfinite(bed) else -math.inf
    else:
        base_gain = bed - music_lufs

    gain_db = np.full(n_hops, base_gain, np.float64)
    under: float | None = None
    if request.duck_voice and talk and math.isfinite(base_gain):
        target = v - UNDER_SPEECH_DB if v is not None else None
        worst = -math.inf
        for a, b in regions(envelope):
            dip = MIN_DIP_DB
            if target is not None:
                local = levels.music_lufs_between(a * hop, b * hop) + base_gain
                if math.isfinite(local):
                    dip = max(dip, local - target)
                    worst = max(worst, local - dip)
            gain_db[a:b] -= dip * envelope[a:b]
        under = worst if math.isfinite(worst) else None

    game_db: np.ndarray | None = None
    auto = not request.game_audio_asked and game_has_music  # its own soundtrack under ours
    duck_db = GAME_DUCK_DB if request.game_audio == "duck" else (
        GAME_MUSIC_DUCK_DB if auto and request.game_audio == "keep" else 0.0)
    if has_game and duck_db:
        if has_voice:
            game_db = np.full(n_hops, -duck_db)
        else:
            game_db = -duck_db * (1.0 - envelope.astype(np.float64))
    auto_note = None
    if has_game and auto and request.game_audio == "keep":
        auto_note = (f"game audio lowered {GAME_MUSIC_DUCK_DB:.0f} dB under the music: "
                     "it carries music of its own")

    span, fades = _span_and_fades(request, duration, music_ending)
    return MixPlan(
        sample_rate=sample_rate,
        n_samples=n_samples,
        hop=hop,
        music_gain_db=gain_db,
        game_gain_db=game_db,
        game_muted=has_game and request.game_audio == "mute",
        span=span,
        fades=fades,
        levels=levels,
        bed_lufs=bed,
        under_speech_lufs=under,
        info={"game_audio": "duck" if auto_note else request.game_audio,
              "game_audio_asked": request.game_audio_asked,
              "game_audio_duck_db": duck_db if has_game else 0.0, "game_audio_note": auto_note,
              "duck_voice": request.duck_voice,
              "reference_lufs": _r(reference), "music_lift_db": round(lift_db, 2)},
    )


class Mixer:
    """Applies a :class:`MixPlan` to any block; blocks may come in any order and size."""

    def __init__(self, plan: MixPlan) -> None:
        self.plan = plan
        self._times = np.arange(len(plan.music_gain_db)) * plan.hop
        with np.errstate(over="ignore"):
            self._music_lin = 10.0 ** (plan.music_gain_db / 20.0)
            self._game_lin = (
                None if plan.game_gain_db is None else 10.0 ** (plan.game_gain_db / 20.0)
            )

    def process(
        self,
        start_sample: int,
        music_block: np.ndarray,
        game_block: np.ndarray | None = None,
        voice_block: np.ndarray | None = None,
    ) -> MixBlock:
        music = _stereo(music_block)
        n = len(music)
        t = (start_sample + np.arange(n)) / self.plan.sample_rate
        g = np.interp(t, self._times, self._music_lin)
        if self._fading(t[0], t[-1]):
            g *= self._fade(t)
        # float32 throughout, as the tracks are: a sum of three needs no more.
        placed = music.astype(np.float32, copy=False) * g.astype(np.float32)[:, None]
        mix = placed.copy()
        if game_block is not None and not self.plan.game_muted:
            game = _stereo(_fit_len(game_block, n)).astype(np.float32, copy=False)
            if self._game_lin is not None:
                gain = np.interp(t, self._times, self._game_lin).astype(np.float32)
                mix += game * gain[:, None]
            else:
                mix += game
        if voice_block is not None:
            mix += _stereo(_fit_len(voice_block, n)).astype(np.float32, copy=False)
        return MixBlock(mix=mix, music=placed)

    def predicted_lufs(
        self, music: np.ndarray, game: np.ndarray | None, voice: np.ndarray | None,
        sub_seconds: float,
    ) -> float:
        """Integrated loudness the mix will have, from the tracks' K-weighted energy per
        sub-block (as :meth:`LevelMeter.sub_energies` gives them) and this plan's gains.

        Independent sources add in energy, and the gains change slowly against a 100 ms
        sub-block, so the mix needs no pass of its own before mastering: the shipped track
        is measured anyway, and a voice that is also in the game track (correlated, so
        louder than the sum) only shows up as a small error there.
        """
        n = max(len(x) for x in (music, game, voice) if x is not None)
        steps = 8  # gain samples per sub-block
        t = (np.arange(n * steps) + 0.5) * (sub_seconds / steps)

        def mean_sq(gain: np.ndarray) -> np.ndarray:
            return (gain.reshape(n, steps) ** 2).mean(axis=1)

        def fit(x: np.ndarray) -> np.ndarray:
            return np.pad(x[:n], (0, max(0, n - len(x))))

        g = np.interp(t, self._times, self._music_lin)
        if self._fading(t[0], t[-1]):
            g *= self._fade(t)
        energy = mean_sq(g) * fit(music)
        if game is not None and not self.plan.game_muted:
            gg = (np.ones(n) if self._game_lin is None
                  else mean_sq(np.interp(t, self._times, self._game_lin)))
            energy += gg * fit(game)
        if voice is not None:
            energy += fit(voice)
        return gated_loudness(block_energy(energy))

    def _fading(self, t0: float, t1: float) -> bool:
        """Does [t0, t1] reach outside the span's full-level middle (fades or silence)?"""
        (s0, s1), (fi, fo) = self.plan.span, self.plan.fades
        return t0 < s0 + fi or t1 >= s1 - fo

    def _fade(self, t: np.ndarray) -> np.ndarray:
        (s0, s1), (fi, fo) = self.plan.span, self.plan.fades
        x = np.ones_like(t)
        if fi > 0:
            x = np.minimum(x, np.clip((t - s0) / fi, 0.0, 1.0))
        if fo > 0:
            x = np.minimum(x, np.clip((s1 - t) / fo, 0.0, 1.0))
        x[(t < s0) | (t >= s1)] = 0.0
        return 0.5 - 0.5 * np.cos(np.pi * x)  # raised cosine: smooth at both ends


def mix_tracks(
    music: np.ndarray,
    game: np.ndarray | None,
    speech: np.ndarray,
    request: MusicRequest,
    sample_rate: int = 48000,
    *,
    voice: np.ndarray | None = None,
    hop: float = 0.02,
    music_ending: bool = False,
) -> MixResult:
    """Whole-array mix. Output length is the music's; other tracks are padded/trimmed to it.

    ``music_ending`` says the music was composed to end by itself (no long fade-out needed).
    """
    music = _stereo(music)
    n = len(music)
    game = None if game is None else _stereo(_fit_len(game, n))
    voice = None if voice is None else _stereo(_fit_len(voice, n))
    levels = measure_levels(music, game, speech, sample_rate, voice=voice, hop=hop)
    plan = plan_mix(
        levels, speech, request, n, sample_rate, hop=hop, has_game=game is not None,
        has_voice=voice is not None, music_ending=music_ending,
    )
    block = Mixer(plan).process(0, music, game, voice)
    return MixResult(
        mix=block.mix,
        music_stem=block.music,
        gain_curve=plan.music_gain_db.astype(np.float32),
        game_gain_curve=None if plan.game_gain_db is None else plan.game_gain_db.astype(np.float32),
        hop=hop,
        plan=plan,
    )


def resolve_span(request: MusicRequest, duration: float) -> tuple[float, float]:
    """The music's [start, end) in seconds; negative values count back from the end."""

    def at(value: float | None, default: float) -> float:
        if value is None:
            return default
        return duration + value if value < 0 else value

    s0 = min(max(0.0, at(request.start_s, 0.0)), duration)
    s1 = min(max(0.0, at(request.end_s, duration)), duration)
    if s1 - s0 <= 0:
        raise UsageError(
            f"the music span ({request.start_s}..{request.end_s} s) leaves no room for music in "
            f"this {duration:.1f} s video"
        )
    return s0, s1


def _span_and_fades(
    request: MusicRequest, duration: float, music_ending: bool
) -> tuple[tuple[float, float], tuple[float, float]]:
    s0, s1 = resolve_span(request, duration)
    fi = request.fade_in_s
    if fi is None:
        fi = FADE_IN_MID_S if s0 > 0 else EDGE_FADE_S
    fo = request.fade_out_s
    if fo is None:
        if music_ending:
            fo = EDGE_FADE_S
        else:
            fo = FADE_OUT_END_S if s1 >= duration - 1e-6 else FADE_OUT_MID_S
    fi, fo = max(0.0, fi), max(0.0, fo)
    length = s1 - s0
    if fi + fo > length:  # short spans: shrink both fades in proportion
        k = length / (fi + fo)
        fi, fo = fi * k, fo * k
    return (s0, s1), (fi, fo)


def _stereo(x: np.ndarray) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim == 1:
        a = a[:, None]
    if a.shape[1] == 1:
        a = np.repeat(a, 2, axis=1)
    return a[:, :2]


def _fit_len(x: np.ndarray, n: int) -> np.ndarray:
    a = np.asarray(x)
    if len(a) >= n:
        return a[:n]
    pad = np.zeros((n - len(a),) + a.shape[1:], a.dtype)
    return np.concatenate([a, pad])


def _fit(curve: np.ndarray, n: int) -> np.ndarray:
    if curve.size >= n:
        return curve[:n]
    return np.concatenate([curve, np.zeros(n - curve.size, np.float32)])


def _r(x: float | None) -> float | None:
    return round(x, 2) if x is not None and math.isfinite(x) else None
