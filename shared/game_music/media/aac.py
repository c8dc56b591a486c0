"""AAC encoding spread over several ffmpeg encoders and spliced into one seamless stream.

ffmpeg's native AAC encoder runs on one core at about 60x real time: in a render it is the
slowest step by far, and the other core would wait for it. So the track is cut into segments
of ``SEGMENT_FRAMES`` AAC frames, each encoded by its own ffmpeg, a few at a time. Each encoder
also gets a little of the audio before (``PREROLL``) and after (``POSTROLL``) its segment, and
only the segment's own frames are kept. An AAC frame's transform overlaps each neighbour by
half a window, so the two frames either side of a splice encode the same samples and the
decoder's overlap-add cancels between them as it does within one encoder: around a splice the
coding error is what it is anywhere else in the track (measured in the tests).

Frame ``g`` of the stream decodes to samples ``[(g - 1) * 1024, g * 1024)``: frame 0 holds the
encoder's priming, which the MP4 edit list hides (see :func:`adts_input`).
"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .._errors import GameMusicError, InternalError
from .audio import SAMPLE_RATE
from .ffmpeg import drain, error_from_stderr, start_ffmpeg

FRAME = 1024  # samples per AAC frame
SEGMENT_FRAMES = 1408  # 30.04 s: few splices, and at most a few segments of PCM held
PREROLL = 8 * FRAME  # lets the encoder's psychoacoustic state settle before the segment
POSTROLL = 4 * FRAME  # covers the last kept frame's window and the block-switch look-ahead
BITRATE = "192k"
# The native encoder's "fast" coder is about twice as fast as the default "twoloop" and
# transparent at 192 kb/s for a music-and-game mix.
ENCODE_ARGS = ("-c:a", "aac", "-aac_coder", "fast", "-b:a", BITRATE)
_BYTES_PER_SAMPLE = 8  # float32 stereo


def frame_count(samples: int) -> int:
    """AAC frames that carry ``samples`` samples, the priming frame included."""
    return -(-(samples + FRAME) // FRAME)


def adts_input(samples: int) -> tuple[list[str], list[str]]:
    """ffmpeg input options for the spliced ADTS stream read from stdin, and the ``-bsf:a``
    output options that copy it into an MP4 exactly ``samples`` long, as when ffmpeg encodes
    and muxes in one go: the first frame (the priming) starts 1024 samples early and the last
    lasts only as long as the audio does, so the MP4's edit list trims both."""
    last = frame_count(samples) - 1
    tail = samples + FRAME - last * FRAME
    # The shift happens on input, so "-t" sees the true times (the priming is 21.3 ms: whole
    # microseconds round back onto the 1/48000 grid in the MP4).
    shift = ["-itsoffset", f"-{FRAME / SAMPLE_RATE:.6f}", "-f", "aac", "-i", "pipe:0"]
    trim = f"setts=duration=if(eq(N\\,{last})\\,{tail}/{SAMPLE_RATE}/TB\\,DURATION)"
    return shift, ["-bsf:a", trim]


def adts_frames(data: bytes) -> list[bytes]:
    """Split an ADTS stream into its frames (the 13-bit frame length of each header)."""
    frames = []
    i = 0
    while i + 7 <= len(data):
        if data[i] != 0xFF or data[i + 1] & 0xF0 != 0xF0:
            raise InternalError("the AAC encoder wrote something that is not ADTS")
        size = ((data[i + 3] & 0x03) << 11) | (data[i + 4] << 3) | (data[i + 5] >> 5)
        if size < 7 or i + size > len(data):
            raise InternalError("the AAC encoder's output ends mid-frame")
        frames.append(data[i : i + size])
        i += size
    return frames


def default_workers() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 2
    return max(2, min(4, cores))


@dataclass
class _Segment:
    """One encoder: frames ``[first, end)`` of the stream, fed samples from ``lo`` on."""

    first: int
    end: int
    lo: int
    proc: subprocess.Popen  # type: ignore[type-arg]
    feed: queue.Queue[bytes | None] = field(default_factory=queue.Queue)
    out: list[bytes] = field(default_factory=list)
    err: list[bytes] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    forwarded: threading.Event = field(default_factory=threading.Event)


