"""Scene cuts, motion and brightness from the compressed video, decoding keyframes only.

Decoding every full-size frame costs far more than the rest of the engine, so this reads the
bitstream instead (PyAV demuxing, no decoding) and decodes only keyframes, tiny:

- Encoders put an intra frame on a scene cut (x264/x265 ``scenecut``, libvpx, mpeg4): a
  keyframe that is not at its regular GOP position is a strong cut candidate.
- Encoders that don't (hardware encoders without look-ahead) still spend about an intra
  frame's bits on the first frame of a new scene: a packet much larger than the ones before
  it; and a cut to a much simpler or busier scene makes the typical frame size jump.
- Each candidate is checked against the pictures: luma histograms and a coarse layout of the
  keyframes around it must differ. A keyframe at its regular position counts only when the
  picture changes a lot, and the cut is then placed at the sharpest size jump in its GOP.
- VP8/VP9/AV1 code big hidden reference frames, so their size spikes are ignored (their
  encoders put keyframes on cuts). Times come from timestamps, so variable frame rate works.
- Real first-person gameplay turns fast, flashes red on damage and fools the encoder's own
  scene-cut decision many times a minute, so every candidate must then pass one of two
  tests: a *lasting* change of picture (no keyframe after it looks like any before it, see
  :data:`LASTING_CHANGE`), or the edge of a *still screen* (a menu, text or title screen, a
  loading or death screen: a second or more whose predicted frames cost almost nothing)
  whose picture differs from the moving scene beside it. A transition (a fade, Doom's melt
  wipe) is one cut, at its start.

``motion`` is the bitrate of the predicted frames (bits spent on change), smoothed and
normalised to 0..1 within the file; ``brightness`` the mean luma of the keyframes.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Callable
from dataclasses import dataclass

import av
import numpy as np

from .._errors import Cancelled, CorruptInput
from ..media.probe import MediaInfo
from .result import HOP_S, Cut

THUMB = (64, 36)  # decoded keyframes are scaled to this (width, height) luma thumbnail
_SUB = 8  # luma samples averaged per thumbnail pixel, in each direction
SPIKE_RATIO = 2.0  # a predicted frame this many times the size of those before it
MIN_GAP_S = 0.3  # candidates closer than this are one cut (keep the strongest)
MIN_STRENGTH = 0.4  # weaker candidates are dropped (no evidence beyond a modest size change)
IRREGULAR_MIN_CHANGE = 0.2  # picture change that confirms an encoder's scene-cut keyframe
# A keyframe at its regular position counts only with a huge change: over a whole GOP a fast
# zoom or pan changes the picture a lot too, and a cut landing on the GOP grid is rare.
REGULAR_MIN_CHANGE = 0.75
STEP_RATIO = 2.0  # the typical frame size changing by this factor at once is a candidate
MOTION_SMOOTH_S = 0.5
# A candidate is a cut when the pictures after it all differ this much from the ones before it
# (min over pairs of :func:`picture_change`). Fast turns in first-person gameplay reach about
# 0.26 on keyframes 2 s apart; cuts between different scenes are well above.
LASTING_CHANGE = 0.3
LASTING_WINDOW_S = 6.0  # keyframes this far before/after a candidate describe its two scenes
LASTING_FRAMES = 3  # ... at most this many on each side
# Still screens: for STILL_MIN_S or more, predicted frames stay within STILL_FLOOR_RATIO of the
# clip's smallest ones and under STILL_TYPICAL_RATIO of its typical one (an all-skip frame).
STILL_MIN_S = 1.0
STILL_FLOOR_RATIO = 4.0
STILL_TYPICAL_RATIO = 1 / 16
STILL_CHANGE = 0.08  # the still picture must differ at least this much from the moving scene
TRANSITION_S = 1.5  # a transition into a still screen (wipe, fade) starts at most this early
ONE_CHANGE_S = 1.5  # cuts closer than this are one change of scene (a wipe and its end)
# Codecs that code big invisible reference frames (golden/alt-ref) at regular intervals: their
# size spikes mean nothing, but their encoders put keyframes on scene cuts.
_HIDDEN_REFERENCE_CODECS = frozenset({"vp8", "vp9", "av1", "libdav1d", "libaom-av1"})


@dataclass(frozen=True)
class VideoAnalysis:
    cuts: tuple[Cut, ...]
    motion: np.ndarray  # float32, 0..1 per hop
    brightness: float  # 0..1


@dataclass(frozen=True)
class _Packets:
    """Video packets (in presentation order once the parts are joined)."""

    time: np.ndarray  # seconds from the start of the video
    size: np.ndarray  # bytes
    key: np.ndarray  # keyframe flags


@dataclass(frozen=True)
class _Thumb:
    time: float
    luma: np.ndarray  # uint8 (h, w), full range


def analyse_video(
    info: MediaInfo, n_hops: int, progress: Callable[[float], None] | None = None
) -> VideoAnalysis:
    """Find cuts and derive the motion curve (``n_hops`` values) and brightness of ``info``."""
    return video_analysis([read_video(info, progress)], info, n_hops)


@dataclass(frozen=True)
class VideoPart:
    """What :func:`read_video` read of a stretch of the video (see :func:`video_analysis`)."""

    packets: _Packets  # in the order read (decode order)
    thumbs: list[_Thumb]
    first_key: int | None  # timestamp of the keyframe the part starts with (None: from 0)
    stop_key: int | None  # ... and of the keyframe it stopped before (None: read to the end)


def read_video(
    info: MediaInfo, progress: Callable[[float], None] | None = None, *,
    start_at: float | None = None, stop_at: float | None = None, threads: bool = True,
) -> VideoPart:
    """Demux every video packet (sizes, flags, times) and decode the keyframes, small.

    A part of the video is read from the first keyframe at or after ``start_at`` seconds to
    the first keyframe at or after ``stop_at`` (exclusive); two parts split at the same time
    meet at the same keyframe, so they can be read at once and joined.
    """
    times, sizes, keys = array("d"), array("q"), bytearray()
    thumbs: list[_Thumb] = []
    first_key: int | None = None
    stop_key: int | None = None
    try:
        container = av.open(str(info.path), metadata_errors="ignore")
    except av.error.FFmpegError:
        raise CorruptInput(f"{info.path.name}: the video cannot be read") from None
    try:
        with container:
            stream = container.streams[info.video.index]
            ctx = stream.codec_context
            ctx.skip_frame = "NONKEY"  # the decoder drops everything but keyframes
            # Thumbnails average 8x8 samples: deblocking would change nothing they show.
            ctx.options = {"skip_loop_filter": "all"}
            if threads:
                ctx.thread_type = "AUTO"
            tb = float(stream.time_base or 1 / 1000)
            start = info.start_time
            begin = 0.0 if start_at is None else start_at
            end = info.duration if stop_at is None else stop_at
            seeking = start_at is not None
            if seeking:
                container.seek(int((start_at + start) / tb), backward=True, stream=stream)
            step = max(1, int(float(info.video.fps or 30)))  # progress about once a second
            try:
                for i, packet in enumerate(container.demux(stream)):
                    ts = packet.pts if packet.pts is not None else packet.dts
                    if ts is None or not packet.size:
                        continue
                    t = ts * tb - start
                    if packet.is_keyframe:
                        if seeking and t >= start_at - 1e-9:  # type: ignore[operator]
                            seeking, first_key = False, ts
                        if stop_at is not None and t >= stop_at - 1e-9 and not seeking:
                            stop_key = ts
                            break
                    if seeking:
                        continue
                    times.append(t)
                    sizes.append(packet.size)
                    keys.append(packet.is_keyframe)
                    if packet.is_keyframe:
                        thumbs.extend(_decode(ctx, packet, tb, start))
                    if progress and i % step == 0 and end > begin:
                        progress(min(0.95, max(0.0, (t - begin) / (end - begin)) * 0.95))
                thumbs.extend(_decode(ctx, None, tb, start))
            except av.error.FFmpegError:
                pass  # a damaged tail: keep what was read (recordings cut off by a crash)
    except KeyboardInterrupt:
        raise Cancelled("interrupted") from None
    if progress:
        progress(1.0)
    packets = _Packets(
        time=np.frombuffer(times, np.float64),
        size=np.frombuffer(sizes, np.int64).astype(np.float64),
        key=np.frombuffer(keys, np.bool_) if keys else np.zeros(0, bool),
    )
    return VideoPart(packets, thumbs, first_key, stop_key)


def video_analysis(parts: list[VideoPart], info: MediaInfo, n_hops: int) -> VideoAnalysis:
    """Cuts, motion and brightness from the parts :func:`read_video` read, in order. Parts
    that do not meet at the same keyframe (a container that seeks loosely) are not trusted:
    the whole video is read again in one go."""
    joined = all(a.stop_key == b.first_key for a, b in zip(parts, parts[1:], strict=False))
    if not joined:
        parts = [read_video(info)]
    time = np.concatenate([p.packets.time for p in parts])
    order = np.argsort(time, kind="stable")
    packets = _Packets(
        time=time[order],
        size=np.concatenate([p.packets.size for p in parts])[order],
        key=np.concatenate([p.packets.key for p in parts])[order],
    )
    thumbs = sorted((t for p in parts for t in p.thumbs), key=lambda t: t.time)
    cuts = find_cuts(packets, thumbs, info.video.codec)
    motion = _motion(packets, n_hops)
    if thumbs:
        brightness = float(np.mean([t.luma.mean() for t in thumbs]) / 255.0)
    else:
        brightness = 0.5
    return VideoAnalysis(cuts, motion, brightness)


def _decode(
    ctx: av.CodecContext, packet: av.Packet | None, tb: float, start: float
) -> list[_Thumb]:
    try:
        frames = ctx.decode(packet)
    except av.error.FFmpegError:
        return []  # one damaged keyframe costs one thumbnail, not the analysis
    out = []
    for frame in frames:
        if frame.pts is None:
            continue
        out.append(_Thumb(frame.pts * tb - start, _full_range(_thumbnail(frame), frame)))
    return out


def _thumbnail(frame: av.VideoFrame) -> np.ndarray:
    """Luma thumbnail (THUMB) as uint8: 8x8 samples averaged per pixel, read straight from
    the Y plane (a swscale area downscale of a 1080p frame costs more than decoding it)."""
    name = frame.format.name
    depth = _planar_luma_depth(name)
    if depth is None:
        small = frame.reformat(width=THUMB[0], height=THUMB[1], format="gray")
        luma = small.to_ndarray()
        return luma[:, :, 0] if luma.ndim == 3 else luma
    plane = frame.planes[0]
    dtype = np.uint8 if depth == 8 else np.dtype("<u2")
    rows = np.frombuffer(plane, dtype).reshape(plane.height, -1)[:, : plane.width]
    w, h = THUMB
    ys = np.linspace(0, plane.height - 1, h * _SUB).astype(np.intp)
    xs = np.linspace(0, plane.width - 1, w * _SUB).astype(np.intp)
    small = rows[np.ix_(ys, xs)].reshape(h, _SUB, w, _SUB).mean(axis=(1, 3))
    if depth > 8:
        small = small / (1 << (depth - 8))
    return np.clip(small, 0, 255).astype(np.uint8)


def _planar_luma_depth(name: str) -> int | None:
    """Bits per luma sample when plane 0 is plain luma in this pixel format, else None."""
    if name in ("gray", "nv12", "nv21", "nv16", "nv24") or (
        name.startswith(("yuv", "yuvj")) and name.endswith("p")
    ):
        return 8
    for bits in (9, 10, 12, 14, 16):
        if name.startswith("yuv") and name.endswith((f"p{bits}le", f"p{bits}")):
            return bits
    if name in ("p010le", "p016le"):
        return 10 if name == "p010le" else 16
    return None


def _full_range(luma: np.ndarray, frame: av.VideoFrame) -> np.ndarray:
    """Stretch limited-range ("TV", 16-235) luma to 0-255 so brightness means the same."""
    full = getattr(frame, "color_range", 0) == 2 or frame.format.name.startswith("yuvj")
    if full:
        return luma
    return np.clip((luma.astype(np.float32) - 16.0) * (255.0 / 219.0), 0, 255).astype(np.uint8)


def picture_change(a: np.ndarray, b: np.ndarray) -> float:
    """0..1: how different two luma thumbnails are (histogram and layout)."""
    ha = np.bincount(a.reshape(-1) >> 3, minlength=32) / a.size
    hb = np.bincount(b.reshape(-1) >> 3, minlength=32) / b.size
    hist = 0.5 * float(np.abs(ha - hb).sum())
    # Coarse layout (8x8 blocks): catches a new scene whose histogram happens to match.
    h, w = (a.shape[0] // 8) * 8, (a.shape[1] // 8) * 8
    ga = a[:h, :w].reshape(h // 8, 8, w // 8, 8).mean(axis=(1, 3))
    gb = b[:h, :w].reshape(h // 8, 8, w // 8, 8).mean(axis=(1, 3))
    layout = float(np.abs(ga - gb).mean()) / 64.0
    return min(1.0, max(hist, layout))


def find_cuts(packets: _Packets, thumbs: list[_Thumb], codec: str = "") -> tuple[Cut, ...]:
    n = len(packets.time)
    if n < 3:
        return ()
    candidates: list[Cut] = []
    thumb_times = np.array([t.time for t in thumbs])
    strong: list[float] = []  # keyframe cuts confirmed by the pictures, in time order

    def change_at(t: float) -> float | None:
        """Picture change from the keyframe before ``t`` to the one at or after it; None when
        unknown, or when a confirmed cut lies between them (the change is that cut's)."""
        if len(thumbs) < 2:
            return None
        j = int(np.searchsorted(thumb_times, t - 1e-3))
        if j <= 0 or j >= len(thumbs):
            return None
        before, after = thumb_times[j - 1], thumb_times[j]
        # Confirmed cuts between the two keyframes, other than one at t itself: the first
        # and last of them are the farthest from t (``strong`` is in time order).
        lo = bisect.bisect_right(strong, before + 1e-3)
        hi = bisect.bisect_right(strong, after + 1e-3)
        if lo < hi and (strong[lo] < t - MIN_GAP_S or strong[hi - 1] > t + MIN_GAP_S):
            return None
        return picture_change(thumbs[j - 1].luma, thumbs[j].luma)

    # 1. Keyframes at irregular positions: the encoder's own scene-cut decisions. A run of
    # keyframes close together (intra-only stretches) needs a large change to count.
    key_idx = np.flatnonzero(packets.key)
    # x264 restarts its keyframe count at every scene-cut keyframe, and never exceeds keyint:
    # the longest interval seen is the regular one.
    gop = int(np.diff(key_idx).max()) if len(key_idx) >= 2 else 0
    regular: list[tuple[float, float]] = []  # (previous keyframe time, keyframe time)
    for k, prev in zip(key_idx[1:], key_idx[:-1], strict=True):
        t, prev_t = float(packets.time[k]), float(packets.time[prev])
        if gop > 0 and (k - prev) < 0.9 * gop:
            change = change_at(t)
            need = IRREGULAR_MIN_CHANGE if t - prev_t >= MIN_GAP_S else REGULAR_MIN_CHANGE
            if change is None or change >= need:
                strength = 0.5 + 0.5 * min(1.0, (0.3 if change is None else change) / 0.5)
                candidates.append(Cut(t, round(strength, 3)))
                if change is not None:
                    strong.append(t)
        else:
            regular.append((prev_t, t))

    # 2. Predicted frames much larger than the ones before (no scene-cut I-frame), and
    # lasting jumps of the frame size (a cut to a much simpler or busier scene).
    if codec not in _HIDDEN_REFERENCE_CODECS:
        candidates += _size_spikes(packets, change_at)
    candidates += _size_steps(packets, change_at)

    # 3. A regular keyframe counts when the picture changed a lot since the previous one and
    # nothing found above explains it (a cut that happens to land on the GOP boundary).
    found = np.array(sorted(c.time for c in candidates))
    locate = _locator(packets)
    for prev_t, t in regular:
        i = np.searchsorted(found, prev_t + MIN_GAP_S)  # not the previous cut's aftermath
        if i < len(found) and found[i] < t - 1e-3:
            continue
        change = change_at(t)
        if change is not None and change >= REGULAR_MIN_CHANGE:
            # Encoders with hidden reference frames place keyframes on cuts themselves.
            at = t if codec in _HIDDEN_REFERENCE_CODECS else locate(prev_t, t)
            candidates.append(Cut(at, round(0.6 * change, 3)))

    return _confirm(_merge(candidates), packets, thumbs)


def _confirm(
    cuts: tuple[Cut, ...], packets: _Packets, thumbs: list[_Thumb]
) -> tuple[Cut, ...]:
    """The candidates that are changes of scene, not fast motion or flashes (see the module
    docstring), plus the edges of still screens; one cut per transition."""
    edges = _still_edges(cuts, packets, thumbs)
    out: list[Cut] = []
    for cut in sorted([*cuts, *edges], key=lambda c: c.time):
        if out and cut.time - out[-1].time < ONE_CHANGE_S:
            continue  # the rest of the same transition
        since = out[-1].time if out else -math.inf  # the scene before starts at the last cut
        if cut in edges or _lasting_change(cut.time, thumbs, since) >= LASTING_CHANGE:
            out.append(cut)
    return tuple(out)


def _still_edges(
    cuts: tuple[Cut, ...], packets: _Packets, thumbs: list[_Thumb]
) -> list[Cut]:
    """Cuts into and out of still screens whose picture differs from the moving scene."""
    end = float(packets.time[-1])
    out = []
    for s0, s1 in _still_spans(packets):
        still = [t for t in thumbs if s0 - 1e-3 <= t.time <= s1]
        if s0 > 0.05:  # into the still: a wipe or fade into it starts a little before
            cut = _near(cuts, s0 - TRANSITION_S, s0 + 0.1, s0)
            moving = [t for t in thumbs if cut.time - LASTING_WINDOW_S <= t.time < cut.time]
            if _differs(still, moving[-LASTING_FRAMES:]):
                out.append(Cut(cut.time, max(cut.strength, 0.6)))
        if s1 < end - 0.05:  # out of it: the first frame that moves
            cut = _near(cuts, s1 - 0.3, s1 + 0.6, s1)
            moving = [t for t in thumbs if s1 + 0.5 <= t.time <= s1 + LASTING_WINDOW_S]
            if _differs(still, moving[:LASTING_FRAMES]):
                out.append(Cut(cut.time, max(cut.strength, 0.6)))
    return out


def _differs(still: list[_Thumb], moving: list[_Thumb]) -> bool:
    """False when the game froze on the same picture it shows beside (a pause, no menu)."""
    if not still or not moving:
        return True  # nothing to compare: the bitstream's word stands
    return min(picture_change(a.luma, b.luma) for a in still for b in moving) >= STILL_CHANGE


def _near(cuts: tuple[Cut, ...], lo: float, hi: float, default: float) -> Cut:
    """The first candidate in [lo, hi] (where a transition starts), else one at ``default``."""
    for c in cuts:
        if lo <= c.time <= hi:
            return c
    return Cut(default, 0.6)


def _lasting_change(t: float, thumbs: list[_Thumb], since: float = -math.inf) -> float:
    """How much every keyframe from ``t`` on differs from every one before it, back to
    ``since`` (min over pairs, at most LASTING_FRAMES on each side within LASTING_WINDOW_S);
    1.0 when a side has none (nothing says the scene stayed), as for a cut at the start."""
    lo = max(t - LASTING_WINDOW_S, since - 0.05)
    before = [x for x in thumbs if lo <= x.time < t - 0.05][-LASTING_FRAMES:]
    after = [x for x in thumbs if t - 0.05 <= x.time <= t + LASTING_WINDOW_S][:LASTING_FRAMES]
    if not before or not after:
        return 1.0
    return min(picture_change(a.luma, b.luma) for a in after for b in before)


def _still_spans(packets: _Packets) -> list[tuple[float, float]]:
    """(start, end) seconds of stretches where the picture stands still (see the docstring)."""
    from scipy.ndimage import uniform_filter1d  # here: keeps importing this module light

    nonkey = ~packets.key
    if nonkey.sum() < 8:
        return []
    sizes = packets.size[nonkey]
    limit = min(STILL_FLOOR_RATIO * float(np.percentile(sizes, 1)),
                STILL_TYPICAL_RATIO * float(np.median(sizes)))
    # Keyframes inside a still stretch are big but say nothing: they take their neighbours'.
    small = _fill_nan(np.where(nonkey, (packets.size <= limit).astype(float), np.nan))
    w = max(3, int(round(0.5 * _fps(packets))))
    quiet = uniform_filter1d(small, w, mode="nearest") >= 0.85
    spans = []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], quiet.astype(np.int8), [0]])))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        idx = np.flatnonzero(small[a:b] >= 0.5) + a
        if not len(idx):
            continue
        t0 = float(packets.time[idx[0]])
        last = int(idx[-1])
        t1 = float(packets.time[min(last + 1, len(packets.time) - 1)])
        if t1 - t0 >= STILL_MIN_S:
            spans.append((0.0 if idx[0] == 0 else t0, t1))
    return spans


