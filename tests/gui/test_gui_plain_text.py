"""The window shows text from outside as text: hostile metadata with markup in every field is
displayed literally, and no widget renders it as HTML or loads what it points to."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import Qt, QTextDocument
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QTableWidget,
    QTextEdit,
    QWidget,
)

from tests import factories as f
from tests.gui_helpers import settle, walk_to_review

IMG = '<img src="file://attacker.example/s/x.png">'  # fits a certificate's CN (64 characters)
MARKUP = (IMG + '<b>B0LD</b><a href="https://attacker.example/">L1NK</a>'
          "<style>*{color:red}</style>")


class RecordingDocument(QTextDocument):
    """What a rich-text label or tool tip would do with a text: the resources it would load."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []

    def loadResource(self, kind: int, url: QUrl) -> Any:
        self.loads.append(url.toString())
        return None


def rendered(text: str) -> tuple[str, list[str]]:
    """(the text a reader sees, the resources loaded) when Qt takes ``text`` as rich text."""
    doc = RecordingDocument()
    doc.setHtml(text)
    doc.setTextWidth(400)
    doc.size()  # lays it out: images are loaded here
    return doc.toPlainText(), doc.loads


def problems_with(where: str, text: str, rich: bool) -> list[str]:
    if not rich:
        return []  # shown as the characters it holds
    seen, loads = rendered(text)
    out = [f"{where}: loads {url}" for url in loads]
    for word, tag in (("B0LD", "<b>"), ("L1NK", "<a href")):
        if word in seen and tag not in seen:
            out.append(f"{where}: renders {tag} from outside as markup: {text[:120]!r}")
    if "color:red" in text and "color:red" not in seen:
        out.append(f"{where}: applies a <style> from outside")
    return out


def audit(root: QWidget) -> tuple[list[str], int]:
    """Every text-showing widget and tool tip under ``root``: (problems, how many show the
    hostile text at all)."""
    problems: list[str] = []
    shown = 0
    for widget in [root, *root.findChildren(QWidget)]:
        name = f"{type(widget).__name__}({widget.objectName() or widget.accessibleName()})"
        tip = widget.toolTip()
        problems += problems_with(f"tool tip of {name}", tip, Qt.mightBeRichText(tip))
        if isinstance(widget, QLabel):
            text = widget.text()
            fmt = widget.textFormat()
            rich = fmt == Qt.TextFormat.RichText or (
                fmt == Qt.TextFormat.AutoText and Qt.mightBeRichText(text))
            problems += problems_with(name, text, rich)
            shown += "attacker.example" in text
        if isinstance(widget, QTextEdit):
            problems += problems_with(name, widget.toHtml(), True)
        if isinstance(widget, QListWidget):
            for i in range(widget.count()):
                tip = widget.item(i).toolTip()
                problems += problems_with(f"{name} item {i}", tip, Qt.mightBeRichText(tip))
        if isinstance(widget, QTableWidget):
            for r in range(widget.rowCount()):
                for c in range(widget.columnCount()):
                    item = widget.item(r, c)
                    tip = item.toolTip() if item is not None else ""
                    problems += problems_with(f"{name} cell {r},{c}", tip,
                                              Qt.mightBeRichText(tip))
    return problems, shown


def hostile_file(tmp_path: Path) -> Path:
    data = f.metadata("https://idp.example.org/" + MARKUP,
                      signing=[f.cert(IMG).der],
                      sso_post="https://sso.example.org/saml" + MARKUP,
                      sso_redirect="https://sso.example.org/redirect" + MARKUP,
                      slo_redirect="https://sso.example.org/slo" + MARKUP)
    # Windows file names cannot hold < or >; there the markup arrives through the other fields.
    path = tmp_path / ("<b>idp<i>.xml" if os.name != "nt" else "idp.xml")
    path.write_bytes(data)
    return path


def test_hostile_metadata_is_shown_as_text_on_every_page(make_window: Any, qtbot: Any,
                                                         tmp_path: Path) -> None:
    window = make_window(sandbox=True)
    review = walk_to_review(window, qtbot, hostile_file(tmp_path))
    settle(qtbot)
    total = 0
    for step in range(4):
        window.go_to(step)
        settle(qtbot)
        window.grab()  # paint it all, as the admin would see it
        problems, shown = audit(window)
        assert problems == []
        total += shown
    # The hostile values are on screen (as text): the metadata page, preflight and review.
    assert total >= 8
    assert any(IMG in label.text() for label in window.metadata_view.findChildren(QLabel))
    assert review is window.review_view


def test_error_banner_tenant_name_and_tool_tips_are_text(make_window: Any, qtbot: Any) -> None:
    window = make_window(sandbox=True)
    info = window.state.tenant_info
    assert info is not None
    window.state.tenant_info = dataclasses.replace(info, tenant_name="Contoso " + MARKUP)
    window.header.refresh()
    # An error quoting a redirect's Location header.
    banner = window.metadata_view.banner
    banner.show_message("fail", f"Refused a redirect to {MARKUP}", details=MARKUP)
    window.status_text.setText(MARKUP)
    settle(qtbot)
    window.grab()
    problems, shown = audit(window)
    assert problems == []
    assert shown >= 3
    assert any(f"Contoso {MARKUP}" == label.text() or "Contoso &lt;img" in label.text()
               for label in window.header.findChildren(QLabel))


def test_plain_tooltip_and_markup_escape_what_they_carry() -> None:
    from gui.widgets import markup, plain_tooltip

    tip = plain_tooltip(MARKUP + "\nsecond line")
    assert rendered(tip) == (MARKUP + "\nsecond line", [])
    assert plain_tooltip("plain words") == "plain words"
    text = markup("<b>Way back:</b> {}", MARKUP)
    assert rendered(text) == ("Way back: " + MARKUP, [])
