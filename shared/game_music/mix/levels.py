"""Loudness of the tracks to be mixed: music, game audio, and the voice while someone talks.

Measured in one streaming pass (:class:`LevelMeter`) or over whole arrays
(:func:`measure_levels`); the mixer only needs the resulting :class:`Levels`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .loudness import LoudnessMeter, gated_loudness, lufs_from_energy

SPEECH_THRESHOLD = 0.5
_MIN_SPEECH_BLOCKS = 3  # 0.6 s of talk before a voice level is trusted
_GAME_VOICE_FLOOR_DB = 6.0  # estimated voice is never below speech-span level minus this


@dataclass(frozen=True, eq=False)
class Levels:
    """Loudness (LUFS, ``-inf`` = silent/absent) of the unprocessed tracks."""

    music_lufs: float
    game_lufs: float
    voice_lufs: float  # speech loudness while someone talks
    voice_source: str  # "voice" (own track), "game" (estimated from the game track) or "none"
    #: The game track while nobody talks (its whole loudness when nobody does, or the voice
    #: has its own track): the level the bed is set against.
    game_between_lufs: float = -math.inf
    #: K-weighted mean square of the raw music per ``energy_step_s`` (for local dips).
    music_energy: np.ndarray = field(default_factory=lambda: np.zeros(0))
    energy_step_s: float = 0.1

    def music_lufs_between(self, t0: float, t1: float) -> float:
        """Loudness of the raw music over [t0, t1) seconds (mean energy, ungated)."""
        a = max(0, int(t0 / self.energy_step_s))
        b = max(a + 1, int(math.ceil(t1 / self.energy_step_s)))
        seg = self.music_energy[a:b]
        if not seg.size:
            return self.music_lufs
        return float(lufs_from_energy(float(seg.mean())))

    def summary(self) -> dict[str, float | str | None]:
        return {
            "music_lufs": _r(self.music_lufs),
            "game_lufs": _r(self.game_lufs),
            "game_between_talk_lufs": _r(self.game_between_lufs),
            "voice_lufs": _r(self.voice_lufs),
            "voice_source": self.voice_source,
        }


class LevelMeter:
    """Streaming measurement: ``add(music, game, voice)`` block by block, then ``levels()``."""

    def __init__(
        self, speech: np.ndarray | None = None, sample_rate: int = 48000, *, hop: float = 0.02,
        game: bool = True, voice: bool = False,
    ) -> None:
        # ``speech`` may also be given to ``levels()``: a streaming caller knows it only after
        # the pass that measured the game and voice tracks.
        self._speech = np.zeros(0, np.float32) if speech is None else np.asarray(speech, np.float32)
        self._hop = hop
        self._music = LoudnessMeter(sample_rate, 2)
        self._game = LoudnessMeter(sample_rate, 2) if game else None
        self._voice = LoudnessMeter(sample_rate, 2) if voice else None

    def add(
        self, music: np.ndarray | None, game: np.ndarray | None = None,
        voice: np.ndarray | None = None,
    ) -> None:
        if music is not None:
            self._music.add(music)
        if self._game is not None and game is not None:
            self._game.add(game)
        if self._voice is not None and voice is not None:
            self._voice.add(voice)

    def join_music(self, later: LoudnessMeter) -> None:
        """Append music measured by another meter right after this one's (see
        :meth:`LoudnessMeter.join`)."""
        self._music.join(later)

    def sub_energies(self) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """K-weighted energy per 100 ms of the music, game and voice tracks (None = absent)."""
        return (self._music.sub_energy,
                None if self._game is None else self._game.sub_energy,
                None if self._voice is None else self._voice.sub_energy)

    @property
    def sub_seconds(self) -> float:
        return self._music.sub_seconds

    def levels(self, speech: np.ndarray | None = None) -> Levels:
        if speech is not None:
            self._speech = np.asarray(speech, np.float32)
        music_lufs = self._music.integrated()
        game_lufs = self._game.integrated() if self._game is not None else -math.inf
        voice_lufs, source = -math.inf, "none"
        between = game_lufs
        ref = self._voice or self._game
        if ref is not None:
            talking = _speech_blocks(self._speech, self._hop, len(ref.block_energy()))
            if self._game is not None and self._voice is None and talking.any():
                quiet = gated_loudness(self._game.block_energy()[~talking])
                between = quiet if math.isfinite(quiet) else game_lufs
            if talking.sum() >= _MIN_SPEECH_BLOCKS:
                if self._voice is not None:
                    voice_lufs, source = self._voice.integrated(talking), "voice"
                else:
                    voice_lufs, source = _voice_from_game(ref.block_energy(), talking), "game"
                if not math.isfinite(voice_lufs):
                    source = "none"
        return Levels(
            music_lufs=music_lufs,
            game_lufs=game_lufs,
            voice_lufs=voice_lufs,
            voice_source=source,
            game_between_lufs=between,
            music_energy=self._music.sub_energy,
            energy_step_s=self._music.sub_seconds,
        )


def measure_levels(
    music: np.ndarray,
    game: np.ndarray | None,
    speech: np.ndarray,
    sample_rate: int = 48000,
    *,
    voice: np.ndarray | None = None,
    hop: float = 0.02,
) -> Levels:
    meter = LevelMeter(speech, sample_rate, hop=hop, game=game is not None, voice=voice is not None)
    meter.add(music, game, voice)
    return meter.levels()


def _speech_blocks(speech: np.ndarray, hop: float, n_blocks: int) -> np.ndarray:
    """Which 400 ms gating blocks (100 ms apart) are mostly speech."""
    if not n_blocks or not speech.size:
        return np.zeros(n_blocks, bool)
    per_block = max(1, int(round(0.4 / hop)))
    starts = np.rint(np.arange(n_blocks) * 0.1 / hop).astype(int)
    active = (speech >= SPEECH_THRESHOLD).astype(np.float64)
    c = np.concatenate([[0.0], np.cumsum(active)])
    a = np.minimum(starts, len(active))
    b = np.minimum(starts + per_block, len(active))
    frac = np.where(b > a, (c[b] - c[a]) / np.maximum(1, b - a), 0.0)
    return frac >= 0.5


def _voice_from_game(z: np.ndarray, talking: np.ndarray) -> float:
    """Voice loudness inside a mixed track: the energy that talk adds over the quiet parts."""
    during = gated_loudness(z[talking[: len(z)]])
    between = gated_loudness(z[~talking[: len(z)]])
    if not math.isfinite(during):
        return -math.inf
    if not math.isfinite(between):
        return during
    added = 10 ** (during / 10) - 10 ** (between / 10)
    floor = 10 ** ((during - _GAME_VOICE_FLOOR_DB) / 10)
    return float(10 * math.log10(max(added, floor)))


def _r(x: float) -> float | None:
    return round(x, 2) if math.isfinite(x) else None  # JSON has no -inf
