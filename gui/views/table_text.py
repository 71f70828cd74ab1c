"""Tables whose text is read whole on a small screen: headers never cut, long text wraps.

At 1366x768 with 150 % scaling a step's table has about 600 px: a header squeezed by a stretched
column was cut at both ends ("ssuer (IdP") and long cells at their second line. Each table with
text from outside (an issuer URL, a finding) sets itself up here, so every one behaves the same.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtWidgets import (
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
)

# Where a long run without spaces (a URL, an entity ID) may break: Qt's item views wrap at
# word boundaries only, so "http://www.okta.com/exk1..." was clipped at the cell's edge.
BREAK_AFTER = "/.-_?&=:#,"
LONG_RUN = 10  # runs shorter than this stay as they are (words, short dates)
# A part of a long run that may break anywhere: an opaque id (a digit in it, or longer than
# any common word), never a word of a sentence.
LONG_PART = 8
LONG_WORD_PART = 13
ZERO_WIDTH_SPACE = "\u200b"
# A wrapping column is at least as wide as the longest part that does not break (a word of
# LONG_WORD_PART letters), so no word is cut; the style keeps a few pixels around the text.
LONG_WORD = "configuration"
CELL_TEXT_MARGIN = 20


def breakable(text: str, *, anywhere: bool = False) -> str:
    """``text`` with invisible break chances in its long runs, to show it in a wrapping cell
    (the item's tooltip and accessible text keep ``text`` as it is): after punctuation, and
    anywhere in a long id ("exk1tailspin0abc", a SHA-1), and with ``anywhere`` (a column of
    URLs and ids, no prose) in any part longer than ``LONG_PART``."""
    words = []
    for word in text.split(" "):
        if len(word) >= LONG_RUN:
            parts, part = [], ""
            for char in word:
                part += char
                if char in BREAK_AFTER:
                    parts.append(part)
                    part = ""
            parts.append(part)
            word = ZERO_WIDTH_SPACE.join(
                ZERO_WIDTH_SPACE.join(p) if _opaque(p) or (anywhere and len(p) > LONG_PART)
                else p for p in parts)
        words.append(word)
    return " ".join(words)


def _opaque(part: str) -> bool:
    return len(part) > LONG_WORD_PART or (len(part) > LONG_PART
                                          and any(c.isdigit() for c in part))


def text_item(text: str, *, anywhere: bool = False) -> QTableWidgetItem:
    """A cell for a wrapping column: shown with break chances, read and tooltipped whole."""
    from gui.widgets import plain_tooltip

    item = QTableWidgetItem(breakable(text, anywhere=anywhere))
    item.setToolTip(plain_tooltip(text))
    item.setData(Qt.ItemDataRole.AccessibleTextRole, text)
    return item


def set_headers(table: QTableWidget, labels: Sequence[str],
                spoken: Sequence[str] | None = None) -> None:
    """Header labels (a ``\\n`` breaks one between words), each with its whole text, on one
    line, as tooltip and accessible name: a screen reader never reads the break."""
    for col, text in enumerate(labels):
        whole = spoken[col] if spoken else text.replace("\n", " ")
        item = QTableWidgetItem(text)
        item.setToolTip(whole)
        item.setData(Qt.ItemDataRole.AccessibleTextRole, whole)
        table.setHorizontalHeaderItem(col, item)


def wrap_text_columns(table: QTableWidget, wrapping: Sequence[int], *,
                      words: bool = True) -> None:
    """The ``wrapping`` columns share the width the others leave and wrap their text (row
    heights follow, so nothing is cut); the others fit their content, header included.

    A stretched column is never narrower than its header's text or a long word: past that the
    table scrolls sideways (at the window's minimum size) rather than cut a header mid-word.
    The header is not elided: Qt's eliding keeps 4 px more than a section fitted to its text
    has, and would cut headers that fit.
    """
    header = table.horizontalHeader()
    header.ensurePolished()  # the style sheet's section padding counts in the size hints
    widest = 0
    for col in range(table.columnCount()):
        if col in wrapping:
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
            widest = max(widest, header.sectionSizeHint(col))
        else:
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
    # ``words=False``: the columns hold only URLs and ids, which break anywhere.
    word = table.fontMetrics().horizontalAdvance(LONG_WORD) + CELL_TEXT_MARGIN if words else 0
    header.setMinimumSectionSize(max(header.minimumSectionSize(), widest, word))
    table.setWordWrap(True)
    table.setTextElideMode(Qt.TextElideMode.ElideNone)  # wrapped text is shown whole
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)


class SpanDelegate(QStyledItemDelegate):
    """Item delegate for a table with rows spanning all columns (a note under a row): a
    spanning cell's width does not count for its first column (Qt's content sizing would widen
    that column to the whole note), while its height is measured at the span's width."""

    def __init__(self, table: QTableWidget) -> None:
        super().__init__(table)
        self._table = table

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        hint = super().sizeHint(option, index)
        if self._table.columnSpan(index.row(), index.column()) > 1:
            return QSize(0, hint.height())
        return hint
