"""game-music for OBS Studio: "Add game music to last recording" (Tools > Scripts).

Press the hotkey after a match: the newer of the last replay-buffer save and the last
recording gets original video-game-style music and is written next to it as
``<name> (game music).mp4``. Optionally every saved replay / finished recording is processed.

Runs in OBS's embedded Python: standard library only, no media work. OBS callbacks only read
a path and queue it; a worker thread waits for the file, runs the game-music engine (the
command the installer recorded in ``game_music_obs.json``) and reports its JSON events, which
a timer shows in the Script Log and the status line below the settings.
"""

from __future__ import annotations

import os
import threading
import time

import obspython as obs  # type: ignore[import-not-found]

from game_music_obs_worker import JobSettings, Message, Worker, load_engine, play_sound

HOTKEY_NAME = "game_music.add_music_to_last_recording"
HOTKEY_TEXT = "Add game music to last recording"
STYLES = ("", "chiptune", "gameboy", "fm16", "synthwave", "orchestral", "lofi", "ambient",
          "rock", "edm")
DEBOUNCE_S = 2.0
POLL_MS = 250

_hotkey_id = None
_settings = None  # the script's obs_data_t, owned by OBS, valid while the script is loaded
_job = JobSettings()
_on_replay = False
_on_recording = False
_sound = False
_worker: Worker | None = None
_last_press = 0.0
_after_stop = False  # the hotkey was pressed while recording: process it once it stops
_lock = threading.Lock()


def script_description() -> str:
    return (
        "<b>game-music</b>: adds original, royalty-free video-game-style music to your "
        "recordings and replays.<br>Set a key for <i>" + HOTKEY_TEXT + "</i> in "
        "Settings &gt; Hotkeys. Results are saved next to the recording as "
        "<i>&lt;name&gt; (game music).mp4</i>."
    )


def script_defaults(settings) -> None:  # noqa: ANN001 - OBS types
    obs.obs_data_set_default_string(settings, "prompt", "")
    obs.obs_data_set_default_string(settings, "style", "")
    obs.obs_data_set_default_string(settings, "backend", "")
    obs.obs_data_set_default_string(settings, "output_dir", "")
    obs.obs_data_set_default_bool(settings, "on_replay", False)
    obs.obs_data_set_default_bool(settings, "on_recording", False)
    obs.obs_data_set_default_bool(settings, "sound", False)


def script_properties():  # noqa: ANN201
    props = obs.obs_properties_create()
    obs.obs_properties_add_text(props, "prompt", "Music prompt", obs.OBS_TEXT_DEFAULT)
    styles = obs.obs_properties_add_list(props, "style", "Style", obs.OBS_COMBO_TYPE_LIST,
                                         obs.OBS_COMBO_FORMAT_STRING)
    for style in STYLES:
        obs.obs_property_list_add_string(styles, style or "(from prompt / video)", style)
    backend = obs.obs_properties_add_list(props, "backend", "Engine", obs.OBS_COMBO_TYPE_LIST,
                                          obs.OBS_COMBO_FORMAT_STRING)
    obs.obs_property_list_add_string(backend, "Default (from game-music's config)", "")
    obs.obs_property_list_add_string(backend, "Local (offline)", "local")
    obs.obs_property_list_add_string(backend, "NemoVideo cloud", "nemo")
    obs.obs_properties_add_path(props, "output_dir", "Output folder (empty: next to the video)",
                                obs.OBS_PATH_DIRECTORY, "", None)
    obs.obs_properties_add_bool(props, "on_replay", "Process every saved replay")
    obs.obs_properties_add_bool(props, "on_recording", "Process every finished recording")
    obs.obs_properties_add_bool(props, "sound", "Play a sound when done")
    obs.obs_properties_add_button(props, "run_now", HOTKEY_TEXT, _on_button)
    obs.obs_properties_add_text(props, "status", "Status", obs.OBS_TEXT_INFO)
    return props


def script_update(settings) -> None:  # noqa: ANN001
    global _job, _on_replay, _on_recording, _sound
    _job = JobSettings(
        prompt=obs.obs_data_get_string(settings, "prompt"),
        style=obs.obs_data_get_string(settings, "style"),
        backend=obs.obs_data_get_string(settings, "backend"),
        output_dir=obs.obs_data_get_string(settings, "output_dir"),
    )
    _on_replay = obs.obs_data_get_bool(settings, "on_replay")
    _on_recording = obs.obs_data_get_bool(settings, "on_recording")
    _sound = obs.obs_data_get_bool(settings, "sound")


