"""``MusicRequest``: what the user asked for, in one frozen value (Contract 3)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from ._errors import InvalidRequest

STYLES: tuple[str, ...] = (
    "chiptune", "gameboy", "fm16", "synthwave", "orchestral", "lofi", "ambient", "rock", "edm",
)
MOODS: tuple[str, ...] = (
    "heroic", "tense", "calm", "dark", "happy", "sad", "mysterious", "triumphant", "playful",
)
GAME_AUDIO = ("keep", "duck", "mute")
ASPECTS = ("source", "16:9", "9:16", "1:1")

GameAudio = Literal["keep", "duck", "mute"]
Aspect = Literal["source", "16:9", "9:16", "1:1"]


@dataclass(frozen=True)
class MusicRequest:
    style: str | None = None
    mood: str | None = None
    tempo_bpm: int | None = None
    music_volume: float | None = None
    start_s: float | None = None
    end_s: float | None = None
    fade_in_s: float | None = None
    fade_out_s: float | None = None
    duck_voice: bool = True
    game_audio: GameAudio = "keep"
    # Whether the prompt said anything about the game's sound: when it did not, a game track
    # that carries its own music is lowered under ours (see mix.mixer); when it did, as said.
    game_audio_asked: bool = field(default=False, compare=False)
    aspect: Aspect = "source"
    seed: int | None = None
    unrecognized: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.style is not None and self.style not in STYLES:
            raise InvalidRequest(f"unknown style {self.style!r}")
        if self.mood is not None and self.mood not in MOODS:
            raise InvalidRequest(f"unknown mood {self.mood!r}")
        if self.game_audio not in GAME_AUDIO:
            raise InvalidRequest(f"game_audio must be one of {GAME_AUDIO}")
        if self.aspect not in ASPECTS:
            raise InvalidRequest(f"aspect must be one of {ASPECTS}")
        if self.music_volume is not None and not 0.0 <= self.music_volume <= 1.0:
            raise InvalidRequest("music_volume must be in [0, 1]")

    def replace(self, **changes: Any) -> MusicRequest:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["unrecognized"] = list(self.unrecognized)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MusicRequest:
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        if "unrecognized" in kwargs:
            kwargs["unrecognized"] = tuple(kwargs["unrecognized"] or ())
        return cls(**kwargs)
