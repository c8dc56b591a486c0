"""The engine's SciPy import: quicker, and the same SciPy afterwards (checked in fresh
interpreters, since this test process has imported SciPy long ago)."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import numpy as np, scipy.signal, scipy.ndimage
sos = scipy.signal.butter(4, 0.2, output="sos")
y = scipy.signal.sosfilt(sos, np.r_[1.0, np.zeros(63)])
assert abs(y.sum() - 1.0) < 1e-6, y.sum()          # a low-pass passes DC
assert scipy.ndimage.maximum_filter1d(np.arange(5.0), 3)[0] == 1.0
assert "Filter data along one dimension" in scipy.signal.sosfilt.__doc__
import sys
quick = "scipy.stats" not in sys.modules  # deferred by the quick import
peaks = scipy.signal.find_peaks_cwt(np.sin(np.linspace(0, 6 * np.pi, 400)) ** 2, [10, 20])
assert len(peaks) == 6, peaks  # the one caller of scipy.stats inside scipy.signal
import scipy.stats
assert scipy.stats.norm.cdf(0.0) == 0.5 and scipy.stats is sys.modules["scipy.stats"]
print("ok", quick)
"""


def _run(prelude: str) -> str:
    proc = subprocess.run([sys.executable, "-c", prelude + CHECK], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_scipy_works_after_the_quick_import() -> None:
    assert _run("from game_music._scipy_import import import_dsp; import_dsp()\n") == "ok True"


def test_a_scipy_the_swap_upsets_is_imported_as_usual() -> None:
    prelude = (
        "from game_music import _scipy_import\n"
        "def broken(self, section): raise KeyError(section)\n"
        "_scipy_import._KeepDoc.__getitem__ = broken\n"
        "_scipy_import.import_dsp()\n"
    )
    assert _run(prelude) == "ok True"
