"""Freed audio blocks are reused, not unmapped and faulted in again for every block."""

from __future__ import annotations

import subprocess
import sys

import pytest

_CYCLES = """
import resource, sys
import numpy as np
from game_music._memory import reuse_freed_blocks
if sys.argv[1] == "tuned":
    assert reuse_freed_blocks()
block = np.ones((1_000_000, 2), np.float32)  # ~20 s of stereo audio
block.astype(np.float64)  # warm up: the first one is always new memory
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    # A block's temporaries, as the mixer makes them: together more than glibc keeps.
    wide = block.astype(np.float64)  # 16 MB, touched page by page
    gained = wide * 0.5
    out = (wide + gained).astype(np.float32)
    del wide, gained, out
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", _CYCLES, mode], capture_output=True,
                         text=True, check=True)
    return int(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_large_blocks_are_reused_once_tuned() -> None:
    per_block = 40_000_000 // 4096  # pages of one block's temporaries
    assert _faults("default") > 2 * per_block  # blocks keep being faulted in afresh
    assert _faults("tuned") < per_block  # 20 blocks on less than one block of new pages


_HOLES = """
import resource, sys
from pathlib import Path
import numpy as np
from game_music._memory import release_free_memory, reuse_freed_blocks
assert reuse_freed_blocks()
def rss_mb():
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20
# A stage's blocks, each pinned by a small object allocated after it: freeing the blocks
# leaves holes under the heap's top, which glibc never trims by itself.
blocks, pins = [], []
for _ in range(40):
    blocks.append(np.ones(250_000))  # 2 MB, from the heap with the tuned thresholds
    pins.append(np.ones(64))
del blocks
before = rss_mb()
release_free_memory()
print(before - rss_mb())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_holes_go_back_between_stages() -> None:
    out = subprocess.run([sys.executable, "-c", _HOLES], capture_output=True, text=True,
                         check=True)
    assert float(out.stdout.strip()) > 60  # of the 80 MB of holes
