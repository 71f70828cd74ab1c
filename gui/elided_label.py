"""A one-line label that shows as much of its text as fits, cut in the middle with "…".

For a line beside buttons that must not widen the page (the Metadata step's "Read from PATH"):
Qt's QLabel clips such a line at its edge with no mark, so the admin could not tell the path
went on. The middle goes, so the start ("Read from") and the file name both stay; the tooltip
and the accessible name hold the whole text.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from core.textsafe import elide_middle
from gui.widgets import MAX_LABEL_CHARS, plain_tooltip


class ElidedLabel(QLabel):
    """Plain text on one line, elided in the middle to the label's width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._whole = ""
        self.setTextFormat(Qt.TextFormat.PlainText)  # text from outside: never HTML
        self.setWordWrap(False)
        # It takes the room it is given, never more: the page is not widened by a long path.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(80)

    def whole_text(self) -> str:
        return self._whole

    def setText(self, text: str) -> None:
        self._whole = elide_middle(text, MAX_LABEL_CHARS)
        self.setToolTip(plain_tooltip(self._whole))
        self.setAccessibleName(self._whole)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        width = self.contentsRect().width()
        super().setText(self.fontMetrics().elidedText(self._whole, Qt.TextElideMode.ElideMiddle,
                                                      max(width, 0)))
