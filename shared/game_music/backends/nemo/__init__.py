"""The NemoVideo cloud backend (``--backend nemo``).

The client (httpx, pydantic: ~0.2 s to import) loads on first use, so registering the
``nemo`` subcommands costs a local job nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .backend import NemoBackend, build_instruction

__all__ = ["NemoBackend", "build_instruction"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module(".backend", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
