"""A faithful, in-process fake of DaVinci Resolve's scripting object model.

It copies the behaviour the menu entries must survive (see the project's Resolve notes):

- nothing raises: calls answer None / False / "" / [] / {} when something is wrong, and every
  attribute name answers (an unknown method returns None), while ``dir()`` lists only what the
  running version really has;
- features appear by version (19.1, 20.x, 21.0.4, 21.1) and edition (free / Studio): timeline
  selection from 21.0.4, UIManager gone from free 19.1+ (an upsell dialog instead), free 21.1
  lists no Python menu scripts, free on Linux renders no H.264 (the codec is listed, then
  refused), format/codec arguments are ids, not labels;
- timeline frames are absolute (a 24 fps timeline starts at 86400), item ends are exclusive,
  timeline In/Out marks are offsets from the timeline start, render MarkIn/MarkOut absolute and
  inclusive;
- ImportMedia only fills the current folder; AddSubFolder makes duplicates;
- render jobs go Ready -> Rendering -> Complete (or Failed) on a thread and really write the
  file with ffmpeg; render settings layer on earlier ones and unknown keys are ignored.

Test-side helpers are lower-case methods (``add_file``, ``append``, ``select`` ...) so they never
look like API calls to the code under test.
"""

from __future__ import annotations

import itertools
import os
import stat
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from game_music.media.ffmpeg import run_ffmpeg
from game_music.media.probe import probe

#: The versions the tests cover, by name.
VERSIONS: dict[str, tuple[int, int, int]] = {
    "19.1": (19, 1, 4),
    "20.3": (20, 3, 2),
    "21.0.4": (21, 0, 4),
    "21.1": (21, 1, 1),
}
EDITIONS = ("free", "studio")
PAGES = ("media", "cut", "edit", "fusion", "color", "fairlight", "deliver")


def _none(*args: Any, **kwargs: Any) -> None:
    return None


@dataclass
class Host:
    """The state of the fake application and its simulated user."""

    version: tuple[int, int, int] = (21, 0, 4)
    studio: bool = False
    platform: str = "linux"
    fail_render: bool = False        # the next render jobs fail (e.g. a codec error)
    ui_answer: str | None = ""       # what the user types in a dialog; None = Cancel
    upsells: int = 0                 # "You've reached a limitation" dialogs shown
    dialogs: list[str] = field(default_factory=list)
    render_seconds: float = 0.1      # minimum time a job stays "Rendering"

    @property
    def edition(self) -> str:
        return "studio" if self.studio else "free"

    def at_least(self, *v: int) -> bool:
        return self.version >= tuple(v)

    def lists_menu_script(self, name: str) -> bool:
        """Whether Workspace > Scripts shows ``name`` (a file in a Scripts subfolder)."""
        ext = os.path.splitext(name)[1].lower()
        if ext == ".lua":
            return True
        if ext in (".py", ".py3"):
            return self.studio or not self.at_least(21, 1, 0)
        return False

    def menu_entries(self, scripts_dir: Path) -> list[str]:
        utility = Path(scripts_dir) / "Utility"
        if not utility.is_dir():
            return []
        return sorted(p.name for p in utility.iterdir() if self.lists_menu_script(p.name))


