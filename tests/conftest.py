"""Shared fixtures: generated gameplay-like clips (made on first use, cached per session), a
CLI runner in a separate process (the real engine) and one in this process (a fake backend).

Nothing heavy is imported here: a test that only parses text must not pay for PyAV, scipy or
the synthesizers.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import game_music

if TYPE_CHECKING:
    from game_music.backends.fake import FakeBackend
    from game_music.demo import SampleClip

#: ``game_music.music.synth.bank.BUNDLED``, without importing the synthesizers.
BUNDLED = Path(game_music.__file__).resolve().parent / "data" / "soundfonts" / "game-music-gm.sf3"


#: Parametrised tests whose other cases repeat the same code on more styles, codecs, bigger
#: media or host versions: the fast loop (``-m "not slow"``) runs the cases named here, the
#: full run all of them. Test id -> (case ids kept fast, why the others are slow).
FAST_CASES: dict[str, tuple[tuple[str, ...], str]] = {
    "tests/music/test_follow_video.py::test_sections_change_within_a_beat_of_strong_cuts": (
        ("2-60.0-cuts0-chiptune",), "a minute of music composed per style"),
    "tests/music/test_follow_video.py::test_layers_and_loudness_follow_the_action": (
        ("synthwave",), "a minute composed and 40 s rendered per style"),
    "tests/music/test_follow_video.py::test_the_ending_resolves_on_the_last_second": (
        ("heroic-orchestral", "sad-lofi", "None-gameboy"), "27 renders of the last bars"),
    "tests/music/test_follow_video.py::test_ten_minutes_never_repeat_an_eight_bar_block": (
        ("fm16",), "ten minutes composed per style"),
    "tests/music/test_follow_video.py::test_the_melody_steps_back_while_someone_talks": (
        ("orchestral", "chiptune"), "48 s of music composed per style"),
    "tests/music/test_styles_retro.py::test_deterministic_and_block_size_independent": (
        ("synthwave",), "three more renders per style"),
    "tests/music/test_styles_retro.py::test_note_cache_never_changes_the_audio": (
        ("fm16",), "two more renders per style"),
    "tests/music/test_styles_band.py::test_different_seeds_differ": (
        ("lofi",), "two renders per style"),
    "tests/analysis/test_speech.py::test_speech_spans_are_found_among_game_noise_and_music": (
        ("1",), "the same detection on another generated recording"),
    "tests/resolve/test_fake_resolve.py::test_render_job_lifecycle_writes_the_file": (
        ("19.1-free", "21.1-studio"), "the same render job on 6 more versions and editions"),
    "tests/music/test_accents.py::test_accents_land_on_strong_beats_near_the_planted_moments": (
        ("rock", "ambient"), "the same accents composed per style (ambient: the soft kind)"),
    "tests/analysis/test_cuts.py::test_h264_cuts_are_found_at_the_right_time": (
        ("x264-mkv",), "one encoded and decoded clip per container and codec setting"),
    "tests/analysis/test_cuts.py::test_halves_read_at_once_join_into_the_whole": (
        ("x264-mkv",), "one encoded clip per codec, decoded whole and in halves"),
    "tests/analysis/test_cuts.py::test_other_codecs_degrade_gracefully": (
        ("mpeg4-.avi",), "HEVC and VP9 encodes"),
    "tests/media/test_mux.py::test_unfit_video_is_reencoded_to_h264": (
        ("tenbit.mp4-kwargs1-yuv420p10-size1",), "an HEVC encode and a UHD encode"),
}
# The Resolve menu entries on every version x edition x language: the fast loop keeps each
# version, each edition and both languages once.
FAST_CASES.update({
    f"tests/resolve/test_resolve_menu.py::{test}": (
        ("19.1-free-py", "20.3-studio-lua", "21.0.4-free-lua", "21.1-studio-py"),
        "the same menu entry on 11 more Resolve versions, editions and languages")
    for test in ("test_timeline_clip_goes_to_engine_and_back_into_the_bin",
                 "test_title_clip_is_rendered_first", "test_media_pool_selection_with_clip_marks",
                 "test_in_out_marks_limit_the_range", "test_read_only_output_folder",
                 "test_existing_bin_is_reused", "test_render_that_fails", "test_nothing_selected")
})
#: Whole tests the fast loop leaves to the full run, with the fast test that covers their code.
SLOW_TESTS: dict[str, str] = {
    "tests/test_output_contract.py::test_preview_is_twenty_seconds":
        "a 21 s clip rendered; fast: test_preview_is_named_and_cut_at_twenty_seconds",
    "tests/obs/test_watch.py::test_watch_says_obs_is_not_running_and_stops_cleanly":
        "the command warms the engine up; fast: test_the_watcher_says_obs_is_not_running",
}


@pytest.hookimpl(tryfirst=True)  # before -m deselects by the marks added here
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    seen: dict[str, set[str]] = {}
    for item in items:
        test, _, case = item.nodeid.partition("[")
        case = case.removesuffix("]")
        if test in SLOW_TESTS or (test in FAST_CASES and case not in FAST_CASES[test][0]):
            item.add_marker(pytest.mark.slow)
        seen.setdefault(test, set()).add(case)
    # A renamed test or case would quietly leave these lists: say so. A file asked for by node
    # id (``file.py::test``) may hold only some of its tests, so it is not checked.
    files = {test.split("::")[0] for test in seen}
    partial = {Path(str(a).split("::")[0]).resolve() for a in config.args if "::" in str(a)}
    stale = []
    for test, cases in [*((t, ()) for t in SLOW_TESTS),
                        *((t, keep) for t, (keep, _) in FAST_CASES.items())]:
        file = test.split("::")[0]
        if file not in files or (config.rootpath / file).resolve() in partial:
            continue
        if test not in seen:
            stale.append(test)
        stale += [f"{test}[{case}]" for case in cases if case not in seen.get(test, ())]
    if stale:
        raise pytest.UsageError(f"tests/conftest.py names tests that do not exist: {stale}")


def pytest_configure(config: pytest.Config) -> None:
    # The bundled bank whatever this machine has installed (the same sound on every machine,
    # for fixtures of any scope), and one decoded-bank cache for the session.
    os.environ["GAME_MUSIC_SOUNDFONT"] = str(BUNDLED)
    os.environ["GAME_MUSIC_CACHE_DIR"] = tempfile.mkdtemp(prefix="game-music-cache-")
    # No test hands its job to a `game-music serve` the developer has running.
    os.environ["GAME_MUSIC_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="game-music-run-")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never read or write the developer's real config, tokens or job logs."""
    base = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("GAME_MUSIC_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("GAME_MUSIC_DATA_DIR", str(base / "data"))
    monkeypatch.delenv("GAME_MUSIC_PROMPT", raising=False)
    monkeypatch.delenv("NEMO_TOKEN", raising=False)


_CLIPS: dict[tuple[Any, ...], SampleClip] = {}


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def make_clip(clip_dir: Path) -> Callable[..., SampleClip]:
    """``make_clip("name.mkv", seconds=6, ...)``: generated once per session per arguments.

    Tests must not modify the returned file (copy it first)."""

    def make(name: str = "clip.mkv", **kwargs: Any) -> SampleClip:
        from game_music.demo import make_sample_clip

        key = (name, tuple(sorted(kwargs.items())))
        if key not in _CLIPS:
            # A fresh folder even when an earlier clip failed half-way.
            folder = Path(tempfile.mkdtemp(prefix="c", dir=clip_dir))
            kwargs.setdefault("seconds", 6.0)
            kwargs.setdefault("width", 640)
            kwargs.setdefault("height", 360)
            _CLIPS[key] = make_sample_clip(folder / name, **kwargs)
        return _CLIPS[key]

    return make


class CliResult:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    """Run ``game-music`` as a user would: a separate process."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> CliResult:
        proc = subprocess.run(
            [sys.executable, "-m", "game_music", *args],
            capture_output=True, text=True, timeout=timeout,
            env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def fake_cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run ``game-music`` in this process with a :class:`FakeBackend` in place of the engine:
    the CLI, batch, job runner and refine code are the real ones, only the render is fast.

    ``fake_cli("add", x, "--json", backend=FakeBackend(fail=...))``; without ``backend`` each
    job gets a fresh default one. The backends made are in ``fake_cli.made``. A file counts as
    finished once unchanged for ``settle`` seconds (the CLI's 2 s would dominate these tests
    of just-written files; pass ``settle=2.0`` to test the waiting itself)."""
    from game_music import batch
    from game_music import cli as cli_module
    from game_music.backends.fake import FakeBackend

    made: list[FakeBackend] = []

    settled = batch.wait_until_settled

    def run(*args: str, backend: FakeBackend | None = None, env: dict[str, str] | None = None,
            settle: float = 0.1) -> CliResult:
        def make_backend(name: str, prompt: str | None) -> FakeBackend:
            chosen = backend or FakeBackend()
            chosen.name = name  # stands in for the engine the user asked for
            made.append(chosen)
            return chosen

        with monkeypatch.context() as m:
            m.setattr(cli_module, "make_backend", make_backend)
            m.setattr(batch, "wait_until_settled", functools.partial(settled, settle=settle))
            for key, value in (env or {}).items():
                m.setenv(key, value)
            out, err = io.StringIO(), io.StringIO()
            # What `main`'s logging.basicConfig would print, were pytest's handlers not there.
            handler = logging.StreamHandler(err)
            handler.setFormatter(logging.Formatter("game-music: %(message)s"))
            logger = logging.getLogger("game_music")
            logger.addHandler(handler)
            level = logger.level
            logger.setLevel(logging.DEBUG if "--debug" in args else logging.WARNING)
            sigterm = signal.getsignal(signal.SIGTERM)
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    try:
                        code = cli_module.main(list(args))
                    except SystemExit as exc:  # argparse
                        code = exc.code if isinstance(exc.code, int) else 2
            finally:
                signal.signal(signal.SIGTERM, sigterm)
                logger.removeHandler(handler)
                logger.setLevel(level)
        return CliResult(code, out.getvalue(), err.getvalue())

    run.made = made  # type: ignore[attr-defined]
    return run
