"""GUI test fixtures: a main window over a fresh home, driven synchronously, plus IdP files.

``make_window(sandbox=..., user=...)`` builds the real window with an ``ImmediateRunner`` (core
calls run at once, so tests need no waiting) and shuts its session (and sandbox) down afterwards.
``idp_file`` is a JumpCloud-style metadata file made by core's sample builder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

Factory = Callable[..., Any]


def settle(qtbot: Any) -> None:
    """Let queued layout and paint events run (no sleeping: process what is pending)."""
    from PySide6.QtWidgets import QApplication

    for _ in range(3):
        QApplication.processEvents()


@pytest.fixture
def make_window(qtbot: Any, federator_home: Path) -> Iterator[Factory]:
    from core.paths import resolve_paths
    from gui.app import build_window
    from gui.workers import ImmediateRunner

    windows: list[Any] = []

    def factory(*, sandbox: bool = False, user: str | None = None,
                runner: Any = None) -> Any:
        window = build_window(resolve_paths(federator_home), sandbox=sandbox, sandbox_user=user,
                              runner=runner or ImmediateRunner())
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        # Shortcuts, tab order and selectable text are set up after the first paint.
        from gui.widgets import first_paint_happened

        qtbot.waitUntil(first_paint_happened, timeout=5000)
        windows.append(window)
        return window

    yield factory
    for window in windows:
        window.state.shutdown()


@pytest.fixture
def idp_file(tmp_path: Path) -> Path:
    from core.idp_sample import jumpcloud_sample

    xml, _issued = jumpcloud_sample("acme-demo")
    path = tmp_path / "JumpCloud-metadata.xml"
    path.write_bytes(xml)
    return path
