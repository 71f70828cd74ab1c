"""Windows' coarse clock, emulated: ``time.time``, ``time_ns`` and ``monotonic`` advance in
15.625 ms steps (the default system timer resolution, 64 ticks a second:
https://learn.microsoft.com/windows/win32/api/timeapi/nf-timeapi-timebeginperiod).

Why it exists: two events a millisecond apart get the same timestamp on Windows, so a test that
orders events, or expects a token issued "now" to be older than one issued a moment ago, passes
on Linux and fails on the Windows runner. ``coarse_clock`` puts one test on such a clock;
``pytest --windows-clock`` (or ``FEDERATOR_TEST_WINDOWS_CLOCK=1``) runs the whole suite on it.
``time.perf_counter`` stays fine-grained: it is fine-grained on Windows too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

TICK_S = 1 / 64  # 15.625 ms


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--windows-clock", action="store_true",
                     help="run every test with time.time/time.monotonic in 15.6 ms steps")


def _coarsen(monkeypatch: pytest.MonkeyPatch) -> None:
    fine_time, fine_monotonic, fine_time_ns = time.time, time.monotonic, time.time_ns
    tick_ns = 15_625_000

    def coarse_time() -> float:
        return (fine_time() // TICK_S) * TICK_S

    def coarse_monotonic() -> float:
        return (fine_monotonic() // TICK_S) * TICK_S

    def coarse_time_ns() -> int:
        return (fine_time_ns() // tick_ns) * tick_ns

    monkeypatch.setattr(time, "time", coarse_time)
    monkeypatch.setattr(time, "time_ns", coarse_time_ns)
    monkeypatch.setattr(time, "monotonic", coarse_monotonic)


@pytest.fixture
def coarse_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This test runs on a Windows-like clock (module docstring)."""
    _coarsen(monkeypatch)
    yield


@pytest.fixture(autouse=True)
def _suite_on_windows_clock(request: pytest.FixtureRequest,
                            monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if (request.config.getoption("--windows-clock")
            or os.environ.get("FEDERATOR_TEST_WINDOWS_CLOCK") == "1"):
        _coarsen(monkeypatch)
    yield
