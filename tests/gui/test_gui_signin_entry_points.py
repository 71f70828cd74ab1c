"""Test sign-in is where the admin is (issue 15): "Test sign-in now" on the result of a change
that leaves a domain federated (Review, and History for a change started there), and "Test
sign-in…" on History's page of a federated domain and on a change's entry, each opening the
test preset for that domain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from tests.gui_helpers import accept_and_confirm, federate_in_window, settle, walk_to_review


def _opened(window: Any, qtbot: Any, button: Any) -> Any:
    assert button is not None and not button.isHidden()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = window.signin_dialog
    qtbot.waitExposed(dialog)
    return dialog


def _rows(widget: Any) -> list[str]:
    return [widget.item(i).text() for i in range(widget.count())]


def test_review_result_offers_test_sign_in_now_and_it_signs_the_pilot_in(
        make_window: Any, qtbot: Any) -> None:
    window = make_window(sandbox=True)
    qtbot.waitUntil(lambda: window.state.session is not None, timeout=10000)
    window.state.load_sample_metadata()
    window.go_to(1)
    table = window.domain_view.table
    table.selectRow(next(r for r in range(table.rowCount())
                         if table.item(r, 0).data(Qt.ItemDataRole.UserRole) == "fabrikam.com"))
    qtbot.mouseClick(window.domain_view.next_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.preflight_view.next_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    review = window.review_view
    federate_in_window(window, review)
    button = review.test_signin_button
    assert button is not None and button.text() == "Test sign-in now"
    assert button.parent() is not None and review.result_card.isAncestorOf(button)
    dialog = _opened(window, qtbot, button)
    assert dialog.domain.text() == "fabrikam.com"
    qtbot.keyClicks(dialog.user, "ada.albers0@fabrikam.com")
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    rows = _rows(dialog.hops)
    assert len(rows) == 4 and all(r.startswith("✓  OK") for r in rows), rows


def test_history_page_of_a_federated_domain_opens_test_sign_in_for_it(
        federated_home: None, make_window: Any, qtbot: Any) -> None:
    window = make_window(sandbox=True)
    qtbot.waitUntil(lambda: bool(window.state.domains), timeout=10000)
    window.state.choose_domain("fabrikam.com")
    window.go_to(4)
    settle(qtbot)
    history = window.history_view
    dialog = _opened(window, qtbot, history.domain_test_signin)
    assert dialog.domain.text() == "fabrikam.com"


def test_a_change_entry_in_history_opens_test_sign_in_for_its_domain(
        federated_home: None, make_window: Any, qtbot: Any) -> None:
    window = make_window(sandbox=True)
    qtbot.waitUntil(lambda: bool(window.state.domains), timeout=10000)
    window.state.choose_domain("contoso.com")  # another domain is at hand: the entry decides
    window.go_to(4)
    settle(qtbot)
    history = window.history_view
    row = next(r for r in range(history.table.rowCount())
               if history.table.item(r, 2).text() == "Federate")
    history.table.selectRow(row)
    settle(qtbot)
    dialog = _opened(window, qtbot, history.entry_test_signin)
    assert dialog.domain.text() == "fabrikam.com"


def test_a_rollover_started_in_history_offers_test_sign_in_now(
        make_window: Any, qtbot: Any, idp_file: Path, tmp_path: Path) -> None:
    from core.idp_sample import jumpcloud_sample

    window = make_window(sandbox=True)
    review = walk_to_review(window, qtbot, idp_file)
    accept_and_confirm(review, qtbot, "fabrikam.com")
    qtbot.mouseClick(review.apply_button, Qt.MouseButton.LeftButton)
    assert window.state.last_result.ok
    renewed = tmp_path / "JumpCloud-renewed.xml"
    renewed.write_bytes(jumpcloud_sample("acme-demo")[0])
    window.metadata_view.open_source(str(renewed))
    window.go_to(4)
    settle(qtbot)
    history = window.history_view
    assert history.operation_test_signin.isHidden()
    qtbot.keyClicks(history.rollover_confirm, "fabrikam.com")
    qtbot.mouseClick(history.stage_button, Qt.MouseButton.LeftButton)
    assert window.state.last_result.ok
    settle(qtbot)
    assert history.operation_test_signin.text() == "Test sign-in now"
    dialog = _opened(window, qtbot, history.operation_test_signin)
    assert dialog.domain.text() == "fabrikam.com"
