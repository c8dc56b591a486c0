"""Add Game Music for DaVinci Resolve: the logic behind the Python menu entry.

Standard library only, and careful with the Python it runs under (Resolve picks the interpreter;
before 21.1 that may be an old 3.x, so no annotations that need 3.10 at runtime). It does no
media work itself: it finds the clip and range the editor means, hands a file to the game-music
engine (a subprocess speaking JSON lines), and imports what comes back into the ``Game Music``
bin.

Resolve's API never raises: calls answer None / False / "" / [] when something is wrong, so
every answer is checked. Every failure ends in one console line; nothing raises out of
:func:`main`.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

TITLE = "Add Game Music"
BIN_NAME = "Game Music"
CONFIG_NAME = "game_music_resolve.json"
BUILTIN_PROMPT = "add upbeat retro game background music"
RENDER_TIMEOUT_S = 3 * 3600
_POLL_S = 0.25


class Stop(Exception):
    """A failure already explained in one line for the editor."""


def _say(msg: str) -> None:
    print(TITLE + ": " + " ".join(str(msg).split()))
    try:
        sys.stdout.flush()
    except Exception:  # noqa: BLE001 - the console may be gone; never fail on logging
        pass


# --- small helpers -------------------------------------------------------------------------

def _version(resolve) -> tuple:
    v = resolve.GetVersion()
    nums = []
    for part in list(v or [])[:3]:
        try:
            nums.append(int(part))
        except (TypeError, ValueError):
            break
    return tuple(nums + [0] * (3 - len(nums)))


def _is_studio(resolve) -> bool:
    return "studio" in str(resolve.GetProductName() or "").lower()


def _float(value, default=None):
    try:
        return float(str(value).split()[0])
    except (TypeError, ValueError, IndexError):
        return default


def _fps_text(fps: float) -> str:
    return (f"{fps:.3f}").rstrip("0").rstrip(".")


def _clean_name(name: str) -> str:
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", str(name or "")).strip(" .")
    return " ".join(name.split())[:80] or "clip"


def _writable(folder: str) -> bool:
    try:
        os.makedirs(folder, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".game-music-", dir=folder)
        os.close(fd)
        os.remove(probe)
        return True
    except OSError:
        return False


def _unique(folder: str, stem: str, ext: str) -> str:
    n = 1
    while True:
        name = stem + (f" {n}" if n > 1 else "") + ext
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            return path
        n += 1


def fallback_dir() -> str:
    """Where results go when the source's folder is read-only: ~/Videos (~/Movies on macOS)."""
    home = os.path.expanduser("~")
    videos = "Movies" if sys.platform == "darwin" else "Videos"
    return os.path.join(home, videos, "Game Music")


def load_config(folder: str) -> dict:
    try:
        with open(os.path.join(folder, CONFIG_NAME), encoding="utf-8") as fh:
            data = json.load(fh)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def default_prompt(config: dict) -> str:
    return os.environ.get("GAME_MUSIC_PROMPT") or config.get("default_prompt") or BUILTIN_PROMPT


# --- finding the clip ----------------------------------------------------------------------

class Target:
    """What to send: a source file and range, or a timeline range to render first."""

    def __init__(self, name, path=None, start=None, end=None, fps=None,
                 render_in=None, render_out=None, record=None):
        self.name = name
        self.path = path              # source media file, or None -> render
        self.start = start            # source frames [start, end) at fps
        self.end = end
        self.fps = fps
        self.render_in = render_in    # absolute timeline frames, inclusive
        self.render_out = render_out
        self.record = record          # timeline frame where the range starts (for placing)


def _timeline_fps(project, timeline) -> float:
    for obj in (timeline, project):
        if obj is None:
            continue
        fps = _float(obj.GetSetting("timelineFrameRate"))
        if fps:
            return fps
    return 24.0


def _mark_pair(marks):
    """(in, out) from a GetMarkInOut() dict, video marks first; None when unset."""
    if not isinstance(marks, dict):
        return None
    for key in ("video", "audio"):
        m = marks.get(key)
        if isinstance(m, dict) and m.get("in") is not None and m.get("out") is not None:
            try:
                return int(m["in"]), int(m["out"])
            except (TypeError, ValueError):
                continue
    return None


