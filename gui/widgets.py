"""Small building blocks every view shares: cards, status labels, banners, copy buttons, pages.

They exist so the views read as "what is shown" rather than layout code, and so that status always
looks the same everywhere: an icon, a word and a colour (never colour alone).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.errors import FederatorError
from core.textsafe import elide_middle
from gui import theme

if TYPE_CHECKING:
    from datetime import datetime

    from PySide6.QtGui import QPaintEvent
    from PySide6.QtWidgets import QGridLayout, QToolButton

# Qt classes that only loaded metadata shows (grids, copy buttons, validity bars) are imported
# where they are used: PySide6 builds each class, and its enums, on first access (QToolButton,
# QSizePolicy, QGridLayout and QPainter's together ~2 ms), so the first paint does not pay for them.

# Item data roles as numbers (Qt.ItemDataRole's values, checked by the tests): the step list
# sets them before the first paint, when touching the ``Qt`` namespace would cost 15 ms.
ACCESSIBLE_TEXT_ROLE = 11
ACCESSIBLE_DESCRIPTION_ROLE = 12
USER_ROLE = 0x0100

_after_paint: list[Callable[[], None]] | None = []  # None once the first window has painted

# Absurd metadata (a 9 MB entityID, thousands of certificates) must not freeze the window: Qt lays
# out a label's whole text, so what a label shows is cut in the middle beyond this many
# characters (copy buttons carry full values), and long lists show their first items.
MAX_LABEL_CHARS = 2000
MAX_VALUE_CHARS = 400  # a key/value row: a long URL stays readable
COPIED_FEEDBACK_MS = 1500  # how long a copy button says "Copied"


def after_first_paint(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the first window has painted (at once if that has happened).

    For finishing touches that need PySide6's ``Qt`` namespace (text selection flags, scroll bar
    policies): the first paint then does not wait the 15 ms its ~100 Python enums take to build.
    """
    if _after_paint is None:
        callback()
    else:
        _after_paint.append(callback)


def first_paint_happened() -> bool:
    """Whether the finishing touches that wait for the first paint have run."""
    return _after_paint is None


def first_paint_done() -> None:
    """The main window calls this after its first paint: run what was waiting for it."""
    global _after_paint
    pending, _after_paint = _after_paint, None
    for callback in pending or []:
        with contextlib.suppress(RuntimeError):  # its widget was deleted before the paint
            callback()


