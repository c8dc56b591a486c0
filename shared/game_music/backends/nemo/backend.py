"""``NemoBackend``: add music with the NemoVideo cloud editor.

Stages: upload the clip, ask the editing agent for music (generate), render the timeline
(export), fetch the MP4 (download). The instruction sent to the agent is written from the
``MusicRequest`` in plain words, plus the user's own prompt when there is one.
"""

from __future__ import annotations

import logging
import math
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..._errors import (
    BackendError,
    Cancelled,
    FileTooLarge,
    InternalError,
    NetworkError,
    NoCredits,
    UnsupportedInput,
)
from ...events import ProgressFn
from ...media.ffmpeg import run_ffmpeg
from ...media.probe import MediaInfo
from ...request import MusicRequest
from ..base import PREVIEW_SECONDS, RenderOptions, RenderResult
from ._client import NemoClient, SessionNotFound, TurnCut
from ._download import download
from ._models import SessionInfo, SessionState, UploadedFile, timeline_lines
from ._redact import mask, scrub
from ._render import RenderTimeout, export
from ._session import LastSession
from ._settings import NemoSettings, load_settings
from ._sse import TurnReader, TurnResult

log = logging.getLogger("game_music.nemo")

#: What the service accepts for video (4001 otherwise); other containers are remuxed first.
UPLOAD_EXTENSIONS = frozenset({".mp4", ".mov", ".avi", ".webm", ".mkv"})

# Disconnect recovery, as the vendor advises: never re-send; wait, read the state, repeat.
RECOVER_FIRST_WAIT_S = 30.0
RECOVER_WAIT_S = 60.0
RECOVER_READS = 5
# After a turn ends, music may still land in a second stage; re-read the state a few times.
SETTLE_WAIT_S = 10.0
SETTLE_READS = 3

STYLE_WORDS = {
    "chiptune": "NES-era 8-bit chiptune (pulse waves, triangle bass, noise drums)",
    "gameboy": "handheld 4-bit Game Boy style chiptune",
    "fm16": "16-bit console FM synth music (Genesis / Mega Drive style)",
    "synthwave": "80s synthwave / retrowave with analog synths and arpeggios",
    "orchestral": "epic orchestral RPG music (strings, brass, timpani)",
    "lofi": "chill lo-fi hip hop",
    "ambient": "calm ambient exploration music",
    "rock": "energetic rock / metal with distorted guitars and live drums",
    "edm": "electronic dance music (drum and bass, dubstep) for a montage",
}
GAME_AUDIO_WORDS = {
    None: "Keep the original game audio.",
    "keep": "Keep the original game audio.",
    "duck": "Keep the original game audio but lower it under the music.",
    "mute": "Mute the original game audio; keep only the music.",
}
ASPECT_WORDS = {
    "16:9": "Make the output 16:9 landscape.",
    "9:16": "Make the output 9:16 vertical.",
    "1:1": "Make the output 1:1 square.",
}


_TEMP_NAME = re.compile(r"^\.(?P<stem>.+)\.[0-9a-f]{8}\.part(?P<ext>\.mp4)$")


def final_name(output: Path) -> Path:
    """The name the job runner will rename ``output`` to (it hands us a hidden temp name)."""
    m = _TEMP_NAME.match(output.name)
    return output.with_name(m["stem"] + m["ext"]) if m else output


def _stderr_note(message: str) -> None:
    print(f"game-music: {mask(message)}", file=sys.stderr, flush=True)


def _secs(value: float) -> str:
    return f"{value:g}s"


def build_instruction(
    request: MusicRequest,
    *,
    filename: str,
    duration: float | None = None,
    prompt_text: str | None = None,
    only_this_video: bool = False,
) -> str:
    """The message for the editing agent: the request in plain words."""
    length = f" ({duration:.0f} s long)" if duration else ""
    lines = [
        f'Add original, royalty-free video-game-style background music to the video "{filename}"'
        f"{length}."
    ]
    if only_this_video:
        lines.append(
            "This is a separate video from any earlier one in this session: the timeline must "
            "contain only this video."
        )
    lines.append(
        f"Style: {STYLE_WORDS[request.style]}." if request.style
        else "Style: choose a video-game music style that fits the footage."
    )
    if request.mood:
        lines.append(f"Mood: {request.mood}.")
    if request.tempo_bpm:
        lines.append(f"Tempo: about {request.tempo_bpm} BPM.")
    if request.music_volume is not None:
        lines.append(f"Music volume: {round(request.music_volume * 100)}%.")
    if request.start_s is not None or request.end_s is not None:
        start = _secs(request.start_s or 0.0)
        end = _secs(request.end_s) if request.end_s is not None else "the end"
        lines.append(f"Play music only from {start} to {end}.")
    if request.fade_in_s:
        lines.append(f"Fade the music in over {_secs(request.fade_in_s)}.")
    if request.fade_out_s:
        lines.append(f"Fade the music out over {_secs(request.fade_out_s)}.")
    if request.duck_voice:
        lines.append("Lower the music whenever someone speaks so the voice stays clear.")
    lines.append(GAME_AUDIO_WORDS[request.game_audio])
    lines.append(ASPECT_WORDS.get(request.aspect, "Keep the video's own frame size."))
    words = " ".join((prompt_text or "").split())
    lines.append(
        "Do not cut, trim or reorder the video and keep its full length. Add no titles, "
        "captions or effects" + (" unless the user's words below ask for them." if words else ".")
    )
    if words:
        lines.append(f'The user\'s words: "{words}"')
    return "\n".join(lines)


