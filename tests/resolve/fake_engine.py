"""A stand-in for ``python -m game_music`` that speaks the same JSON lines (Contract 2).

It parses its arguments as the engine does (argparse), records them (env ``FAKE_ENGINE_LOG``,
one JSON line per run), copies the input to the output (and the PCM variant), writes a short
silent WAV stem, and fails with the code in env ``FAKE_ENGINE_FAIL`` when set. Standard
library only, so it starts fast.
"""

import argparse
import json
import os
import shutil
import sys
import wave


def emit(**event):
    print(json.dumps(event), flush=True)


def main(argv):
    if os.environ.get("FAKE_ENGINE_LOG"):
        with open(os.environ["FAKE_ENGINE_LOG"], "a", encoding="utf-8") as fh:
            fh.write(json.dumps(argv) + "\n")
    # The engine's options an entry passes, read by argparse as the engine's parser reads them
    # (--opt=VALUE, "--" before the clip); the tests check the same lines with the real parser.
    if argv[:1] == ["--args-file"]:
        with open(argv[1], encoding="utf-8") as fh:
            argv = json.load(fh) + argv[2:]
    parser = argparse.ArgumentParser()
    parser.add_argument("command")
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--json", action="store_true")
    for opt in ("--prompt", "--output", "--stem", "--pcm-mov", "--start", "--end", "--fps"):
        parser.add_argument(opt)
    args = parser.parse_args(argv)
    assert args.command == "add" and args.json
    src = args.inputs[0]
    opts = {k: str(v) for k, v in (("--stem", args.stem), ("--pcm-mov", args.pcm_mov)) if v}
    out = os.path.abspath(args.output)
    emit(event="start", input=os.path.abspath(src), output=out, backend="local")
    fail = os.environ.get("FAKE_ENGINE_FAIL")
    if fail:
        emit(event="error", input=src, code=fail, message="the fake engine was told to fail")
        return 4
    for stage, f in (("probe", 0.05), ("analyse", 0.3), ("compose", 0.6), ("mix", 0.9)):
        emit(event="progress", stage=stage, fraction=f)
    done = {"event": "done", "input": os.path.abspath(src), "output": out, "seconds": 0.1}
    try:
        shutil.copyfile(src, out)
        if "--stem" in opts:
            with wave.open(opts["--stem"], "wb") as w:
                w.setnchannels(2)
                w.setsampwidth(2)
                w.setframerate(48000)
                w.writeframes(b"\0\0\0\0" * 24000)
            done["stem"] = os.path.abspath(opts["--stem"])
        if "--pcm-mov" in opts:
            shutil.copyfile(src, opts["--pcm-mov"])
            done["pcm_mov"] = os.path.abspath(opts["--pcm-mov"])
    except OSError as exc:
        emit(event="error", input=src, code="output_not_writable", message=str(exc))
        return 5
    print("fake engine: done", file=sys.stderr)
    emit(**done)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
