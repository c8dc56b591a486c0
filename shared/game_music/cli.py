"""The command line (Contract 1). JSON-line events with ``--json`` (Contract 2)."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import difflib
import json
import logging
import math
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

# The engine runs its parallel work in processes (a forked child, several ffmpeg); BLAS
# threads on top of that only spin and steal the cores (numpy reads this when it loads).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from . import __version__  # noqa: E402
from ._errors import Cancelled, GameMusicError, UsageError
from ._progress import HumanReporter
from .backends.base import Backend, RenderOptions
from .batch import DEFAULT_WAIT_S, JobSpec, collect_inputs, parse_since, print_summary, run_batch
from .batch import exit_code as batch_exit_code
from .config import default_prompt, load_config
from .events import Event
from .jobs import resolve_output
from .request import STYLES

log = logging.getLogger("game_music")

#: Jobs in parallel for batches: 2 was 15-50 % faster than 1 on two busy cores.
DEFAULT_JOBS = 2


def _time_arg(text: str) -> str:
    # Kept as text ("12.5", "1:02.5", "1:02:03" or "300f"): frames need the input's fps.
    t = text.strip().lower()
    try:
        value = float(int(t[:-1])) if t.endswith("f") else _seconds(t)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a time (seconds, m:ss or h:mm:ss) or a frame number like 300f: {text!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"a time before the start of the video: {text!r}")
    return t


def _count_arg(what: str, highest: int | None = None) -> Callable[[str], int]:
    """An argparse type for a whole number from 1 (to ``highest``), named ``what`` in errors."""

    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            n = 0
        if n < 1 or (highest is not None and n > highest):
            raise argparse.ArgumentTypeError(f"not {what}: {text!r}")
        return n

    return parse


_track_arg = _count_arg("an audio track number (1, 2, ...)", 64)


def _voice_track_arg(text: str) -> int:
    return 0 if text.strip().lower() in ("0", "none", "no") else _track_arg(text)


def _end_arg(text: str) -> str:
    t = _time_arg(text)
    if (float(int(t[:-1])) if t.endswith("f") else _seconds(t)) <= 0:
        raise argparse.ArgumentTypeError(f"the end must be after the video's start: {text!r}")
    return t


def _fps_arg(text: str) -> float:
    try:
        fps = float(text)
    except ValueError:
        fps = math.nan
    if not (0 < fps <= 1000):  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"not a frame rate: {text!r}")
    return fps


_jobs_arg = _count_arg("a number of jobs")


def _seconds(text: str) -> float:
    """Seconds from "12.5", "1:02.5" or "1:02:03.5"; ValueError for anything else."""
    parts = text.split(":")
    if len(parts) > 3 or any(not p.strip() for p in parts):
        raise ValueError(text)
    values = [float(p) for p in parts]
    if not all(math.isfinite(v) for v in values) or any(v >= 60 for v in values[1:]):
        raise ValueError(text)  # "1:75" is no time
    if len(values) > 1 and any(v < 0 for v in values):
        raise ValueError(text)
    value = 0.0
    for v in values:
        value = value * 60 + v
    return value


def _range_to_seconds(text: str | None, fps: float) -> float | None:
    if text is None:
        return None
    return int(text[:-1]) / fps if text.endswith("f") else _seconds(text)


class _Parser(argparse.ArgumentParser):
    """argparse with a "did you mean" line for a mistyped command or option (Python 3.14's
    ``suggest_on_error`` does this for commands only, and only there)."""

    def error(self, message: str) -> NoReturn:
        # One line with the stable code, like every other error (no usage block: --help).
        where = self.prog.removeprefix("game-music").strip()
        self.exit(UsageError.exit_code, f"game-music: error: {where + ': ' if where else ''}"
                  f"{message}{self._suggestion(message)} [{UsageError.code}]\n")

    def _suggestion(self, message: str) -> str:
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:
            options = re.findall(r"'([^']*)'", choice.group(2)) or [
                c.strip() for c in choice.group(2).split(",")]
            close = difflib.get_close_matches(choice.group(1), options, n=1, cutoff=0.5)
            return f" - did you mean {close[0]!r}?" if close else ""
        unknown = re.search(r"unrecognized arguments: (\S+)", message)
        if unknown and unknown.group(1).startswith("--"):
            word = unknown.group(1).split("=", 1)[0]
            known = [o for a in self._actions for o in a.option_strings]
            for action in self._actions:  # the subcommand's options: they were not matched
                if isinstance(action, argparse._SubParsersAction):
                    for sub in action.choices.values():
                        known += [o for a in sub._actions for o in a.option_strings]
            close = difflib.get_close_matches(word, set(known), n=1, cutoff=0.6)
            return f" - did you mean {close[0]}?" if close else ""
        return ""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="game-music",
        description="Add original, royalty-free video-game-style music to gameplay videos.",
    )
    parser.add_argument("--version", action="version", version=f"game-music {__version__}")
    parser.add_argument("--debug", action="store_true", help="verbose logs and tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    add = sub.add_parser("add", help="add music to one or more videos")
    add.add_argument("inputs", nargs="+", metavar="INPUT", help="video files")
    add.add_argument("-p", "--prompt", help="what music you want, in your words")
    add.add_argument("-o", "--output", help="output file, or a folder to write into")
    add.add_argument("--backend", choices=("local", "nemo"), default=None,
                     help="local engine (default, offline) or the NemoVideo cloud")
    add.add_argument("--style", choices=STYLES, help="pick a style directly")
    add.add_argument("--seed", type=int, help="another number gives another take")
    add.add_argument("--preview", action="store_true", help="render only the first 20 s, fast")
    add.add_argument("--json", action="store_true", help="JSON-line events on stdout")
    snd = add.add_argument_group("sound (local engine)")
    snd.add_argument("--soundfont", type=Path, metavar="SF2",
                     help="play the recorded-instrument styles from this SoundFont (.sf2/.sf3)")
    snd.add_argument("--no-accents", action="store_true",
                     help="no hits on the clip's big moments")
    bat = add.add_argument_group("batches (a folder or several recordings)")
    bat.add_argument("-j", "--jobs", type=_jobs_arg, default=DEFAULT_JOBS,
                     help=f"videos processed at the same time (default {DEFAULT_JOBS})")
    bat.add_argument("--force", action="store_true", help="redo recordings already done")
    bat.add_argument("--since", metavar="WHEN",
                     help='only recordings since "2026-11-24 18:00", "18:00" or "3h" ago')
    bat.add_argument("--newer-than", type=Path, metavar="FILE",
                     help="only recordings modified after FILE")
    bat.add_argument("--wait", type=float, default=DEFAULT_WAIT_S, metavar="SECONDS",
                     help="how long to wait for a file still being written "
                          f"(default {DEFAULT_WAIT_S:.0f})")
    trk = add.add_argument_group("audio tracks (default: OBS's convention, 1 = mix, 2 = mic)")
    trk.add_argument("--game-track", type=_track_arg, metavar="N",
                     help="the audio track the music is mixed with (1 = the first)")
    trk.add_argument("--voice-track", type=_voice_track_arg, metavar="N",
                     help="the track with your voice, which the music ducks under; 0 or none: "
                          "no separate voice track")
    bat.add_argument("--cluster", metavar="ADDRESS",
                     help="run each video as a task on this Dask scheduler (cluster extra)")
    bat.add_argument("--cluster-path-map", action="append", default=[], metavar="LOCAL=REMOTE",
                     help="where the workers see a folder of this machine (repeatable)")
    rng = add.add_argument_group("source range (e.g. from an editor)")
    rng.add_argument("--start", type=_time_arg, help="start: seconds, m:ss, or frames like 300f")
    rng.add_argument("--end", type=_end_arg, help="end: seconds, m:ss, or frames like 900f")
    rng.add_argument("--fps", type=_fps_arg,
                     help="frame rate for frame numbers (default: input's)")
    extra = add.add_argument_group("extra outputs")
    extra.add_argument("--stem", type=Path, metavar="WAV", help="also write the music alone")
    extra.add_argument("--pcm-mov", type=Path, metavar="MOV",
                       help="also write a MOV with PCM audio (for editors without AAC)")
    extra.add_argument("--report", action="store_true",
                       help="also draw <output>.report.png: what the engine heard and did "
                            "(needs the report extra, matplotlib)")
    add.add_argument("--no-serve", action="store_true",
                     help="with --json, do not hand the job to a running `game-music serve`")
    add.set_defaults(func=cmd_add)

    explain = sub.add_parser("explain", help="show what the engine understood from a prompt")
    explain.add_argument("prompt", nargs="+")
    explain.add_argument("--json", action="store_true")
    explain.set_defaults(func=cmd_explain)

    styles = sub.add_parser("styles", help="list the music styles")
    styles.add_argument("--json", action="store_true")
    styles.set_defaults(func=cmd_styles)

    demo = sub.add_parser("demo", help="make a sample gameplay clip and add music to it")
    demo.add_argument("-o", "--output", type=Path, help="folder for the sample and its result")
    demo.add_argument("-p", "--prompt", default="add retro chiptune background music")
    demo.add_argument("--seconds", type=float, default=30.0)
    demo.add_argument("--json", action="store_true")
    demo.set_defaults(func=cmd_demo)

    doctor = sub.add_parser("doctor", help="check ffmpeg, config and OBS/Resolve install state")
    doctor.add_argument("--json", action="store_true")
    doctor.add_argument("folders", nargs="*", type=Path, metavar="FOLDER",
                        help="where to look for what stopped runs left (default: here)")
    doctor.add_argument("--clean", action="store_true",
                        help="remove what stopped runs left in those folders")
    doctor.set_defaults(func=cmd_doctor)

    refine = sub.add_parser("refine", help="change an earlier output with a new prompt")
    refine.add_argument("earlier", metavar="OUTPUT", help="a video game-music made earlier")
    refine.add_argument("-p", "--prompt", required=True,
                        help='what to change, e.g. "quieter music, more epic", "another take"')
    refine.add_argument("-o", "--output", help="write here instead of replacing OUTPUT")
    refine.add_argument("--seed", type=int, help="take number (default: the earlier one)")
    refine.add_argument("--json", action="store_true", help="JSON-line events on stdout")
    refine.add_argument("--report", action="store_true",
                        help="also draw <output>.report.png (needs matplotlib)")
    refine.set_defaults(func=cmd_refine)

    _register_plugins(sub)
    return parser


def _register_plugins(sub: Any) -> None:
    from .backends.nemo.commands import register as register_nemo
    from .obs.commands import register as register_obs
    from .serve import register as register_serve

    # serve and obs watch run jobs through this module's main: handed in, not imported back.
    register_obs(sub, main=main)
    register_nemo(sub)
    register_serve(sub, main=main, build_parser=build_parser)


def _emitter(as_json: bool, reporter: HumanReporter | None):  # type: ignore[no-untyped-def]
    def emit(event: Event) -> None:
        if as_json:
            sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        elif reporter is not None:
            reporter(event)

    return emit


def make_backend(name: str, prompt: str | None) -> Backend:
    if name == "nemo":
        from .backends.nemo import NemoBackend

        return NemoBackend(prompt_text=prompt)
    from .backends.local import LocalBackend

    return LocalBackend()


def cmd_add(args: argparse.Namespace) -> int:
    from .prompt import parse_prompt

    config = load_config()
    since = getattr(args, "since", None)
    selection = collect_inputs(
        args.inputs, since=parse_since(since) if since else None,
        newer_than=getattr(args, "newer_than", None),
    )
    inputs = list(selection.paths)
    if args.output and len(inputs) > 1 and not (
        args.output.endswith(("/", os.sep)) or Path(args.output).is_dir()
    ):
        raise UsageError("with several inputs, -o must name a folder")
    if args.stem and len(inputs) > 1 or args.pcm_mov and len(inputs) > 1:
        raise UsageError("--stem and --pcm-mov take one input")
    report = bool(getattr(args, "report", False))
    soundfont = getattr(args, "soundfont", None)
    if report:
        from .report import require

        require()  # before any work: one clear line when matplotlib is missing
    prompt = args.prompt if args.prompt is not None else default_prompt(config)
    request = parse_prompt(prompt)
    if args.style:
        request = request.replace(style=args.style)
    if args.seed is not None:
        request = request.replace(seed=args.seed)
    backend_name = args.backend or config.get("backend") or "local"
    make_backend(backend_name, prompt)  # fail early on a bad backend setup
    reporter = None if args.json else HumanReporter()
    emit = _emitter(args.json, reporter)
    specs = []
    for inp in inputs:
        options = RenderOptions(
            preview=args.preview,
            stem_path=args.stem.absolute() if args.stem else None,
            pcm_mov_path=args.pcm_mov.absolute() if args.pcm_mov else None,
            soundfont=soundfont.expanduser().absolute() if soundfont else None,
            accents=not getattr(args, "no_accents", False),
            report=report,
            game_track=getattr(args, "game_track", None),
            voice_track=getattr(args, "voice_track", None),
        )
        if args.start or args.end:
            options = _with_range(options, inp, args)
        output = resolve_output(inp, args.output, preview=args.preview)
        specs.append(JobSpec(inp, request, output, options))
    if not specs:
        print(f"game-music: no recordings to process ({selection.not_selected} not selected)",
              file=sys.stderr)
        return 0
    t0 = time.monotonic()
    with _cluster_runner(args, config) as runner:
        outcomes = run_batch(
            specs, lambda: make_backend(backend_name, prompt), emit, batch=selection.batch,
            jobs=len(specs) if runner else getattr(args, "jobs", 1),
            force=getattr(args, "force", False),
            wait=getattr(args, "wait", DEFAULT_WAIT_S), prompt=prompt, json_events=args.json,
            runner=runner,
        )
    if selection.batch and not args.json:
        print_summary(outcomes, time.monotonic() - t0, selection.not_selected)
    return batch_exit_code(outcomes)


@contextlib.contextmanager
def _cluster_runner(args: argparse.Namespace, config: dict[str, Any]) -> Iterator[Any]:
    """``--cluster`` (or ``[cluster] address``): jobs run on Dask workers; else ``None``."""
    from .config import cluster_settings

    address, path_map = cluster_settings(config)
    address = getattr(args, "cluster", None) or address
    if not address:
        yield None
        return
    from ._cluster import PathMap, connect

    mapping = PathMap.parse(getattr(args, "cluster_path_map", None) or path_map)
    with connect(address, mapping, make_backend) as r:
        yield r


def _with_range(options: RenderOptions, inp: Path, args: argparse.Namespace) -> RenderOptions:
    fps = args.fps
    needs_fps = any(t and t.endswith("f") for t in (args.start, args.end))
    if needs_fps and not fps:
        from .media.probe import probe

        try:
            fps = float(probe(inp).video.fps)
        except GameMusicError:
            fps = 30.0  # the job itself reports the input problem
    start = _range_to_seconds(args.start, fps or 30.0)
    end = _range_to_seconds(args.end, fps or 30.0)
    if start is not None and end is not None and end <= start:
        raise UsageError("--end must be after --start")
    return dataclasses.replace(options, start_s=start, end_s=end)


def cmd_explain(args: argparse.Namespace) -> int:
    from .prompt import describe, parse_prompt

    request = parse_prompt(" ".join(args.prompt))
    if args.json:
        print(json.dumps(request.to_dict(), ensure_ascii=False))
    else:
        print(describe(request))
    return 0


def cmd_styles(args: argparse.Namespace) -> int:
    from .music import STYLE_INFO

    if args.json:
        print(json.dumps(dict(STYLE_INFO), ensure_ascii=False, indent=2))
        return 0
    for name, info in STYLE_INFO.items():
        lo, hi = info.get("tempo_range", ("?", "?"))
        print(f"{name:<11} {info.get('summary', '')}  ({lo}-{hi} bpm)")
        if info.get("instruments"):
            print(f"{'':<11} instruments: {', '.join(info['instruments'])}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import make_sample_clip

    folder = (args.output or Path.cwd() / "game-music-demo").absolute()
    folder.mkdir(parents=True, exist_ok=True)
    sample = folder / "sample gameplay.mkv"
    if not args.json:
        print(f"Making a {args.seconds:.0f} s sample gameplay clip: {sample}", file=sys.stderr)
    make_sample_clip(sample, seconds=args.seconds, voice_track=True)
    ns = argparse.Namespace(
        inputs=[str(sample)], prompt=args.prompt, output=None, backend="local", style=None,
        seed=None, preview=False, json=args.json, start=None, end=None, fps=None, stem=None,
        pcm_mov=None,
    )
    return cmd_add(ns)


def cmd_refine(args: argparse.Namespace) -> int:
    from .refine import plan_refinement, run_refinement

    if getattr(args, "report", False):
        from .report import require

        require()
    plan = plan_refinement(Path(args.earlier), args.prompt, seed=args.seed, output_arg=args.output)
    if getattr(args, "report", False):
        plan = dataclasses.replace(plan, options=dataclasses.replace(plan.options, report=True))
    emit = _emitter(args.json, None if args.json else HumanReporter())
    try:
        run_refinement(plan, make_backend=make_backend, emit=emit)
    except Cancelled:
        raise
    except GameMusicError as exc:
        return exc.exit_code  # already reported as an error event
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor import run_doctor

    return run_doctor(as_json=args.json, folders=args.folders, clean=args.clean)


def _on_sigterm(signum: int, frame: object) -> None:
    # Hosts stop a job with SIGTERM, a closed terminal sends SIGHUP: unwind like Ctrl-C so
    # temp files are cleaned up.
    raise KeyboardInterrupt


def _args_from_file(argv: list[str]) -> list[str]:
    """``--args-file FILE`` first: the arguments are the JSON list of strings in FILE (UTF-8).
    Hosts whose only way to start a process is a shell (Resolve's Lua on Windows: cmd.exe
    rewrites %VAR% and mangles quotes whatever the quoting) put clip names and prompts there."""
    if not argv or not (argv[0] == "--args-file" or argv[0].startswith("--args-file=")):
        return argv
    name, rest = (argv[0].split("=", 1)[1], argv[1:]) if "=" in argv[0] else (
        (argv[1], argv[2:]) if len(argv) > 1 else ("", []))
    try:
        loaded = json.loads(Path(name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the arguments file {name!r}: {exc}") from None
    if not isinstance(loaded, list) or not all(isinstance(a, str) for a in loaded):
        raise UsageError(f"the arguments file {name!r} is not a JSON list of strings")
    return [*loaded, *rest]


def _serve_first(args: argparse.Namespace) -> bool:
    return (args.command == "add" and bool(args.json) and not getattr(args, "no_serve", False)
            and not os.environ.get("GAME_MUSIC_NO_SERVE"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        argv = _args_from_file(list(sys.argv[1:] if argv is None else argv))
    except UsageError as exc:
        print(f"game-music: error: {exc.message} [{exc.code}]", file=sys.stderr)
        return exc.exit_code
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a usage error already printed
        return stop.code if isinstance(stop.code, int) else 0
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="game-music: %(message)s", stream=sys.stderr,
    )
    from .backends.nemo._redact import MaskSecrets, format_traceback

    for handler in logging.getLogger().handlers:
        handler.addFilter(MaskSecrets())  # no token or client id in any log line
    if _serve_first(args):
        # A host's job (``add --json``): a running `game-music serve` runs it warm.
        from .serve_client import run_cli

        code = run_cli(argv)
        if code is not None:
            return code
    for name in ("SIGTERM", "SIGHUP"):  # a host stopping us, or a closed terminal
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _on_sigterm)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("game-music: interrupted", file=sys.stderr)
        return Cancelled.exit_code
    except GameMusicError as exc:
        if args.debug:  # detail only: the message, the code and the exit status stay
            print(format_traceback(exc), end="", file=sys.stderr)
        if isinstance(exc, Cancelled):
            print("game-music: interrupted", file=sys.stderr)
        elif not getattr(args, "json", False) or isinstance(exc, UsageError):
            print(f"game-music: error: {exc.message} [{exc.code}]", file=sys.stderr)
        return exc.exit_code
