"""Human output for the CLI: a rich progress bar (stage, percent, ETA) on a terminal."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from .events import Event

_STAGE_LABEL = {
    "probe": "Reading video", "analyse": "Analysing", "compose": "Composing",
    "synthesize": "Synthesizing", "mix": "Mixing", "render": "Writing MP4",
    "upload": "Uploading", "generate": "Generating", "export": "Exporting",
    "download": "Downloading",
}


def _take_note(output: str) -> str:
    """One line about the take from the sidecar: style, tempo, key, video handling, loudness."""
    import json
    from pathlib import Path

    try:
        summary = json.loads(Path(output + ".game-music.json").read_text())["summary"]
    except (OSError, ValueError, KeyError):
        return ""
    music, parts = summary.get("music") or {}, []
    if music.get("style"):
        auto = " (chosen from the video)" if music.get("style_auto") else ""
        parts.append(f"{music['style']}{auto}")
    if music.get("tempo_bpm"):
        parts.append(f"{music['tempo_bpm']:.0f} bpm")
    if music.get("key"):
        parts.append(str(music["key"]) + (f" {music['mode']}" if music.get("mode") else ""))
    video = summary.get("video") or {}
    if "copied" in video:
        parts.append("video copied" if video["copied"] else "video re-encoded")
    if (summary.get("mix") or {}).get("game_audio_note"):
        parts.append(summary["mix"]["game_audio_note"])
    lufs = (summary.get("loudness") or {}).get("output_lufs")
    if lufs is not None:
        parts.append(f"{lufs:.1f} LUFS")
    return ", ".join(parts)


class HumanReporter:
    """Turns job events into a live bar on stderr and one result line per input."""

    def __init__(self) -> None:
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)
        self.out = Console(highlight=False, soft_wrap=True)
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._heading = ""

    def __call__(self, event: Event) -> None:
        kind = event.get("event")
        if kind == "start":
            # Shown once the job gets going: a missing or unreadable input gets its error line
            # alone, not a promise of an output first.
            self._heading = f"[bold]{event['input']}[/] -> {event['output']}"
        elif kind in ("progress", "done") and self._heading:
            self.err.print(self._heading, markup=True)
            self._heading = ""
            if self.err.is_terminal and kind == "progress":
                self._bar = Progress(
                    TextColumn("{task.description:<14}"), BarColumn(),
                    TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                    TextColumn("ETA"), TimeRemainingColumn(), console=self.err, transient=True,
                )
                self._bar.start()
                self._task = self._bar.add_task("Starting", total=1.0)
        if kind == "progress" and self._bar is not None and self._task is not None:
            label = _STAGE_LABEL.get(event["stage"], event["stage"])
            self._bar.update(self._task, completed=event["fraction"], description=label)
        elif kind == "done":
            self._stop()
            self.out.print(f"Done in {event['seconds']:.1f} s: {event['output']}", markup=False)
            note = _take_note(event["output"])
            if note:
                self.err.print(f"  {note}", markup=False)
        elif kind == "error":
            self._stop()
            self._heading = ""
            if event["code"] != "cancelled":  # the command says "interrupted" once, at the end
                print(f"game-music: error: {event['message']} [{event['code']}]",
                      file=sys.stderr)

    def _stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
            self._task = None