class _Api:
    """Base of every fake API object: unknown names answer, version gates hide methods."""

    _since: dict[str, tuple[int, int, int]] = {}

    def __init__(self, host: Host) -> None:
        self._host = host

    def __getattribute__(self, name: str) -> Any:
        if name[:1].isupper():
            since = type(self)._since.get(name)
            if since and object.__getattribute__(self, "_host").version < since:
                return _none
        return object.__getattribute__(self, name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return _none  # Resolve: hasattr() is True for every name

    def __dir__(self) -> list[str]:
        host = object.__getattribute__(self, "_host")
        names = [n for n in dir(type(self)) if n[:1].isupper()]
        return [n for n in names if host.version >= type(self)._since.get(n, (0, 0, 0))]


_ids = itertools.count(1)


def _uid() -> str:
    return str(uuid.uuid4())


# --- media pool ----------------------------------------------------------------------------

class MediaPoolItem(_Api):
    _since = {"GetMarkInOut": (19, 1, 0), "SetMarkInOut": (19, 1, 0),
              "ClearMarkInOut": (19, 1, 0), "SetName": (20, 2, 0)}

    def __init__(self, host: Host, name: str, props: dict[str, Any]) -> None:
        super().__init__(host)
        self._name = name
        self._props = props
        self._marks: dict[str, dict[str, int]] = {}
        self._id = _uid()

    def GetName(self) -> str:
        return self._name

    def SetName(self, name: str) -> bool:
        self._name = str(name)
        return True

    def GetUniqueId(self) -> str:
        return self._id

    def GetMediaId(self) -> str:
        return self._id

    def GetClipProperty(self, name: str | None = None) -> Any:
        if name is None:
            return dict(self._props)
        return self._props.get(name, "")

    def GetMarkInOut(self) -> dict[str, dict[str, int]]:
        return {k: dict(v) for k, v in self._marks.items()}

    def SetMarkInOut(self, mark_in: int, mark_out: int, type: str = "all") -> bool:
        for key in ("video", "audio") if type == "all" else (type,):
            self._marks[key] = {"in": int(mark_in), "out": int(mark_out)}
        return True

    def ClearMarkInOut(self, type: str = "all") -> bool:
        self._marks.clear()
        return True


class Folder(_Api):
    def __init__(self, host: Host, name: str) -> None:
        super().__init__(host)
        self._name = name
        self._clips: list[MediaPoolItem] = []
        self._subs: list[Folder] = []
        self._id = _uid()

    def GetName(self) -> str:
        return self._name

    def GetUniqueId(self) -> str:
        return self._id

    def GetClipList(self) -> list[MediaPoolItem]:
        return list(self._clips)

    def GetSubFolderList(self) -> list[Folder]:
        return list(self._subs)

    def GetIsFolderStale(self) -> bool:
        return False


def _media_props(path: Path) -> dict[str, Any] | None:
    try:
        info = probe(path)
    except Exception:  # noqa: BLE001 - Resolve simply does not import what it cannot read
        return None
    fps = float(info.video.fps)
    frames = int(round(info.video.duration * fps))
    return {
        "File Path": str(path), "File Name": path.name, "Clip Name": path.name,
        "FPS": fps, "Frames": str(frames), "Start": "0", "End": str(frames - 1),
        "Resolution": f"{info.video.width}x{info.video.height}",
        "Type": "Video + Audio" if info.audio else "Video", "Format": info.format_name,
        "Video Codec": info.video.codec,
        "Audio Codec": info.audio[0].codec if info.audio else "",
    }


def _audio_props(path: Path) -> dict[str, Any] | None:
    """An audio-only file (the music stem): Resolve reads 16/24-bit and float WAV alike."""
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            seconds = float(container.duration or 0) / 1e6
            codec = stream.codec_context.name
    except (IndexError, OSError, av.error.FFmpegError):
        return None
    return {"File Path": str(path), "File Name": path.name, "Clip Name": path.name,
            "FPS": 24.0, "Frames": str(int(seconds * 24)), "Type": "Audio", "Format": "Wave",
            "Audio Codec": codec}


class MediaPool(_Api):
    _since = {"GetSelectedClips": (19, 0, 2), "SetSelectedClip": (19, 0, 2)}

    def __init__(self, host: Host, project: Project) -> None:
        super().__init__(host)
        self._project = project
        self._root = Folder(host, "Master")
        self._current = self._root
        self._selected: list[MediaPoolItem] = []

    # API ---------------------------------------------------------------------------------
    def GetRootFolder(self) -> Folder:
        return self._root

    def GetCurrentFolder(self) -> Folder:
        return self._current

    def SetCurrentFolder(self, folder: Any) -> bool:
        if not isinstance(folder, Folder) or not self._contains(folder):
            return False
        self._current = folder
        return True

    def AddSubFolder(self, parent: Any, name: Any) -> Folder | None:
        if not isinstance(parent, Folder) or not name:
            return None
        sub = Folder(self._host, str(name))  # duplicates are allowed, as in Resolve
        parent._subs.append(sub)
        return sub

    def GetSelectedClips(self) -> list[MediaPoolItem]:
        return list(self._selected)

    def SetSelectedClip(self, item: Any) -> bool:
        if not isinstance(item, MediaPoolItem):
            return False
        self._selected = [item]
        return True

    def ImportMedia(self, items: Any, *rest: Any) -> list[MediaPoolItem]:
        if not isinstance(items, list) or rest:
            return []
        out: list[MediaPoolItem] = []
        for entry in items:
            path = entry.get("FilePath") if isinstance(entry, dict) else entry
            if not isinstance(path, str) or not os.path.isfile(path):
                continue
            existing = [c for c in self._current._clips
                        if c._props.get("File Path") == path]
            if existing:  # re-importing returns the clip already there
                out.append(existing[0])
                continue
            p = Path(path)
            props = _audio_props(p) if p.suffix.lower() == ".wav" else _media_props(p)
            if props is None:
                continue
            clip = MediaPoolItem(self._host, p.name, props)
            self._current._clips.append(clip)
            out.append(clip)
        return out

    def AppendToTimeline(self, *args: Any) -> list[TimelineItem]:
        timeline = self._project._current
        if timeline is None:
            return []
        entries = args[0] if len(args) == 1 and isinstance(args[0], list) else list(args)
        placed: list[TimelineItem] = []
        for entry in entries:
            if isinstance(entry, MediaPoolItem):
                entry = {"mediaPoolItem": entry}
            if not isinstance(entry, dict) or not isinstance(entry.get("mediaPoolItem"),
                                                             MediaPoolItem):
                continue
            clip = entry["mediaPoolItem"]
            start = int(entry.get("startFrame", 0))
            end = int(entry.get("endFrame", int(clip._props.get("Frames") or 0)))
            kind = "audio" if int(entry.get("mediaType", 1)) == 2 else "video"
            track = int(entry.get("trackIndex", 1))
            record = entry.get("recordFrame")
            item = timeline._place(kind, track, clip, start, end - start,
                                   None if record is None else int(record))
            if item is not None:
                placed.append(item)
        return placed

    def MoveClips(self, clips: Any, folder: Any) -> bool:
        if not isinstance(folder, Folder) or not isinstance(clips, list):
            return False
        for f in self._folders():
            f._clips = [c for c in f._clips if c not in clips]
        folder._clips.extend(c for c in clips if isinstance(c, MediaPoolItem))
        return True

    # helpers -----------------------------------------------------------------------------
    def _folders(self) -> list[Folder]:
        out, todo = [], [self._root]
        while todo:
            f = todo.pop()
            out.append(f)
            todo.extend(f._subs)
        return out

    def _contains(self, folder: Folder) -> bool:
        return any(f is folder for f in self._folders())

    def bins(self, name: str) -> list[Folder]:
        return [f for f in self._folders() if f._name == name]

    def add_file(self, path: Path) -> MediaPoolItem:
        """Test helper: import ``path`` into the root folder, whatever is current."""
        current, self._current = self._current, self._root
        try:
            (clip,) = self.ImportMedia([str(path)])
        finally:
            self._current = current
        return clip

    def select(self, *clips: MediaPoolItem) -> None:
        self._selected = list(clips)


# --- timeline ------------------------------------------------------------------------------

class TimelineItem(_Api):
    _since = {"GetSourceStartFrame": (19, 0, 2), "GetSourceEndFrame": (19, 0, 2),
              "GetTrackTypeAndIndex": (19, 0, 0), "SetName": (20, 2, 0)}

    def __init__(self, host: Host, name: str, kind: str, track: int, start: int, duration: int,
                 clip: MediaPoolItem | None = None, left: int = 0) -> None:
        super().__init__(host)
        self._name, self._kind, self._track = name, kind, track
        self._start, self._duration, self._clip, self._left = start, duration, clip, left
        self._id = _uid()

    def GetName(self) -> str:
        return self._name

    def GetUniqueId(self) -> str:
        return self._id

    def GetStart(self, subframe_precision: bool = False) -> int:
        return self._start

    def GetEnd(self, subframe_precision: bool = False) -> int:
        return self._start + self._duration  # exclusive

    def GetDuration(self, subframe_precision: bool = False) -> int:
        return self._duration

    def GetLeftOffset(self, subframe_precision: bool = False) -> int:
        return self._left

    def GetRightOffset(self, subframe_precision: bool = False) -> int:
        if self._clip is None:
            return 0
        return int(self._clip._props.get("Frames") or 0) - self._left - self._duration

    def GetSourceStartFrame(self) -> int:
        return self._left

    def GetSourceEndFrame(self) -> int:
        return self._left + self._duration

    def GetMediaPoolItem(self) -> MediaPoolItem | None:
        return self._clip  # None for titles and generators

    def GetTrackTypeAndIndex(self) -> list[Any]:
        return [self._kind, self._track]

    def GetClipEnabled(self) -> bool:
        return True


class Timeline(_Api):
    _since = {"GetMarkInOut": (19, 1, 0), "SetMarkInOut": (19, 1, 0),
              "ClearMarkInOut": (19, 1, 0), "GetSelectedClips": (21, 0, 4),
              "GetMediaPoolItem": (19, 1, 0)}

    def __init__(self, host: Host, name: str, fps: float = 24.0, width: int = 320,
                 height: int = 180) -> None:
        super().__init__(host)
        self._name = name
        self._fps = fps
        self._size = (width, height)
        self._start = int(round(3600 * fps))  # 01:00:00:00
        self._tracks: dict[str, list[list[TimelineItem]]] = {"video": [[]], "audio": [[]],
                                                             "subtitle": []}
        self._playhead = self._start
        self._marks: dict[str, dict[str, int]] = {}
        self._selected: list[TimelineItem] = []
        self._id = _uid()

    # API ---------------------------------------------------------------------------------
    def GetName(self) -> str:
        return self._name

    def GetUniqueId(self) -> str:
        return self._id

    def GetStartFrame(self) -> int:
        return self._start

    def GetEndFrame(self) -> int:
        items = [i for t in self._tracks.values() for tr in t for i in tr]
        return max([i.GetEnd() for i in items], default=self._start)

    def GetSetting(self, name: str | None = None) -> Any:
        settings = {"timelineFrameRate": f"{self._fps:g}",
                    "timelineResolutionWidth": str(self._size[0]),
                    "timelineResolutionHeight": str(self._size[1])}
        return dict(settings) if name is None else settings.get(name, "")

    def GetTrackCount(self, kind: str) -> int:
        return len(self._tracks.get(kind, []))

    def AddTrack(self, kind: str, sub_type: str | None = None) -> bool:
        if kind not in self._tracks:
            return False
        self._tracks[kind].append([])
        return True

    def GetItemListInTrack(self, kind: str, index: int) -> list[TimelineItem]:
        tracks = self._tracks.get(kind, [])
        if not 1 <= int(index) <= len(tracks):
            return []
        return sorted(tracks[int(index) - 1], key=lambda i: i._start)

    def GetCurrentVideoItem(self) -> TimelineItem | None:
        for track in reversed(self._tracks["video"]):  # the top-most track wins
            for item in track:
                if item._start <= self._playhead < item.GetEnd():
                    return item
        return None

    def GetCurrentTimecode(self) -> str:
        f = self._playhead
        fps = int(round(self._fps))
        return (f"{f // (3600 * fps):02d}:{f // (60 * fps) % 60:02d}:"
                f"{f // fps % 60:02d}:{f % fps:02d}")

    def GetMarkInOut(self) -> dict[str, dict[str, int]]:
        return {k: dict(v) for k, v in self._marks.items()}

    def SetMarkInOut(self, mark_in: int, mark_out: int, type: str = "all") -> bool:
        if int(mark_out) < int(mark_in):
            return False
        for key in ("video", "audio") if type == "all" else (type,):
            self._marks[key] = {"in": int(mark_in), "out": int(mark_out)}
        return True

    def ClearMarkInOut(self, type: str = "all") -> bool:
        self._marks.clear()
        return True

    def GetSelectedClips(self) -> list[TimelineItem]:
        return list(self._selected)

    # helpers -----------------------------------------------------------------------------
    def _place(self, kind: str, track: int, clip: MediaPoolItem | None, left: int,
               duration: int, record: int | None, name: str | None = None
               ) -> TimelineItem | None:
        tracks = self._tracks[kind]
        if not 1 <= track <= len(tracks) or duration <= 0:
            return None
        lane = tracks[track - 1]
        if record is None:
            record = max([i.GetEnd() for i in lane], default=self._start)
        if any(i._start < record + duration and record < i.GetEnd() for i in lane):
            return None  # overlapping placements are silently dropped
        item = TimelineItem(self._host, name or (clip.GetName() if clip else "Item"), kind,
                            track, record, duration, clip, left)
        lane.append(item)
        return item

    def append(self, clip: MediaPoolItem, left: int = 0, frames: int | None = None,
               track: int = 1) -> TimelineItem:
        """Test helper: put ``clip`` (source frames [left, left+frames)) at the end of V1/A1."""
        if frames is None:
            frames = int(clip._props["Frames"]) - left
        item = self._place("video", track, clip, left, frames, None)
        assert item is not None
        self._place("audio", track, clip, left, frames, item._start)
        return item

    def add_title(self, name: str = "Text+", frames: int = 48, track: int = 1) -> TimelineItem:
        item = self._place("video", track, None, 0, frames, None, name=name)
        assert item is not None
        return item

    def select(self, *items: TimelineItem) -> None:
        self._selected = list(items)

    def park(self, frame: int) -> None:
        self._playhead = int(frame)

    def video_items(self) -> list[TimelineItem]:
        return [i for tr in self._tracks["video"] for i in tr]

    def frame_clip(self, frame: int) -> tuple[TimelineItem, int] | None:
        """(item, source frame) shown at timeline ``frame`` on the top-most video track."""
        for track in reversed(self._tracks["video"]):
            for item in track:
                if item._start <= frame < item.GetEnd():
                    return item, item._left + frame - item._start
        return None


# --- project, rendering --------------------------------------------------------------------

_RENDER_KEYS_SINCE = {
    "ClipStartFrame": (19, 1, 0), "TimelineStartTimecode": (19, 1, 0),
    "ReplaceExistingFilesInPlace": (19, 1, 0), "ExportSubtitle": (20, 2, 0),
    "SubtitleFormat": (20, 2, 0), "UseFullExtents": (21, 0, 3), "AddFrameHandles": (21, 0, 3),
    "DataBurnIn": (21, 0, 4),
}
_RENDER_KEYS = {
    "SelectAllFrames", "MarkIn", "MarkOut", "TargetDir", "CustomName", "UniqueFilenameStyle",
    "ExportVideo", "ExportAudio", "FormatWidth", "FormatHeight", "FrameRate",
    "PixelAspectRatio", "VideoQuality", "AudioCodec", "AudioBitDepth", "AudioSampleRate",
    "ColorSpaceTag", "GammaTag", "ExportAlpha", "EncodingProfile", "MultiPassEncode",
    "AlphaMode", "NetworkOptimization", *_RENDER_KEYS_SINCE,
}


def _writable_dir(path: str) -> bool:
    """Like Resolve's own check: a folder it may create files in (mode bits count, even for
    root, so tests can make a folder read-only with chmod)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and bool(st.st_mode & stat.S_IWUSR) and \
        os.access(path, os.W_OK)


class Project(_Api):
    _since = {"DeleteRenderPreset": (19, 1, 0), "GetQuickExportRenderPresets": (19, 1, 0),
              "RenderWithQuickExport": (19, 1, 0)}

    def __init__(self, host: Host, name: str = "Untitled Project") -> None:
        super().__init__(host)
        self._name = name
        self._pool = MediaPool(host, self)
        self._timelines: list[Timeline] = []
        self._current: Timeline | None = None
        self._format = ("mp4", "H264") if host.studio or host.platform != "linux" else \
            ("mov", "ProRes422")
        self._settings: dict[str, Any] = {"SelectAllFrames": True, "ExportVideo": True,
                                          "ExportAudio": True}
        self._mode = 1
        self._jobs: dict[str, dict[str, Any]] = {}
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def GetName(self) -> str:
        return self._name

    def GetMediaPool(self) -> MediaPool:
        return self._pool

    def GetCurrentTimeline(self) -> Timeline | None:
        return self._current

    def SetCurrentTimeline(self, timeline: Any) -> bool:
        if timeline not in self._timelines:
            return False
        self._current = timeline
        return True

    def GetTimelineCount(self) -> int:
        return len(self._timelines)

    def GetTimelineByIndex(self, index: int) -> Timeline | None:
        if 1 <= int(index) <= len(self._timelines):
            return self._timelines[int(index) - 1]
        return None

    def GetSetting(self, name: str | None = None) -> Any:
        fps = self._current._fps if self._current else 24.0
        settings = {"timelineFrameRate": f"{fps:g}"}
        return dict(settings) if name is None else settings.get(name, "")

    # render ------------------------------------------------------------------------------
    def _h264_ok(self) -> bool:
        return self._host.studio or self._host.platform != "linux"

    def GetRenderFormats(self) -> dict[str, str]:
        return {"QuickTime": "mov", "MP4": "mp4", "Wave": "wav", "AVI": "avi"}

    def GetRenderCodecs(self, fmt: str) -> dict[str, str]:
        codecs = {
            # Free on Linux still lists H.264 in the menu, then refuses it.
            "mp4": {"H.264": "H264", "H.265": "H265"},
            "mov": {"Apple ProRes 422": "ProRes422", "Apple ProRes 422 HQ": "ProRes422HQ",
                    "DNxHR SQ": "DNxHR_SQ"},
            "avi": {"Uncompressed": "Uncompressed"},
        }
        return dict(codecs.get(fmt, {}))

    def SetCurrentRenderFormatAndCodec(self, fmt: str, codec: str) -> bool:
        if codec not in self.GetRenderCodecs(fmt).values():
            return False  # labels such as "H.264" are refused: ids only
        if codec in ("H264", "H265") and not self._h264_ok():
            return False
        self._format = (fmt, codec)
        return True

    def GetCurrentRenderFormatAndCodec(self) -> dict[str, str]:
        return {"format": self._format[0], "codec": self._format[1]}

    def SetCurrentRenderMode(self, mode: int) -> bool:
        if mode not in (0, 1):
            return False
        self._mode = int(mode)
        return True

    def GetCurrentRenderMode(self) -> int:
        return self._mode

    def SetRenderSettings(self, settings: Any) -> bool:
        if not isinstance(settings, dict):
            return False
        for key, value in settings.items():
            since = _RENDER_KEYS_SINCE.get(key)
            if key not in _RENDER_KEYS or (since and self._host.version < since):
                continue  # unknown keys are silently ignored
            self._settings[key] = value  # layered on what the Deliver page held
        return True

    def AddRenderJob(self) -> str:
        if self._current is None or not self._settings.get("TargetDir"):
            return ""
        tl = self._current
        if self._settings.get("SelectAllFrames"):
            lo, hi = tl.GetStartFrame(), tl.GetEndFrame() - 1
        else:
            lo = int(self._settings.get("MarkIn", tl.GetStartFrame()))
            hi = int(self._settings.get("MarkOut", tl.GetEndFrame() - 1))
        if hi < lo:
            return ""
        jid = _uid()
        name = str(self._settings.get("CustomName") or tl.GetName())
        self._jobs[jid] = {
            "JobId": jid, "RenderJobName": f"Job {next(_ids)}", "TimelineName": tl.GetName(),
            "TargetDir": str(self._settings["TargetDir"]),
            "OutputFilename": f"{name}.{self._format[0]}", "MarkIn": lo, "MarkOut": hi,
            "IsExportVideo": bool(self._settings.get("ExportVideo", True)),
            "IsExportAudio": bool(self._settings.get("ExportAudio", True)),
            "_status": {"JobStatus": "Ready", "CompletionPercentage": 0},
            "_format": self._format, "_timeline": tl,
        }
        return jid

    def GetRenderJobList(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in j.items() if not k.startswith("_")}
                for j in self._jobs.values()]

    def GetRenderJobStatus(self, jid: Any) -> dict[str, Any]:
        job = self._jobs.get(jid) if isinstance(jid, str) else None
        with self._lock:
            return dict(job["_status"]) if job else {}

    def DeleteRenderJob(self, jid: Any) -> bool:
        job = self._jobs.get(jid) if isinstance(jid, str) else None
        if not job or job["_status"]["JobStatus"] == "Rendering":
            return False
        del self._jobs[jid]
        return True

    def DeleteAllRenderJobs(self) -> bool:
        if self.IsRenderingInProgress():
            return False
        self._jobs.clear()
        return True

    def StartRendering(self, *args: Any, isInteractiveMode: bool = False) -> bool:
        ids = [a for a in args if isinstance(a, str)]
        for a in args:
            if isinstance(a, list):
                ids += [i for i in a if isinstance(i, str)]
        if not args or (len(args) == 1 and isinstance(args[0], bool)):
            ids = list(self._jobs)
        jobs = [self._jobs[i] for i in ids if i in self._jobs]
        if not jobs or self.IsRenderingInProgress():
            return False
        for job in jobs:
            job["_status"] = {"JobStatus": "Rendering", "CompletionPercentage": 0}
        t = threading.Thread(target=self._render, args=(jobs,), daemon=True)
        self._threads.append(t)
        t.start()
        return True

    def IsRenderingInProgress(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def StopRendering(self) -> None:
        for job in self._jobs.values():
            if job["_status"]["JobStatus"] == "Rendering":
                job["_status"] = {"JobStatus": "Cancelled", "CompletionPercentage": 0}

    def _set_status(self, job: dict[str, Any], **status: Any) -> None:
        with self._lock:
            job["_status"] = status

    def _render(self, jobs: list[dict[str, Any]]) -> None:
        for job in jobs:
            t0 = time.monotonic()
            out = os.path.join(job["TargetDir"], job["OutputFilename"])
            try:
                if not _writable_dir(job["TargetDir"]):
                    raise RuntimeError(f"cannot write to {job['TargetDir']}")
                if self._host.fail_render:
                    Path(out).write_bytes(b"")  # Resolve leaves a stub behind
                    raise RuntimeError("Render job failed: encoder error")
                self._encode(job, out,
                             lambda f, job=job: self._set_status(
                                 job, JobStatus="Rendering",
                                 CompletionPercentage=int(100 * f)))
            except Exception as exc:  # noqa: BLE001 - becomes the job's status, as in Resolve
                self._set_status(job, JobStatus="Failed", CompletionPercentage=0,
                                 Error=str(exc))
                continue
            left = self._host.render_seconds - (time.monotonic() - t0)
            if left > 0:
                time.sleep(left)
            self._set_status(job, JobStatus="Complete", CompletionPercentage=100,
                             TimeTakenToRenderInMs=int(1000 * (time.monotonic() - t0)))

    def _encode(self, job: dict[str, Any], out: str, progress: Any) -> None:
        """Render the job's timeline range: the source frames of each clip (black where
        there is none, e.g. titles), the way the viewer shows them."""
        tl: Timeline = job["_timeline"]
        fps, (w, h) = tl._fps, tl._size
        frames = job["MarkOut"] - job["MarkIn"] + 1
        seconds = frames / fps
        first = tl.frame_clip(job["MarkIn"])
        args: list[str] = []
        if first and first[0]._clip is not None:
            src = first[0]._clip._props["File Path"]
            args += ["-ss", f"{first[1] / float(first[0]._clip._props['FPS']):.6f}",
                     "-t", f"{seconds:.6f}", "-i", src]
            vmap, amap = "0:v:0", "0:a:0?"
        else:
            args += ["-f", "lavfi", "-t", f"{seconds:.6f}", "-i",
                     f"color=c=black:s={w}x{h}:r={fps:g}",
                     "-f", "lavfi", "-t", f"{seconds:.6f}", "-i",
                     "sine=frequency=330:sample_rate=48000"]
            vmap, amap = "0:v:0", "1:a:0"
        args += ["-map", vmap]
        if job["IsExportAudio"]:
            args += ["-map", amap]
        fmt, codec = job["_format"]
        args += ["-vf", f"scale={w}:{h},fps={fps:g},format=yuv420p" if fmt == "mp4" else
                 f"scale={w}:{h},fps={fps:g},format=yuv422p10le"]
        if fmt == "mp4":
            args += ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"]
        else:
            args += ["-c:v", "prores_ks", "-profile:v", "0", "-c:a", "pcm_s16le"]
        args += ["-ar", "48000", "-frames:v", str(frames), "-f", fmt, out]
        run_ffmpeg(args, what="fake Resolve render", duration=seconds,
                   progress=progress)


class ProjectManager(_Api):
    def __init__(self, host: Host, project: Project | None) -> None:
        super().__init__(host)
        self._project = project

    def GetCurrentProject(self) -> Project | None:
        return self._project

    def SaveProject(self) -> bool:
        return self._project is not None and self._project._name != "Untitled Project"


class MediaStorage(_Api):
    def GetMountedVolumeList(self) -> list[str]:
        return ["/"]


# --- Fusion and UIManager ------------------------------------------------------------------

class Widget:
    """A UIManager element: attributes are its properties (``Text``, ``ID`` ...)."""

    def __init__(self, kind: str, props: Any = None, children: Any = None) -> None:
        self.kind = kind
        if isinstance(props, list) and children is None:
            props, children = {}, props
        props = dict(props or {})
        # Lua tables mixing properties and children arrive as one dict with int keys.
        kids = [props.pop(k) for k in sorted(k for k in props if isinstance(k, int))]
        self.children = list(children or []) + kids
        self.__dict__.update({k: v for k, v in props.items() if isinstance(k, str)})

    def walk(self) -> list[Widget]:
        out = [self]
        for c in self.children:
            if isinstance(c, Widget):
                out += c.walk()
        return out

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return None


class Slot:
    """``win.On.<ID>``: handlers assigned by the script (``Clicked``, ``Close`` ...)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return None