def _timeline_marks(timeline, version):
    """Timeline In/Out as absolute frames [in, out) or None (19.1+)."""
    if version < (19, 1, 0):
        return None
    pair = _mark_pair(timeline.GetMarkInOut())
    if not pair:
        return None
    start = int(timeline.GetStartFrame() or 0)
    # Reported to be offsets from the timeline start; accept absolute values too.
    lo, hi = (v if v >= start else start + v for v in pair)
    return (lo, hi + 1) if hi >= lo else None


def _source_path(mpi):
    if mpi is None:
        return None
    path = mpi.GetClipProperty("File Path")
    if not isinstance(path, str) or not path or not os.path.isfile(path):
        return None
    return path


def _from_timeline_item(item, project, timeline, version) -> Target:
    start = int(item.GetStart() or 0)
    end = int(item.GetEnd() or 0)
    if end <= start:
        raise Stop("the clip on the timeline has no length")
    marks = _timeline_marks(timeline, version)
    if marks:
        lo, hi = max(start, marks[0]), min(end, marks[1])
        if hi <= lo:
            raise Stop("the In/Out marks do not overlap the clip - clear them or move them")
    else:
        lo, hi = start, end
    name = _clean_name(item.GetName() or timeline.GetName())
    tl_fps = _timeline_fps(project, timeline)
    mpi = item.GetMediaPoolItem()
    path = _source_path(mpi)
    if path:
        src_fps = _float(mpi.GetClipProperty("FPS")) or tl_fps
        ratio = src_fps / tl_fps
        left = int(item.GetLeftOffset() or 0)
        s = left + (lo - start) * ratio
        e = left + (hi - start) * ratio
        stem = os.path.splitext(os.path.basename(path))[0]
        return Target(stem, path, int(round(s)), int(round(e)), src_fps, record=lo)
    return Target(name, None, render_in=lo, render_out=hi - 1, fps=tl_fps, record=lo)


def _from_pool_item(mpi, version) -> Target:
    path = _source_path(mpi)
    if not path:
        raise Stop("the selected media-pool clip has no source file - "
                   "put it on a timeline and select it there")
    fps = _float(mpi.GetClipProperty("FPS"))
    start = end = None
    pair = _mark_pair(mpi.GetMarkInOut()) if version >= (19, 1, 0) else None
    if pair and pair[1] >= pair[0]:
        start, end = pair[0], pair[1] + 1
    stem = os.path.splitext(os.path.basename(path))[0]
    return Target(stem, path, start, end, fps)


def find_target(resolve, project, version) -> Target:
    timeline = project.GetCurrentTimeline()
    pool = project.GetMediaPool()
    if timeline and version >= (21, 0, 4):
        items = [i for i in (timeline.GetSelectedClips() or []) if i]
        video = [i for i in items if (list(i.GetTrackTypeAndIndex() or []) or ["video"])[0]
                 == "video"]
        items = video or items
        if items:
            items.sort(key=lambda i: int(i.GetStart() or 0))
            if len(items) > 1:
                _say(f"{len(items)} clips selected - using the first one")
            return _from_timeline_item(items[0], project, timeline, version)
    if pool and version >= (19, 0, 2):
        clips = [c for c in (pool.GetSelectedClips() or []) if c]
        if clips:
            return _from_pool_item(clips[0], version)
    if timeline:
        item = timeline.GetCurrentVideoItem()
        if item:
            return _from_timeline_item(item, project, timeline, version)
    raise Stop("nothing selected - select a clip on the timeline or in the media pool, "
               "or park the playhead over one")


# --- rendering a range ---------------------------------------------------------------------

_MOV_CODECS = ("ProRes422", "ProRes422LT", "ProRes422HQ", "DNxHR", "DNxHD")


