"""SoundFont files cut down to the presets a style plays.

A General MIDI bank holds 128 instruments and a few kits; a style plays a dozen. Loading the
whole bank costs its decoded size in memory (FluidR3_GM: 440 MB resident; an SF3 bank is
decoded whole at load), so the player is handed a small SoundFont built in memory from the
wanted presets, their instruments and only the samples those reach. The file is read through a
memory map: only the wanted samples' pages are touched.

Both sample encodings are kept as they are: 16-bit PCM (SF2; sample offsets are frames, each
sample followed by 46 zero frames as the format asks) and Ogg Vorbis (SF3; offsets are bytes
into the sample chunk, loop points relative to the sample's own start).
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

Preset = tuple[int, int]  # (bank, program); drum kits are bank 128

_GEN_INSTRUMENT, _GEN_SAMPLE = 41, 53
_VORBIS = 0x10  # shdr sampleType: compressed (SF3)
_ROM = 0x8000
_PAD = 46  # zero frames after each PCM sample (SF2 2.01, 7.10)

_PHDR = struct.Struct("<20sHHHIII")
_BAG = struct.Struct("<HH")
_MOD = struct.Struct("<HHhHH")
_GEN = struct.Struct("<HH")
_INST = struct.Struct("<20sH")
_SHDR = struct.Struct("<20sIIIIIBbHH")


class SoundFontFormatError(ValueError):
    """The file is not a SoundFont this reader understands (one line: what and where)."""


@dataclass(frozen=True)
class PresetInfo:
    bank: int
    program: int
    name: str


def _chunks(buf, start: int, end: int) -> dict[str, tuple[int, int]]:
    """Sub-chunks of a RIFF list body: id -> (data offset, size); LISTs as 'LIST:type'."""
    out: dict[str, tuple[int, int]] = {}
    i = start
    while i + 8 <= end:
        cid = bytes(buf[i : i + 4]).decode("latin-1")
        (size,) = struct.unpack_from("<I", buf, i + 4)
        body = i + 8
        if body + size > end:
            raise SoundFontFormatError(f"chunk {cid!r} runs past the end of the file")
        if cid == "LIST":
            cid = "LIST:" + bytes(buf[body : body + 4]).decode("latin-1")
        out[cid] = (body, size)
        i = body + size + (size & 1)
    return out


def _records(buf, where: tuple[int, int], rec: struct.Struct, name: str) -> list[tuple]:
    off, size = where
    if size % rec.size or size < 2 * rec.size and name in ("phdr", "inst", "shdr"):
        raise SoundFontFormatError(f"the {name} table is malformed")
    return [rec.unpack_from(buf, off + k * rec.size) for k in range(size // rec.size)]


class SoundFontFile:
    """One SoundFont on disk, parsed (its hydra tables; samples stay mapped, unread)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            with open(self.path, "rb") as fh:
                self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:  # ValueError: an empty file cannot be mapped
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "empty"
            raise SoundFontFormatError(f"cannot read {self.path.name}: {reason}") from None
        buf = self._map
        if len(buf) < 12 or buf[0:4] != b"RIFF" or buf[8:12] != b"sfbk":
            self._map.close()
            raise SoundFontFormatError(f"{self.path.name} is not a SoundFont (no RIFF sfbk)")
        try:
            self._parse(buf)
        except SoundFontFormatError as exc:
            self._map.close()
            msg = str(exc)
            raise SoundFontFormatError(
                msg if self.path.name in msg else f"{self.path.name}: {msg}"
            ) from None

    def _parse(self, buf) -> None:
        (riff_size,) = struct.unpack_from("<I", buf, 4)
        top = _chunks(buf, 12, min(len(buf), 8 + riff_size))
        try:
            sdta, pdta = top["LIST:sdta"], top["LIST:pdta"]
            self.info = top.get("LIST:INFO")
            sd = _chunks(buf, sdta[0] + 4, sdta[0] + sdta[1])
            pd = _chunks(buf, pdta[0] + 4, pdta[0] + pdta[1])
            self.smpl = sd["smpl"]
            self.phdr = _records(buf, pd["phdr"], _PHDR, "phdr")
            self.pbag = _records(buf, pd["pbag"], _BAG, "pbag")
            self.pmod = _records(buf, pd["pmod"], _MOD, "pmod")
            self.pgen = _records(buf, pd["pgen"], _GEN, "pgen")
            self.inst = _records(buf, pd["inst"], _INST, "inst")
            self.ibag = _records(buf, pd["ibag"], _BAG, "ibag")
            self.imod = _records(buf, pd["imod"], _MOD, "imod")
            self.igen = _records(buf, pd["igen"], _GEN, "igen")
            self.shdr = _records(buf, pd["shdr"], _SHDR, "shdr")
        except KeyError as exc:
            raise SoundFontFormatError(
                f"{self.path.name} has no {exc.args[0]!r} chunk"
            ) from None

    def close(self) -> None:
        self._map.close()

    def __enter__(self) -> SoundFontFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def compressed(self) -> bool:
        return any(s[9] & _VORBIS for s in self.shdr[:-1])

    def presets(self) -> list[PresetInfo]:
        return [
            PresetInfo(bank, prog, name.split(b"\0", 1)[0].decode("latin-1"))
            for name, prog, bank, *_ in self.phdr[:-1]
        ]

    def subset(
        self,
        wanted: Iterable[Preset],
        *,
        encode: Callable[[bytes, int], bytes] | None = None,
        decode: Callable[[bytes], bytes] | None = None,
    ) -> bytes:
        """A SoundFont (bytes) of the ``wanted`` presets that exist here (a missing one is
        left out; ``presets()`` says which exist). ``encode`` turns a PCM sample (16-bit
        little-endian mono, rate) into an Ogg Vorbis stream: the result is then an SF3;
        ``decode`` turns an SF3 sample back into PCM: the result is then a plain SF2."""
        want = set(wanted)
        phdr = [
            (i, p) for i, p in enumerate(self.phdr[:-1]) if (p[2], p[1]) in want
        ]
        ranges = lambda table, i, k: range(table[i][k], table[i + 1][k])  # noqa: E731
        if any(p[3] >= len(self.pbag) or self.phdr[i + 1][3] > len(self.pbag) for i, p in phdr):
            raise SoundFontFormatError(f"{self.path.name}: a preset's zones are out of range")

        pz, new_phdr = _Zones(self.pbag, self.pgen, self.pmod), []
        inst_map: dict[int, int] = {}
        for i, p in phdr:
            new_phdr.append((p[0], p[1], p[2], len(pz.bags), p[4], p[5], p[6]))
            pz.copy(ranges(self.phdr, i, 3), _GEN_INSTRUMENT, inst_map)

        iz, new_inst = _Zones(self.ibag, self.igen, self.imod), []
        sample_map: dict[int, int] = {}
        for old in sorted(inst_map, key=inst_map.__getitem__):
            if old + 1 >= len(self.inst):
                raise SoundFontFormatError(f"{self.path.name}: a preset names no instrument")
            new_inst.append((self.inst[old][0], len(iz.bags)))
            iz.copy(ranges(self.inst, old, 1), _GEN_SAMPLE, sample_map)
        # Stereo pairs name each other: keep the partner, so the link stays valid.
        for old in list(sample_map):
            link, kind = self.shdr[old][8], self.shdr[old][9]
            if kind & 0x6 and link < len(self.shdr) - 1:
                sample_map.setdefault(link, len(sample_map))

        smpl, new_shdr = self._samples(sample_map, encode, decode)
        new_phdr.append((b"EOP".ljust(20, b"\0"), 0, 0, pz.close(), 0, 0, 0))
        new_inst.append((b"EOI".ljust(20, b"\0"), iz.close()))
        new_shdr.append((b"EOS".ljust(20, b"\0"), 0, 0, 0, 0, 0, 0, 0, 0, 0))

        pack = lambda rec, rows: b"".join(rec.pack(*r) for r in rows)  # noqa: E731
        pdta = b"".join(
            _chunk(cid, pack(rec, rows))
            for cid, rec, rows in (
                ("phdr", _PHDR, new_phdr), ("pbag", _BAG, pz.bags), ("pmod", _MOD, pz.mods),
                ("pgen", _GEN, pz.gens), ("inst", _INST, new_inst), ("ibag", _BAG, iz.bags),
                ("imod", _MOD, iz.mods), ("igen", _GEN, iz.gens), ("shdr", _SHDR, new_shdr),
            )
        )
        version = (3, 1) if encode or (self.compressed and not decode) else (2, 1)
        info = _chunk("ifil", struct.pack("<HH", *version)) + _chunk("isng", b"EMU8000\0")
        info += _chunk("INAM", _zstr(f"{self.path.stem} (subset)"))
        body = b"sfbk" + _list("INFO", info) + _list("sdta", _chunk("smpl", smpl))
        body += _list("pdta", pdta)
        return b"RIFF" + struct.pack("<I", len(body)) + body

    def _samples(
        self,
        sample_map: dict[int, int],
        encode: Callable[[bytes, int], bytes] | None,
        decode: Callable[[bytes], bytes] | None,
    ) -> tuple[bytes, list[tuple]]:
        base, size = self.smpl
        parts: list[bytes] = []
        rows: list[tuple] = [()] * len(sample_map)
        pos = 0  # frames (PCM out) or bytes (compressed out)
        out_compressed = encode is not None or (self.compressed and decode is None)
        for old, new in sorted(sample_map.items(), key=lambda kv: kv[1]):
            name, start, end, sloop, eloop, rate, pitch, corr, link, kind = self.shdr[old]
            link = sample_map.get(link, 0)
            rom = kind & _ROM
            if kind & _VORBIS:  # bytes into the chunk; loops relative to the sample's start
                data = bytes(self._map[base + start : base + min(end, size)])
                rel_s, rel_e = sloop, eloop
                if decode is not None:
                    data, kind = decode(data), kind & ~_VORBIS
            else:
                lo, hi = 2 * start, 2 * min(end, size // 2)
                if rom or hi <= lo:
                    data, rel_s, rel_e = b"", 0, 0
                else:
                    data = bytes(self._map[base + lo : base + hi])
                    rel_s, rel_e = sloop - start, eloop - start
            if out_compressed:
                if not kind & _VORBIS and data:
                    data = encode(data, rate) if encode else data
                    kind |= _VORBIS
                parts.append(data)
                rows[new] = (name, pos, pos + len(data), rel_s, rel_e, rate, pitch, corr,
                             link, kind & ~_ROM)
                pos += len(data)
            else:
                frames = len(data) // 2
                parts.append(data + b"\0" * (2 * _PAD))
                rows[new] = (name, pos, pos + frames, pos + rel_s, pos + rel_e, rate, pitch,
                             corr, link, kind & ~_ROM)
                pos += frames + _PAD
        return b"".join(parts), rows


class _Zones:
    """The zones (bags, generators, modulators) of the presets or of the instruments kept,
    copied with their indices renumbered; one generator names the next level down
    (a preset's instrument, an instrument's sample), renumbered through ``link_map``."""

    def __init__(self, bag: list[tuple], gen: list[tuple], mod: list[tuple]) -> None:
        self._bag, self._gen, self._mod = bag, gen, mod
        self.bags: list[tuple] = []
        self.gens: list[tuple] = []
        self.mods: list[tuple] = []

    def copy(self, bags: range, link_oper: int, link_map: dict[int, int]) -> None:
        for b in bags:
            self.bags.append((len(self.gens), len(self.mods)))
            self.mods.extend(self._mod[m] for m in range(self._bag[b][1], self._bag[b + 1][1]))
            for g in range(self._bag[b][0], self._bag[b + 1][0]):
                oper, amount = self._gen[g]
                if oper == link_oper:
                    amount = link_map.setdefault(amount, len(link_map))
                self.gens.append((oper, amount))

    def close(self) -> int:
        """Add the terminal records; the index of the terminal bag (for EOP/EOI)."""
        self.bags.append((len(self.gens), len(self.mods)))
        self.gens.append((0, 0))
        self.mods.append((0, 0, 0, 0, 0))
        return len(self.bags) - 1


def _zstr(s: str) -> bytes:
    b = s.encode("latin-1", "replace")[:255] + b"\0"
    return b + b"\0" * (len(b) & 1)


def _chunk(cid: str, data: bytes) -> bytes:
    return cid.encode("latin-1") + struct.pack("<I", len(data)) + data + b"\0" * (len(data) & 1)


def _list(kind: str, data: bytes) -> bytes:
    return _chunk("LIST", kind.encode("latin-1") + data)


def subset_file(path: str | Path, wanted: Sequence[Preset]) -> tuple[bytes, list[Preset]]:
    """The ``wanted`` presets of the SoundFont at ``path`` as bytes, and those it lacks."""
    with SoundFontFile(path) as sf:
        have = {(p.bank, p.program) for p in sf.presets()}
        return sf.subset(wanted), [p for p in wanted if p not in have]
