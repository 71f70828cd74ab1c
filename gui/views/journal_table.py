"""History's table of changes as a model and a view, so a journal of 10,000 changes shows at
once: the rows' texts are plain strings made in the worker that read the journal
(:func:`journal_rows`), and Qt asks the model only for the cells it paints. Filling a
``QTableWidget`` instead made 60,000 items on the GUI thread (0.4 to 0.7 s of frozen window,
``bench/history_window_bench.py``), and replacing them cost as much again.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QTableView, QWidget

from core.change_kinds import kind_title
from core.localtime import local_and_utc
from core.window_text import for_window
from gui import theme
from gui.widgets import plain_tooltip

HEADERS = ("When", "Domain", "Change", "Who", "Outcome", "Summary")
OUTCOME_STATUS = {"succeeded": "pass", "no-change": "pass", "failed": "fail",
                  "unknown": "warn", "in-progress": "warn", "reconciled": "info"}
ELIDED_COLUMNS = (1, 3, 5)  # cut with "…" when narrow: whole in their tooltips
# The rows measured when the columns fit their contents: the newest changes (Qt's default,
# 1,000, spent 0.1 s measuring texts on every fill; widths are capped and texts elided anyway).
MEASURED_ROWS = 100

_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_DECORATION = Qt.ItemDataRole.DecorationRole
_ACCESSIBLE = Qt.ItemDataRole.AccessibleTextRole
_USER = Qt.ItemDataRole.UserRole
_Index = QModelIndex | QPersistentModelIndex


class JournalRow(NamedTuple):
    """One row's texts: plain strings, made off the GUI thread."""

    when: str  # the admin's local time
    utc: str  # the same instant in UTC (the When cell's tooltip)
    domain: str
    kind: str
    who: str
    outcome: str
    summary: str
    op: str

    def cell(self, column: int) -> str:
        return (self.when, self.domain, self.kind, self.who, self.outcome,
                self.summary)[column]


def journal_rows(entries: list[Any]) -> list[JournalRow]:
    """The table's rows for ``entries`` (oldest first, as core reads them), newest first."""
    rows = []
    for entry in reversed(entries):
        local, utc = local_and_utc(entry.started_at)
        rows.append(JournalRow(local, utc, entry.domain, kind_title(entry.kind), entry.who,
                               entry.outcome, for_window(entry.summary), entry.op))
    return rows


class JournalModel(QAbstractTableModel):
    """The rows of :func:`journal_rows`, read only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[JournalRow] = []

    def set_rows(self, rows: list[JournalRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row, column = self.rows[index.row()], index.column()
        if role == _DISPLAY:
            return row.cell(column)
        if role == _TOOLTIP:
            if column == 0:
                return row.utc
            return plain_tooltip(row.cell(column)) if column in ELIDED_COLUMNS else None
        if column == 4 and role == _DECORATION:
            return theme.status_icon(OUTCOME_STATUS.get(row.outcome, "info"))
        if column == 4 and role == _ACCESSIBLE:
            status = OUTCOME_STATUS.get(row.outcome, "info")
            return f"{theme.STATUS_WORDS.get(status, status)}: {row.outcome}"
        if column == 0 and role == _USER:
            return row.op
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = _DISPLAY) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HEADERS):
            return None
        if role == _DISPLAY:
            return HEADERS[section]
        if role == _TOOLTIP and section == 0:
            return "Your local time; each row's tooltip gives it in UTC"
        return None


class Cell:
    """What one cell shows, read the way ``QTableWidget.item()`` is read (for callers and
    tests that look at the table as the admin sees it)."""

    def __init__(self, index: QModelIndex) -> None:
        self._index = index

    def text(self) -> str:
        return str(self._index.data(_DISPLAY) or "")

    def toolTip(self) -> str:
        return str(self._index.data(_TOOLTIP) or "")

    def data(self, role: int) -> Any:
        return self._index.data(role)


class JournalTable(QTableView):
    """The table of changes over a :class:`JournalModel`; ``rowCount`` and ``item`` read it
    as a ``QTableWidget`` would be read."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.journal = JournalModel(self)
        self.setModel(self.journal)
        self.horizontalHeader().setResizeContentsPrecision(MEASURED_ROWS)

    def rowCount(self) -> int:
        return self.journal.rowCount()

    def item(self, row: int, column: int) -> Cell | None:
        index = self.journal.index(row, column)
        return Cell(index) if index.isValid() else None
