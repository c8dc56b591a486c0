"""Report the OBS end-to-end module's run time in pytest's summary."""

from __future__ import annotations

from typing import Any

RUN_TIMES: dict[str, float] = {}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for name, seconds in RUN_TIMES.items():
        terminalreporter.write_line(f"{name}: {seconds:.1f} s")