class NemoBackend:
    """The cloud backend. One instance keeps one session across ``render()`` calls, so several
    inputs of one ``add`` share a session and each gets its own render."""

    name = "nemo"
    weights: tuple[tuple[str, float], ...] = (
        ("upload", 0.2), ("generate", 0.5), ("export", 0.2), ("download", 0.1),
    )

    def __init__(
        self,
        client: NemoClient | None = None,
        *,
        prompt_text: str | None = None,
        settings: NemoSettings | None = None,
        note: Callable[[str], None] | None = None,
        save_session: bool = True,
    ) -> None:
        self._note = note or _stderr_note
        self._client = client
        self._settings = settings
        self.prompt_text = prompt_text
        self.save_session = save_session
        self.session: SessionInfo | None = None
        self._renders = 0

    @property
    def client(self) -> NemoClient:
        if self._client is None:
            self._client = NemoClient(self._settings or load_settings(), note=self._note)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # --- the Backend protocol ------------------------------------------------------------
    def render(
        self,
        media: MediaInfo,
        request: MusicRequest,
        output: Path,
        *,
        workdir: Path,
        progress: ProgressFn,
        options: RenderOptions,
    ) -> RenderResult:
        try:
            return self._render(media, request, output, workdir, progress, options)
        except KeyboardInterrupt:
            raise Cancelled("interrupted") from None
        except Exception as exc:  # its text becomes an event and a line on the terminal
            scrub(exc)
            raise

    def _render(
        self,
        media: MediaInfo,
        request: MusicRequest,
        output: Path,
        workdir: Path,
        progress: ProgressFn,
        options: RenderOptions,
    ) -> RenderResult:
        client = self.client
        if options.stem_path or options.pcm_mov_path:
            self._note("the cloud backend writes the MP4 only (no music stem or MOV variant)")
        source, duration = self._upload_source(media, options, workdir)
        progress("upload", 0.0)
        session, uploaded = self._upload(source, lambda f: progress("upload", f))
        progress("upload", 1.0)

        text = build_instruction(
            request,
            filename=uploaded.filename or source.name,
            duration=uploaded.duration or duration,
            prompt_text=self.prompt_text,
            only_this_video=self._renders > 0,
        )
        state, turn = converse(
            client, session.session_id, text, lambda f: progress("generate", f),
            note=self._note, require_music=True,
        )
        progress("generate", 1.0)
        render_id = export_and_download(
            client, session.session_id, state, output, progress, task_id=session.task_id,
            expected_s=duration,
        )
        self._renders += 1

        if self.save_session:
            LastSession(
                api_url=client.settings.api_url, session_id=session.session_id,
                task_id=session.task_id, output=str(final_name(output)), input=str(media.path),
            ).save()
        summary: dict[str, Any] = {
            "backend": self.name,
            "session_id": session.session_id,
            "task_id": session.task_id,
            "render_id": render_id,
            "timeline": [mask(line) for line in timeline_lines(state)],
            "agent": (mask(turn.text)[:500] if turn else None),
            "tools": [mask(t) for t in turn.tool_calls] if turn else [],
        }
        try:
            summary["credits_available"] = client.credits().available
        except BackendError as exc:  # informative only
            log.debug("credits check failed: %s", exc)
        return RenderResult(output=output, summary=summary)

    # --- steps ---------------------------------------------------------------------------
    def _upload_source(
        self, media: MediaInfo, options: RenderOptions, workdir: Path
    ) -> tuple[Path, float]:
        """Check type and size locally (4001/4002 before any byte leaves) and cut or remux
        into ``workdir`` when only part of the clip is wanted or the container is foreign."""
        path = media.path
        start = options.start_s or 0.0
        end = options.end_s if options.end_s is not None else media.duration
        if options.preview:
            end = min(end, start + PREVIEW_SECONDS)
        duration = max(0.0, end - start)
        trim = start > 0 or end < media.duration - 1e-3
        if trim or path.suffix.lower() not in UPLOAD_EXTENSIONS:
            ext = path.suffix.lower() if path.suffix.lower() in UPLOAD_EXTENSIONS else ".mp4"
            target = workdir / f"{path.stem}{ext}"
            args = ["-ss", f"{start:.3f}", "-i", str(path)] if start > 0 else ["-i", str(path)]
            if trim:
                args += ["-t", f"{duration:.3f}"]
            args += ["-map", "0:v:0", "-map", "0:a?", "-c", "copy", str(target)]
            try:
                run_ffmpeg(args, what=f"preparing {path.name} for upload")
            except InternalError:  # stream copy failed: codecs the target container cannot hold
                if path.suffix.lower() in UPLOAD_EXTENSIONS:
                    raise
                raise UnsupportedInput(
                    f"{path.name}: NemoVideo accepts mp4, mov, avi, webm and mkv files, and this "
                    "one could not be repackaged as MP4; convert it first or use the local engine"
                ) from None
            path = target
        limit = self.client.settings.max_upload_mb
        size_mb = path.stat().st_size / 1e6
        if size_mb > limit:
            raise FileTooLarge(
                f"{media.path.name}: {size_mb:.0f} MB is over the {limit:.0f} MB cloud upload "
                "limit; trim it or use the local engine"
            )
        return path, duration

    def _upload(
        self, path: Path, progress: Callable[[float], None]
    ) -> tuple[SessionInfo, UploadedFile]:
        client = self.client
        for fresh in (False, True):
            if self.session is None or fresh:
                self.session = client.create_session(
                    f"game-music: {path.stem}"[:80], client.settings.language
                )
            try:
                result = client.upload_files(self.session.session_id, [path], progress)
                break
            except SessionNotFound:
                if fresh:
                    raise
                self._note("the cloud session expired; starting a new one")
        files = result.files
        if not files:
            raise BackendError("NemoVideo accepted the upload but listed no file")
        return self.session, files[-1]


