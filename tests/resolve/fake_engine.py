"""A stand-in for ``python -m game_music`` that speaks the same JSON lines (Contract 2).

It parses its arguments with the engine's own parser, records them (env ``FAKE_ENGINE_LOG``,
one JSON line per run), copies the input to the output (and the PCM variant), writes a short
silent WAV stem, and fails with the code in env ``FAKE_ENGINE_FAIL`` when set.
"""

import json
import os
import shutil
import sys
import wave

from game_music.cli import _args_from_file, build_parser


def emit(**event):
    print(json.dumps(event), flush=True)


def main(argv):
    if os.environ.get("FAKE_ENGINE_LOG"):
        with open(os.environ["FAKE_ENGINE_LOG"], "a", encoding="utf-8") as fh:
            fh.write(json.dumps(argv) + "\n")
    # The engine's own parser, so an entry's command line is read exactly as the engine reads it.
    args = build_parser().parse_args(_args_from_file(argv))
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
