"""A check Federator could not read is shown as unknown (icon, word, colour) and must be ticked in
the Review step, like a warning, before Apply is enabled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gui import theme
from tests.gui_helpers import walk_to_review


def test_unread_users_are_unknown_and_must_be_accepted(make_window: Any, qtbot: Any,
                                                       idp_file: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       quick_graph_retries: None) -> None:
    # Every /users item of the preflight batches fails, the retry too.
    monkeypatch.setenv("FEDERATOR_SANDBOX_FAULTS", "item:500:1.0/users")
    window = make_window(sandbox=True)
    review = walk_to_review(window, qtbot, idp_file)
    preflight = window.preflight_view
    qtbot.waitUntil(lambda: "users.immutable_id" in preflight.check_rows, timeout=5000)
    row = preflight.check_rows["users.immutable_id"]
    assert row.toggle.accessibleName().startswith("Unknown (not read): Users have an ImmutableID")
    assert "could not read the domain's users" in row.found.text()
    assert theme.colour("unknown") != theme.colour("warn")
    assert "could not read what" in preflight.banner.text.text()

    box = review.warning_boxes["users.immutable_id"]
    assert box.text() == "I accept not knowing: Users have an ImmutableID"
    assert not box.isChecked()
    review.confirm_edit.setText("fabrikam.com")
    assert not review.apply_button.isEnabled()
    assert "Tick the" in review.gate()
    for other in review.warning_boxes.values():
        other.setChecked(True)
    assert review.gate() == ""
    assert review.apply_button.isEnabled()
