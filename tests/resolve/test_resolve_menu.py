"""The Resolve menu entries (Python and Lua) against the fake Resolve, per version/edition."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import sys
from pathlib import Path

import pytest

from game_music.cli import build_parser
from game_music.media.ffmpeg import run_ffmpeg
from game_music.media.probe import probe

from .conftest import SOURCE, bin_paths, combos, read_only
from .fake_resolve import EDITIONS, VERSIONS, make

PREFIX = "Add Game Music: "
LINUX = sys.platform.startswith("linux")


_DEST = {"-o": "output", "-p": "prompt", "--start": "start", "--end": "end", "--fps": "fps",
         "--stem": "stem", "--pcm-mov": "pcm_mov"}


def _opt(argv: list[str], flag: str) -> str | None:
    """The value the engine's own parser reads for ``flag`` (however the entry spelled it)."""
    value = getattr(build_parser().parse_args(argv), _DEST[flag])
    if value is None:
        return None
    return f"{value:g}" if isinstance(value, float) else str(value)


def _src(argv: list[str]) -> str:
    return build_parser().parse_args(argv).inputs[0]


def _failure(lines: list[str]) -> str:
    """A failure is exactly one console line."""
    assert len(lines) == 1, lines
    assert lines[0].startswith(PREFIX)
    return lines[0][len(PREFIX):]


@pytest.mark.parametrize("version,edition,lang", combos())
def test_timeline_clip_goes_to_engine_and_back_into_the_bin(session_factory, version, edition,
                                                            lang):
    s = session_factory(version, edition, ui_answer="epic orchestral boss fight")
    clip = s.pool.add_file(s.clip)
    other = s.pool.AddSubFolder(s.pool.GetRootFolder(), "Footage")
    assert s.pool.SetCurrentFolder(other)
    tl = s.resolve.new_timeline()
    s.project.GetMediaPool().AppendToTimeline([{"mediaPoolItem": clip, "startFrame": 6,
                                                "endFrame": 60}])
    item = tl.video_items()[0]
    tl.select(item)          # seen from 21.0.4 on
    tl.park(item.GetStart() + 10)  # older versions fall back to the playhead

    lines = s.run(lang)

    assert lines[-1].startswith(PREFIX + "done"), lines
    (argv,) = s.engine_calls()
    assert _src(argv) == str(s.clip)                      # the source file, no render
    assert (_opt(argv, "--start"), _opt(argv, "--end"), _opt(argv, "--fps")) == \
        ("6f", "60f", "24")
    out = Path(_opt(argv, "-o"))
    assert out.parent == s.clip.parent and out.name == "match (game music).mp4"
    studio_dialog = edition == "studio"
    assert _opt(argv, "-p") == ("epic orchestral boss fight" if studio_dialog else
                                "add upbeat retro game background music")
    assert bool(s.host.dialogs) == studio_dialog
    assert s.host.upsells == 0                         # never touched UIManager on free 19.1+
    expected = [str(out), str(out.with_suffix(".wav"))]
    if LINUX:
        expected.append(str(out.with_name("match (game music) pcm.mov")))
    assert sorted(bin_paths(s)) == sorted(expected)
    assert s.pool.GetCurrentFolder() is other           # the editor's folder is restored
    assert clip in s.pool.GetRootFolder().GetClipList()  # nothing moved
    assert any("%" in line for line in lines)           # progress was shown

    # Again: a new name, never the file already in the bin.
    lines = s.run(lang)
    assert lines[-1].startswith(PREFIX + "done"), lines
    assert Path(_opt(s.engine_calls()[1], "-o")).name == "match (game music) 2.mp4"
    assert len(s.pool.bins("Game Music")) == 1


@pytest.mark.parametrize("version,edition,lang", combos())
def test_nothing_selected(session_factory, version, edition, lang):
    s = session_factory(version, edition)
    s.pool.add_file(s.clip)          # in the pool, but not selected
    s.resolve.new_timeline()         # empty timeline, playhead over nothing

    message = _failure(s.run(lang))

    assert message.startswith("nothing selected")
    assert s.engine_calls() == []
    assert s.pool.bins("Game Music") == []


@pytest.mark.parametrize("version,edition,lang", combos())
def test_media_pool_selection_with_clip_marks(session_factory, version, edition, lang,
                                              monkeypatch):
    s = session_factory(version, edition)
    clip = s.pool.add_file(s.clip)
    s.pool.select(clip)
    clip.SetMarkInOut(12, 35)        # source frames, inclusive

    # The engine refuses the clip: one line with its code, nothing imported.
    monkeypatch.setenv("FAKE_ENGINE_FAIL", "unsupported_input")
    message = _failure([x for x in s.run(lang) if "sending" not in x])
    assert message.startswith("the engine failed (unsupported_input)")
    assert s.pool.bins("Game Music") == []

    monkeypatch.delenv("FAKE_ENGINE_FAIL")
    monkeypatch.setenv("GAME_MUSIC_PROMPT", "lofi study beats")
    lines = s.run(lang)

    assert lines[-1].startswith(PREFIX + "done"), lines
    argv = s.engine_calls()[-1]
    assert _opt(argv, "-p") == "lofi study beats"       # no dialog, or its pre-filled text
    assert _src(argv) == str(s.clip)
    assert (_opt(argv, "--start"), _opt(argv, "--end")) == ("12f", "36f")