def _pick_format(project, prefer_mov: bool):
    """(format, codec) that this Resolve really renders to: MP4/H.264, else MOV.

    ``prefer_mov`` (Linux): Resolve there encodes no AAC, so an MP4 would carry no usable
    audio; a MOV with PCM keeps the game audio the engine needs.
    """
    formats = project.GetRenderFormats() or {}
    exts = set(formats.values()) if isinstance(formats, dict) else set()
    mp4, mov = [], []
    if "mp4" in exts:
        codecs = project.GetRenderCodecs("mp4") or {}
        ids = list(codecs.values()) if isinstance(codecs, dict) else []
        mp4 = [("mp4", c) for c in ("H264", "H264_NVIDIA", "H264_AMD", "H264_INTEL") if c in ids]
    if "mov" in exts:
        codecs = project.GetRenderCodecs("mov") or {}
        ids = sorted(codecs.values()) if isinstance(codecs, dict) else []
        for want in _MOV_CODECS:
            mov += [("mov", c) for c in ids if str(c).startswith(want) and ("mov", c) not in mov]
    for fmt, codec in (mov + mp4 if prefer_mov else mp4 + mov):
        # A format may list a codec it then refuses: the Bool is the truth.
        if project.SetCurrentRenderFormatAndCodec(fmt, codec):
            return fmt, codec
    raise Stop("this Resolve offers no MP4/H.264 or MOV render format to send the clip with")


def render_range(resolve, project, target: Target, folder: str) -> str:
    page = resolve.GetCurrentPage()
    resolve.OpenPage("deliver")
    jid = None
    try:
        fmt, codec = _pick_format(project, sys.platform.startswith("linux"))
        project.SetCurrentRenderMode(1)  # single clip
        name = _clean_name(target.name) + f" render {int(time.time())}"
        settings = {
            "SelectAllFrames": False, "MarkIn": int(target.render_in),
            "MarkOut": int(target.render_out), "TargetDir": folder, "CustomName": name,
            "ExportVideo": True, "ExportAudio": True,
        }
        if fmt == "mp4" and not sys.platform.startswith("linux"):
            settings["AudioCodec"] = "aac"
        if not project.SetRenderSettings(settings):
            raise Stop("Resolve refused the render settings")
        jid = project.AddRenderJob()
        if not jid:
            raise Stop("Resolve could not add a render job (is the render folder writable?)")
        if not project.StartRendering([jid]):
            raise Stop("Resolve could not start rendering")
        _say(f"rendering the range with {fmt}/{codec}")
        deadline = time.time() + RENDER_TIMEOUT_S
        shown = -10
        while project.IsRenderingInProgress():
            if time.time() > deadline:
                project.StopRendering()
                raise Stop("rendering took too long and was stopped")
            pct = int((project.GetRenderJobStatus(jid) or {}).get("CompletionPercentage") or 0)
            if pct >= shown + 10:
                shown = pct - pct % 10
                _say(f"render {shown}%")
            time.sleep(_POLL_S)
        status = project.GetRenderJobStatus(jid) or {}
        state = str(status.get("JobStatus") or "")
        path = None
        for job in project.GetRenderJobList() or []:
            if isinstance(job, dict) and job.get("JobId") == jid:
                if job.get("TargetDir") and job.get("OutputFilename"):
                    path = os.path.join(job["TargetDir"], job["OutputFilename"])
        path = path or os.path.join(folder, name + "." + fmt)
        if state != "Complete":
            why = status.get("Error") or state or "no status"
            raise Stop(f"Resolve could not render the clip ({why})")
        if not os.path.isfile(path) or os.path.getsize(path) == 0:
            raise Stop(f"Resolve reported the render done but wrote no file at {path}")
        return path
    finally:
        if jid:
            project.DeleteRenderJob(jid)
        if page:
            resolve.OpenPage(page)


# --- the engine ----------------------------------------------------------------------------

def engine_args(source, prompt, out, target, platform) -> list:
    """The engine's arguments: free text as --opt=VALUE and the clip after "--", so a prompt
    such as "-6 dB music" or a clip named "-take 2.mov" is never read as an option."""
    base = os.path.splitext(out)[0]
    args = ["add", "--json", "--prompt=" + prompt, "--output=" + out, "--stem=" + base + ".wav"]
    if platform.startswith("linux"):  # Resolve on Linux has no AAC decoder: a PCM copy too
        args.append("--pcm-mov=" + base + " pcm.mov")
    if target.path and target.start is not None:
        args += [f"--start={target.start}f", f"--end={target.end}f"]
        if target.fps:
            args.append("--fps=" + _fps_text(target.fps))
    return [*args, "--", source]


