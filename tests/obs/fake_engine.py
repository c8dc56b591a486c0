"""A stand-in for ``game-music`` speaking Contract 1/2, for the worker's unit tests.

``add INPUT --json [-p PROMPT] [-o FOLDER/]``: copies INPUT to ``<stem> (game music).mp4``
and prints start/progress/done; the prompt ``fail`` gives an error event and exit 3, the
prompt ``crash`` exits 1 with a message on stderr only.
"""

import argparse
import json
import shutil
import sys
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("command")
parser.add_argument("input")
parser.add_argument("--json", action="store_true")
parser.add_argument("-p", "--prompt", default="")
parser.add_argument("-o", "--output")
parser.add_argument("--style")
parser.add_argument("--backend")
args = parser.parse_args()
src = Path(args.input)
folder = Path(args.output) if args.output else src.parent
out = folder / f"{src.stem} (game music).mp4"


def emit(**event: object) -> None:
    print(json.dumps(event), flush=True)


if args.prompt == "crash":
    print("Traceback: something broke", file=sys.stderr)
    sys.exit(1)
emit(event="start", input=str(src), output=str(out), backend=args.backend or "local")
if args.prompt == "fail":
    emit(event="error", input=str(src), code="corrupt_input", message=f"{src.name}: broken")
    sys.exit(3)
for i in range(1, 5):
    emit(event="progress", stage="mix", fraction=i / 4)
folder.mkdir(parents=True, exist_ok=True)
shutil.copyfile(src, out)
emit(event="done", input=str(src), output=str(out), seconds=0.1)