def _locator(packets: _Packets) -> Callable[[float, float], float]:
    """``locate(prev_t, t)``: where in the GOP (prev_t, t] the picture most likely changed:
    the sharpest jump of the frame size inside it, or the keyframe itself when there is none.
    The running medians are worked out once, on the first call that needs them."""
    w = max(3, int(round(0.1 * _fps(packets))))
    medians: list[np.ndarray] = []

    def locate(prev_t: float, t: float) -> float:
        lo, hi = np.searchsorted(packets.time, [prev_t + 1e-6, t + 1e-6])
        n = len(packets.time)
        j = np.arange(max(lo + w, w), min(hi, n - w + 1))
        if hi - lo < 2 * w or not len(j):
            return t
        if not medians:
            x = _fill_nan(np.where(packets.key, np.nan, np.log(np.maximum(packets.size, 1.0))))
            # Medians, so that one big reference frame (VP9 golden frames) is not a "jump".
            medians.append(np.median(np.lib.stride_tricks.sliding_window_view(x, w), axis=1))
        med = medians[0]  # med[i]: median of x[i:i+w]
        diff = np.abs(med[j] - med[j - w])
        best = int(np.argmax(diff))
        return float(packets.time[j[best]]) if diff[best] >= math.log(2.0) else t

    return locate