class ParallelAacEncoder:
    """Encode ``samples`` float32 stereo samples at 48 kHz to ADTS, several segments at once.

    :meth:`write` takes ``(n, 2)`` blocks in order (more than ``samples`` is dropped, fewer is
    padded with silence by :meth:`finish`); ``sink`` receives the stream's ADTS bytes in order,
    on a thread of its own, as each segment is done. Use as a context manager: leaving early
    stops every encoder.
    """

    def __init__(self, samples: int, sink: Callable[[bytes], None], *,
                 workers: int | None = None, segment_frames: int = SEGMENT_FRAMES,
                 what: str = "encoding the audio") -> None:
        self.samples = samples
        self._sink = sink
        # Segment k starts only when segment k - workers is done: two neighbours are fed
        # together around a splice, so fewer than two would wait for each other forever.
        self._workers = max(2, workers or default_workers())
        self._what = what
        self._frames = segment_frames
        self._span = segment_frames * FRAME
        self._count = max(1, -(-samples // self._span))
        self._segments: list[_Segment] = []
        self._open_from = 0  # segments before this one have all their input
        self._pos = 0
        self._added = threading.Condition()
        self._error: BaseException | None = None
        self._forwarder = threading.Thread(target=self._forward, daemon=True)
        self._forwarder.start()

    def __enter__(self) -> ParallelAacEncoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def write(self, block: np.ndarray) -> None:
        self._raise_failure()
        data = np.ascontiguousarray(block[: max(0, self.samples - self._pos)], np.float32)
        lo, hi = self._pos, self._pos + len(data)
        if hi == lo:
            return
        for k in range(self._open_from, self._count):
            seg_lo, seg_hi = self._feed_range(k)
            if seg_lo >= hi:
                break
            seg = self._segment(k)
            a, b = max(lo, seg_lo), min(hi, seg_hi)
            if b > a:
                seg.feed.put(data[a - lo : b - lo].tobytes())
            if hi >= seg_hi:  # segments end in order: this one, and all before it, are fed
                seg.feed.put(None)
                self._open_from = k + 1
        self._pos = hi

    def finish(self) -> None:
        """Pad to the full length, wait for every segment to reach the sink."""
        silence = np.zeros((min(self._span, max(1, self.samples)), 2), np.float32)
        while self._pos < self.samples:
            self.write(silence)
        while self._forwarder.is_alive():
            self._forwarder.join(0.1)
            self._raise_failure()
        self._raise_failure()

    def close(self) -> None:
        """Stop every encoder still running (after :meth:`finish`, there are none)."""
        with self._added:
            if self._error is None:
                self._error = InternalError(f"{self._what}: stopped")
            self._added.notify_all()
        for seg in self._segments:
            if seg.proc.poll() is None:
                seg.proc.kill()
                seg.proc.wait()
            seg.feed.put(None)

    # -- inside ------------------------------------------------------------------------------

    def _feed_range(self, k: int) -> tuple[int, int]:
        lo = max(0, k * self._span - PREROLL)
        hi = self.samples if k == self._count - 1 else min(self.samples,
                                                           (k + 1) * self._span + POSTROLL)
        return lo, hi

    def _segment(self, k: int) -> _Segment:
        if k < len(self._segments):
            return self._segments[k]
        if k >= self._workers:
            # Wait until segment k - workers is in the sink, not just encoded: when the sink
            # is slower than the encoders (the meter on a busy machine), encoded segments
            # would otherwise pile up in memory for the whole length of a long stream.
            done = self._segments[k - self._workers]
            while not done.forwarded.wait(0.1):
                self._raise_failure()
        lo = self._feed_range(k)[0]
        first = 0 if k == 0 else k * self._frames + 1
        end = frame_count(self.samples) if k == self._count - 1 else (k + 1) * self._frames + 1
        proc = start_ffmpeg(["-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "2", "-i", "pipe:0",
                             *ENCODE_ARGS, "-f", "adts", "pipe:1"], stdin=True, stdout=True)
        seg = _Segment(first=first, end=end, lo=lo, proc=proc)
        feeder = threading.Thread(target=self._feed, args=(seg,), daemon=True)
        feeder.start()
        seg.threads = [feeder, drain(proc.stdout, seg.out), drain(proc.stderr, seg.err)]
        with self._added:
            self._segments.append(seg)
            self._added.notify_all()
        return seg

    @staticmethod
    def _feed(seg: _Segment) -> None:
        stdin = seg.proc.stdin
        assert stdin is not None
        try:
            while (chunk := seg.feed.get()) is not None:
                stdin.write(chunk)
        except (BrokenPipeError, OSError):
            pass  # the encoder died: its exit status tells the forwarder
        finally:
            try:
                stdin.close()
            except OSError:
                pass

    def _forward(self) -> None:
        """Hand each segment's own frames to the sink, in order, as the segments finish."""
        try:
            for k in range(self._count):
                with self._added:
                    while len(self._segments) <= k and self._error is None:
                        self._added.wait()
                    if self._error is not None:
                        return
                    seg = self._segments[k]
                for t in seg.threads:
                    t.join()
                seg.proc.wait()
                if self._error is not None:
                    return
                if seg.proc.returncode != 0:
                    stderr = b"".join(seg.err).decode("utf-8", "replace")
                    raise error_from_stderr(stderr, self._what, seg.proc.returncode)
                frames = adts_frames(b"".join(seg.out))
                skip = seg.first - seg.lo // FRAME
                keep = frames[skip : skip + seg.end - seg.first]
                if len(keep) != seg.end - seg.first:
                    raise InternalError(f"{self._what}: the encoder wrote too few frames")
                seg.out.clear()
                self._sink(b"".join(keep))
                seg.forwarded.set()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            with self._added:
                if self._error is None:
                    self._error = exc
                self._added.notify_all()

    def _raise_failure(self) -> None:
        err = self._error
        if err is None:
            return
        if isinstance(err, GameMusicError | OSError):
            raise err
        raise InternalError(f"{self._what} failed: {err}") from err