def run_engine(engine, args) -> dict:
    """Run ``engine + args`` and follow its JSON-line events; return the done event."""
    served = _serve_first(args)
    if served is not None:
        return served
    cmd = list(engine) + list(args)
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0) if os.name == "nt" else 0
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, creationflags=flags)
    except OSError as exc:
        raise Stop(f"cannot start the game-music engine ({exc}) - run install.py again") from None
    errors = []
    # Drain stderr on a thread so a chatty engine never blocks on a full pipe.
    t = threading.Thread(target=lambda: errors.extend(proc.stderr.read().decode(
        "utf-8", "replace").splitlines()))
    t.daemon = True
    t.start()
    done = failed = None
    shown, stage = -10, None
    for raw in proc.stdout:
        try:
            ev = json.loads(raw.decode("utf-8", "replace"))
        except ValueError:
            continue
        if not isinstance(ev, dict):
            continue
        kind = ev.get("event")
        if kind == "progress":
            pct = int(100 * (_float(ev.get("fraction"), 0.0) or 0.0))
            if pct >= shown + 10 or ev.get("stage") != stage:
                shown, stage = pct - pct % 10, ev.get("stage")
                _say(f"{stage} {pct}%")
        elif kind == "done":
            done = ev
        elif kind == "error":
            failed = ev
    proc.wait()
    t.join(5)
    if failed:
        raise Stop("the engine failed ({}): {}".format(failed.get("code"), failed.get("message")))
    if done is None or proc.returncode != 0:
        tail = [e for e in errors if e.strip()]
        raise Stop("the engine stopped (exit {}){}".format(
            proc.returncode, ": " + tail[-1].strip() if tail else ""))
    return done


def _serve_first(args):
    """The done event of the job run by a running ``game-music serve`` (warm, no start-up);
    None when none runs (the caller spawns the engine)."""
    found = {}
    shown = [-10, None]

    def on_line(line):
        try:
            ev = json.loads(line)
        except ValueError:
            return
        if not isinstance(ev, dict):
            return
        if ev.get("event") == "progress":
            pct = int(100 * (_float(ev.get("fraction"), 0.0) or 0.0))
            if pct >= shown[0] + 10 or ev.get("stage") != shown[1]:
                shown[0], shown[1] = pct - pct % 10, ev.get("stage")
                _say(f"{shown[1]} {pct}%")
        elif ev.get("event") in ("done", "error"):
            found[ev["event"]] = ev

    errors = []
    code = serve_run(args, on_line, errors.append)
    if code is None:
        return None
    failed = found.get("error")
    if failed:
        raise Stop("the engine failed ({}): {}".format(failed.get("code"), failed.get("message")))
    if "done" not in found or code != 0:
        tail = [e for e in errors if e.strip()]
        raise Stop("the engine stopped (exit {}){}".format(
            code, ": " + tail[-1].strip() if tail else ""))
    return found["done"]


# --- a running `game-music serve` ----------------------------------------------------------
# A copy of game_music/serve_client.py's address() and run() (this file cannot import the
# package): the same per-user socket or pipe, secret and JSON messages. Keep them in step.

def _serve_address():
    folder = os.environ.get("GAME_MUSIC_RUNTIME_DIR")
    if not folder and sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~")
        folder = os.path.join(base, "game-music", "run")
    if not folder:
        xdg = os.environ.get("XDG_RUNTIME_DIR")
        folder = (os.path.join(xdg, "game-music") if xdg and os.path.isdir(xdg) else
                  os.path.join(tempfile.gettempdir(), f"game-music-{os.getuid()}"))
    key = os.path.join(folder, "serve.key")
    if sys.platform == "win32":
        user = os.environ.get("USERNAME") or "user"
        tag = "".join(c if c.isalnum() else "_" for c in folder.lower())[-40:]
        return f"\\\\.\\pipe\\game-music-{user}-{tag}", "AF_PIPE", key
    return os.path.join(folder, "serve.sock"), "AF_UNIX", key