class PlainLabel(QLabel):
    """A label that shows its text as the characters it holds, never as HTML.

    QLabel's default (``Qt.AutoText``) renders anything that looks like a tag: a metadata value
    ``<img src="file://host/share/x.png">`` would make Qt open that file (on Windows an SMB
    connection that hands the admin's NTLM hash to the host). Metadata, Graph answers, URLs,
    errors and file names are all shown in these. ``Qt.TextFormat.PlainText`` is set after the
    first paint (building PySide6's ``Qt`` namespace costs start-up time, see
    tests/gui/test_gui_shell.py), or at once when a text with a ``<`` arrives before it:
    auto-detection (``Qt::mightBeRichText``) needs a ``<`` to take text as rich.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plain = False
        if _after_paint is None:
            self._make_plain()
        else:
            after_first_paint(self._make_plain)
        self.setText(text)

    def _make_plain(self) -> None:
        if not self._plain:
            self._plain = True
            self.setTextFormat(QtCore.Qt.TextFormat.PlainText)

    def setText(self, text: str) -> None:
        if "<" in text:
            self._make_plain()
        super().setText(elide_middle(text, MAX_LABEL_CHARS))


def markup(template: str, *parts: object) -> str:
    """Rich text for a label made with ``rich=True``: ``template`` is Federator's own markup,
    each of ``parts`` (text from outside or not) is HTML-escaped before it goes in its ``{}``."""
    import html  # here: html.entities is a large table the first paint does not need
    return template.format(*(html.escape(elide_middle(str(part), MAX_LABEL_CHARS), quote=True)
                             for part in parts))


def plain_tooltip(text: str) -> str:
    """``text`` as a tool tip that shows it as it is. Qt renders a tool tip as rich text when
    it looks like HTML (``Qt::mightBeRichText``), so it goes escaped inside ``<qt>``."""
    if "<" not in text and "&" not in text:
        return elide_middle(text, MAX_LABEL_CHARS)
    import html

    text = elide_middle(text, MAX_LABEL_CHARS)
    return "<qt>" + html.escape(text, quote=False).replace("\n", "<br>") + "</qt>"


def plain_dialog_labels(widget: QWidget) -> None:
    """Every label of a Qt dialog (a message box, an input dialog) as plain text: their text
    may quote an error or a domain name from Graph."""
    for child in widget.findChildren(QLabel):
        child.setTextFormat(QtCore.Qt.TextFormat.PlainText)


def label(text: str = "", *, name: str | None = None, wrap: bool = False,
          selectable: bool = False, rich: bool = False) -> QLabel:
    """A label: plain text (:class:`PlainLabel`) unless ``rich``, whose text must then be built
    with :func:`markup` so that every part from outside is escaped."""
    widget: QLabel
    if rich:
        widget = QLabel(text)
        if _after_paint is None:
            widget.setTextFormat(QtCore.Qt.TextFormat.RichText)
        else:
            after_first_paint(lambda: widget.setTextFormat(QtCore.Qt.TextFormat.RichText))
    else:
        widget = PlainLabel(text)
    if name:
        widget.setObjectName(name)
    widget.setWordWrap(wrap)
    if selectable:
        after_first_paint(lambda: widget.setTextInteractionFlags(
            QtCore.Qt.TextInteractionFlag.TextSelectableByMouse
            | QtCore.Qt.TextInteractionFlag.TextSelectableByKeyboard))
    return widget


def plural(count: int, one: str, many: str, **fields: object) -> str:
    """A whole phrase for ``count``, singular or plural: ``plural(n, "1 warning", "{n} warnings")``.

    Whole phrases (not a word with an "s" glued on) so each can be translated as a sentence;
    ``fields`` fill the phrase's other ``{placeholders}``.
    """
    return (one if count == 1 else many).format(n=count, **fields)


def clear_layout(layout: QVBoxLayout | QGridLayout | QHBoxLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item is None:
            break
        widget = item.widget()
        if widget is not None:
            widget.hide()
            widget.deleteLater()
        child = item.layout()
        if child is not None:
            clear_layout(child)  # type: ignore[arg-type]


class Card(QFrame):
    """A titled, bordered panel holding one topic (the IdP, its endpoints, a certificate...)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setAccessibleName(title)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(14, 10, 14, 12)
        outer.setSpacing(6)
        head = QHBoxLayout()
        self.title = label(title, name="cardTitle")
        head.addWidget(self.title)
        head.addStretch(1)
        self.head = head
        outer.addLayout(head)
        self.body = QVBoxLayout()
        self.body.setSpacing(6)
        outer.addLayout(self.body)
        outer.addStretch(1)  # when a row makes the card taller, content stays at the top

    def add_head_widget(self, widget: QWidget) -> None:
        self.head.addWidget(widget)


