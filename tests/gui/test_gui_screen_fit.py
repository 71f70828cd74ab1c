"""The window fits the screen it opens on (issue 14, section 2).

Qt reads ``QT_SCALE_FACTOR`` and the offscreen platform's screen size when the QApplication is
made, so each size and scale runs in its own process: it builds the real window over the
sandbox, walks to Review, and reports where each step's primary button and the status bar are.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, sys
from pathlib import Path
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication
from core.idp_sample import jumpcloud_sample
from core.paths import resolve_paths
from gui.app import build_window
from gui.workers import ImmediateRunner
from gui.widgets import first_paint_done

home = Path(sys.argv[1])
idp = home.parent / "JumpCloud-metadata.xml"
idp.write_bytes(jumpcloud_sample("acme-demo")[0])
window = build_window(resolve_paths(home), sandbox=True, runner=ImmediateRunner())
window.show()
first_paint_done()
app = QApplication.instance()
for _ in range(5):
    app.processEvents()
avail = window.screen().availableGeometry()

def place(widget):
    top_left = widget.mapToGlobal(QPoint(0, 0))
    rect = QRect(top_left, widget.size())
    return {"visible": widget.isVisible(), "inside": avail.contains(rect),
            "rect": [rect.x(), rect.y(), rect.width(), rect.height()]}

found = {"available": [avail.x(), avail.y(), avail.width(), avail.height()],
         "window": [window.x(), window.y(), window.width(), window.height()]}
window.metadata_view.open_source(str(idp))
for index in range(4):
    window.go_to(index)
    if index == 1:
        table = window.domain_view.table
        row = next(r for r in range(table.rowCount())
                   if table.item(r, 0).data(Qt.ItemDataRole.UserRole) == "fabrikam.com")
        table.selectRow(row)
    for _ in range(5):
        app.processEvents()
    view = window.view(index)
    button = view.apply_button if index == 3 else view.next_button
    found[f"step{index + 1}"] = place(button)
    inner = view.scroll_area.widget()
    found[f"width{index + 1}"] = [inner.width(), view.scroll_area.viewport().width()]
found["status bar"] = place(window.statusBar())
review = window.review_view  # federate, then History with its revert and rollover cards
for box in review.warning_boxes.values():
    box.setChecked(True)
review.confirm_edit.setText("fabrikam.com")
review.apply()
window.go_to(4)
for _ in range(5):
    app.processEvents()
history = window.history_view
found["width5"] = [history.scroll_area.widget().width(),
                   history.scroll_area.viewport().width()]
print("PROBE " + json.dumps(found))
window.state.shutdown()
"""


def _probe(tmp_path: Path, width: int, height: int, scale: float) -> dict[str, Any]:
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "probe", "x": 0, "y": 0, "width": width,
                                               "height": height, "logicalDpi": 96,
                                               "dpr": 1}]}))
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}",
               QT_SCALE_FACTOR=str(scale), FEDERATOR_HOME=str(tmp_path / "home"))
    done = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "home")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    lines = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    assert done.returncode == 0 and lines, done.stdout + done.stderr
    return dict(json.loads(lines[0][6:]))


# (screen width, height less a 40 px taskbar, scale): a small laptop, the most common laptop
# at its default 150 %, and the same at 100 %.
SCREENS = [(1024, 560, 1.0), (1366, 728, 1.5), (1366, 728, 1.0)]


@pytest.mark.parametrize(("width", "height", "scale"), SCREENS,
                         ids=["1024x600@100", "1366x768@150", "1366x768@100"])
def test_primary_buttons_are_on_screen(tmp_path: Path, width: int, height: int,
                                       scale: float) -> None:
    found = _probe(tmp_path, width, height, scale)
    x, y, w, h = found["available"]
    wx, wy, ww, wh = found["window"]
    assert wx >= x and wy >= y and wx + ww <= x + w and wy + wh <= y + h, found
    for name in ("step1", "step2", "step3", "step4", "status bar"):
        assert found[name]["visible"], (name, found)
        assert found[name]["inside"], (name, found)
    # No page is wider than its scroll area (there is no horizontal scrolling: it would cut).
    for step in range(1, 6):
        content, viewport = found[f"width{step}"]
        assert content <= viewport, (step, found)


def test_a_saved_geometry_larger_than_the_screen_is_not_restored(
        make_window: Any, qtbot: Any) -> None:
    """A window saved on a big monitor opens on a laptop inside the laptop's screen."""
    from PySide6.QtCore import QRect

    window = make_window()
    window.resize(1600, 1000)
    window.settings.geometry = bytes(window.saveGeometry().toBase64().data()).decode("ascii")
    small = QRect(0, 0, 1024, 560)
    window.fit_to_screen(small)
    assert window.width() <= 1024 and window.height() <= 560
    assert small.contains(window.geometry())
    # One that fits is restored as it was.
    window.resize(700, 450)
    window.move(10, 20)
    window.settings.geometry = bytes(window.saveGeometry().toBase64().data()).decode("ascii")
    window.resize(900, 500)
    window.fit_to_screen(small)
    assert (window.width(), window.height()) == (700, 450)


def test_the_journal_summary_takes_the_room(make_window: Any, qtbot: Any,
                                            idp_file: Path) -> None:
    """A long account name does not squeeze the summary, the column that carries the text."""
    from tests.gui_helpers import federate_in_window, settle, walk_to_review

    window = make_window(sandbox=True, user="breakglass@contoso.onmicrosoft.com")
    window.resize(1008, 560)
    federate_in_window(window, walk_to_review(window, qtbot, idp_file))
    window.go_to(4)
    settle(qtbot)
    table = window.history_view.table
    assert table.rowCount() == 1
    assert all(table.columnWidth(col) <= 190 for col in range(5))
    assert table.columnWidth(5) >= 200  # was 116: squeezed by a 230 px account name
    assert table.item(0, 3).toolTip() == "breakglass@contoso.onmicrosoft.com"
