"""Every host's command line carries any clip name and any prompt to the engine unchanged.

A prompt may start with "-" ("-6 dB music, lofi"), a clip may be named "-take 2.mkv", and on
Windows a name may hold the characters cmd.exe rewrites (%VAR%, ^, &, !, "). The Python hosts
start the engine with an argument list (no shell); the Lua entry must go through a shell
(io.popen), so on Windows it passes only the engine and a JSON arguments file. The engine's own
parser reads each command line back here.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path, PurePosixPath, PureWindowsPath
from types import SimpleNamespace

import pytest

from game_music.cli import _args_from_file, build_parser, main
from game_music.hosts import obs_install, resolve_install

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "obs_plugin"))
sys.path.insert(0, str(REPO / "davinci_script"))

import game_music_obs_worker as obs_worker  # noqa: E402
import game_music_resolve as resolve_py  # noqa: E402
from resolve.lua_host import LuaHost  # noqa: E402

PROMPTS = ["-6 dB music, lofi", "--style rock", "100% %PATH% chill ^&| \"quoted\" !boss!",
           "épique orchestral, ボス戦"]
NAMES = ["-take 2.mkv", "100% %USERPROFILE% run^&!.mkv", 'say "hi".mkv', "ゲーム 実況.mkv"]


def _parsed(argv: list[str]) -> SimpleNamespace:
    return build_parser().parse_args(argv)


@pytest.mark.parametrize("prompt", PROMPTS)
@pytest.mark.parametrize("name", NAMES)
def test_the_obs_script_passes_prompt_and_path_unchanged(prompt: str, name: str) -> None:
    settings = obs_worker.JobSettings(prompt=prompt, style="lofi", backend="local",
                                      output_dir="/o/-out%x%")
    cmd = obs_worker.engine_command(["gm"], "/rec/" + name, settings)
    args = _parsed(cmd[1:])
    assert (args.inputs, args.prompt, args.style) == (["/rec/" + name], prompt.strip(), "lofi")
    assert args.output == "/o/-out%x%/"


@pytest.mark.parametrize("prompt", PROMPTS)
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("platform", ["win32", "darwin", "linux"])
def test_the_resolve_python_entry_passes_prompt_and_path_unchanged(
        prompt: str, name: str, platform: str) -> None:
    target = SimpleNamespace(path="/m/" + name, start=12, end=36, fps=29.97)
    args = _parsed(resolve_py.engine_args("/m/" + name, prompt, "/o/-x%a% (game music).mp4",
                                          target, platform))
    assert (args.inputs, args.prompt) == (["/m/" + name], prompt)
    assert args.output == "/o/-x%a% (game music).mp4"
    assert str(args.stem) == "/o/-x%a% (game music).wav"
    assert (args.start, args.end, args.fps) == ("12f", "36f", 29.97)
    assert (args.pcm_mov is not None) == (platform == "linux")


@pytest.fixture(scope="module")
def lua() -> object:
    host = LuaHost(lambda line: None)
    helper = host.lua.globals().dofile(str(REPO / "davinci_script" / "game_music_resolve.lua"))
    return SimpleNamespace(host=host, m=helper)


def _lua_list(lua: SimpleNamespace, items: list[str]) -> object:
    return lua.host.lua.table_from([s.encode("utf-8") for s in items])


def _s(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _py_list(table: object) -> list[str]:
    return [_s(v) for v in table.values()]


def _lua_args(lua: SimpleNamespace, name: str, prompt: str, os_name: str) -> list[str]:
    target = lua.host.lua.table_from({"path": b"/m/" + name.encode(), "start": 12,
                                      "finish": 36})
    return _py_list(lua.m.engine_args(("/m/" + name).encode(), prompt.encode(),
                                      b"/o/-x%a% (game music).mp4", target, os_name))


@pytest.mark.parametrize("prompt", PROMPTS)
@pytest.mark.parametrize("name", NAMES)
def test_the_lua_entry_on_windows_puts_nothing_of_the_user_on_the_cmd_line(
        lua: SimpleNamespace, prompt: str, name: str) -> None:
    args = _lua_args(lua, name, prompt, "Windows")
    engine = [r"C:\Program Files\game-music\.venv\Scripts\game-music.exe"]
    line, file, content = lua.m.command_line(
        _lua_list(lua, engine), _lua_list(lua, args), True,
        _lua_list(lua, [r"C:\Users\100%me\Temp", r"C:\Users\me\AppData\Local\Temp"]))
    line, file, content = (_s(x) for x in (line, file, content))
    # cmd.exe sees only the engine and the arguments file, inside quotes, no % anywhere.
    assert "%" not in line and "!" not in line
    assert file.startswith("C:\\Users\\me\\AppData\\Local\\Temp\\game-music-args-")
    assert line == f'""{engine[0]}" --args-file "{file}" 2>&1"'
    # The engine reads the file back to exactly the arguments the entry built.
    assert json.loads(content) == args
    parsed = _parsed(_args_from_file_text(content, tmp=Path(file).name))
    assert (parsed.inputs, parsed.prompt, parsed.start) == (["/m/" + name], prompt, "12f")


def _args_from_file_text(content: str, tmp: str) -> list[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / tmp
        path.write_text(content, encoding="utf-8")
        return _args_from_file(["--args-file", str(path)])


def test_the_lua_entry_refuses_an_engine_path_cmd_would_rewrite(lua: SimpleNamespace) -> None:
    stopped = lua.host.lua.eval(
        "function(f, ...) local ok, e = pcall(f, ...); return (not ok) and e.msg or nil end")
    msg = stopped(lua.m.command_line, _lua_list(lua, [r"C:\100%\game-music.exe"]),
                  _lua_list(lua, ["add"]), True, _lua_list(lua, [r"C:\Temp"]))
    assert "characters Windows' shell rewrites" in _s(msg)
    msg = stopped(lua.m.command_line, _lua_list(lua, [r"C:\gm.exe"]), _lua_list(lua, ["add"]),
                  True, _lua_list(lua, [r"C:\Users\100%\Temp"]))
    assert "no folder for the engine's arguments" in _s(msg)


@pytest.mark.parametrize("prompt", PROMPTS)
@pytest.mark.parametrize("name", NAMES)
def test_the_lua_entry_on_posix_quotes_for_a_real_shell(
        lua: SimpleNamespace, prompt: str, name: str) -> None:
    args = _lua_args(lua, name, prompt, "Linux")
    echo = [sys.executable, "-c", "import json, sys; print(json.dumps(sys.argv[1:]))"]
    line, file = lua.m.command_line(_lua_list(lua, echo), _lua_list(lua, args), False,
                                    _lua_list(lua, []))[:2]
    assert file is None
    out = subprocess.run(["sh", "-c", _s(line)], capture_output=True, text=True,
                         check=True, encoding="utf-8").stdout
    assert json.loads(out) == args
    assert _parsed(args).prompt == prompt


def test_an_arguments_file_runs_the_engine_like_a_command_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "args.json"
    file.write_text(json.dumps(["explain", "--json", "--", "-6 dB music, lofi %PATH%"]),
                    encoding="utf-8")
    assert main(["--args-file", str(file)]) == 0
    understood = json.loads(capsys.readouterr().out)
    assert (understood["style"], understood["music_volume"]) == ("lofi", 0.501)  # -6 dB
    file.write_text("{not json", encoding="utf-8")
    assert main(["--args-file", str(file)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].endswith("[usage]")


def test_the_companion_passes_prompt_and_path_unchanged() -> None:
    from game_music.obs.watch import Watcher

    w = Watcher.__new__(Watcher)
    w.engine = ["gm"]
    w.options = SimpleNamespace(prompt="-6 dB music", style=None, backend=None, output="/o%x%")
    args = _parsed(w._args(Path("/r/-take 2.mkv")))
    assert (args.inputs, args.prompt, args.output) == (["/r/-take 2.mkv"], "-6 dB music",
                                                       "/o%x%/")


# --- the installers' folder detection for each OS -------------------------------------------

def test_resolve_scripts_folder_per_os() -> None:
    win = resolve_install.default_scripts_dir(
        "win32", {"APPDATA": r"C:\Users\Zoë 100%\AppData\Roaming"}, r"C:\Users\Zoë 100%")
    assert win == PureWindowsPath(r"C:\Users\Zoë 100%\AppData\Roaming\Blackmagic Design"
                                  r"\DaVinci Resolve\Support\Fusion\Scripts")
    win_no_env = resolve_install.default_scripts_dir("win32", {}, r"C:\Users\a b")
    assert str(win_no_env).startswith(r"C:\Users\a b\AppData\Roaming\Blackmagic Design")
    mac = resolve_install.default_scripts_dir("darwin", {}, "/Users/jo & co")
    assert mac == PurePosixPath("/Users/jo & co/Library/Application Support/Blackmagic Design/"
                                "DaVinci Resolve/Fusion/Scripts")
    linux = resolve_install.default_scripts_dir("linux", {}, "/home/ゲーム")
    assert linux == PurePosixPath("/home/ゲーム/.local/share/DaVinciResolve/Fusion/Scripts")


def test_obs_config_folder_per_os() -> None:
    win = obs_install.candidate_config_dirs("win32", {"APPDATA": r"D:\Profiles\x^y!\Roaming"},
                                            r"D:\Profiles\x^y!")
    assert win == [PureWindowsPath(r"D:\Profiles\x^y!\Roaming\obs-studio")]
    assert obs_install.candidate_config_dirs("win32", {}, r"C:\Users\x") == []
    mac = obs_install.candidate_config_dirs("darwin", {}, "/Users/a b")
    assert mac == [PurePosixPath("/Users/a b/Library/Application Support/obs-studio")]
    linux = obs_install.candidate_config_dirs("linux", {"XDG_CONFIG_HOME": "/x/c fg"}, "/h/é")
    assert linux == [PurePosixPath("/x/c fg/obs-studio"),
                     PurePosixPath("/h/é/.var/app/com.obsproject.Studio/config/obs-studio")]


# --- the Resolve entries find their helper wherever they were installed ----------------------

FOLDERS = ["Scripts", "All Users 100%/Fusion/Scripts", "portable ^&!/Scripts", "ゲーム/Scripts"]


@pytest.mark.parametrize("folder", FOLDERS)
def test_the_installed_entries_record_their_folder(tmp_path: Path, folder: str) -> None:
    scripts = tmp_path / folder
    assert resolve_install.install(["gm"], REPO / "davinci_script", scripts, log=lambda m: None)
    utility = scripts / "Utility"
    # Python: the recorded folder, read as Resolve runs the file (no __file__, cwd elsewhere).
    g: dict[str, object] = {"__name__": "not main"}
    source = (utility / "Add Game Music.py").read_text(encoding="utf-8")
    exec(compile(source.replace("\n_run()\n", "\n"), "entry", "exec"), g)  # noqa: S102
    assert g["INSTALLED_IN"] == str(utility.absolute())
    assert g["_script_dir"]() == str(utility.absolute())
    # Lua: the same, from a chunk that does not name its file.
    host = LuaHost(lambda line: None)
    lua_src = (utility / "Add Game Music.lua").read_bytes()
    head = lua_src[: lua_src.index(b"local dir = script_dir()")] + b"return script_dir()"
    found = host.lua.globals().loadstring(head, "=entry")()
    assert _s(found) == str(utility.absolute())
    # A check after install finds everything in order (the recorded folder included).
    assert resolve_install.install(["gm"], REPO / "davinci_script", scripts, check=True,
                                   log=lambda m: None)


def test_an_entry_copied_by_hand_still_tries_the_usual_folders(tmp_path: Path) -> None:
    g: dict[str, object] = {"__name__": "not main"}
    source = (REPO / "davinci_script" / "Add Game Music.py").read_text(encoding="utf-8")
    exec(compile(source.replace("\n_run()\n", "\n"), "entry", "exec"), g)  # noqa: S102
    assert g["INSTALLED_IN"] is None
    assert str(g["_script_dir"]()).endswith("Utility")


def test_posix_quoting_round_trips_through_sh_for_the_obs_worker_too() -> None:
    # The OBS worker never uses a shell; this documents that its list survives one unchanged.
    settings = obs_worker.JobSettings(prompt=PROMPTS[2], style="", backend="", output_dir="")
    cmd = obs_worker.engine_command(["gm"], NAMES[1], settings)
    assert shlex.split(shlex.join(cmd)) == cmd


def test_folders_for_mkdir_and_rmdir_keep_their_percent_signs(lua: SimpleNamespace) -> None:
    # In real quotes cmd.exe leaves & | < > ^ alone; each % steps out as ^% ("a"^%"b" = a%b).
    assert _s(lua.m.cmd_path(br"C:\Users\100%me\%TEMP% & co")) == \
        r'"C:\Users\100"^%"me\"^%"TEMP"^%" & co"'
