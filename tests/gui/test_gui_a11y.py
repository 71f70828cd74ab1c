"""Keyboard, screen reader and wording: the window without a mouse, and what it says.

Tab walks each step in reading order and reaches the typed confirmation and Apply; every control a
keyboard can reach has a name a screen reader can say; status icons carry their word; a metadata
file dropped on the drop zone opens; counts read as sentences ("1 warning", not "1 warnings");
the preflight list shows every line of every row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget

from gui import widgets
from gui.widgets import Card, StatusLabel
from tests.gui_helpers import federate_in_window, settle


def name_of(widget: QWidget) -> str:
    """What a screen reader announces: the accessible name, else a button's or field's text."""
    if widget.accessibleName():
        return widget.accessibleName()
    if isinstance(widget, QAbstractButton):
        return widget.text().strip()
    return ""


def tab_walk(window: Any, start: QWidget, limit: int = 80) -> list[QWidget]:
    """Press Tab from ``start`` until focus comes back round; the widgets in the order visited."""
    window.activateWindow()
    start.setFocus(Qt.FocusReason.TabFocusReason)
    visited: list[QWidget] = []
    for _ in range(limit):
        focused = QApplication.focusWidget()
        assert focused is not None, "Tab lost the focus"
        if visited and focused is visited[0]:
            break
        visited.append(focused)
        QTest.keyClick(focused, Qt.Key.Key_Tab)
    return visited


def page_stops(window: Any, step: int) -> list[QWidget]:
    """The Tab stops inside one step's page, in the order Tab visits them."""
    page = window.views[step]
    return [w for w in tab_walk(window, window.steps) if page.isAncestorOf(w)]


def open_review(window: Any, idp_file: Path, domain: str = "fabrikam.com") -> Any:
    window.metadata_view.open_source(str(idp_file))
    window.state.choose_domain(domain)
    window.go_to(2)
    assert window.state.preflight is not None
    window.go_to(3)
    return window.review_view