class Events:
    def __init__(self) -> None:
        self._slots: dict[str, Slot] = {}

    def __getattr__(self, name: str) -> Slot:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._slots.setdefault(name, Slot())


class Window(Widget):
    def __init__(self, props: Any, child: Any) -> None:
        super().__init__("Window", props, [child] if child is not None else [])
        self.On = Events()
        self.visible = False

    def GetItems(self) -> dict[str, Widget]:
        return {w.ID: w for w in self.walk() if isinstance(getattr(w, "ID", None), str)}

    def Show(self) -> None:
        self.visible = True

    def Hide(self) -> None:
        self.visible = False


class UIManager:
    def __getattr__(self, kind: str) -> Any:
        if kind.startswith("_"):
            raise AttributeError(kind)
        return lambda props=None, children=None: Widget(kind, props, children)


class Dispatcher:
    def __init__(self, host: Host, ui: UIManager) -> None:
        self._host = host
        self._windows: list[Window] = []
        self._running = False

    def AddWindow(self, props: Any, child: Any = None) -> Window:
        win = Window(props, child)
        self._windows.append(win)
        return win

    def ExitLoop(self) -> None:
        self._running = False

    def RunLoop(self) -> None:
        """The simulated user: types ``host.ui_answer`` into the first line edit and
        presses the first button, or presses Cancel / closes the window when it is None."""
        self._running = True
        for win in self._windows:
            if not win.visible:
                continue
            self._host.dialogs.append(str(getattr(win, "WindowTitle", "")))
            buttons = [w for w in win.walk() if w.kind == "Button"]
            edits = [w for w in win.walk() if w.kind == "LineEdit"]
            if self._host.ui_answer is None:
                cancel = [b for b in buttons if b.ID == "Cancel"]
                handler = getattr(win.On, cancel[0].ID).Clicked if cancel else \
                    getattr(win.On, str(win.ID)).Close
            else:
                if edits:
                    edits[0].Text = self._host.ui_answer
                handler = getattr(win.On, buttons[0].ID).Clicked if buttons else None
            if handler is not None:
                handler({"who": "user"})
            break
        self._running = False


