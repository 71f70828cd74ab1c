"""The Review step shows the values Graph will receive in full where it matters most."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QTableWidget

from tests.gui.test_gui_flow import walk_to_review


def test_issuer_uri_is_shown_whole_on_a_new_federation(make_window: Any, qtbot: Any,
                                                      idp_file: Path) -> None:
    """A trailing slash in issuerUri decides between working and AADSTS50107: on a typical
    window its whole value must be readable, not cut off at the end."""
    window = make_window(sandbox=True)
    window.resize(1100, 760)
    review = walk_to_review(window, qtbot, idp_file)
    table = next(t for t in review.findChildren(QTableWidget)
                 if t.horizontalHeaderItem(0).text() == "Property")
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "issuerUri")
    issuer = table.item(row, 2).text()
    assert issuer == window.state.metadata.entity_id
    needed = table.fontMetrics().horizontalAdvance(issuer) + 12  # cell margins
    assert table.columnWidth(2) >= needed, (table.columnWidth(2), needed)
