"""``--report``: one picture of what the engine heard and did, ``<output>.report.png``.

Along one time axis: thumbnails of the video, the cuts the plan used, the speech detected, the
game audio's energy and the picture's motion, the sections with their intensity per bar, the
music's gain (bed and dips under speech, and the game track's own gain when it is changed)
and the accents (hits on the clip's big moments). A streamer sees at a glance why the music
does what it does.

matplotlib is an optional extra (``pip install 'game-music[report]'``); nothing imports this
module unless a report is asked for, and :func:`require` says in one line when it is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._errors import UsageError

if TYPE_CHECKING:
    from .analysis.result import Analysis
    from .media.probe import MediaInfo
    from .mix.mixer import MixPlan
    from .music.plan import Plan

MISSING = "--report needs matplotlib: pip install 'game-music[report]' (or python3 install.py)"
THUMBS = 10  # thumbnails along the time axis (by default)
THUMB_W = 160  # pixels wide, each
DPI = 96
_KIND_COLOURS = {"intro": "#9ecae1", "A": "#6baed6", "B": "#fd8d3c", "bridge": "#a1d99b",
                 "climax": "#e6550d", "outro": "#bdbdbd"}


def require() -> None:
    """Raise a one-line UsageError when matplotlib is not installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError(MISSING) from None


def thumbnails(info: MediaInfo, start: float, end: float, count: int = THUMBS
               ) -> list[tuple[float, np.ndarray]]:
    """(time from ``start``, RGB uint8 image) at ``count`` evenly spaced times; frames that
    cannot be decoded are left out (a damaged file still gets its report)."""
    import av

    out: list[tuple[float, np.ndarray]] = []
    span = max(end - start, 1e-3)
    try:
        container = av.open(str(info.path), metadata_errors="ignore")
    except av.error.FFmpegError:
        return out
    with container:
        stream = container.streams[info.video.index]
        stream.codec_context.skip_frame = "NONKEY"  # nearest keyframe: cheap and close enough
        tb = float(stream.time_base or 1 / 1000)
        h = max(2, int(round(THUMB_W * (info.video.height or 9) / (info.video.width or 16))))
        for i in range(count):
            t = start + (i + 0.5) * span / count
            try:
                container.seek(int((t + info.start_time) / tb), backward=True, stream=stream)
                frame = next(container.decode(stream), None)
            except (av.error.FFmpegError, StopIteration):
                continue
            if frame is not None:
                img = frame.reformat(width=THUMB_W, height=h, format="rgb24").to_ndarray()
                out.append((t - start, img))
    return out


