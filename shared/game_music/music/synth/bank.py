"""Which SoundFont the sampled styles play: the user's, a better one on the system, or ours.

Order: ``--soundfont`` (a render option), env ``GAME_MUSIC_SOUNDFONT``, the config key
``soundfont``, then a General MIDI bank installed on the system (FluidR3_GM or MuseScore
General, both MIT, from the Debian/Ubuntu packages ``fluid-soundfont-gm`` and
``musescore-general-soundfont``; MuseScore's own install folders), then the bank bundled with
the package: the presets these styles play, cut from FluidR3_GM (MIT), in Ogg Vorbis (SF3).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

ENV_SOUNDFONT = "GAME_MUSIC_SOUNDFONT"
BUNDLED = Path(__file__).resolve().parents[2] / "data" / "soundfonts" / "game-music-gm.sf3"

# Everything a sampled style asks for (the build script cuts these from FluidR3_GM).
BUNDLED_PRESETS: tuple[tuple[int, int], ...] = (
    # orchestra: strings (sustain, slow, tremolo, pizzicato), solo violin, cello, contrabass,
    # harp, timpani, choir, horns, brass section, trumpet, trombone; the orchestral kit
    (0, 48), (0, 49), (0, 44), (0, 45), (0, 40), (0, 42), (0, 43), (0, 46), (0, 47), (0, 52),
    (0, 60), (0, 61), (0, 56), (0, 57), (128, 48),
    # rock: distortion, overdrive, palm-muted and clean guitars, picked bass; the power kit
    (0, 30), (0, 29), (0, 28), (0, 27), (0, 34), (128, 16),
    # lofi: electric piano, piano, vibraphone, upright bass, a warm pad; the standard kit
    (0, 4), (0, 0), (0, 11), (0, 32), (0, 89), (128, 0),
)

_SYSTEM = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf3/MuseScore_General.sf3",
    "/usr/share/sounds/sf2/MuseScore_General.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/soundfonts/MuseScore_General.sf3",
    "/usr/local/share/soundfonts/FluidR3_GM.sf2",
    "/opt/homebrew/share/soundfonts/FluidR3_GM.sf2",
)


@dataclass(frozen=True)
class BankChoice:
    """A SoundFont to play, and why it was chosen (``doctor`` and the sidecar say so)."""

    path: Path
    source: str  # "option", "env", "config", "system" or "bundled"

    @property
    def name(self) -> str:
        return self.path.name

    def describe(self) -> str:
        return f"{self.path} ({self.source})"


def _system_banks() -> list[Path]:
    found = [Path(p) for p in _SYSTEM]
    if sys.platform == "win32":
        for root in (os.environ.get("ProgramFiles", ""), os.environ.get("ProgramFiles(x86)", "")):
            if root:
                found += sorted(Path(root).glob("MuseScore*/sound/MuseScore_General.sf3"))
    elif sys.platform == "darwin":
        found += sorted(Path("/Applications").glob("MuseScore*.app/Contents/Resources/sound/*.sf3"))
    return [p for p in found if p.is_file()]


def choose_bank(explicit: str | Path | None = None, config: dict | None = None) -> BankChoice:
    """The bank to use. A user's choice is returned as given, even when it is missing or
    broken: the player then says so in one line and the style falls back to our bank."""
    if explicit:
        return BankChoice(Path(explicit).expanduser(), "option")
    env = os.environ.get(ENV_SOUNDFONT)
    if env:
        return BankChoice(Path(env).expanduser(), "env")
    if config is None:
        try:
            from ...config import load_config

            config = load_config()
        except Exception:  # an unreadable config is reported by the command that reads it
            config = {}
    value = config.get("soundfont") if isinstance(config, dict) else None
    if value:
        return BankChoice(Path(str(value)).expanduser(), "config")
    system = _system_banks()
    if system:
        return BankChoice(system[0], "system")
    return BankChoice(BUNDLED, "bundled")


def bundled_bank() -> BankChoice:
    return BankChoice(BUNDLED, "bundled")
