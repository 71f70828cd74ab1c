"""GUI test fixtures: a main window over a fresh home, driven synchronously, plus IdP files.

``make_window(sandbox=..., user=...)`` builds the real window with an ``ImmediateRunner`` (core
calls run at once, so tests need no waiting) and shuts its session (and sandbox) down afterwards.
``idp_file`` is a JumpCloud-style metadata file made by core's sample builder;
``walk_to_review`` and ``accept_and_confirm`` click through the steps to a ready Apply.
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


def walk_to_preflight(window: Any, qtbot: Any, idp_file: Path,
                      domain: str = "fabrikam.com") -> Any:
    """Metadata -> domain -> preflight, through the widgets; the preflight view (its checks ran
    on entering it)."""
    from PySide6.QtCore import Qt

    window.metadata_view.open_source(str(idp_file))
    assert window.state.metadata is not None
    window.go_to(1)
    table = window.domain_view.table
    row = next(r for r in range(table.rowCount())
               if table.item(r, 0).data(Qt.ItemDataRole.UserRole) == domain)
    table.selectRow(row)
    assert window.state.domain == domain
    qtbot.mouseClick(window.domain_view.next_button, Qt.MouseButton.LeftButton)
    assert window.current_step() == 2
    assert window.state.preflight is not None  # entering preflight runs it
    return window.preflight_view


def walk_to_review(window: Any, qtbot: Any, idp_file: Path,
                   domain: str = "fabrikam.com") -> Any:
    """Metadata -> domain -> preflight -> review, through the widgets."""
    from PySide6.QtCore import Qt

    walk_to_preflight(window, qtbot, idp_file, domain)
    if window.preflight_view.next_button.isEnabled():
        qtbot.mouseClick(window.preflight_view.next_button, Qt.MouseButton.LeftButton)
    else:  # a failed check turns Next off (saying why); the step list still opens Review
        assert window.state.preflight.failed
        window.go_to(3)
    assert window.current_step() == 3
    settle(qtbot)
    return window.review_view


def federate_in_window(window: Any, review: Any, domain: str = "fabrikam.com") -> Any:
    """Tick every warning, type the domain and apply (synchronous runner); the result."""
    for box in review.warning_boxes.values():
        box.setChecked(True)
    review.confirm_edit.setText(domain)
    review.apply()
    result = window.state.last_result
    assert result is not None and result.ok, result and result.summary
    return result


def revert_in_history(window: Any, qtbot: Any, domain: str = "fabrikam.com") -> Any:
    """Open History, type ``domain`` into the revert confirmation and revert it, as an admin
    would; returns the History view once the change has settled."""
    from PySide6.QtCore import Qt

    window.go_to(4)
    settle(qtbot)
    history = window.history_view
    qtbot.keyClicks(history.revert_confirm, domain)
    qtbot.mouseClick(history.revert_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    return history


def start_threaded_sandbox(window: Any, qtbot: Any, idp_file: Path,
                           domain: str = "fabrikam.com") -> Any:
    """With the thread-pool runner: sign in to the sandbox, open ``idp_file``, choose ``domain``;
    each step awaited through its signal. The app state."""
    state = window.state
    with qtbot.waitSignal(state.session_changed, timeout=10_000):
        window.start_sandbox()
    qtbot.waitUntil(lambda: bool(state.domains), timeout=10_000)
    with qtbot.waitSignal(state.metadata_changed, timeout=10_000):
        window.metadata_view.open_source(str(idp_file))
    state.choose_domain(domain)
    return state


def accept_and_confirm(review: Any, qtbot: Any, domain: str) -> None:
    for box in review.warning_boxes.values():
        box.setChecked(True)
    review.confirm_edit.clear()
    qtbot.keyClicks(review.confirm_edit, domain)


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


# The warnings preflight raises for the sample IdP on fabrikam.com, accepted by id.
SAMPLE_IDP_WARNINGS = "metadata.endpoints,domain.subdomain,users.immutable_id,users.blast_radius"


@pytest.fixture
def federated_home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """fabrikam.com federated (through the command line) with the sandbox's own sample IdP, so
    a test sign-in from the window can succeed."""
    from cli.main import main

    assert main(["--sandbox", "sandbox", "idp-metadata"]) == 0
    metadata = tmp_path / "sample-idp.xml"
    metadata.write_text(capsys.readouterr().out)
    assert main(["--sandbox", "federate", "--metadata", str(metadata), "--domain",
                 "fabrikam.com", "--confirm", "fabrikam.com", "--accept-warnings",
                 SAMPLE_IDP_WARNINGS]) == 0
    capsys.readouterr()
