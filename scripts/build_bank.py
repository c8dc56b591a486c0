"""Build the bundled SoundFont: the presets the sampled styles play, cut from FluidR3_GM
(MIT), samples in Ogg Vorbis (an SF3), into shared/game_music/data/soundfonts/.

    python scripts/build_bank.py [/usr/share/sounds/sf2/FluidR3_GM.sf2]

Needs soundfile (libsndfile with Vorbis; its wheels carry it). The engine reads the result
with the same subsetter, decoding only the samples a style plays back to PCM.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))

from game_music.music.synth.bank import BUNDLED, BUNDLED_PRESETS  # noqa: E402
from game_music.music.synth.sf2file import SoundFontFile  # noqa: E402

QUALITY = 0.5  # libsndfile's compression level for Vorbis (0 best .. 1 smallest)


def encode(pcm: bytes, rate: int) -> bytes:
    buf = io.BytesIO()
    x = np.frombuffer(pcm, "<i2")
    sf.write(buf, x, rate, format="OGG", subtype="VORBIS", compression_level=QUALITY)
    return buf.getvalue()


def main() -> int:
    src = Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/sounds/sf2/FluidR3_GM.sf2")
    with SoundFontFile(src) as sf2:
        have = {(p.bank, p.program) for p in sf2.presets()}
        missing = [p for p in BUNDLED_PRESETS if p not in have]
        if missing:
            print(f"{src.name} lacks presets {missing}", file=sys.stderr)
            return 1
        data = sf2.subset(BUNDLED_PRESETS, encode=encode)
    BUNDLED.parent.mkdir(parents=True, exist_ok=True)
    tmp = BUNDLED.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(BUNDLED)
    print(f"{BUNDLED.relative_to(ROOT)}: {len(BUNDLED_PRESETS)} presets, {len(data) / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
