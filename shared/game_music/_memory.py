"""Keep freed audio blocks on the heap for reuse instead of handing them back to the kernel.

The engine allocates the same few large arrays (seconds of audio each) for every block.
glibc serves allocations that big with ``mmap`` and unmaps them when they are freed, so every
block paid again for fresh zeroed pages: about 2 s of kernel time per 10 minutes of video in
the main process alone. With the thresholds raised, freed blocks stay on the heap and the
next block of the same size reuses them (peak RSS about +20 MB).
"""

from __future__ import annotations

import ctypes
import sys

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 64 << 20  # allocations below this come from the heap
TRIM_THRESHOLD = 256 << 20  # free memory at the heap's top kept before returning it


def reuse_freed_blocks() -> bool:
    """Raise glibc's mmap and trim thresholds for this process (and children it forks).
    False where there is no glibc ``mallopt`` (macOS, Windows, musl ignores it)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