class KeyValues(QWidget):
    """Label/value rows with selectable values (admins copy these into tickets)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtWidgets import QGridLayout

        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(14)
        self.grid.setVerticalSpacing(4)
        self.grid.setColumnStretch(1, 1)
        self._rows = 0

    def add(self, key: str, value: str, *, mono: bool = False,
            extra: QWidget | None = None) -> QLabel:
        key_label = label(key, name="muted")
        key_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft
                               | QtCore.Qt.AlignmentFlag.AlignTop)
        shown = elide_middle(value, MAX_VALUE_CHARS)
        if shown != value and extra is None:  # the whole value stays one click away
            extra = copy_button(lambda: value, f"Copy the whole {key.splitlines()[0]}")
        value_label = label(shown or "—", wrap=True, selectable=True)
        value_label.setAccessibleName(key)
        if mono:
            font = QGuiApplication.font()
            font.setFamilies(["Cascadia Mono", "Consolas", "DejaVu Sans Mono", "monospace"])
            value_label.setFont(font)
        self.grid.addWidget(key_label, self._rows, 0)
        self.grid.addWidget(value_label, self._rows, 1)
        if extra is not None:
            self.grid.addWidget(extra, self._rows, 2, QtCore.Qt.AlignmentFlag.AlignTop)
        self._rows += 1
        return value_label


class StatusLabel(QWidget):
    """Icon + word, coloured: the one way a status is shown."""

    def __init__(self, status: str, word: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.icon = QLabel()
        self.icon.setFixedSize(18, 18)
        self.word = PlainLabel()
        self.word.setWordWrap(True)
        self.word.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.icon, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.word, 1)
        self.set_status(status, word)

    def set_status(self, status: str, word: str | None = None) -> None:
        self.status = status
        text = word or theme.STATUS_WORDS.get(status, status.title())
        self.icon.setPixmap(theme.status_icon(status).pixmap(QSize(18, 18)))
        self.word.setText(text)
        self.word.setStyleSheet(f"color: {theme.colour(status).name()}; font-weight: 600;")
        # Screen readers hear the status word even when the visible text is a sentence.
        status_word = theme.STATUS_WORDS.get(status, status.title())
        self.icon.setAccessibleName(status_word)
        self.icon.setAccessibleDescription(status_word)
        self.setAccessibleName(elide_middle(text, MAX_LABEL_CHARS))
        self.setAccessibleDescription(status_word)


def copy_button(get_text: Callable[[], str], accessible_name: str,
                parent: QWidget | None = None) -> QToolButton:
    """An icon-only copy button; the accessible name and tooltip say what it copies."""
    from PySide6.QtWidgets import QToolButton

    button = QToolButton(parent)
    button.setIcon(theme.icon("copy"))
    button.setAccessibleName(accessible_name)
    button.setToolTip(accessible_name)
    button.setAutoRaise(True)

    def copy() -> None:
        QGuiApplication.clipboard().setText(get_text())
        button.setToolTip(f"{accessible_name} (copied)")
        # Seen, not only in a tooltip nobody hovers: the button says "Copied" for a moment.
        button.setText("Copied")
        button.setIcon(theme.status_icon("pass"))
        button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setAccessibleDescription("Copied")

        def back() -> None:
            with contextlib.suppress(RuntimeError):  # the button went with its card
                button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonIconOnly)
                button.setIcon(theme.icon("copy"))
                button.setText("")
                button.setAccessibleDescription("")

        QtCore.QTimer.singleShot(COPIED_FEEDBACK_MS, back)

    button.clicked.connect(copy)
    return button


def text_button(text: str, *, primary: bool = False, danger: bool = False,
                accessible: str | None = None) -> QPushButton:
    button = QPushButton(text)
    if primary:
        button.setProperty("primary", True)
    if danger:
        button.setProperty("danger", True)
    if accessible:
        button.setAccessibleName(accessible)
    button.setMinimumHeight(30)
    return button


def learn_button(url: str, topic: str) -> QPushButton:
    """A link button to the Microsoft Learn page behind a check or a remedy (opens the browser;
    only https pages on learn.microsoft.com, the URL being core's data)."""
    button = QPushButton("Learn more on Microsoft Learn")
    button.setFlat(True)
    button.setProperty("link", True)  # looks like the link it is (blue, underlined): theme.py
    button.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
    button.setAccessibleName(f"Learn more about {topic} on Microsoft Learn")
    button.setToolTip(url)
    button.setProperty("learn_url", url)

    def open_page() -> None:
        if url.startswith("https://learn.microsoft.com/"):
            from PySide6.QtGui import QDesktopServices

            QDesktopServices.openUrl(QtCore.QUrl(url))

    button.clicked.connect(open_page)
    return button


def describe_error(error: BaseException) -> tuple[str, str]:
    """(the sentence to show, the details for "Show details"): never a traceback."""
    from gui.workers import Cancelled

    if isinstance(error, Cancelled):
        return ("Cancelled before anything was written: the tenant is unchanged.", "")
    if isinstance(error, FederatorError):
        from core.progname import runnable
        from core.window_text import for_window

        # Core words its advice for the command line; the window says where it does the same,
        # and any command left is named as this machine's shell finds it (core.progname).
        message = runnable(for_window(error.message))
        if error.remedy:
            message += f"\n{runnable(for_window(error.remedy))}"
        details = [f"code: {error.code}"]
        # HTTP status, Graph code, request-id and date are what Microsoft support asks for.
        for key, value in error.details.items():
            details.append(f"{key}: {value}")
        for attr in ("status", "graph_code", "request_id", "date"):
            value = getattr(error, attr, None)
            if value and not any(line.startswith(f"{attr}:") for line in details):
                details.append(f"{attr}: {value}")
        return message, "\n".join(details)
    from core.logs import scrub  # an unexpected error's text may quote a header or a token

    return (f"Unexpected error ({type(error).__name__}). Nothing was changed by this message "
            f"itself; the log has the details.", scrub(f"{type(error).__name__}: {error}"))


class Banner(QFrame):
    """A message strip: an icon, a sentence, and optional details on demand."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.icon = QLabel()
        self.icon.setFixedSize(20, 20)
        self.icon.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
        column = QVBoxLayout()
        column.setSpacing(4)
        self.text = label(wrap=True, selectable=True)
        self.details = label(wrap=True, selectable=True, name="muted")
        self.details.hide()
        self.toggle = QPushButton("Show details")
        self.toggle.setFlat(True)
        self.toggle.clicked.connect(self._toggle)
        self.toggle.hide()
        column.addWidget(self.text)
        column.addWidget(self.details)
        layout.addWidget(self.icon, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        layout.addLayout(column, 1)
        layout.addWidget(self.toggle, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        self.status = ""  # what it shows: an error ("fail") goes with the operation behind it
        self.hide()

    def show_message(self, status: str, text: str, details: str = "") -> None:
        self.status = status
        names = {"fail": "banner", "warn": "bannerWarn", "unknown": "bannerWarn",
                 "pass": "bannerOk"}
        self.setObjectName(names.get(status, "bannerWarn" if status == "info" else "banner"))
        self.style().unpolish(self)
        self.style().polish(self)
        self.icon.setPixmap(theme.status_icon(status).pixmap(QSize(20, 20)))
        word = theme.STATUS_WORDS.get(status, status.title())
        self.icon.setAccessibleName(word)
        self.setAccessibleDescription(word)
        self.text.setText(text)
        self.details.setText(details)
        self.details.hide()
        self.toggle.setText("Show details")
        self.toggle.setVisible(bool(details))
        self.setAccessibleName(elide_middle(text.split("\n", 1)[0], MAX_LABEL_CHARS))
        self.show()

    def show_error(self, error: BaseException) -> None:
        message, details = describe_error(error)
        self.show_message("fail", message, details)

    def _toggle(self) -> None:
        visible = not self.details.isVisible()
        self.details.setVisible(visible)
        self.toggle.setText("Hide details" if visible else "Show details")


class LoadStatus(QFrame):
    """What a page that reads something is doing: reading (with a few words), or could not
    read (why, and Retry). Hidden when the read is done: the page shows what it read."""

    retry = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("loadStatus")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.status = StatusLabel("info", "")
        self.retry_button = QPushButton("Retry")
        self.retry_button.clicked.connect(self.retry)
        layout.addWidget(self.status, 1)
        layout.addWidget(self.retry_button, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        self.phase = "idle"  # idle, loading or failed
        self.hide()

    def show_loading(self, text: str) -> None:
        self.phase = "loading"
        self.status.set_status("info", text)
        self.status.icon.setPixmap(theme.icon("refresh").pixmap(QSize(18, 18)))
        self.retry_button.hide()
        self.show()

    def show_failed(self, error: BaseException, what: str) -> None:
        self.phase = "failed"
        message, details = describe_error(error)
        self.status.set_status("fail", f"{what}: {message}")
        self.status.setToolTip(plain_tooltip(details) if details else "")
        self.retry_button.setAccessibleName(f"Retry: {what}")
        self.retry_button.show()
        self.show()

    def clear(self) -> None:
        self.phase = "idle"
        self.hide()


class ValidityBar(QWidget):
    """How far through its validity a certificate is, coloured by how much time is left."""

    def __init__(self, not_before: datetime | None, not_after: datetime | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.not_before = not_before
        self.not_after = not_after
        self.setMinimumHeight(10)
        self.setMaximumHeight(10)
        from PySide6.QtWidgets import QSizePolicy

        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Certificate validity")
        self.setAccessibleDescription(self.describe())

    def fraction(self) -> float:
        if self.not_before is None or self.not_after is None:
            return 0.0
        total = (self.not_after - self.not_before).total_seconds()
        if total <= 0:
            return 1.0
        used = (_now() - self.not_before).total_seconds()
        return min(1.0, max(0.0, used / total))

    def days_left(self) -> int | None:
        if self.not_after is None:
            return None
        return (self.not_after - _now()).days

    def status(self) -> str:
        days = self.days_left()
        if days is None:
            return "skipped"
        if days < 0 or (self.not_before and self.not_before > _now()):
            return "fail"
        if days < 30:
            return "warn"
        return "pass"

    def describe(self) -> str:
        days = self.days_left()
        if days is None:
            return "validity unknown"
        return (plural(days, "1 day left", "{n} days left") if days >= 0
                else plural(-days, "expired 1 day ago", "expired {n} days ago"))

    def paintEvent(self, event: QPaintEvent) -> None:
        from PySide6.QtCore import QRectF
        from PySide6.QtGui import QPainter

        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        track = self.palette().color(QPalette.ColorRole.Mid)
        painter.setBrush(track)
        painter.drawRoundedRect(rect, 4, 4)
        remaining = 1.0 - self.fraction()
        if remaining > 0:
            filled = QRectF(rect)
            filled.setWidth(max(8.0, rect.width() * remaining))
            painter.setBrush(QColor(theme.colour(self.status())))
            painter.drawRoundedRect(filled, 4, 4)
        painter.end()


def _now() -> datetime:
    from datetime import UTC, datetime

    return datetime.now(UTC)


class DropZone(QFrame):
    """Where a metadata file can be dropped; emits the local path."""

    dropped = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dropZone")
        self.setAcceptDrops(True)
        self.setAccessibleName("Drop an IdP metadata file here")
        self.setMinimumHeight(120)

    def dragEnterEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.mimeData().hasUrls():
            self.setProperty("hover", True)
            self.style().polish(self)
            event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.setProperty("hover", False)
        self.style().polish(self)

    def dropEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.setProperty("hover", False)
        self.style().polish(self)
        for url in event.mimeData().urls():
            if url.isLocalFile():
                # Qt gives C:/Users/...; shown to the admin and remembered as Windows writes
                # paths (str(Path) uses the platform's separator).
                self.dropped.emit(str(Path(url.toLocalFile())))
                event.acceptProposedAction()
                return


class Page(QWidget):
    """One step's page: a title, a one-line intro, scrollable content, and a footer for actions."""

    def __init__(self, title: str, intro: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 18, 24, 14)
        outer.setSpacing(8)
        self.title = label(title, name="viewTitle")
        self.intro = label(intro, name="viewIntro", wrap=True)
        outer.addWidget(self.title)
        outer.addWidget(self.intro)
        self._outer = outer
        self._banner: Banner | None = None  # made on first use: most pages never need one
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setAccessibleName(title)
        # Pages reflow to the window's width (labels wrap); only vertical scrolling. An empty
        # page cannot overflow, so the policy can wait for the first paint.
        scroll_area = self.scroll_area
        after_first_paint(lambda: scroll_area.setHorizontalScrollBarPolicy(
            QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff))
        inner = QWidget()
        inner.setAutoFillBackground(False)
        self.content = QVBoxLayout(inner)
        self.content.setContentsMargins(0, 6, 8, 6)
        self.content.setSpacing(12)
        self.scroll_area.setWidget(inner)
        outer.addWidget(self.scroll_area, 1)
        self.footer = QHBoxLayout()
        self.footer.setSpacing(8)
        outer.addLayout(self.footer)

    def order_tabs(self) -> None:
        """Tab walks the page as it reads: the content top to bottom (rows left to right),
        then the footer's actions (the confirmation field, Apply, Next).

        Qt's default order is creation order, which put the footer (made first) before the
        content and widgets rebuilt later (warnings to accept) after Apply. Views call this
        whenever they rebuild their content.
        """
        if _after_paint is not None:  # before the first paint: Qt.FocusPolicy can wait
            after_first_paint(self.order_tabs)
            return
        inner = self.scroll_area.widget()
        chain: list[QWidget] = [self.scroll_area]
        inner_layout = inner.layout() if inner is not None else None
        if inner_layout is not None:
            chain += _layout_widgets(inner_layout)
        chain += _layout_widgets(self.footer)
        stops = [w for w in chain if w.focusPolicy() & QtCore.Qt.FocusPolicy.TabFocus]
        for first, second in itertools.pairwise(stops):
            QWidget.setTabOrder(first, second)

    @property
    def banner(self) -> Banner:
        """The page's message strip, under the intro (built the first time it is needed)."""
        if self._banner is None:
            self._banner = Banner()
            self._outer.insertWidget(2, self._banner)
        return self._banner


def _layout_widgets(layout: QLayout) -> list[QWidget]:
    """Every widget under ``layout`` in layout (reading) order, nested layouts included."""
    found: list[QWidget] = []
    for index in range(layout.count()):
        item = layout.itemAt(index)
        if item is None:
            continue
        widget = item.widget()
        child = item.layout()
        if widget is not None:
            found.append(widget)
            own = widget.layout()
            if own is not None:
                found += _layout_widgets(own)
        elif child is not None:
            found += _layout_widgets(child)
    return found