def serve_run(argv, on_stdout, on_stderr, cancel=None):
    """Run ``game-music ARGV`` in a running server: its exit code, or None (spawn instead)."""
    addr, family, key_file = _serve_address()
    if family == "AF_UNIX" and not os.path.exists(addr):
        return None
    try:
        from multiprocessing.connection import Client

        with open(key_file, "rb") as fh:
            secret = fh.read().strip()
        box = []

        def dial():
            try:
                box.append(Client(addr, family, authkey=secret))
            except Exception:  # noqa: BLE001, S110 - refused, stale, not ours: no server
                pass

        t = threading.Thread(target=dial)
        t.daemon = True
        t.start()
        t.join(2.0)
        if not box:
            return None
        conn = box[0]
    except Exception:  # noqa: BLE001 - no server (or not ours): spawn the engine
        return None
    try:
        env = {k: v for k, v in os.environ.items() if k.startswith(("GAME_MUSIC_", "NEMO_"))}
        conn.send_bytes(json.dumps({"v": 1, "argv": list(argv), "cwd": os.getcwd(),
                                    "env": env}).encode())
        if not json.loads(conn.recv_bytes()).get("accepted"):
            return None
        asked = False
        while True:
            if cancel is not None and cancel.is_set() and not asked:
                conn.send_bytes(b'{"cancel": true}')
                asked = True
            if not conn.poll(0.1):
                continue
            msg = json.loads(conn.recv_bytes())
            if "out" in msg:
                on_stdout(msg["out"])
            elif "err" in msg:
                on_stderr(msg["err"])
            elif "exit" in msg:
                return int(msg["exit"])
    except (OSError, EOFError, ValueError):
        on_stderr("game-music: the warm engine (game-music serve) went away")
        return 1
    finally:
        conn.close()


# --- importing -----------------------------------------------------------------------------

def find_or_make_bin(pool):
    root = pool.GetRootFolder()
    if not root:
        raise Stop("cannot reach the media pool")
    for folder in root.GetSubFolderList() or []:
        if folder and folder.GetName() == BIN_NAME:
            return folder
    made = pool.AddSubFolder(root, BIN_NAME)
    if not made:
        raise Stop(f"cannot create the '{BIN_NAME}' bin")
    return made


def import_into_bin(pool, paths, version) -> list:
    """Import ``paths`` into the Game Music bin; the current folder is restored afterwards."""
    target = find_or_make_bin(pool)
    current = pool.GetCurrentFolder()
    try:
        if not pool.SetCurrentFolder(target):
            raise Stop(f"cannot open the '{BIN_NAME}' bin")
        # 21.1 deprecates the plain-path form in favour of {"FilePath": ...}.
        arg = [{"FilePath": p} for p in paths] if version >= (21, 1, 0) else list(paths)
        items = pool.ImportMedia(arg) or []
    finally:
        if current:
            pool.SetCurrentFolder(current)
    return [i for i in items if i]


def place_on_timeline(pool, timeline, item, record) -> bool:
    """Put ``item`` on a new video and audio track at ``record``; False when Resolve refuses."""
    if not timeline or not item or record is None:
        return False
    if not timeline.AddTrack("video") or not timeline.AddTrack("audio", "stereo"):
        return False
    v = int(timeline.GetTrackCount("video") or 0)
    a = int(timeline.GetTrackCount("audio") or 0)
    frames = int(_float(item.GetClipProperty("Frames"), 0) or 0)
    if not frames or not v or not a:
        return False
    placed = pool.AppendToTimeline([
        {"mediaPoolItem": item, "startFrame": 0, "endFrame": frames, "mediaType": 1,
         "trackIndex": v, "recordFrame": int(record)},
        {"mediaPoolItem": item, "startFrame": 0, "endFrame": frames, "mediaType": 2,
         "trackIndex": a, "recordFrame": int(record)},
    ])
    return bool(placed)


# --- the prompt dialog ---------------------------------------------------------------------

def ask_prompt(resolve, fusion, bmd, default: str, version):
    """A UIManager dialog where Resolve offers one; else ``default``. None = cancelled."""
    # Touching fusion.UIManager on free 19.1+ pops an upsell dialog and answers None.
    if fusion is None or bmd is None or (version >= (19, 1, 0) and not _is_studio(resolve)):
        return default
    ui = fusion.UIManager
    if not ui:
        return default
    disp = bmd.UIDispatcher(ui)
    if not disp:
        return default
    win = disp.AddWindow(
        {"ID": "GameMusicPrompt", "WindowTitle": TITLE, "Geometry": [200, 200, 520, 110]},
        ui.VGroup([
            ui.Label({"Text": "What music do you want?"}),
            ui.LineEdit({"ID": "Prompt", "Text": default}),
            ui.HGroup([ui.Button({"ID": "OK", "Text": "Add music"}),
                       ui.Button({"ID": "Cancel", "Text": "Cancel"})]),
        ]),
    )
    if not win:
        return default
    answer = {"ok": False}

    def _ok(ev):
        answer["ok"] = True
        disp.ExitLoop()

    def _cancel(ev):
        disp.ExitLoop()

    win.On.OK.Clicked = _ok
    win.On.Cancel.Clicked = _cancel
    win.On.GameMusicPrompt.Close = _cancel
    win.Show()
    disp.RunLoop()
    text = ""
    items = win.GetItems() or {}
    if answer["ok"] and items.get("Prompt"):
        text = str(items["Prompt"].Text or "").strip()
    win.Hide()
    if not answer["ok"]:
        return None
    return text or default


