"""The fake Resolve behaves like the real one where the menu entries depend on it."""

from __future__ import annotations

import time

import pytest

from game_music.media.probe import probe

from .fake_resolve import EDITIONS, VERSIONS, make


@pytest.fixture(params=[(v, e) for v in VERSIONS for e in EDITIONS],
                ids=lambda p: f"{p[0]}-{p[1]}")
def resolve(request):
    return make(*request.param)


def test_nothing_raises_and_every_name_answers(resolve):
    project = resolve.GetProjectManager().GetCurrentProject()
    assert hasattr(resolve, "NoSuchCall")
    assert resolve.NoSuchCall(1, 2) is None
    assert "NoSuchCall" not in dir(resolve)
    assert resolve.OpenPage("nowhere") is False
    assert project.GetCurrentTimeline() is None
    pool = project.GetMediaPool()
    assert pool.ImportMedia(["/no/such/file.mp4"]) == []
    assert pool.SetCurrentFolder("not a folder") is False
    assert project.GetRenderJobStatus("no-such-job") == {}
    assert project.AddRenderJob() == ""                 # no timeline, no TargetDir


def test_features_by_version_and_edition(resolve):
    host = resolve._host
    tl = resolve.new_timeline()
    selection = "GetSelectedClips" in dir(tl)
    assert selection == host.at_least(21, 0, 4)
    if not selection:
        assert tl.GetSelectedClips() is None           # answers, but does nothing
    ui = resolve.Fusion().UIManager
    assert (ui is not None) == host.studio
    assert host.upsells == (0 if host.studio else 1)
    assert host.lists_menu_script("x.lua")
    assert host.lists_menu_script("x.py") == (host.studio or not host.at_least(21, 1, 0))
    assert not host.lists_menu_script("x.pylib")
    assert resolve.GetProductName().endswith("Studio") == host.studio


def test_timeline_frames_are_absolute(resolve, tmp_path):
    tl = resolve.new_timeline()
    assert tl.GetStartFrame() == 86400
    title = tl.add_title(frames=24)
    second = tl.add_title(frames=10)
    assert (title.GetStart(), title.GetEnd()) == (86400, 86424)
    assert second.GetStart() == title.GetEnd()          # exclusive ends
    assert title.GetMediaPoolItem() is None
    tl.park(86430)
    assert tl.GetCurrentVideoItem() is second
    assert tl.GetCurrentTimecode() == "01:00:01:06"


def test_import_fills_only_the_current_folder(resolve, tmp_path):
    wav = tmp_path / "a.wav"
    import wave

    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(b"\0\0" * 4800)
    pool = resolve.project.GetMediaPool()
    root = pool.GetRootFolder()
    bin_ = pool.AddSubFolder(root, "Game Music")
    twin = pool.AddSubFolder(root, "Game Music")       # duplicates, as in Resolve
    assert twin is not bin_
    (clip,) = pool.ImportMedia([str(wav)])
    assert root.GetClipList() == [clip] and bin_.GetClipList() == []
    assert pool.SetCurrentFolder(bin_)
    assert pool.ImportMedia([{"FilePath": str(wav)}]) != []
    assert len(bin_.GetClipList()) == 1
    assert pool.ImportMedia([str(wav)]) == bin_.GetClipList()   # re-import returns it


def test_render_job_lifecycle_writes_the_file(resolve, tmp_path):
    project = resolve.project
    tl = resolve.new_timeline()
    tl.add_title(frames=36)
    assert project.SetCurrentRenderFormatAndCodec("mp4", "H.264") is False  # labels refused
    h264 = project.SetCurrentRenderFormatAndCodec("mp4", "H264")
    assert h264 == (resolve._host.studio or resolve._host.platform != "linux")
    project.SetCurrentRenderFormatAndCodec("mov", "ProRes422")
    assert project.SetRenderSettings({"SelectAllFrames": False, "MarkIn": 86406,
                                      "MarkOut": 86429, "TargetDir": str(tmp_path),
                                      "CustomName": "part", "NoSuchKey": 1})
    jid = project.AddRenderJob()
    assert project.GetRenderJobStatus(jid)["JobStatus"] == "Ready"
    assert project.StartRendering([jid])
    assert project.GetRenderJobStatus(jid)["JobStatus"] == "Rendering"
    assert project.IsRenderingInProgress()
    assert project.DeleteRenderJob(jid) is False         # not while rendering
    while project.IsRenderingInProgress():
        time.sleep(0.02)
    assert project.GetRenderJobStatus(jid)["JobStatus"] == "Complete"
    (job,) = project.GetRenderJobList()
    assert job["OutputFilename"] == "part.mov" and job["TargetDir"] == str(tmp_path)
    info = probe(tmp_path / "part.mov")
    assert round(info.video.duration * 24) == 24         # MarkIn..MarkOut inclusive
    assert info.audio and info.audio[0].codec.startswith("pcm_")
    assert project.DeleteRenderJob(jid) is True
    assert project.GetRenderJobList() == []
