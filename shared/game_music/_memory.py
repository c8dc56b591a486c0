"""Keep freed audio blocks on the heap for reuse instead of handing them back to the kernel.

The engine allocates the same few large arrays (seconds of audio each) for every block.
glibc serves allocations that big with ``mmap`` and unmaps them when they are freed, so every
block paid again for fresh zeroed pages: about 2 s of kernel time per 10 minutes of video in
the main process alone. With the thresholds raised, freed blocks stay on the heap and the
next block of the same size reuses them (peak RSS about +20 MB).
"""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Callable

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 64 << 20  # allocations below this come from the heap
TRIM_THRESHOLD = 256 << 20  # free memory at the heap's top kept before returning it


def reuse_freed_blocks() -> bool:
    """Raise glibc's mmap and trim thresholds for this process (and children it forks).
    False where there is no glibc ``mallopt`` (macOS, Windows, musl ignores it)."""
    mallopt = _glibc("mallopt", ctypes.c_int, ctypes.c_int)
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


@functools.cache
def _glibc(name: str, *argtypes: type) -> Callable[..., int] | None:
    """The C library's function ``name`` on Linux; None elsewhere or where it lacks it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        func = getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None
    func.argtypes = argtypes
    return func  # type: ignore[no-any-return]


def release_free_memory() -> None:
    """Give the kernel back every wholly free page of the heap, wherever it lies.

    With the thresholds above the heap only ever grows: one stage's blocks leave holes that
    the next stage's differently sized blocks do not fill, and only the heap's very top is
    ever trimmed. Between the stages of a long job that was 35-50 MB of the main process
    (and a fork copies it). A trim costs a few milliseconds; call it between stages, not per
    block (the blocks of a streaming pass reuse their freed memory)."""
    trim = _glibc("malloc_trim", ctypes.c_size_t)
    if trim is not None:
        trim(0)