# --- the whole job -------------------------------------------------------------------------

def _output_folder(config, target) -> str:
    configured = config.get("output_dir")
    if configured:
        folder = os.path.expanduser(str(configured))
        if not _writable(folder):
            raise Stop(f"cannot write to the output folder {folder} (read-only?) - "
                       f"change output_dir in {CONFIG_NAME}")
        return folder
    first = os.path.dirname(target.path) if target.path else None
    if first and _writable(first):
        return first
    fb = fallback_dir()
    if not _writable(fb):
        raise Stop(f"cannot write next to the clip or to {fb} (read-only?)")
    if first:
        _say(f"{first} is read-only - writing to {fb}")
    return fb


def run(resolve, fusion=None, bmd=None, script_dir=None) -> bool:
    if resolve is None:
        raise Stop("Resolve is not available - run this from Workspace > Scripts")
    config = load_config(script_dir or os.path.dirname(os.path.abspath(__file__)))
    engine = config.get("engine")
    if not engine or not isinstance(engine, list):
        raise Stop("the engine is not configured - run install.py again")
    version = _version(resolve)
    pm = resolve.GetProjectManager()
    project = pm.GetCurrentProject() if pm else None
    if not project:
        raise Stop("no project is open")
    pool = project.GetMediaPool()
    if not pool:
        raise Stop("cannot reach the media pool")
    target = find_target(resolve, project, version)
    out_dir = _output_folder(config, target)
    prompt = ask_prompt(resolve, fusion, bmd, default_prompt(config), version)
    if prompt is None:
        raise Stop("cancelled")
    rendered = None
    work = None
    try:
        if target.path is None:
            work = tempfile.mkdtemp(prefix="game-music-render-")
            rendered = render_range(resolve, project, target, work)
        source = target.path or rendered
        stem = _clean_name(target.name) + " (game music)"
        out = _unique(out_dir, stem, ".mp4")
        args = engine_args(source, prompt, out, target, sys.platform)
        _say(f"sending {os.path.basename(source)} to the engine")
        done = run_engine(engine, args)
    finally:
        if work:
            for name in os.listdir(work):
                try:
                    os.remove(os.path.join(work, name))
                except OSError:
                    pass
            try:
                os.rmdir(work)
            except OSError:
                pass
    output = done.get("output") or out
    paths = [p for p in (output, done.get("stem"), done.get("pcm_mov")) if p and
             os.path.isfile(p)]
    if not paths:
        raise Stop("the engine reported success but wrote no file")
    items = import_into_bin(pool, paths, version)
    if not items:
        raise Stop(f"Resolve could not import {output} (the file is there - drag it in by hand)")
    if config.get("place_on_timeline"):
        # On Linux Resolve cannot decode AAC: place the PCM variant when there is one.
        want = done.get("pcm_mov") if sys.platform.startswith("linux") else output
        chosen = [i for i in items if i.GetClipProperty("File Path") == want] or items[:1]
        if not place_on_timeline(pool, project.GetCurrentTimeline(), chosen[0], target.record):
            _say("imported, but could not place it on the timeline")
    _say(f"done - {os.path.basename(output)} is in the '{BIN_NAME}' bin")
    return True


def main(resolve, fusion=None, bmd=None, script_dir=None) -> bool:
    """Run the menu entry; True on success. Failures print one line, nothing raises."""
    try:
        return run(resolve, fusion, bmd, script_dir)
    except Stop as exc:
        _say(str(exc))
    except Exception as exc:  # noqa: BLE001 - a menu script must never throw at the editor
        _say(f"unexpected error: {type(exc).__name__}: {exc}")
    return False
