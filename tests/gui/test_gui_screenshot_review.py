"""What reviewing the screenshots and the real window at 1024x600 and 1366x768 at 150 % found:
the sandbox badge cut to "demo t", the overview scrolling sideways with a raw ISO time and a
subdomain's certificate called "unreadable", the sign-in doctor's empty verdict list and its
fixed colours."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from gui import theme
from tests.gui_helpers import settle

# 1366x768 at 150 %, in logical pixels.
SMALL = (911, 512)




def _row(table: Any, domain: str) -> int:
    return next(r for r in range(table.rowCount())
                if table.item(r, 0).data(Qt.ItemDataRole.UserRole) == domain)


def test_sandbox_badge_is_whole_or_short_never_cut(make_window: Any, qtbot: Any) -> None:
    window = make_window(sandbox=True)
    badge = window.header.badge
    for size, text in (((1280, 800), "SANDBOX  ·  demo tenant, nothing real changes"),
                       (SMALL, "SANDBOX")):
        window.resize(*size)
        settle(qtbot)
        assert badge.text() == text
        assert badge.contentsRect().width() >= badge.fontMetrics().horizontalAdvance(text)


def test_overview_fits_a_small_screen_in_local_time(federated_home: None, make_window: Any,
                                                    qtbot: Any) -> None:
    window = make_window(sandbox=True)
    window.resize(*SMALL)
    window.go_to(5)
    settle(qtbot)
    view = window.view(5)
    table = view.table
    assert len({table.item(r, 0).data(Qt.ItemDataRole.UserRole)
                for r in range(table.rowCount())}) == 6
    # Every column is on screen: the table does not scroll sideways.
    assert table.horizontalScrollBar().maximum() == 0
    assert re.fullmatch(r"Last checked \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", view.checked.text())
    assert view.checked.toolTip().endswith(" UTC")
    # A subdomain follows its root: no certificate of its own, and the note says why.
    row = _row(table, "sales.fabrikam.com")
    assert table.cellWidget(row, 4) is None and table.item(row, 4).text() == "—"
    assert "subdomain" in table.item(row + 1, 0).text()  # its note, in the row under it
    assert table.item(row, 2).text() == "—"
    # The root's certificate: valid until a local time too, not an ISO stamp.
    from PySide6.QtWidgets import QLabel

    table.selectRow(_row(table, "fabrikam.com"))
    settle(qtbot)
    until = [w for w in view.findChildren(QLabel) if w.accessibleName() == "Valid until"]
    assert until and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", until[0].text())
    assert until[0].toolTip().endswith(" UTC")


def test_doctor_says_no_problem_found_in_the_status_colours(
        federated_home: None, make_window: Any, qtbot: Any) -> None:
    window = make_window(sandbox=True)
    qtbot.waitUntil(lambda: window.state.session is not None, timeout=10000)
    window.open_signin_dialog()
    dialog = window.signin_dialog
    dialog.domain.setText("fabrikam.com")
    dialog.user.setText("ada.albers0@fabrikam.com")
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert dialog.hops.item(0).foreground().color() == theme.colour("pass")
    qtbot.mouseClick(dialog.judge_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert dialog.verdict.text() == "Entra would accept this response."
    rows = [dialog.findings.item(i).text() for i in range(dialog.findings.count())]
    assert rows == ["✓  OK   No problems found in this response."]


def test_the_sign_out_remedy_says_where_on_the_window(make_window: Any, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QLabel

    from tests import factories as f

    path = tmp_path / "no-sign-out.xml"
    path.write_bytes(f.metadata(slo_redirect=None))
    window = make_window()
    window.metadata_view.open_source(str(path))
    shown = " ".join(w.text() for w in window.metadata_view.cards.findChildren(QLabel))
    # The admin is in the desktop app: the remedy names the field, not "the desktop app".
    assert "desktop app" not in shown
    assert "Sign-out URL field of the Metadata step" in shown


def test_learn_more_looks_like_a_link(make_window: Any, qtbot: Any) -> None:
    from PySide6.QtWidgets import QApplication

    from gui.widgets import learn_button

    make_window()  # the window's theme and style sheet
    button = learn_button("https://learn.microsoft.com/entra/", "federation")
    qtbot.addWidget(button)
    button.show()
    settle(qtbot)
    image = button.grab().toImage()
    link = QApplication.palette().link().color()
    inked = {image.pixelColor(x, y).name() for x in range(image.width())
             for y in range(image.height())}
    # Its text is drawn in the link colour, as a link is, not as plain window text.
    assert link.name() in inked


def test_the_sign_in_dialog_fits_the_screen(make_window: Any, qtbot: Any) -> None:
    window = make_window(sandbox=True)
    window.open_signin_dialog()
    dialog = window.signin_dialog
    qtbot.waitExposed(dialog)
    room = dialog.screen().availableGeometry()
    # Frame and title bar included, the whole dialog (Run, Judge, the verdicts) is on screen.
    assert dialog.width() + 16 <= room.width() and dialog.height() + 40 <= room.height()