def _size_spikes(
    packets: _Packets, change_at: Callable[[float], float | None]
) -> list[Cut]:
    from scipy.ndimage import maximum_filter1d  # here: keeps importing this module light

    nonkey = ~packets.key
    if nonkey.sum() < 8:
        return []
    log_size = np.log(np.maximum(packets.size, 1.0))
    # Baseline: the largest predicted frame of the last second (so regular big P frames
    # among small B frames, or a clip's periodic big references, are not spikes). Right at
    # the start, where there is no "before", the first second stands in.
    width = int(max(8, round(_fps(packets))))
    filled = _fill_nan(np.where(nonkey, log_size, np.nan))
    trailing = maximum_filter1d(filled, width, origin=(width - 1) // 2)  # x[i-width+1 .. i]
    base = np.empty_like(filled)
    base[1:] = trailing[:-1]  # the frames strictly before i
    base[: width + 1] = filled[: width + 1].max()
    ratio = np.exp(log_size - base)
    key_sizes = packets.size[packets.key]
    intra = float(np.median(key_sizes)) if key_sizes.size else 0.0
    out: list[Cut] = []
    last_t = -math.inf
    for i in np.flatnonzero(nonkey & (ratio >= SPIKE_RATIO)):
        t = float(packets.time[i])
        if t - last_t < MIN_GAP_S:
            continue  # the frames right after a cut: the first one is the cut
        if intra and packets.size[i] < 0.2 * intra:
            continue  # far cheaper than a picture coded from scratch
        last_t = t
        change = change_at(t)
        if change is None and ratio[i] < 1.5 * SPIKE_RATIO:
            continue  # nothing to confirm it with: only a clear spike counts
        if change is not None and change < 0.08 and ratio[i] < 3 * SPIKE_RATIO:
            continue  # the pictures around it look alike: a flash or a burst of detail
        bits = min(0.6, 0.25 * math.log2(ratio[i]))
        strength = bits + 0.4 * min(1.0, (0.25 if change is None else change) / 0.5)
        out.append(Cut(t, round(float(min(1.0, strength)), 3)))
    return out


def _size_steps(
    packets: _Packets, change_at: Callable[[float], float | None]
) -> list[Cut]:
    """Points where the mean log size of the next ~0.4 s differs from the last ~0.4 s."""
    from scipy.ndimage import maximum_filter1d  # here: keeps importing this module light

    n = len(packets.size)
    fps = _fps(packets)
    w = max(8, int(round(0.4 * fps)))
    if n < 2 * w + 1 or (~packets.key).sum() < 2 * w:
        return []
    x = _fill_nan(np.where(packets.key, np.nan, np.log(np.maximum(packets.size, 1.0))))
    c = np.concatenate([[0.0], np.cumsum(x)])
    i = np.arange(w, n - w + 1)
    diff = np.zeros(n)
    diff[i] = (c[i + w] - c[i]) / w - (c[i] - c[i - w]) / w
    mag = np.abs(diff)
    peaks = np.flatnonzero(
        (mag >= math.log(STEP_RATIO)) & (mag == maximum_filter1d(mag, 2 * w + 1))
    )
    out = []
    for p in peaks:
        t = float(packets.time[p])
        change = change_at(t)
        if change is None and mag[p] < math.log(1.5 * STEP_RATIO):
            continue  # nothing to confirm it with: only a clear jump counts
        if change is not None and change < 0.08:
            continue
        seen = 0.25 if change is None else change
        strength = min(0.6, 0.3 * mag[p]) + 0.4 * min(1.0, seen / 0.5)
        out.append(Cut(t, round(float(min(1.0, strength)), 3)))
    return out


def _fps(packets: _Packets) -> float:
    if len(packets.time) < 2:
        return 30.0
    return 1.0 / max(1e-3, float(np.median(np.diff(packets.time))))


def _fill_nan(x: np.ndarray) -> np.ndarray:
    ok = ~np.isnan(x)
    if ok.all() or not ok.any():
        return np.nan_to_num(x)
    idx = np.arange(len(x))
    return np.interp(idx, idx[ok], x[ok])


def _merge(cuts: list[Cut]) -> tuple[Cut, ...]:
    out: list[Cut] = []
    for cut in sorted(cuts, key=lambda c: c.time):
        if cut.time <= 0.05 or cut.strength < MIN_STRENGTH:
            continue  # the first picture is not a cut
        if out and cut.time - out[-1].time < MIN_GAP_S:
            if cut.strength > out[-1].strength:
                out[-1] = cut
            continue
        out.append(cut)
    return tuple(out)


def _motion(packets: _Packets, n_hops: int) -> np.ndarray:
    """Bytes of predicted frames per hop, smoothed, divided by the file's 95th percentile."""
    from scipy.ndimage import uniform_filter1d  # here: keeps importing this module light

    if len(packets.time) < 2 or n_hops <= 0:
        return np.zeros(max(0, n_hops), dtype=np.float32)
    size = packets.size.copy()
    nonkey = ~packets.key
    if nonkey.any():
        # A keyframe's size says nothing about motion: count it as a typical predicted frame.
        size[packets.key] = float(np.median(size[nonkey]))
    hop = np.clip((packets.time / HOP_S).astype(np.int64), 0, n_hops - 1)
    per_hop = np.bincount(hop, weights=size, minlength=n_hops)[:n_hops]
    width = max(1, int(round(MOTION_SMOOTH_S / HOP_S)))
    smooth = uniform_filter1d(per_hop, width, mode="nearest")
    # Hops past the last packet (a video shorter than its audio) stay at zero.
    smooth[int(hop[-1]) + 1 :] = 0.0
    top = float(np.percentile(smooth[: int(hop[-1]) + 1], 95))
    if top <= 0:
        return np.zeros(n_hops, dtype=np.float32)
    return np.clip(smooth / top, 0.0, 1.0).astype(np.float32)
