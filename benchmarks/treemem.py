"""Run a command and measure its whole process tree: peak PSS, CPU seconds, wall time.

PSS (proportional set size) splits each shared page between the processes that map it, so
summed over a tree it counts a forked child's copy-on-write pages once, unlike summed RSS;
``ru_maxrss`` only reports the single largest process. The tree is sampled from
``/proc/<pid>/smaps_rollup`` every ``interval`` seconds (Linux only). When the command writes
the engine's JSON-line progress events on stdout, each sample is tagged with the stage then
running, so the peak can be put down to a stage and a process.

    from treemem import measure
    m = measure([sys.executable, "-m", "game_music", "add", ...])
    print(m.peak_mb, m.peak_stage, m.peak_processes)
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Sample:
    t: float
    stage: str
    pss_mb: float
    processes: list[tuple[int, str, float]]  # (pid, name, PSS MB), largest first


@dataclass
class Measured:
    rc: int
    wall_s: float
    cpu_s: float  # user + system of the whole tree (children reaped by their parents count)
    stdout: str
    stderr: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def peak(self) -> Sample:
        return max(self.samples, key=lambda s: s.pss_mb, default=Sample(0, "", 0.0, []))

    @property
    def peak_mb(self) -> float:
        return self.peak.pss_mb

    def stage_peaks(self) -> dict[str, float]:
        """Peak tree PSS per stage, in the order the stages ran."""
        out: dict[str, float] = {}
        for s in self.samples:
            out[s.stage] = max(out.get(s.stage, 0.0), s.pss_mb)
        return out

    def describe_peak(self) -> str:
        p = self.peak
        procs = ", ".join(f"{name}[{pid}] {mb:.0f}" for pid, name, mb in p.processes[:4])
        return f"{p.pss_mb:.0f} MB at {p.t:.0f} s in {p.stage or '?'}: {procs}"


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            kids.extend(int(k) for k in text.split())
    except OSError:
        pass
    return kids


def _tree(root: int) -> list[int]:
    seen, todo = [], [root]
    while todo:
        pid = todo.pop()
        seen.append(pid)
        todo.extend(_children(pid))
    return seen


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def _sample(root: int, t: float, stage: str) -> Sample:
    procs = [(pid, _name(pid), _pss_kb(pid) / 1024) for pid in _tree(root)]
    procs.sort(key=lambda p: -p[2])
    return Sample(t, stage, sum(p[2] for p in procs), procs)


def measure(cmd: Sequence[str], *, interval: float = 0.15, env: dict[str, str] | None = None
            ) -> Measured:
    """Run ``cmd`` to the end, sampling its tree's PSS; CPU seconds from the OS's accounting
    of the reaped child (which includes every descendant it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    stage = ["start"]
    out: list[str] = []
    err: list[str] = []

    def read_out() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            out.append(line)
            if line.startswith("{"):
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if ev.get("event") == "progress":
                    stage[0] = str(ev.get("stage"))

    def read_err() -> None:
        assert proc.stderr is not None
        err.extend(proc.stderr)

    readers = [threading.Thread(target=f, daemon=True) for f in (read_out, read_err)]
    for r in readers:
        r.start()
    samples: list[Sample] = []
    while proc.poll() is None:
        samples.append(_sample(proc.pid, time.perf_counter() - t0, stage[0]))
        time.sleep(interval)
    rc = proc.wait()
    wall = time.perf_counter() - t0
    for r in readers:
        r.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measured(rc, wall, cpu, "".join(out), "".join(err), samples)


if __name__ == "__main__":
    import sys

    m = measure(sys.argv[1:])
    print(f"rc {m.rc}, wall {m.wall_s:.1f} s, CPU {m.cpu_s:.1f} s, peak PSS {m.describe_peak()}")
    print("peak PSS per stage: " + ", ".join(f"{k} {v:.0f}" for k, v in m.stage_peaks().items()))