class Fusion(_Api):
    def __init__(self, host: Host, resolve: Resolve) -> None:
        super().__init__(host)
        self._resolve = resolve
        self._ui = UIManager()

    @property
    def UIManager(self) -> UIManager | None:
        if not self._host.studio and self._host.at_least(19, 1, 0):
            self._host.upsells += 1  # "You've reached a limitation" dialog
            return None
        return self._ui

    def GetResolve(self) -> Resolve:
        return self._resolve


class Bmd:
    """The ``bmd`` global: UIDispatcher, scriptapp, wait."""

    def __init__(self, host: Host, resolve: Resolve) -> None:
        self._host = host
        self._resolve = resolve

    def UIDispatcher(self, ui: Any) -> Dispatcher | None:
        return Dispatcher(self._host, ui) if isinstance(ui, UIManager) else None

    def scriptapp(self, name: str) -> Any:
        return self._resolve if name == "Resolve" else None

    def wait(self, seconds: float) -> None:
        time.sleep(float(seconds))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return None


class Resolve(_Api):
    _since = {"ImportRenderPreset": (18, 6, 0)}

    def __init__(self, host: Host, *, project: bool = True) -> None:
        super().__init__(host)
        self._project = Project(host) if project else None
        self._pm = ProjectManager(host, self._project)
        self._storage = MediaStorage(host)
        self._page = "edit"
        self.fusion = Fusion(host, self)
        self.bmd = Bmd(host, self)

    def GetProjectManager(self) -> ProjectManager:
        return self._pm

    def GetMediaStorage(self) -> MediaStorage:
        return self._storage

    def Fusion(self) -> Fusion:
        return self.fusion

    def GetProductName(self) -> str:
        return "DaVinci Resolve Studio" if self._host.studio else "DaVinci Resolve"

    def GetVersion(self) -> list[Any]:
        return [*self._host.version, 7, ""]

    def GetVersionString(self) -> str:
        return ".".join(str(v) for v in self._host.version) + ".0007"

    def GetCurrentPage(self) -> str:
        return self._page

    def OpenPage(self, name: str) -> bool:
        if name not in PAGES:
            return False
        self._page = name
        return True

    # helpers -----------------------------------------------------------------------------
    @property
    def project(self) -> Project:
        assert self._project is not None
        return self._project

    def new_timeline(self, name: str = "Timeline 1", fps: float = 24.0) -> Timeline:
        tl = Timeline(self._host, name, fps)
        self.project._timelines.append(tl)
        self.project._current = tl
        return tl


def make(version: str | tuple[int, int, int], edition: str, **host_kw: Any) -> Resolve:
    """A fake Resolve of that version ("21.0.4" or a tuple) and edition ("free"/"studio")."""
    v = VERSIONS[version] if isinstance(version, str) else tuple(version)
    host = Host(version=v, studio=edition == "studio",
                platform="linux" if sys.platform.startswith("linux") else sys.platform,
                **host_kw)
    return Resolve(host)
