"""Notes from a SoundFont, rendered in-process by TinySoundFont.

The player loads only the presets a style plays (a subset built in memory, SF3 samples decoded
to PCM by libsndfile), so memory follows the style, not the bank: the orchestra's 15 presets
from FluidR3_GM take tens of MB, the whole bank 440. A preset the user's bank lacks comes from
the bundled bank; a user's bank that cannot be read costs one warning line and the bundled
bank plays instead.

Each note is rendered alone from silence (key down for ``hold`` samples, then released and
rung out), so the same note is the same samples whatever was played before: the engine's
determinism and chunk independence rest on that.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .bank import BankChoice, bundled_bank
from .sf2file import Preset, SoundFontFile, SoundFontFormatError

log = logging.getLogger("game_music")

_BLOCK = 4800  # tail rendered in blocks until it falls silent
_SILENT = 3e-4  # about -70 dBFS: under the mix, the hall and the AAC
_FLUSH = 2048  # samples for a released voice (TinySoundFont's quick release is 10 ms) to end


class SoundFontError(RuntimeError):
    """No SoundFont can be played here (the renderer is missing, or no bank loads): the
    style then plays its synthesized instruments, after one warning line."""


def _decode_vorbis(data: bytes) -> bytes:
    import soundfile

    y, _ = soundfile.read(io.BytesIO(data), dtype="int16", always_2d=False)
    if y.ndim > 1:
        y = y[:, 0]
    return np.ascontiguousarray(y, dtype="<i2").tobytes()


def _load(choice: BankChoice, presets: Sequence[Preset]) -> tuple[bytes, list[Preset]]:
    """The presets of ``choice`` as an in-memory SF2, and the ones it lacks."""
    try:
        with SoundFontFile(choice.path) as sf:
            have = {(p.bank, p.program) for p in sf.presets()}
            found = [p for p in presets if p in have]
            lacking = [p for p in presets if p not in have]
            if not found:
                raise SoundFontFormatError(
                    f"{choice.name} has none of the presets this style plays"
                )
            if not sf.compressed:
                return sf.subset(found), lacking
            # An SF3's samples are decoded once per bank and style, then read back.
            cached = _decoded_path(choice, found)
            if cached is not None:
                try:
                    return cached.read_bytes(), lacking
                except OSError:
                    pass
            data = sf.subset(found, decode=_decode_vorbis)
            _keep_decoded(cached, data)
            return data, lacking
    except SoundFontFormatError:
        raise
    except (ImportError, OSError, RuntimeError, ValueError) as exc:  # a corrupt sample
        raise SoundFontFormatError(f"cannot read {choice.name}: {exc}") from None


def _decoded_path(choice: BankChoice, presets: Sequence[Preset]) -> Path | None:
    try:
        from ...config import cache_dir

        st = choice.path.stat()
        key = repr((str(choice.path.resolve()), st.st_size, st.st_mtime_ns, sorted(presets)))
        name = hashlib.sha1(key.encode()).hexdigest()[:20]
        return cache_dir() / "soundfonts" / f"{choice.path.stem}-{name}.sf2"
    except OSError:
        return None


def _keep_decoded(path: Path | None, data: bytes) -> None:
    if path is None:
        return
    try:  # a temp name, then a rename: a reader never sees half a bank
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:  # no cache folder: decode again next time
        log.debug("cannot keep the decoded bank %s: %s", path, exc)


class SoundFontPlayer:
    """``note(preset, key, velocity, hold, max_tail)`` -> (n, 2) float32 at ``sample_rate``."""

    def __init__(self, choice: BankChoice, presets: Sequence[Preset], sample_rate: int) -> None:
        try:
            import tinysoundfont
        except ImportError:
            raise SoundFontError(
                "the SoundFont renderer (tinysoundfont) is not installed"
            ) from None
        self.sample_rate = int(sample_rate)
        self._synth = tinysoundfont.Synth(samplerate=self.sample_rate)
        self._sfid: dict[Preset, int] = {}
        self._lock = threading.Lock()
        self.choice = choice
        missing = list(presets)
        sources = [choice] if choice.source == "bundled" else [choice, bundled_bank()]
        for source in sources:
            if not missing:
                break
            try:
                data, lacking = _load(source, missing)
                sfid = self._synth.sfload(data)
            except (SoundFontFormatError, RuntimeError) as exc:
                if source.source == "bundled":
                    raise SoundFontError(f"the bundled SoundFont does not load: {exc}") from None
                log.warning("SoundFont %s: %s; playing the bundled bank", source.path, exc)
                self.choice = bundled_bank()
                continue
            for p in missing:
                if p not in lacking:
                    self._sfid[p] = sfid
            if lacking and source.source != "bundled":
                log.info("SoundFont %s lacks %d of the style's presets; those come from the "
                         "bundled bank", source.name, len(lacking))
            missing = lacking
        if missing:
            raise SoundFontError(f"no SoundFont here has presets {missing}")

    def note(
        self, preset: Preset, key: int, velocity: int, hold: int, *, max_tail: int
    ) -> np.ndarray:
        with self._lock:
            return self._note(preset, key, velocity, hold, max_tail)

    def _note(self, preset: Preset, key: int, velocity: int, hold: int, max_tail: int):
        s = self._synth
        bank, program = preset
        s.program_select(0, self._sfid[preset], bank, program, is_drums=bank == 128)
        s.noteon(0, int(key), int(velocity))
        parts = [np.frombuffer(s.generate(int(hold)), np.float32).reshape(-1, 2)]
        s.noteoff(0, int(key))
        got = 0
        while got < max_tail:
            block = np.frombuffer(s.generate(min(_BLOCK, max_tail - got)), np.float32)
            parts.append(block.reshape(-1, 2))
            got += len(parts[-1])
            if not len(block) or float(np.abs(block).max()) < _SILENT:
                break
        s.sounds_off(0)  # the next note starts from silence, whatever rang on
        s.generate(_FLUSH)
        return np.concatenate(parts).astype(np.float32, copy=True)
