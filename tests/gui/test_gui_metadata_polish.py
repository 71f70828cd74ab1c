"""Metadata page polish (issue 14, section 5): drop anywhere, a new file at its top, the
aggregate picker, a typed sign-out URL kept, recent files on one click, snapshot status words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLabel

from tests import factories as f
from tests.gui_helpers import federate_in_window, settle, walk_to_review


def _mime(path: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    return mime


def test_a_file_dropped_anywhere_opens_on_the_metadata_step(make_window: Any, qtbot: Any,
                                                             idp_file: Path) -> None:
    window = make_window(sandbox=True)
    window.go_to(4)
    settle(qtbot)
    mime = _mime(idp_file)
    where = window.centralWidget().rect().center()
    enter = QDragEnterEvent(where, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    assert window.drop_overlay.isVisible()  # the visible drop target
    drop = QDropEvent(QPointF(where), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    assert not window.drop_overlay.isVisible()
    assert window.current_step() == 0
    assert window.state.metadata is not None
    assert window.state.metadata_source == str(idp_file)


def test_a_new_file_starts_at_the_top(make_window: Any, qtbot: Any, idp_file: Path,
                                      tmp_path: Path) -> None:
    window = make_window()
    window.resize(900, 500)
    view = window.metadata_view
    view.open_source(str(idp_file))
    settle(qtbot)
    bar = view.scroll_area.verticalScrollBar()
    assert bar.maximum() > 0
    bar.setValue(bar.maximum())
    other = tmp_path / "other.xml"
    other.write_bytes(f.metadata())
    view.open_source(str(other))
    settle(qtbot)
    assert bar.value() == 0


def test_the_aggregate_picker_hides_the_previous_idp_until_a_choice(
        make_window: Any, qtbot: Any, idp_file: Path, tmp_path: Path) -> None:
    from core.idp_sample import entities_aggregate, jumpcloud_sample

    window = make_window()
    view = window.metadata_view
    view.open_source(str(idp_file))
    assert view.next_button.isEnabled() and view.cards.isVisible()
    path = tmp_path / "aggregate.xml"
    path.write_bytes(entities_aggregate([jumpcloud_sample(n)[0] for n in ("alpha", "bravo")]))
    view.open_source(str(path))
    assert view.picker.isVisible()
    assert not view.cards.isVisible()
    assert not view.next_button.isEnabled()
    # Enter in the filter picks the one identity provider left.
    qtbot.keyClicks(view.picker_filter, "bravo")
    qtbot.keyClick(view.picker_filter, Qt.Key.Key_Return)
    assert window.state.metadata.entity_id == "https://sso.jumpcloud.com/saml2/bravo"
    assert view.cards.isVisible() and view.next_button.isEnabled()


def test_a_typed_sign_out_url_survives_opening_the_same_file(make_window: Any, qtbot: Any,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "no-logout.xml"
    path.write_bytes(f.metadata(slo_redirect=None))
    window = make_window()
    view = window.metadata_view
    view.open_source(str(path))
    view.sign_out_edit.setText("https://portal.example.com/logout")
    qtbot.keyClick(view.sign_out_edit, Qt.Key.Key_Return)
    assert window.state.federation.sign_out_uri == "https://portal.example.com/logout"
    view.open_source(str(path))  # the same file again (F5, or the IdP republished it)
    settle(qtbot)
    assert window.state.federation.sign_out_uri == "https://portal.example.com/logout"
    assert view.sign_out_edit.text() == "https://portal.example.com/logout"
    other = tmp_path / "other.xml"
    other.write_bytes(f.metadata(slo_redirect=None))
    view.open_source(str(other))  # another file: its own (none yet)
    assert window.state.federation.sign_out_uri is None


def test_the_portal_example_only_for_its_own_idp(make_window: Any, tmp_path: Path) -> None:
    path = tmp_path / "okta-like.xml"
    path.write_bytes(f.metadata(slo_redirect=None))
    window = make_window()
    window.metadata_view.open_source(str(path))
    shown = " ".join(w.text() for w in window.metadata_view.cards.findChildren(QLabel))
    assert "sign-out" in shown.lower()
    assert "jumpcloud" not in shown.lower()


def test_a_recent_file_opens_on_one_click(make_window: Any, qtbot: Any,
                                          idp_file: Path) -> None:
    window = make_window()
    view = window.metadata_view
    view.settings.remember_file(str(idp_file))
    view._refresh_recent()
    recent = view.recent_list
    assert recent is not None and recent.isVisible()
    item = recent.item(0)
    assert not item.icon().isNull()
    rect = recent.visualItemRect(item)
    qtbot.mouseClick(recent.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(rect.center()))
    assert window.state.metadata_source == str(idp_file)


def test_the_snapshot_shows_the_certificate_update_status_in_words(
        make_window: Any, qtbot: Any, idp_file: Path) -> None:
    window = make_window(sandbox=True)
    federate_in_window(window, walk_to_review(window, qtbot, idp_file))
    window.go_to(4)
    settle(qtbot)
    history = window.history_view
    history.table.selectRow(0)
    settle(qtbot)
    shown = [w.text() for w in history.entry_card.findChildren(QLabel)]
    assert not any("{'" in text for text in shown)
    assert any(text.startswith("Success (last run ") for text in shown), shown
