"""Import SciPy's signal and ndimage packages without their import-time docstring rewrite.

Since SciPy 1.15 every public function of these packages goes through
``scipy._lib._array_api.xp_capabilities`` at import, which parses its docstring with
numpydoc's ``FunctionDoc`` to append an "array API support" note. That parsing is about 0.4 s
of the 1.2 s the engine's imports cost on every start, for notes that only ``help()`` shows.
While the engine imports them, the parser is swapped for one that leaves each docstring as it
is. A SciPy without these internals (older, or changed) is imported as usual, and so is one
whose import the swap would upset.

``scipy.signal`` also imports all of ``scipy.stats`` (another 0.2-0.4 s) for one function,
``scoreatpercentile``, that only ``find_peaks_cwt`` calls and the engine never does. While
``scipy.signal`` is imported, ``scipy.stats`` is a stand-in whose ``scoreatpercentile``
imports the real package on first call; afterwards ``import scipy.stats`` is the real one.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_PACKAGES = ("scipy.signal", "scipy.ndimage")


class _KeepDoc:
    """Stands in for ``FunctionDoc`` where ``xp_capabilities`` uses it: ``doc[section]``
    takes notes that go nowhere, ``str(doc)`` is a signature line plus the docstring."""

    def __init__(self, obj: Any, *args: Any, **kwargs: Any) -> None:
        self._doc = getattr(obj, "__doc__", None) or ""

    def __getitem__(self, section: str) -> list[str]:
        return []

    def __str__(self) -> str:
        return "\n" + self._doc


def _real_scoreatpercentile(*args: Any, **kwargs: Any) -> Any:
    stats = importlib.import_module("scipy.stats")
    return stats.scoreatpercentile(*args, **kwargs)


def import_dsp() -> None:
    """Import :data:`_PACKAGES` (a no-op once they are imported)."""
    if all(name in sys.modules for name in _PACKAGES):
        return
    stand_in = None
    if "scipy.stats" not in sys.modules:
        stand_in = sys.modules["scipy.stats"] = types.ModuleType("scipy.stats")
        stand_in.scoreatpercentile = _real_scoreatpercentile  # type: ignore[attr-defined]
    try:
        _import_packages()
    finally:
        # (A module found in sys.modules is never set as its parent's attribute: dropping it
        # here is all it takes for `import scipy.stats` to load the real one.)
        if stand_in is not None and sys.modules.get("scipy.stats") is stand_in:
            del sys.modules["scipy.stats"]


def _import_packages() -> None:
    try:
        array_api = importlib.import_module("scipy._lib._array_api")
        original = array_api.FunctionDoc
    except (ImportError, AttributeError):
        array_api = None
    if array_api is not None:
        array_api.FunctionDoc = _KeepDoc
        try:
            for name in _PACKAGES:
                importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the swap upset this SciPy: import it as usual
            for name in [m for m in sys.modules if m.startswith(_PACKAGES)]:
                del sys.modules[name]
        finally:
            array_api.FunctionDoc = original
    for name in _PACKAGES:
        importlib.import_module(name)
