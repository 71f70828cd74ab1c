"""Keyboard and accessibility (issue 14, section 4): focus seen, Ctrl+O and F5 everywhere, Enter
submits typed confirmations, copy buttons say they copied, High Contrast keeps system colours."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QToolButton

from tests.gui_helpers import accept_and_confirm, federate_in_window, settle, walk_to_review


def _focus(window: Any, qtbot: Any, widget: Any) -> None:
    window.activateWindow()
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(widget.hasFocus, timeout=2000)
    settle(qtbot)


@pytest.mark.parametrize("which", ["primary button", "step list"])
def test_keyboard_focus_is_visible(make_window: Any, qtbot: Any, idp_file: Path,
                                   which: str) -> None:
    """WCAG 2.4.7: the focused widget looks different from the same widget unfocused."""
    window = make_window(sandbox=True)
    window.metadata_view.open_source(str(idp_file))
    settle(qtbot)
    widget = window.metadata_view.next_button if which == "primary button" else window.steps
    other = window.metadata_view.sample_button if which == "primary button" else None
    if other is not None and other.isVisible():
        _focus(window, qtbot, other)
    else:
        window.metadata_view.scroll_area.setFocus()
        settle(qtbot)
    unfocused = widget.grab().toImage()
    _focus(window, qtbot, widget)
    focused = widget.grab().toImage()
    assert focused != unfocused


def test_ctrl_o_opens_metadata_from_any_page(make_window: Any, qtbot: Any, idp_file: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    window = make_window(sandbox=True)
    asked: list[str] = []

    def pick(*_args: Any, **_kwargs: Any) -> tuple[str, str]:
        asked.append("open")
        return str(idp_file), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", pick)
    window.go_to(4)
    settle(qtbot)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert asked == ["open"]
    assert window.current_step() == 0
    assert window.state.metadata is not None
    # And once more on the Metadata page itself (one shortcut, never an ambiguous pair).
    qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert asked == ["open", "open"]


def test_f5_reads_the_current_page_again(make_window: Any, qtbot: Any) -> None:
    window = make_window(sandbox=True)
    window.go_to(1)
    settle(qtbot)
    submitted = window.state.runner.submitted
    before = submitted.count("list domains")
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert submitted.count("list domains") == before + 1
    window.go_to(4)
    settle(qtbot)
    reads = submitted.count("read journal")
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert submitted.count("read journal") == reads + 1


def test_enter_submits_the_typed_confirmations(make_window: Any, qtbot: Any,
                                               idp_file: Path) -> None:
    window = make_window(sandbox=True)
    review = walk_to_review(window, qtbot, idp_file)
    accept_and_confirm(review, qtbot, "fabrikam.com")
    qtbot.keyClick(review.confirm_edit, Qt.Key.Key_Return)
    assert window.state.last_result is not None and window.state.last_result.kind == "federate"
    window.go_to(4)
    settle(qtbot)
    history = window.history_view
    qtbot.keyClicks(history.revert_confirm, "fabrikam.co")
    qtbot.keyClick(history.revert_confirm, Qt.Key.Key_Return)  # not the domain yet: nothing
    assert window.state.last_result.kind == "federate"
    qtbot.keyClicks(history.revert_confirm, "m")
    qtbot.keyClick(history.revert_confirm, Qt.Key.Key_Return)
    assert window.state.last_result.kind == "revert" and window.state.last_result.ok


def test_a_copy_button_says_it_copied(make_window: Any, qtbot: Any, idp_file: Path) -> None:
    window = make_window(sandbox=True)
    review = walk_to_review(window, qtbot, idp_file)
    button = next(b for b in review.findChildren(QToolButton)
                  if b.accessibleName() == "Copy the PowerShell commands")
    assert button.text() == ""
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert button.text() == "Copied"
    assert button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextBesideIcon
    assert "Update-MgDomainFederationConfiguration" in QApplication.clipboard().text() or \
        "New-MgDomainFederationConfiguration" in QApplication.clipboard().text()
    qtbot.waitUntil(lambda: button.text() == "", timeout=5000)


def test_high_contrast_keeps_the_system_colours(monkeypatch: pytest.MonkeyPatch,
                                                make_window: Any) -> None:
    from gui import theme

    window = make_window()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    ours = app.palette().color(app.palette().ColorRole.Window).name()
    try:
        monkeypatch.setenv("FEDERATOR_HIGH_CONTRAST", "1")
        theme.apply_theme(app)
        assert app.palette().color(app.palette().ColorRole.Window).name() != ours
        assert "sandboxBadge" not in app.styleSheet()  # none of our colours
        assert ":focus" in app.styleSheet()  # focus stays visible
    finally:
        monkeypatch.delenv("FEDERATOR_HIGH_CONTRAST")
        theme.apply_theme(app)
    assert window.isVisible()


def test_enter_in_the_revert_field_does_nothing_while_it_is_not_typed(
        make_window: Any, qtbot: Any, idp_file: Path) -> None:
    window = make_window(sandbox=True)
    federate_in_window(window, walk_to_review(window, qtbot, idp_file))
    window.go_to(4)
    settle(qtbot)
    qtbot.keyClick(window.history_view.revert_confirm, Qt.Key.Key_Return)
    assert window.state.last_result.kind == "federate"


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Enter])
def test_enter_presses_the_focused_button(make_window: Any, qtbot: Any, key: Qt.Key) -> None:
    # A keyboard-only walk: Tab to "Use the sandbox's sample IdP", Enter (Qt's buttons take
    # only Space outside a dialog).
    window = make_window(sandbox=True)
    settle(qtbot)
    button = window.metadata_view.sample_button
    _focus(window, qtbot, button)
    qtbot.keyClick(button, key)
    qtbot.waitUntil(lambda: window.state.metadata is not None, timeout=5000)
