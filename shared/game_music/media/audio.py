"""Decode an input's audio to float32 PCM (48 kHz stereo) through the one ffmpeg runner.

Every array is aligned to the video timeline: sample 0 is the container start (where the
video's time 0 is), late-starting audio and gaps in the stream are filled with silence, and
the result has exactly ``round(duration * 48000)`` samples. A file without audio decodes to
silence, so later stages never special-case it.
"""

from __future__ import annotations

import contextlib
import queue
import re
import subprocess
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import numpy as np

from .._errors import Cancelled, CorruptInput, InputNotFound, InternalError, UsageError
from .ffmpeg import drain, error_from_stderr, open_ffmpeg
from .probe import AudioStream, MediaInfo

SAMPLE_RATE = 48000
CHANNELS = 2
_FRAME_BYTES = 4 * CHANNELS  # one stereo float32 sample

# Track names that mean "a person talking" (OBS's default mic source is "Mic/Aux").
_VOICE_NAME = re.compile(
    r"\b(mic|mics|microphone|voice|voices|vo|commentary|narration|narrator|speech)\b",
    re.IGNORECASE,
)
# Names that say nothing about the content: empty, "Track 2", muxer handler names...
_GENERIC_NAME = re.compile(
    r"^\s*(|track|audio|stream|sound|soundhandler|sound ?handler|(core media|gpac iso) audio"
    r"( handler)?|aac|opus|pcm|stereo|default)\s*#?\s*\d*\s*$",
    re.IGNORECASE,
)


def samples_for(seconds: float) -> int:
    """Number of 48 kHz samples covering ``seconds`` (the one rounding rule used everywhere)."""
    return max(0, int(round(seconds * SAMPLE_RATE)))


def pick_streams(info: MediaInfo, game_track: int | None = None,
                 voice_track: int | None = None) -> tuple[int | None, int | None]:
    """Choose ``(game_stream_index, voice_stream_index)`` among the audio streams.

    ``game_track``/``voice_track`` (1-based audio track numbers, 0 = no voice track) are the
    user's choice and win. Otherwise named tracks decide first (a title or handler such as
    "Mic/Aux", "Voice", "Commentary" is the voice). When several tracks carry no meaningful
    name, OBS's convention applies: track 1 is the full mix (game) and track 2 the microphone.
    A single track is always the game/mix, whatever its name: it is what the viewer hears.
    Other tracks (OBS tracks 3-6) are not used.
    """
    streams = info.audio
    if game_track is not None or voice_track is not None:
        return _chosen_streams(info, game_track, voice_track)
    if not streams:
        return None, None
    if len(streams) == 1:
        return streams[0].index, None
    voice = next((s for s in streams if _is_voice(s)), None)
    if voice is None and all(_is_generic(s, streams) for s in streams[:2]):
        voice = streams[1]
    game = next((s for s in streams if s is not voice), None)
    return (game.index if game else None), (voice.index if voice else None)


def _chosen_streams(info: MediaInfo, game_track: int | None,
                    voice_track: int | None) -> tuple[int | None, int | None]:
    streams = info.audio
    for flag, n in (("--game-track", game_track), ("--voice-track", voice_track)):
        if n is not None and n > len(streams):
            have = f"{len(streams)} audio track{'s' if len(streams) != 1 else ''}"
            raise UsageError(f"{flag} {n}: {info.path.name} has {have}")
    if game_track is not None and game_track == voice_track:
        raise UsageError(f"--game-track and --voice-track are both track {game_track}")
    auto_voice = pick_streams(info)[1]
    voice = (None if voice_track == 0 else streams[voice_track - 1].index) \
        if voice_track is not None else auto_voice
    if game_track is not None:
        game = streams[game_track - 1].index
        if voice_track is None and auto_voice == game:
            voice = None
    else:
        game = next((s.index for s in streams if s.index != voice), None)
    return game, voice


def _is_voice(stream: AudioStream) -> bool:
    return bool(stream.title and _VOICE_NAME.search(stream.title.replace("_", " ")))


def _is_generic(stream: AudioStream, streams: tuple[AudioStream, ...]) -> bool:
    if not stream.title or _GENERIC_NAME.match(stream.title):
        return True
    # A name every track shares (a muxer's handler name) says nothing about the content.
    return all(s.title == stream.title for s in streams)