@pytest.mark.parametrize("version,edition,lang", combos())
def test_title_clip_is_rendered_first(session_factory, version, edition, lang):
    s = session_factory(version, edition)
    tl = s.resolve.new_timeline()
    title = tl.add_title("Intro", frames=48)
    tl.select(title)
    tl.park(title.GetStart())
    tl.SetMarkInOut(12, 23)                              # 12 frames of it
    rendered_ranges = []
    real = s.project._encode

    def spy(job, out, progress):
        rendered_ranges.append((job["MarkIn"], job["MarkOut"]))
        real(job, out, progress)

    s.project._encode = spy

    lines = s.run(lang)

    assert lines[-1].startswith(PREFIX + "done"), lines
    assert rendered_ranges == [(86400 + 12, 86400 + 23)]  # absolute, inclusive
    (argv,) = s.engine_calls()
    rendered = Path(_src(argv))
    # Linux: MOV/PCM (no AAC there); elsewhere MP4/H.264.
    assert rendered.suffix == (".mov" if LINUX else ".mp4")
    assert "--start" not in argv                       # the render is the range
    assert not rendered.exists()                       # temp render cleaned up
    assert s.project.GetRenderJobList() == []          # job removed
    assert s.resolve.GetCurrentPage() == "edit"        # page restored
    out = Path(_opt(argv, "-o"))
    assert out.name == "Intro (game music).mp4"
    assert out.parent == Path(os.environ["HOME"]) / "Videos" / "Game Music"
    assert str(out) in bin_paths(s)


@pytest.mark.parametrize("version,edition,lang", combos())
def test_in_out_marks_limit_the_range(session_factory, version, edition, lang):
    s = session_factory(version, edition)
    clip = s.pool.add_file(s.clip)
    tl = s.resolve.new_timeline()
    tl.add_title("Intro", frames=24)                     # 86400..86423
    item = tl.append(clip, left=0, frames=72)            # 86424..86495
    tl.select(item)
    tl.park(item.GetStart())
    tl.SetMarkInOut(30, 59)                              # offsets: 86430..86459 inclusive
    s.config(place_on_timeline=True)

    lines = s.run(lang)

    assert lines[-1].startswith(PREFIX + "done"), lines
    (argv,) = s.engine_calls()
    assert (_opt(argv, "--start"), _opt(argv, "--end")) == ("6f", "36f")
    # Placed on new tracks where the range starts; on Linux the PCM variant (no AAC there).
    assert (tl.GetTrackCount("video"), tl.GetTrackCount("audio")) == (2, 2)
    placed = tl.GetItemListInTrack("video", 2) + tl.GetItemListInTrack("audio", 2)
    assert [i.GetStart() for i in placed] == [86430, 86430]
    path = placed[0].GetMediaPoolItem().GetClipProperty("File Path")
    assert path.endswith(" pcm.mov" if LINUX else " (game music).mp4")

    # Marks that miss the clip entirely: one clear line, nothing sent.
    tl.SetMarkInOut(0, 10)
    message = _failure(s.run(lang))
    assert "In/Out marks" in message
    assert len(s.engine_calls()) == 1


@pytest.mark.parametrize("version,edition,lang", combos())
def test_render_that_fails(session_factory, version, edition, lang):
    s = session_factory(version, edition, fail_render=True)
    tl = s.resolve.new_timeline()
    title = tl.add_title("Intro", frames=24)
    tl.select(title)
    tl.park(title.GetStart())

    lines = [x for x in s.run(lang) if not x.startswith(PREFIX + "render")]

    message = _failure(lines)
    assert message.startswith("Resolve could not render the clip")
    assert s.engine_calls() == []
    assert s.project.GetRenderJobList() == []
    assert s.resolve.GetCurrentPage() == "edit"
    assert s.pool.bins("Game Music") == []


@pytest.mark.parametrize("version,edition,lang", combos())
def test_existing_bin_is_reused(session_factory, version, edition, lang):
    s = session_factory(version, edition)
    clip = s.pool.add_file(s.clip)
    root = s.pool.GetRootFolder()
    existing = s.pool.AddSubFolder(root, "Game Music")
    s.pool.SetCurrentFolder(existing)
    s.pool.ImportMedia([str(s.clip)])                    # something already in it
    s.pool.SetCurrentFolder(root)
    s.pool.select(clip)
    if edition == "studio":
        # Studio shows the prompt dialog; Cancel stops with one line, nothing sent.
        s.host.ui_answer = None
        assert _failure(s.run(lang)) == "cancelled"
        assert s.engine_calls() == []
        s.host.ui_answer = ""                            # OK with an empty box: the default

    lines = s.run(lang)

    assert lines[-1].startswith(PREFIX + "done"), lines
    assert _opt(s.engine_calls()[0], "-p") == "add upbeat retro game background music"
    assert s.pool.bins("Game Music") == [existing]
    assert len(existing.GetClipList()) == 1 + (3 if LINUX else 2)
    assert s.pool.GetCurrentFolder() is root


