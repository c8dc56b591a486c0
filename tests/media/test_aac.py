"""The parallel AAC encoder: spliced segments decode like one encode, exactly as long."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from game_music._errors import GameMusicError, InternalError
from game_music.media.aac import (
    FRAME,
    ParallelAacEncoder,
    adts_frames,
    adts_input,
    frame_count,
)
from game_music.media.ffmpeg import ffmpeg_exe, run_ffmpeg

SR = 48000
SEGMENT = 64  # frames: 1.4 s segments, so a few seconds of audio have several splices


def _program(seconds: float, seed: int = 3) -> np.ndarray:
    """Music-like test audio with the hard cases for splicing: a sustained chord, a sweep,
    and noise bursts with sharp attacks (block switching) landing all over the timeline."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    x = 0.15 * (np.sin(2 * np.pi * 220 * t) + np.sin(2 * np.pi * 277.2 * t))
    x += 0.1 * np.sin(2 * np.pi * (200 * t + 900 * t * t / seconds))
    for start in rng.integers(0, n - 4800, int(seconds * 4)):
        x[start : start + 4800] += rng.normal(0, 0.25, 4800) * np.exp(-np.arange(4800) / 800)
    return np.stack([x, np.roll(x, 37)], axis=1).astype(np.float32)


def _encode(pcm: np.ndarray, *, segment_frames: int, block: int = 10_000) -> bytes:
    out: list[bytes] = []
    with ParallelAacEncoder(len(pcm), out.append, segment_frames=segment_frames) as enc:
        for a in range(0, len(pcm), block):
            enc.write(pcm[a : a + block])
        enc.finish()
    return b"".join(out)


def _decode(adts: bytes) -> np.ndarray:
    with av.open(io.BytesIO(adts), format="aac") as c:
        return np.concatenate([f.to_ndarray().T for f in c.decode(audio=0)])


def _one_encoder(pcm: np.ndarray) -> bytes:
    return subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-f", "f32le", "-ar", str(SR), "-ac", "2", "-i", "pipe:0",
         "-c:a", "aac", "-aac_coder", "fast", "-b:a", "192k", "-f", "adts", "pipe:1"],
        input=pcm.tobytes(), capture_output=True, check=True).stdout


def _rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-20))


def test_splices_are_as_clean_as_one_encode() -> None:
    pcm = _program(8.0)
    spliced = _encode(pcm, segment_frames=SEGMENT)
    single = _one_encoder(pcm)
    assert len(adts_frames(spliced)) == len(adts_frames(single)) == frame_count(len(pcm))
    n = len(pcm)
    a = _decode(spliced)[FRAME : FRAME + n]  # frame 0 is the priming
    b = _decode(single)[FRAME : FRAME + n]
    err_a, err_b = a - pcm, b - pcm
    overall = _rms_db(err_b)
    splices = range(SEGMENT * FRAME, n, SEGMENT * FRAME)
    assert len(splices) >= 4
    for s in splices:
        near = slice(s - 2 * FRAME, s + 2 * FRAME)
        # Coding noise around a splice: the same as the single encoder's there, and never
        # standing out from the track's noise as a click would (that is tens of dB louder).
        assert _rms_db(err_a[near]) < _rms_db(err_b[near]) + 3.0, s
        assert _rms_db(err_a[near]) < overall + 6.0, s
        assert np.abs(err_a[near]).max() < 2 * np.abs(err_b).max(), s
    assert abs(_rms_db(err_a) - overall) < 1.0


def test_length_is_exact_and_in_sync_in_an_mp4(tmp_path: Path) -> None:
    """Copied into an MP4 with the edit list of adts_input, the track decodes to exactly the
    samples written, starting at sample 0, for lengths on and off the frame grid."""
    for n in (3 * SEGMENT * FRAME, 3 * SEGMENT * FRAME + 333, SEGMENT * FRAME - 1, 500):
        pcm = _program(max(n, 4800) / SR + 0.1, seed=n)[:n]
        adts = tmp_path / "a.aac"
        adts.write_bytes(_encode(pcm, segment_frames=SEGMENT, block=7000))
        shift, trim = adts_input(n)
        shift[shift.index("pipe:0")] = str(adts)
        out = tmp_path / "a.mp4"
        run_ffmpeg([*shift, "-c:a", "copy", *trim, str(out)])
        raw = tmp_path / "a.f32"
        run_ffmpeg(["-i", str(out), "-f", "f32le", str(raw)])
        got = np.fromfile(raw, np.float32).reshape(-1, 2)
        assert len(got) == n
        if n >= 4800:
            seg = slice(n // 2 - 1000, n // 2 + 1000)
            lags = range(-200, 201)
            corr = [float(np.dot(got[seg.start + k : seg.stop + k, 0], pcm[seg, 0])) for k in lags]
            assert lags[int(np.argmax(corr))] == 0


def test_silence_pads_a_short_feed_and_extra_samples_are_dropped() -> None:
    n = 2 * SEGMENT * FRAME + 100
    short = _program(1.0)
    adts = _encode(short, segment_frames=SEGMENT)  # written: 1 s; asked: n... below
    assert len(adts_frames(adts)) == frame_count(len(short))
    out: list[bytes] = []
    with ParallelAacEncoder(n, out.append, segment_frames=SEGMENT) as enc:
        enc.write(short)
        enc.finish()
    decoded = _decode(b"".join(out))[FRAME : FRAME + n]
    assert len(adts_frames(b"".join(out))) == frame_count(n)
    assert np.abs(decoded[len(short) + 2 * FRAME :]).max() < 1e-4
    out.clear()
    with ParallelAacEncoder(1000, out.append, segment_frames=SEGMENT) as enc:
        enc.write(short)
        enc.finish()
    assert len(adts_frames(b"".join(out))) == frame_count(1000)


def test_a_dead_encoder_is_an_error_not_a_hang() -> None:
    pcm = _program(4.0)
    enc = ParallelAacEncoder(len(pcm), lambda b: None, segment_frames=SEGMENT)
    with enc, pytest.raises(GameMusicError):
        enc.write(pcm[:50_000])
        for seg in enc._segments:
            seg.proc.kill()
        for a in range(50_000, len(pcm), 10_000):
            enc.write(pcm[a : a + 10_000])
        enc.finish()


def test_a_failing_sink_stops_the_encoder() -> None:
    def sink(_: bytes) -> None:
        raise OSError("disk went away")

    pcm = _program(4.0)
    with ParallelAacEncoder(len(pcm), sink, segment_frames=SEGMENT) as enc, \
            pytest.raises(OSError, match="disk went away"):
        for a in range(0, len(pcm), 10_000):
            enc.write(pcm[a : a + 10_000])
        enc.finish()
    assert all(seg.proc.poll() is not None for seg in enc._segments)


def test_adts_frames_rejects_what_is_not_adts() -> None:
    with pytest.raises(InternalError):
        adts_frames(b"\x00" * 64)
    good = _one_encoder(_program(0.2))
    with pytest.raises(InternalError):
        adts_frames(good[:-5])