def script_load(settings) -> None:  # noqa: ANN001
    global _hotkey_id, _settings, _worker
    _settings = settings
    here = os.path.dirname(os.path.abspath(globals().get("__file__") or script_path()))  # noqa: F821
    engine = load_engine(here)
    _worker = Worker(engine)
    _hotkey_id = obs.obs_hotkey_register_frontend(HOTKEY_NAME, HOTKEY_TEXT, _on_hotkey)
    # OBS does not reload script hotkeys itself: they live in the script's settings.
    saved = obs.obs_data_get_array(settings, HOTKEY_NAME)
    obs.obs_hotkey_load(_hotkey_id, saved)
    obs.obs_data_array_release(saved)
    obs.obs_frontend_add_event_callback(_on_event)
    obs.timer_add(_drain, POLL_MS)
    _set_status("Ready" if engine else "Engine not found: run the installer again")
    print(f"ready; engine: {' '.join(engine) if engine else 'NOT FOUND'}")


def script_save(settings) -> None:  # noqa: ANN001
    if _hotkey_id is None:
        return
    arr = obs.obs_hotkey_save(_hotkey_id)
    obs.obs_data_set_array(settings, HOTKEY_NAME, arr)
    obs.obs_data_array_release(arr)


def script_unload() -> None:
    global _worker, _settings
    obs.timer_remove(_drain)
    obs.obs_frontend_remove_event_callback(_on_event)
    obs.obs_hotkey_unregister(_on_hotkey)
    if _worker is not None:
        _worker.stop(timeout=3)
        _worker = None
    _settings = None


# --- callbacks: plain functions (OBS rejects bound methods), quick, never blocking ---------

def _on_hotkey(pressed: bool) -> None:
    global _last_press
    if not pressed:
        return
    now = time.monotonic()
    with _lock:
        if now - _last_press < DEBOUNCE_S:
            return
        _last_press = now
    _add_music_to_last()


def _on_button(props, prop) -> bool:  # noqa: ANN001
    _add_music_to_last()
    return False


def _on_event(event: int) -> None:
    global _after_stop
    try:
        if event == obs.OBS_FRONTEND_EVENT_REPLAY_BUFFER_SAVED and _on_replay:
            _submit(_last_replay())
        elif event == obs.OBS_FRONTEND_EVENT_RECORDING_STOPPED and (_on_recording or _after_stop):
            _after_stop = False
            _submit(_last_recording())
    except Exception as exc:  # noqa: BLE001 - an exception here would reach OBS's UI thread
        obs.script_log(obs.LOG_WARNING, f"event handling failed: {exc}")


def _drain() -> None:
    """Timer: show the worker's messages (logging from the worker thread is unsafe)."""
    worker = _worker
    if worker is None:
        return
    for _ in range(50):
        try:
            msg: Message = worker.messages.get_nowait()
        except Exception:  # noqa: BLE001 - queue.Empty
            return
        if msg.status:
            _set_status(msg.status)
        if msg.level == "status":
            continue
        level = {"error": obs.LOG_WARNING, "warning": obs.LOG_WARNING}.get(msg.level, obs.LOG_INFO)
        obs.script_log(level, msg.text)
        if _sound and (msg.done or msg.level == "error"):
            threading.Thread(target=play_sound, args=(bool(msg.done),), daemon=True).start()


# --- helpers ---------------------------------------------------------------------------------

def _add_music_to_last() -> None:
    global _after_stop
    replay, recording = _last_replay(), _last_recording()
    if obs.obs_frontend_recording_active() and recording and _mtime(recording) >= _mtime(replay):
        _after_stop = True
        obs.script_log(obs.LOG_INFO, "recording in progress: music is added when it stops")
        _set_status("Waiting for the recording to stop")
        return
    newest = max((p for p in (replay, recording) if p and os.path.exists(p)), key=_mtime,
                 default="")
    if not newest:
        obs.script_log(obs.LOG_WARNING, "nothing recorded or saved yet in this OBS session")
        _set_status("Nothing recorded yet")
        return
    _submit(newest)


def _submit(path: str) -> None:
    if path and _worker is not None:
        _worker.submit(path, _job)


def _mtime(path: str) -> float:
    try:
        return os.path.getmtime(path) if path else 0.0
    except OSError:
        return 0.0


def _last_replay() -> str:
    get = getattr(obs, "obs_frontend_get_last_replay", None)  # OBS 29+
    if get is not None:
        return get() or ""
    out = obs.obs_frontend_get_replay_buffer_output()
    if out is None:
        return ""
    try:
        cd = obs.calldata_create()
        obs.proc_handler_call(obs.obs_output_get_proc_handler(out), "get_last_replay", cd)
        path = obs.calldata_string(cd, "path") or ""
        obs.calldata_destroy(cd)
        return path
    finally:
        obs.obs_output_release(out)


def _last_recording() -> str:
    get = getattr(obs, "obs_frontend_get_last_recording", None)  # OBS 29+
    if get is not None:
        return get() or ""
    out = obs.obs_frontend_get_recording_output()
    if out is None:
        return ""
    try:
        data = obs.obs_output_get_settings(out)
        path = obs.obs_data_get_string(data, "path") or obs.obs_data_get_string(data, "url")
        obs.obs_data_release(data)
        return path or ""
    finally:
        obs.obs_output_release(out)


def _set_status(text: str) -> None:
    if _settings is not None:
        obs.obs_data_set_string(_settings, "status", text)