def converse(
    client: NemoClient,
    session_id: str,
    text: str,
    progress: Callable[[float], None],
    *,
    note: Callable[[str], None],
    require_music: bool,
) -> tuple[SessionState, TurnResult | None]:
    """Send one instruction and return the resulting session state ready to export."""
    before = client.state(session_id)
    reader = TurnReader(
        clock=client.clock, note=note,
        # The turn length is unknown: an asymptotic guess that never claims to be finished.
        tick=lambda t: progress(min(0.95, 1.0 - math.exp(-t / 120.0))),
    )
    try:
        turn = client.run_turn(session_id, text, reader)
    except TurnCut as exc:
        note(f"{exc}; checking the session instead of sending the request again")
        return _recover(client, session_id, before, require_music), None
    for problem in turn.errors:
        if "credit" in problem.lower() or "2001" in problem:
            raise NoCredits(
                "not enough NemoVideo credits; register or top up to continue: "
                + client.registration_link()
            )
    if turn.text:
        log.info("NemoVideo: %s", " ".join(turn.text.split())[:300])
    return _settle(client, session_id, turn, require_music), turn


def _good(state: SessionState, require_music: bool) -> bool:
    return state.ready and (state.has_music or not require_music)


def _settle(
    client: NemoClient, session_id: str, turn: TurnResult, require_music: bool
) -> SessionState:
    """Read the state after a turn (the only way to see what a silent turn did)."""
    state = client.state(session_id)
    for _ in range(SETTLE_READS):
        if _good(state, require_music):
            return state
        client.sleep(SETTLE_WAIT_S)
        state = client.state(session_id)
    if _good(state, require_music):
        return state
    said = turn.errors[0] if turn.errors else " ".join(turn.text.split())[:200]
    what = "add music" if state.ready else "produce a timeline to export"
    raise BackendError(
        f"NemoVideo did not {what}" + (f" (it said: {said})" if said else "")
        + "; try `game-music nemo say` with a clearer instruction"
    )


def _recover(
    client: NemoClient, session_id: str, before: SessionState, require_music: bool
) -> SessionState:
    """After a broken stream: wait, read the state, and accept it once it changed."""
    wait = RECOVER_FIRST_WAIT_S
    for _ in range(RECOVER_READS):
        client.sleep(wait)
        wait = RECOVER_WAIT_S
        try:
            state = client.state(session_id)
        except NetworkError:
            continue
        if state.draft != before.draft and _good(state, require_music):
            return state
    raise NetworkError(
        "the connection to NemoVideo broke and the session did not change; "
        "check `game-music nemo status` in a few minutes"
    )


def export_and_download(
    client: NemoClient,
    session_id: str,
    state: SessionState,
    output: Path,
    progress: ProgressFn,
    *,
    task_id: str | None = None,
    expected_s: float | None = None,
) -> str | None:
    """Render the session's draft (sent back unchanged) and download it to ``output``,
    checked to be a video (about ``expected_s`` long when given)."""
    progress("export", 0.0)
    try:
        job = export(
            client, session_id, state.draft or {}, progress=lambda f: progress("export", f)
        )
    except RenderTimeout as exc:
        link = None
        if task_id:
            try:
                link = client.claim_link(task_id, session_id)
            except BackendError as why:
                log.debug("no editor link: %s", why)
        raise RenderTimeout(
            f"{exc}; " + (f"open it in the web editor: {link}" if link else "try again later")
        ) from None
    progress("export", 1.0)
    progress("download", 0.0)
    assert job.output_url
    download(
        client, job.output_url, output, render_id=job.id,
        progress=lambda f: progress("download", f), expected_s=expected_s,
    )
    progress("download", 1.0)
    return job.id
