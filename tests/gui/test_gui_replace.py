"""In the window: a configuration update Graph keeps refusing is replaced only when the admin
chooses it, in a dialog that says the domain is Managed in between (issue 10, section 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.gui_helpers import federate_in_window, settle, walk_to_review


@pytest.fixture
def renewed_file(tmp_path: Path) -> Path:
    from core.idp_sample import jumpcloud_sample

    xml, _ = jumpcloud_sample("acme-demo", org="Federator Demo (renewed)")
    path = tmp_path / "JumpCloud-renewed.xml"
    path.write_bytes(xml)
    return path


def _refused_update(window: Any, qtbot: Any, idp_file: Path, renewed_file: Path) -> Any:
    """Federate fabrikam.com, then apply new metadata while Graph answers 500 to every attempt
    of the PATCH. The review view, showing the failed result."""
    federate_in_window(window, walk_to_review(window, qtbot, idp_file))
    review = walk_to_review(window, qtbot, renewed_file)
    window.state.session.sandbox.set_faults("write:500:3")
    federate_result = window.state.last_result
    for box in review.warning_boxes.values():
        box.setChecked(True)
    review.confirm_edit.setText("fabrikam.com")
    qtbot.mouseClick(review.apply_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    result = window.state.last_result
    assert result is not federate_result and result.outcome == "failed"
    assert result.replace_possible and result.changed is False
    return review


def test_the_window_asks_before_replacing_and_replaces_when_chosen(
        make_window: Any, qtbot: Any, idp_file: Path, renewed_file: Path) -> None:
    window = make_window(sandbox=True)
    review = _refused_update(window, qtbot, idp_file, renewed_file)
    dialog = review.replace_dialog
    assert dialog is not None and dialog.isVisible()
    assert "Managed" in dialog.text.text() and "nothing was changed" in dialog.text.text()
    assert dialog.cancel_button.isDefault()
    window.state.session.sandbox.set_faults("write:500:3")  # Graph still refuses the PATCH
    qtbot.mouseClick(dialog.replace_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    result = window.state.last_result
    assert result.outcome == "succeeded", result.summary
    methods = [r.method for r in window.state.session.sandbox.request_log
               if r.method in ("PATCH", "DELETE", "POST") and "federationConfiguration" in r.path]
    assert methods[-5:] == ["PATCH"] * 3 + ["DELETE", "POST"]
    assert review.result_card is not None and review.result_card.isVisible()
    assert review.replace_dialog is None


def test_cancelling_the_dialog_changes_nothing(
        make_window: Any, qtbot: Any, idp_file: Path, renewed_file: Path) -> None:
    window = make_window(sandbox=True)
    review = _refused_update(window, qtbot, idp_file, renewed_file)
    dialog = review.replace_dialog
    assert dialog is not None
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert window.state.last_result.outcome == "failed"
    log = window.state.session.sandbox.request_log
    assert not any(r.method == "DELETE" for r in log)