def write_report(
    path: Path,
    analysis: Analysis,
    plan: Plan,
    mix: MixPlan | None,
    video: tuple[MediaInfo, float, float] | None = None,
    *,
    title: str = "",
    strong_cut: float = 0.5,
) -> Path:
    """Draw the report to ``path`` (PNG) and return it; ``video`` is (input, start, end) of
    the span the analysis covers, for the thumbnails."""
    require()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    duration = max(analysis.duration, 1e-3)
    fig = Figure(figsize=(12, 7.4), dpi=DPI)
    FigureCanvasAgg(fig)
    axes = fig.subplots(4, 1, sharex=True,
                        gridspec_kw={"height_ratios": [0.8, 1.2, 1.0, 1.1], "hspace": 0.14})
    ax_v, ax_a, ax_s, ax_g = axes
    fig.subplots_adjust(left=0.075, right=0.985, top=0.93, bottom=0.07)
    fig.suptitle(title or "game-music report", fontsize=11, x=0.075, ha="left")

    # 1. thumbnails, each centred on its time, as many as fit the row at their aspect ratio
    thumbs: Sequence[tuple[float, np.ndarray]] = ()
    if video is not None:
        box = ax_v.get_position()
        row_w, row_h = box.width * fig.get_figwidth(), box.height * fig.get_figheight()
        aspect = (video[0].video.width or 16) / (video[0].video.height or 9)
        thumbs = thumbnails(*video, count=max(3, min(24, round(row_w / (row_h * aspect)))))
    width = duration / max(len(thumbs), 1)
    for t, img in thumbs:
        ax_v.imshow(img, extent=(t - 0.48 * width, t + 0.48 * width, 0, 1), aspect="auto",
                    interpolation="bilinear")
    ax_v.set_ylim(0, 1)
    ax_v.set_yticks([])
    ax_v.set_ylabel("video", fontsize=9)

    # 2. what the engine heard: energy, motion, speech
    t = np.arange(len(analysis.energy)) * analysis.hop
    ax_a.fill_between(t, 0, analysis.energy, color="#74a9cf", alpha=0.6, lw=0,
                      label="game-audio energy")
    motion_t = np.arange(len(analysis.motion)) * analysis.hop
    ax_a.plot(motion_t, analysis.motion, color="#444444", lw=0.8, label="picture motion")
    talking = analysis.speech > 0.5
    for a, b in _runs(talking):
        ax_a.axvspan(a * analysis.hop, b * analysis.hop, color="#31a354", alpha=0.25, lw=0)
    speech_share = float(talking.mean()) if talking.size else 0.0
    ax_a.plot([], [], color="#31a354", alpha=0.4, lw=6, label=f"speech ({speech_share:.0%})")
    ax_a.set_ylim(0, 1.05)
    ax_a.set_ylabel("heard", fontsize=9)
    ax_a.legend(loc="upper right", fontsize=7, ncol=3, framealpha=0.8)

    # 3. sections (coloured by kind) and the intensity of each bar
    ends = np.minimum((plan.bar_beat + plan.bar_len) * plan.beat_s, plan.duration)
    for s in plan.sections:
        ax_s.axvspan(s.start_s, s.end_s, color=_KIND_COLOURS.get(s.kind, "#cccccc"),
                     alpha=0.45, lw=0)
        ax_s.text(0.5 * (s.start_s + s.end_s), 3.35, f"{s.kind} {s.n_bars}",
                  ha="center", va="center", fontsize=7, clip_on=True)
    starts = plan.bar_beat * plan.beat_s
    if plan.n_bars:
        ax_s.step(np.append(starts, ends[-1]), np.append(plan.intensity, plan.intensity[-1]),
                  where="post", color="#252525", lw=1.2)
    ax_s.set_ylim(-0.2, 3.7)
    ax_s.set_yticks(range(4))
    ax_s.set_ylabel("sections\nintensity", fontsize=9)
    ax_s.text(0.0, 1.02, f"{plan.style.name}, {plan.bpm:g} bpm, "
              f"{len(plan.sections)} sections", transform=ax_s.transAxes, fontsize=7)

    # 4. what the mix did: the music's gain (bed and dips), the game track's gain
    if mix is not None:
        g = np.asarray(mix.music_gain_db, dtype=np.float64)
        gt = np.arange(len(g)) * mix.hop
        ax_g.plot(gt, g, color="#d62728", lw=1.2, label="music gain (bed, dips)")
        if mix.game_gain_db is not None:
            ax_g.plot(np.arange(len(mix.game_gain_db)) * mix.hop, mix.game_gain_db,
                      color="#1f77b4", lw=1.0, label="game-track gain")
        ax_g.legend(loc="lower right", fontsize=7, ncol=2, framealpha=0.8)
        ax_g.text(0.0, 1.02, f"bed {mix.bed_lufs:.1f} LUFS"
                  + (f", under speech {mix.under_speech_lufs:.1f} LUFS"
                     if mix.under_speech_lufs is not None else ""),
                  transform=ax_g.transAxes, fontsize=7)
    ax_g.set_ylabel("gain dB", fontsize=9)
    ax_g.set_xlabel("seconds", fontsize=9)
    ax_g.set_xlim(0, duration)

    # Cuts the plan used and accents, across every row.
    cuts = [c.time for c in analysis.cuts if c.strength >= strong_cut]
    for ax in axes:
        for c in cuts:
            ax.axvline(c, color="#e41a1c", lw=1.0, ls="--", alpha=0.9)
        ax.tick_params(labelsize=7)
    accents = np.asarray([a.hit_s for a in getattr(plan, "accents", ())], dtype=np.float64)
    if accents.size:  # the hits on the big moments, with the moment each answers
        moments = np.asarray([a.time_s for a in plan.accents], dtype=np.float64)
        for ax in axes:
            for t in accents:
                ax.axvline(t, color="#7a0177", lw=1.2, alpha=0.8)
        ax_s.plot(accents, np.full(accents.size, 3.0), "v", color="#7a0177", ms=7,
                  label="accents")
        ax_s.plot(moments, np.full(moments.size, 3.0), "o", mfc="none", color="#7a0177",
                  ms=6)
    ax_v.text(1.0, 1.03, f"cuts used: {len(cuts)}" + (f", accents: {accents.size}"
              if accents.size else ""), transform=ax_v.transAxes, ha="right", fontsize=8,
              color="#e41a1c")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=DPI, pil_kwargs={"optimize": True})
    return path


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs of ``mask``."""
    if not mask.size:
        return []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))

