"""``game-music nemo credits | status | say "<instruction>"``."""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..._errors import BackendError, Cancelled, GameMusicError, UsageError
from ...events import Progress, done_event, error_event, start_event

if TYPE_CHECKING:  # the client stack (httpx, pydantic) loads only when a command runs
    from ._client import NemoClient
    from ._session import LastSession

SAY_WEIGHTS = (("generate", 0.6), ("export", 0.25), ("download", 0.15))


def _masked(cmd: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """No secret in the text of an error leaving a command (it is printed as is)."""

    @functools.wraps(cmd)
    def run(args: argparse.Namespace) -> int:
        try:
            return cmd(args)
        except Exception as exc:
            from ._redact import scrub

            scrub(exc)
            raise

    return run


def register(subparsers: Any) -> None:
    nemo = subparsers.add_parser("nemo", help="the NemoVideo cloud backend: credits, status, edits")
    sub = nemo.add_subparsers(dest="nemo_command", metavar="ACTION", required=True)

    credits = sub.add_parser("credits", help="show the cloud credit balance")
    credits.add_argument("--json", action="store_true")
    credits.set_defaults(func=cmd_credits)

    status = sub.add_parser("status", help="show settings, credits and the last cloud session")
    status.add_argument("--json", action="store_true")
    status.add_argument("--link", action="store_true",
                        help="also print a link that opens the session in the web editor")
    status.set_defaults(func=cmd_status)

    say = sub.add_parser("say", help="refine the last cloud result and download it again")
    say.add_argument("instruction", nargs="+", help='for example "make the music quieter"')
    say.add_argument("-o", "--output", type=Path, help="output file (default: next to the last)")
    say.add_argument("--json", action="store_true", help="JSON-line events on stdout")
    say.set_defaults(func=cmd_say)


def _client() -> NemoClient:
    from ._client import NemoClient
    from ._settings import load_settings
    return NemoClient(load_settings())


@_masked
def cmd_credits(args: argparse.Namespace) -> int:
    with _client() as client:
        c = client.credits()
    total = c.total if c.total is not None else c.available + c.frozen
    if args.json:
        print(json.dumps({"available": c.available, "frozen": c.frozen, "total": total}))
    else:
        print(f"NemoVideo credits: {c.available} available, {c.frozen} reserved, {total} total")
    return 0


@_masked
def cmd_status(args: argparse.Namespace) -> int:
    from ._auth import TokenStore
    from ._client import NemoClient, SessionNotFound
    from ._models import timeline_lines
    from ._redact import hint, mask
    from ._session import LastSession
    from ._settings import load_settings
    settings = load_settings()
    store = TokenStore(settings)
    info: dict[str, Any] = {"api_url": settings.api_url}
    lines: list[str] = []
    with NemoClient(settings, store=store) as client:
        try:
            c = client.credits()
            info["credits"] = {"available": c.available, "frozen": c.frozen}
        except BackendError as exc:
            info["credits_error"] = mask(exc.message)
        try:
            last: LastSession | None = LastSession.load()
        except UsageError:
            last = None
        if last is not None and last.api_url == settings.api_url:
            info["last_session"] = {"session_id": last.session_id, "output": last.output}
            try:
                state = client.state(last.session_id)
                lines = [mask(line) for line in timeline_lines(state)]
                info["last_session"]["timeline"] = lines
                if args.link:
                    info["last_session"]["editor_link"] = client.claim_link(
                        last.task_id, last.session_id
                    )
            except SessionNotFound:
                info["last_session"]["timeline"] = lines = ["(the session has expired)"]
            except BackendError as exc:
                info["last_session"]["error"] = mask(exc.message)
        creds = client.signed_in or store.user_credentials() or store.cached()
    info["token"] = creds.source if creds else "none (an anonymous one is made on first use)"
    if creds and creds.expires_at:
        info["token_expires"] = creds.expires_at.isoformat(timespec="minutes")
    # Shown by its last characters only: with it, anyone can ask for this user's token.
    info["client_id"] = hint(store.client_id())
    if args.json:
        print(json.dumps(info, ensure_ascii=False))
        return 0
    print(f"API:        {info['api_url']}")
    print(f"Token:      {info['token']}"
          + (f" (expires {info['token_expires']})" if "token_expires" in info else ""))
    print(f"Client id:  {info['client_id']}")
    if "credits" in info:
        print(f"Credits:    {info['credits']['available']} available, "
              f"{info['credits']['frozen']} reserved")
    else:
        print(f"Credits:    unknown ({info.get('credits_error')})")
    last_info = info.get("last_session")
    if last_info:
        print(f"Last:       {last_info['output']} (session {last_info['session_id']})")
        for line in lines:
            print(line)
        if "editor_link" in last_info:
            print(f"Web editor: {last_info['editor_link']}")
        if "error" in last_info:
            print(f"            ({last_info['error']})")
    else:
        print("Last:       no cloud session yet")
    return 0


_EDIT = re.compile(r" \(edit \d+\)$")


def next_edit_name(last_output: Path) -> Path:
    """``clip (game music).mp4`` -> ``clip (game music) (edit 2).mp4``, never an existing file."""
    stem = _EDIT.sub("", last_output.stem)
    for n in range(2, 10_000):
        candidate = last_output.with_name(f"{stem} (edit {n}).mp4")
        if not candidate.exists():
            return candidate
    raise UsageError(f"{last_output.parent}: too many edits of {stem}")


@_masked
def cmd_say(args: argparse.Namespace) -> int:
    from ._client import SessionNotFound
    from ._models import timeline_lines
    from ._redact import mask
    from ._session import LastSession
    from ._settings import load_settings
    from .backend import converse, export_and_download
    instruction = " ".join(" ".join(args.instruction).split())
    if not instruction:
        raise UsageError("say what to change, for example: nemo say \"make the music quieter\"")
    settings = load_settings()
    last = LastSession.load()
    if last.api_url != settings.api_url:
        raise UsageError(
            f"the last cloud session belongs to {last.api_url}, not {settings.api_url}"
        )
    output = (args.output or next_edit_name(Path(last.output))).expanduser().absolute()
    output.parent.mkdir(parents=True, exist_ok=True)
    reporter = None
    if not args.json:
        from ..._progress import HumanReporter

        reporter = HumanReporter()

    def emit(event: dict[str, Any]) -> None:
        if args.json:
            sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        elif reporter is not None:
            reporter(event)

    source = last.input or last.output
    t0 = time.monotonic()
    emit(start_event(source, str(output), "nemo"))
    progress = Progress(emit, SAY_WEIGHTS)
    try:
        with _client() as client:
            try:
                state, _ = converse(
                    client, last.session_id, instruction, lambda f: progress("generate", f),
                    note=client.note, require_music=False,
                )
            except SessionNotFound:
                raise BackendError(
                    "the last cloud session no longer exists; run `game-music add` again"
                ) from None
            progress("generate", 1.0)
            export_and_download(
                client, last.session_id, state, output, progress, task_id=last.task_id
            )
            if not args.json:
                for line in timeline_lines(state):
                    print(mask(line), file=sys.stderr)
    except KeyboardInterrupt:
        err = Cancelled("interrupted")
        emit(error_event(source, err.code, err.message))
        raise err from None
    except GameMusicError as exc:
        emit(error_event(source, exc.code, mask(exc.message)))
        raise
    LastSession(
        api_url=last.api_url, session_id=last.session_id, task_id=last.task_id,
        output=str(output), input=last.input,
    ).save()
    emit(done_event(source, str(output), time.monotonic() - t0))
    return 0