def iter_audio_blocks(
    info: MediaInfo,
    stream_index: int | None = None,
    block_seconds: float = 10.0,
    start: float = 0.0,
    duration: float | None = None,
) -> Iterator[np.ndarray]:
    """Yield float32 ``(block, 2)`` arrays of exactly ``round(block_seconds * 48000)`` rows.

    ``stream_index`` is the container stream index (``AudioStream.index``); ``None`` takes the
    game/mix track chosen by :func:`pick_streams`. ``duration=None`` means up to the end of
    the video. The last block holds the remainder: the blocks have exactly
    ``round(duration * 48000)`` rows in all, whatever the block size, while memory stays flat
    however long the input is. Stopping the iteration early stops ffmpeg.
    """
    start, n = _span(info, start, duration)
    block_n = max(1, samples_for(block_seconds))
    for _, block in _blocks(info, stream_index, start, n, block_n):
        yield block


def _span(info: MediaInfo, start: float, duration: float | None) -> tuple[float, int]:
    start = max(0.0, float(start))
    if duration is None:
        duration = max(0.0, info.duration - start)
    if duration < 0:
        raise ValueError(f"negative duration {duration}")
    return start, samples_for(duration)


def _blocks(
    info: MediaInfo, stream_index: int | None, start: float, n: int, block_n: int
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(offset, block)`` pairs covering ``n`` samples in blocks of ``block_n``."""
    if n == 0:
        return
    index = _stream(info, stream_index)
    if index is None:  # no audio at all: silence of the right length
        for offset in range(0, n, block_n):
            yield offset, np.zeros((min(block_n, n - offset), CHANNELS), dtype=np.float32)
        return
    args = _decode_args(info, index, start, n)
    stderr: list[bytes] = []
    try:
        with open_ffmpeg(args) as proc, _ReadAhead(proc.stdout, n, block_n) as ahead:
            draining = drain(proc.stderr, stderr)
            got = 0
            for block, filled in ahead:
                want = len(block)
                if filled < want:  # ffmpeg ended early (short stream): finish with silence
                    proc.wait()
                    draining.join(timeout=5)
                    # A short or damaged tail is fine (silence follows); a decoder killed
                    # part-way is not: the rest would silently be missing.
                    if proc.returncode != 0 and (got + filled == 0 or proc.returncode < 0):
                        raise _decode_error(info, b"".join(stderr), proc.returncode)
                    yield got, block
                    got += want
                    for offset in range(got, n, block_n):
                        yield offset, np.zeros((min(block_n, n - offset), CHANNELS), np.float32)
                    return
                yield got, block
                got += want
    except KeyboardInterrupt:
        raise Cancelled("interrupted") from None


def _stream(info: MediaInfo, stream_index: int | None) -> int | None:
    if stream_index is None:
        return pick_streams(info)[0]
    if not any(s.index == stream_index for s in info.audio):
        raise ValueError(f"{info.path.name}: stream {stream_index} is not an audio stream")
    return stream_index


def _decode_args(info: MediaInfo, index: int, start: float, n: int) -> list[str]:
    # -ss before -i is sample-accurate for decoded audio (ffmpeg trims after the seek) and is
    # measured from the container start, which is the video's time 0. aresample's async mode
    # pads a late first packet and gaps (dropped audio in a recording) with silence so the
    # samples stay on the video's timeline.
    args = []
    if start > 0:
        args += ["-ss", f"{start:.6f}"]
    args += [
        "-i", str(info.path),
        "-map", f"0:{index}",
        "-vn", "-sn", "-dn",
        "-af", f"aresample={SAMPLE_RATE}:async=1:first_pts=0",
        "-ac", str(CHANNELS), "-ar", str(SAMPLE_RATE),
        # Ask for a little more than needed: the reader stops at exactly n samples.
        "-t", f"{n / SAMPLE_RATE + 0.1:.6f}",
        "-f", "f32le", "pipe:1",
    ]  # fmt: skip
    return args


class _ReadAhead:
    """The decoder's next blocks, read on a thread while the caller works on the current one.

    A pipe holds 64 KiB, a block megabytes: read on demand, the decoder and the caller take
    turns instead of working at the same time. Iterating gives ``(block, samples_filled)``;
    a short fill (the stream ended) is the last.
    """

    def __init__(self, pipe: IO[bytes] | None, n: int, block_n: int, depth: int = 2) -> None:
        assert pipe is not None
        self._queue: queue.Queue[tuple[np.ndarray, int] | BaseException | None] = (
            queue.Queue(maxsize=depth))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(pipe, n, block_n), daemon=True)
        self._thread.start()

    def __enter__(self) -> _ReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()  # the caller stops ffmpeg next, which ends a read in progress

    def __iter__(self) -> Iterator[tuple[np.ndarray, int]]:
        while (item := self._queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item

    def _run(self, pipe: IO[bytes], n: int, block_n: int) -> None:
        got = 0
        try:
            while got < n and not self._stop.is_set():
                want = min(block_n, n - got)
                block = np.zeros((want, CHANNELS), dtype=np.float32)
                filled = read_into(pipe, block)
                self._put((block, filled))
                if filled < want:
                    break
                got += want
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            self._put(exc)
        finally:
            self._put(None)  # whatever happened, the caller never waits forever

    def _put(self, item: tuple[np.ndarray, int] | BaseException | None) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue


def read_into(pipe: IO[bytes], block: np.ndarray) -> int:
    """Fill ``block`` from ``pipe``; return how many whole samples were read."""
    view = memoryview(block.reshape(-1).view(np.uint8))
    total = 0
    while total < len(view):
        got = pipe.readinto(view[total:])  # type: ignore[attr-defined]
        if not got:
            break
        total += got
    return total // _FRAME_BYTES


def _decode_error(info: MediaInfo, stderr: bytes, returncode: int | None = None) -> Exception:
    text = stderr.decode("utf-8", "replace").strip()
    last = text.splitlines()[-1] if text else "ffmpeg failed"
    if returncode is not None and returncode < 0:
        return InternalError(
            f"decoding {info.path.name}: ffmpeg was stopped (signal {-returncode})")
    if "no such file" in text.lower():
        return InputNotFound(f"{info.path.name}: file not found")
    return CorruptInput(f"{info.path.name}: the audio cannot be decoded ({last[:200]})")


class AudioWriter:
    """Stream float32 ``(n, 2)`` blocks into a file that ffmpeg encodes as it goes.

    ``codec`` is an ffmpeg audio encoder (``pcm_s24le`` for a WAV stem, ``aac`` for the final
    track); ``fmt`` the container (``wav``, ``mp4``). Exactly ``length`` seconds are written
    (padded or trimmed), so AAC priming and short blocks never change the duration. Use as a
    context manager; an exception inside the block stops ffmpeg and raises.
    """

    def __init__(self, path: Path, *, codec: str, fmt: str, length: float | None = None,
                 extra: Sequence[str] = ()) -> None:
        self.path = Path(path)
        af = [] if length is None else [
            "-af", f"apad=whole_dur={length:.6f},atrim=end={length:.6f}", "-t", f"{length:.6f}"]
        self._args = [
            "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", str(CHANNELS), "-i", "pipe:0",
            "-c:a", codec, *extra, *af, "-f", fmt, str(self.path),
        ]
        self._cm: contextlib.AbstractContextManager[subprocess.Popen] | None = None  # type: ignore[type-arg]
        self._proc: subprocess.Popen | None = None  # type: ignore[type-arg]

    def __enter__(self) -> AudioWriter:
        self._cm = open_ffmpeg(self._args, stdin=True, stdout=False)
        self._proc = self._cm.__enter__()
        return self

    def write(self, block: np.ndarray) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        data = np.ascontiguousarray(block, dtype=np.float32).tobytes()
        try:
            self._proc.stdin.write(data)
        except BrokenPipeError:
            raise self._failure() from None

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        assert self._cm is not None and self._proc is not None
        proc = self._proc
        try:
            if exc_type is None:
                assert proc.stdin is not None
                try:
                    proc.stdin.close()
                except BrokenPipeError:
                    pass
                proc.wait()
                if proc.returncode != 0:
                    raise self._failure()
        finally:
            self._cm.__exit__(exc_type, exc, tb)  # type: ignore[arg-type]

    def _failure(self) -> Exception:
        assert self._proc is not None
        self._proc.wait()
        err = self._proc.stderr.read().decode("utf-8", "replace") if self._proc.stderr else ""
        return error_from_stderr(err, f"writing {self.path.name}", self._proc.returncode)