def test_tab_walks_the_review_in_reading_order_and_applies_without_a_mouse(
        make_window: Any, qtbot: Any, idp_file: Path) -> None:
    window = make_window(sandbox=True)
    review = open_review(window, idp_file)
    settle(qtbot)
    boxes = list(review.warning_boxes.values())
    assert boxes
    stops = page_stops(window, 3)
    diff = next(w for w in stops if w.accessibleName().startswith("Federation properties"))
    # The plan, then each warning to accept, then the confirmation field: Apply is last and is
    # skipped while it is disabled.
    indexes = [stops.index(w) for w in (diff, *boxes, review.confirm_edit)]
    assert indexes == sorted(indexes)
    assert stops[-1] is review.confirm_edit
    assert review.apply_button not in stops

    # Keyboard only: Space ticks each warning, typing confirms, Tab reaches Apply, Space applies.
    for box in boxes:
        box.setFocus(Qt.FocusReason.TabFocusReason)
        QTest.keyClick(box, Qt.Key.Key_Space)
        assert box.isChecked()
    review.confirm_edit.setFocus(Qt.FocusReason.TabFocusReason)
    QTest.keyClicks(review.confirm_edit, "fabrikam.com")
    QTest.keyClick(review.confirm_edit, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is review.apply_button
    QTest.keyClick(review.apply_button, Qt.Key.Key_Space)
    settle(qtbot)
    result = window.state.last_result
    assert result is not None and result.ok
    assert result.after.authentication_type == "Federated"


def test_tab_reaches_the_revert_confirmation_before_its_button(
        make_window: Any, qtbot: Any, idp_file: Path) -> None:
    window = make_window(sandbox=True)
    review = open_review(window, idp_file)
    federate_in_window(window, review)
    window.go_to(4)
    settle(qtbot)
    history = window.history_view
    assert history.revert_confirm is not None
    stops = page_stops(window, 4)
    assert history.revert_confirm in stops
    history.revert_confirm.setFocus(Qt.FocusReason.TabFocusReason)
    QTest.keyClicks(history.revert_confirm, "fabrikam.com")
    QTest.keyClick(history.revert_confirm, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is history.revert_button


def test_every_control_tab_reaches_has_a_name(make_window: Any, qtbot: Any,
                                              idp_file: Path) -> None:
    window = make_window(sandbox=True)
    open_review(window, idp_file)
    unnamed: list[str] = []
    for step in range(5):
        window.go_to(step)
        settle(qtbot)
        for widget in tab_walk(window, window.steps):
            if not name_of(widget):
                unnamed.append(f"step {step + 1}: {type(widget).__name__}")
    assert not unnamed, unnamed


def test_status_icons_carry_their_word_for_screen_readers(make_window: Any, qtbot: Any,
                                                          idp_file: Path) -> None:
    window = make_window(sandbox=True)
    open_review(window, idp_file)
    window.go_to(2)
    settle(qtbot)
    labels = window.preflight_view.findChildren(StatusLabel)
    assert labels
    for status_label in labels:
        word = status_label.accessibleDescription()
        assert word in ("Pass", "Warning", "Fail", "Check by hand", "Skipped", "Info")
        assert status_label.icon.accessibleName() == word
    item = window.steps.item(2)
    assert item.data(Qt.ItemDataRole.AccessibleDescriptionRole) == "Warning"
    assert item.data(Qt.ItemDataRole.AccessibleTextRole) == "Step 3: Preflight, 4 warnings"


def test_role_numbers_match_qt() -> None:
    # The step list sets these before the first paint by number (see gui.widgets).
    roles = Qt.ItemDataRole
    expected = (roles.AccessibleTextRole, roles.AccessibleDescriptionRole, roles.UserRole)
    numbers = (widgets.ACCESSIBLE_TEXT_ROLE, widgets.ACCESSIBLE_DESCRIPTION_ROLE,
               widgets.USER_ROLE)
    assert numbers == tuple(role.value for role in expected)


def test_dropping_a_metadata_file_on_the_drop_zone_opens_it(make_window: Any, qtbot: Any,
                                                            idp_file: Path) -> None:
    window = make_window()
    view = window.metadata_view
    zone = view.empty
    assert zone.acceptDrops()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(idp_file))])
    action = Qt.DropAction.CopyAction
    buttons = Qt.MouseButton.LeftButton
    enter = QDragEnterEvent(QPoint(20, 20), action, mime, buttons,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(zone, enter)
    assert enter.isAccepted()
    assert zone.property("hover") is True  # the border lights up while a file is over it
    drop = QDropEvent(QPointF(20, 20), action, mime, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(zone, drop)
    assert drop.isAccepted()
    settle(qtbot)
    assert window.state.metadata is not None
    assert window.state.metadata_source == str(idp_file)
    assert zone.isHidden() and zone.property("hover") is False


def test_dropping_something_that_is_not_a_file_is_refused(make_window: Any) -> None:
    window = make_window()
    zone = window.metadata_view.empty
    mime = QMimeData()
    mime.setText("not a file")
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter.ignore()
    QApplication.sendEvent(zone, enter)
    assert not enter.isAccepted()
    assert window.state.metadata is None


def test_counts_read_as_sentences(make_window: Any, qtbot: Any, idp_file: Path) -> None:
    window = make_window(sandbox=True)
    window.metadata_view.open_source(str(idp_file))
    settle(qtbot)
    titles = [c.title.text() for c in window.metadata_view.findChildren(Card)]
    assert "Findings: 1 warning" in titles  # not "0 errors, 1 warnings"
    review = open_review(window, idp_file)
    words = [s.word.text() for s in window.preflight_view.findChildren(StatusLabel)]
    assert "4 warnings" in words and "1 manual check" in words and "17 passed" in words
    boxes = list(review.warning_boxes.values())
    for box in boxes[:-1]:
        box.setChecked(True)
    assert review.gate_reason.text() == "Tick the warning above to accept it."


def test_after_a_change_the_review_says_what_happened_not_what_to_do_first(
        make_window: Any, qtbot: Any, idp_file: Path) -> None:
    window = make_window(sandbox=True)
    review = open_review(window, idp_file)
    federate_in_window(window, review)
    settle(qtbot)
    assert review.gate_reason.text() == ""  # not "Run the preflight checks first"
    headline = review.result_card.findChildren(StatusLabel)[0].word.text()
    issuer = window.state.last_result.after.federation["issuerUri"]
    # The IdP is named by its issuer (core's summary, shown as it is); the display name is
    # quoted as the name users see.
    assert headline == f"Done: {window.state.last_result.summary}"
    assert f"with the IdP {issuer}" in headline
    assert 'shown to users as "fabrikam.com"' in headline


def test_preflight_rows_show_every_line(make_window: Any, qtbot: Any, idp_file: Path) -> None:
    window = make_window(sandbox=True)
    open_review(window, idp_file)
    window.go_to(2)
    view = window.preflight_view
    qtbot.waitUntil(lambda: len(view.check_rows) == len(window.state.preflight.checks))
    for width in (1280, 1024):
        window.resize(width, 768)
        settle(qtbot)
        settle(qtbot)
        clipped = [(cid, lab.text()[:40]) for cid, row in view.check_rows.items()
                   for lab in row.findChildren(QLabel)
                   if lab.wordWrap() and lab.isVisible()
                   and lab.height() < lab.heightForWidth(lab.width())]
        assert not clipped, (width, clipped)


def test_the_new_states_have_names_too(make_window: Any, qtbot: Any, idp_file: Path) -> None:
    """A change's progress on History, a read that failed with Retry, the header's roles Retry:
    every control Tab reaches in those states has a name."""
    window = make_window(sandbox=True)
    federate_in_window(window, open_review(window, idp_file))
    window.go_to(4)
    settle(qtbot)
    history = window.history_view
    history.revert_confirm.setText("fabrikam.com")
    history.revert("fabrikam.com")
    settle(qtbot)
    assert history.operation_card.isVisible()
    window.state.session.sandbox.set_faults("503:20@0.01")
    window.go_to(1)
    window.state.refresh_domains()
    window.state.refresh_roles()
    settle(qtbot)
    assert window.domain_view.load_status.retry_button.isVisible()
    assert window.header.roles_retry.isVisible()
    window.state.session.sandbox.set_faults("")
    unnamed: list[str] = []
    for step in (1, 4):
        window.go_to(step)
        settle(qtbot)
        for widget in tab_walk(window, window.steps):
            if not name_of(widget):
                unnamed.append(f"step {step + 1}: {type(widget).__name__}")
    assert not unnamed, unnamed
    assert name_of(window.header.roles_retry) == "Read your roles again"
    assert name_of(history.operation_list) == "Progress of the change"