@pytest.mark.parametrize("version,edition,lang", combos())
def test_read_only_output_folder(session_factory, version, edition, lang):
    s = session_factory(version, edition)
    clip = s.pool.add_file(s.clip)
    s.pool.select(clip)

    # The clip's own folder is read-only: the result goes to ~/Videos/Game Music.
    with read_only(s.clip.parent):
        lines = s.run(lang)
    assert lines[-1].startswith(PREFIX + "done"), lines
    assert any("read-only" in line for line in lines)
    out = Path(_opt(s.engine_calls()[0], "-o"))
    assert out.parent == Path(os.environ["HOME"]) / "Videos" / "Game Music"
    assert str(out) in bin_paths(s)

    # A configured output folder that is read-only: one line, nothing run.
    locked = s.tmp / "locked"
    locked.mkdir()
    s.config(output_dir=str(locked))
    with read_only(locked):
        message = _failure(s.run(lang))
    assert "read-only" in message and str(locked) in message
    assert len(s.engine_calls()) == 1


@pytest.mark.parametrize("version", list(VERSIONS))
@pytest.mark.parametrize("edition", EDITIONS)
def test_menu_lists_the_entries_but_not_the_helpers(session_factory, version, edition):
    s = session_factory(version, edition)
    entries = s.host.menu_entries(s.scripts)
    if edition == "free" and version == "21.1":
        assert entries == ["Add Game Music.lua"]         # free 21.1 lists no Python scripts
    else:
        assert entries == ["Add Game Music.lua", "Add Game Music.py"]


def _helper():
    spec = importlib.util.spec_from_file_location("game_music_resolve_under_test",
                                                  SOURCE / "game_music_resolve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("prefer_mov", [False, True])
def test_render_format_is_checked_not_assumed(edition, prefer_mov):
    helper = _helper()
    project = make("21.0.4", edition).project
    fmt_codec = helper._pick_format(project, prefer_mov)
    if prefer_mov:
        assert fmt_codec == ("mov", "ProRes422")
    elif edition == "studio" or not LINUX:
        assert fmt_codec == ("mp4", "H264")
    else:
        # Free on Linux lists H.264, then refuses it: the MOV fallback is used.
        assert fmt_codec == ("mov", "ProRes422")
    assert project.GetCurrentRenderFormatAndCodec() == \
        {"format": fmt_codec[0], "codec": fmt_codec[1]}


def test_no_resolve_and_no_project_are_one_line(session_factory):
    s = session_factory("21.0.4", "studio")
    helper = _helper()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert helper.main(None, script_dir=str(s.utility)) is False
        s.resolve._pm._project = None
        assert helper.main(s.resolve, script_dir=str(s.utility)) is False
    first, second = out.getvalue().splitlines()
    assert "Resolve is not available" in first
    assert "no project is open" in second


@pytest.mark.slow
def test_real_engine_round_trip(session_factory):
    """The Lua entry on free 21.1 (what most streamers have) driving the real engine on a
    generated clip, In/Out marks included."""
    s = session_factory("21.1", "free", engine=[sys.executable, "-m", "game_music"])
    clip = s.pool.add_file(s.clip)
    tl = s.resolve.new_timeline()
    item = tl.append(clip, left=0, frames=72)
    tl.select(item)
    tl.SetMarkInOut(12, 59)                              # 2 s of the 3 s clip

    lines = s.run("lua")

    assert lines[-1].startswith(PREFIX + "done"), lines
    out = s.clip.parent / "match (game music).mp4"
    info = probe(out)
    assert info.video.duration == pytest.approx(2.0, abs=1 / 24 + 1e-3)
    paths = bin_paths(s)
    assert str(out) in paths
    wav = out.with_suffix(".wav")
    assert str(wav) in paths and wav.stat().st_size > 0
    if LINUX:
        mov = out.with_name("match (game music) pcm.mov")
        assert str(mov) in paths
        assert probe(mov).audio[0].codec.startswith("pcm_")


@pytest.mark.parametrize("lang", ["py", "lua"])
def test_source_range_is_counted_at_the_source_frame_rate(session_factory, lang):
    """A 30 fps recording on a 24 fps timeline: the range is sent in source frames."""
    s = session_factory("21.0.4", "free")
    src = s.clip.with_name("clip30.mp4")
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=160x90:r=30:d=3", "-c:v", "libx264",
                "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(src)])
    clip = s.pool.add_file(src)
    tl = s.resolve.new_timeline(fps=24)
    item = tl.append(clip, left=30, frames=24)            # one second, from 1 s into the file
    tl.select(item)

    lines = s.run(lang)

    assert lines[-1].startswith(PREFIX + "done"), lines
    (argv,) = s.engine_calls()
    assert (_opt(argv, "--start"), _opt(argv, "--end"), _opt(argv, "--fps")) == \
        ("30f", "60f", "30")
