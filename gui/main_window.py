"""The one main window: a tenant header, the step navigation, and the step views.

The steps follow the order an admin walks (Metadata, Domain, Preflight, Review & apply, History),
but each is reachable directly, by mouse or by Ctrl+1..5; nothing here decides anything about
federation, it only arranges the views and the header.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QEvent, QObject, QRect, QSize, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gui import settings as gui_settings
from gui import theme
from gui.state import AppState
from gui.widgets import (
    ACCESSIBLE_DESCRIPTION_ROLE,
    ACCESSIBLE_TEXT_ROLE,
    PlainLabel,
    after_first_paint,
    first_paint_done,
    first_paint_happened,
    label,
    markup,
    plain_tooltip,
)

if TYPE_CHECKING:
    from PySide6.QtGui import (
        QCloseEvent,
        QDragEnterEvent,
        QDragLeaveEvent,
        QDropEvent,
        QIcon,
        QKeyEvent,
        QResizeEvent,
    )

    from gui.views.base import StepView
    from gui.views.domain_view import DomainView
    from gui.views.history_view import HistoryView
    from gui.views.metadata_view import MetadataView
    from gui.views.preflight_view import PreflightView
    from gui.views.review_view import ReviewView

# The sandbox badge, and its short form when the header has no room for the whole (1024 px
# wide, or 1366 at 150 %): a cut-off "demo t" reads as a fault.
BADGE_TEXT = "SANDBOX  ·  demo tenant, nothing real changes"
BADGE_SHORT = "SANDBOX"
STEPS = ("Metadata", "Domain", "Preflight", "Review & apply", "History", "Overview")
OVERVIEW = 5  # the tenant overview (issue 16): the first page for a signed-in admin
# The size the window opens at when the screen has room, and the least it can be made. The
# minimum fits 1366x768 at 150 % (911x512 logical pixels, less the taskbar and the title bar):
# the footer with Apply and Next stays on screen on the laptops most admins use.
PREFERRED_SIZE = (1180, 780)
MINIMUM_SIZE = (640, 420)
# Room kept for the window manager's frame and title bar, which Qt does not know before the
# window is first shown.
FRAME_ALLOWANCE = (16, 40)
CLOSING_AFTER_CHANGE = ("A change is being applied and recorded; Federator will close when it has "
                        "finished.")


class TenantHeader(QFrame):
    """Who is signed in to which tenant, and an unmistakable SANDBOX badge in demo mode."""

    sign_in_requested = Signal()
    sign_out_requested = Signal()
    signin_test_requested = Signal()

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.setObjectName("header")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 8)
        layout.setSpacing(12)
        title = label("Federator", name="appTitle")
        layout.addWidget(title)
        self.badge = label(BADGE_TEXT, name="sandboxBadge")
        self.badge.setAccessibleName("Sandbox mode: a demo tenant, nothing real changes")
        self.badge.setToolTip("Federator is connected to its built-in sandbox tenant. "
                              "No Microsoft account is used and nothing real changes.")
        layout.addWidget(self.badge)
        column = QVBoxLayout()
        column.setSpacing(0)
        self.tenant = label("Not signed in", rich=True)
        self.account = label("", name="muted")
        self._account_text = ""
        # A long list of roles must not make the window wider than a small screen: the line
        # takes the room there is and is cut with "…" (its tooltip holds all of it).
        from PySide6.QtWidgets import QSizePolicy

        self.account.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.account.setMinimumWidth(120)
        for line in (self.tenant, self.account):
            row = QHBoxLayout()  # right-aligned: a stretch before the text
            row.addStretch(0 if line is self.account else 1)
            row.addWidget(line, 1 if line is self.account else 0)
            column.addLayout(row)
        layout.addLayout(column, 1)
        after_first_paint(self._make_selectable)
        after_first_paint(self._elide_account)
        self.sign_in = QPushButton("Sign in…")
        self.sign_in.setAccessibleName("Sign in to a Microsoft 365 tenant")
        self.sign_out = QPushButton("Sign out")
        self.sign_in.clicked.connect(self.sign_in_requested)
        self.sign_out.clicked.connect(self.sign_out_requested)
        # Reading the roles can wait on an unavailable Graph: say so, and let the admin stop
        # waiting or try again.
        self.roles_retry = QPushButton("Retry")
        self.roles_retry.setAccessibleName("Read your roles again")
        self.roles_retry.clicked.connect(state.refresh_roles)
        self.roles_cancel = QPushButton("Cancel")
        self.roles_cancel.setAccessibleName("Stop waiting for your roles")
        self.roles_cancel.clicked.connect(state.cancel_roles)
        for button in (self.roles_retry, self.roles_cancel):
            button.hide()
            layout.addWidget(button)
        self.test_signin = QPushButton("Test sign-in…")
        self.test_signin.setAccessibleName("Test sign-in and sign-in doctor")
        self.test_signin.clicked.connect(self.signin_test_requested)
        layout.addWidget(self.test_signin)
        layout.addWidget(self.sign_in)
        layout.addWidget(self.sign_out)
        # Demo mode: who the sandbox signs in as (``demo_user``, made on first use: a real
        # tenant's window never shows it).
        self._demo_user: QComboBox | None = None
        self._layout = layout
        self.help = QPushButton("Help")
        self.help.setAccessibleName("Help and About: version, license, log and journal folders")
        self.help.setToolTip("Help and About (F1)")
        self.help.clicked.connect(self.show_about)
        layout.addWidget(self.help)
        self.about: QWidget | None = None
        self._reading = ""
        state.roles_progress.connect(self.show_reading)
        state.session_changed.connect(self.refresh)
        self.refresh()

    @property
    def demo_user(self) -> QComboBox:
        """The demo-user chooser (each seed admin rehearses something), before Help."""
        if self._demo_user is None:
            chooser = QComboBox()
            chooser.setAccessibleName("Sandbox user to sign in as")
            chooser.setToolTip("Demo mode: sign in to the sandbox as another seed user")
            # As wide as the signed-in user's name, not the longest seed user's (the list
            # opens whole): the header keeps room for the badge and the account on a small
            # screen.
            chooser.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            chooser.setMinimumContentsLength(16)
            chooser.activated.connect(
                lambda index: self.state.switch_sandbox_user(str(chooser.itemData(index))))
            chooser.hide()
            self._layout.insertWidget(self._layout.indexOf(self.help), chooser)
            # Made after the header's buttons, it would come last in the Tab order (after
            # Help): Tab follows the header left to right instead.
            QWidget.setTabOrder(self.sign_out, chooser)
            QWidget.setTabOrder(chooser, self.help)
            self._demo_user = chooser
        return self._demo_user

    def _refresh_demo_user(self) -> None:
        """The demo-user chooser: shown in demo mode only, on the signed-in seed user."""
        if not self.state.sandbox:
            if self._demo_user is not None:
                self._demo_user.hide()
            return
        self.demo_user.show()
        from PySide6.QtCore import Qt

        if not self.demo_user.count():  # filled on first use: core.tenant is not light
            from session import sandbox_accounts

            for upn, what in sandbox_accounts():
                self.demo_user.addItem(upn, upn)
                self.demo_user.setItemData(self.demo_user.count() - 1, what,
                                           Qt.ItemDataRole.ToolTipRole)
        from session import DEFAULT_SANDBOX_USER

        user = self.state.sandbox_user or DEFAULT_SANDBOX_USER
        at = self.demo_user.findData(user)
        if at < 0 and user:  # a user given on the command line: listed too
            self.demo_user.addItem(user, user)
            at = self.demo_user.count() - 1
        self.demo_user.setCurrentIndex(at)
        rehearses = self.demo_user.itemData(at, Qt.ItemDataRole.ToolTipRole) if at >= 0 else None
        self.demo_user.setToolTip(
            f"Demo mode: signed in to the sandbox as {user}"
            + (f" ({rehearses})" if rehearses else "") + ". Choose another seed user to sign in "
            "as.")

    def show_about(self) -> None:
        from gui.about import AboutDialog

        self.about = AboutDialog(self.state.paths, self)
        self.about.open()

    def _make_selectable(self) -> None:
        """Admins copy the tenant and account names into tickets."""
        from PySide6.QtCore import Qt

        flags = (Qt.TextInteractionFlag.TextSelectableByMouse
                 | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.tenant.setTextInteractionFlags(flags)
        self.account.setTextInteractionFlags(flags)

    def show_reading(self, text: str) -> None:
        """The roles read's progress ("" when it ended: the header shows its outcome)."""
        self._reading = text
        self.roles_cancel.setVisible(bool(text) and "again" in text)
        if text:
            self.roles_retry.hide()
            self._set_account(text)
        else:
            self.refresh()

    def refresh(self) -> None:
        info = self.state.tenant_info
        self.badge.setVisible(self.state.sandbox or bool(info and info.sandbox))
        if self.isVisible():  # else the first resize fits it, after the layout has its sizes
            self._fit_badge()
        self._refresh_demo_user()
        self.roles_retry.setVisible(bool(info and info.roles_error and self.state.session))
        if self._reading:
            self._set_account(self._reading)
            return
        if info is None or self.state.session is None:
            self.tenant.setText("Not signed in")
            self._set_account("Sign in to see the tenant's domains" if not self.state.sandbox
                              else "")
            self.sign_in.show()
            self.sign_out.hide()
        else:
            self.tenant.setText(markup("<b>{}</b>", info.tenant_name))
            if info.roles_error:  # unread is not "none": never claim the admin has no role
                roles = "could not read your roles"
                self.roles_retry.setToolTip(plain_tooltip(info.roles_error))
            else:
                roles = ", ".join(info.roles) if info.roles else "no admin role found"
            # In demo mode the user chooser beside this line names the user: the line shows
            # the roles only, so the UPN is not shown twice (tooltip and screen readers get both).
            self._set_account(roles if self.state.sandbox else f"{info.upn}  ·  {roles}",
                              full=f"{info.upn}  ·  {roles}")
            self.sign_in.hide()
            self.sign_out.show()

    def _set_account(self, text: str, *, full: str | None = None) -> None:
        """``text`` on the line (cut to fit); ``full``, when the line leaves part of it to a
        widget beside it, in the tooltip and the screen-reader name."""
        self._account_text = text
        full = full or text
        self.account.setToolTip(plain_tooltip(full) if full else "")
        self.account.setAccessibleName(full)
        self._elide_account()

    def _elide_account(self) -> None:
        if not first_paint_happened():  # Qt's namespace waits for the first paint
            self.account.setText(self._account_text)
            return
        from PySide6.QtCore import Qt

        metrics = self.account.fontMetrics()
        shown = metrics.elidedText(self._account_text, Qt.TextElideMode.ElideRight,
                                   max(0, self.account.width()))
        self.account.setText(shown)
        self.account.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_badge()
        self._elide_account()

    def _fit_badge(self) -> None:
        """The whole badge when the header has room for it, else its short form."""
        self.badge.setText(BADGE_TEXT)
        layout = self.layout()
        if layout is not None and layout.minimumSize().width() > self.width():
            self.badge.setText(BADGE_SHORT)


class MainWindow(QMainWindow):
    """Header, step list and step pages; remembers its geometry and the last step."""

    first_painted = Signal()  # the self-test and the startup benchmark wait for it

    def __init__(self, state: AppState, parent: QWidget | None = None, *,
                 settings: gui_settings.GuiSettings | None = None) -> None:
        super().__init__(parent)
        from gui.views.metadata_view import MetadataView

        self.state = state
        self._close_pending = False
        self._icons_waiting = False
        self.settings = settings if settings is not None else gui_settings.load(state.paths)
        self.setWindowTitle("Federator (sandbox)" if state.sandbox else "Federator")
        self.setMinimumSize(QSize(*MINIMUM_SIZE))

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.header = TenantHeader(state)
        self.header.sign_in_requested.connect(self.sign_in)
        self.header.sign_out_requested.connect(self.sign_out)
        self.header.signin_test_requested.connect(self.open_signin_dialog)
        outer.addWidget(self.header)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        self.steps = QListWidget()
        self.steps.setObjectName("steps")
        self.steps.setAccessibleName("Steps")
        self.steps.setFixedWidth(210)
        self.steps.setIconSize(QSize(18, 18))
        self.stack = QStackedWidget()
        # The first step is built now; the others right after the first paint (or when first
        # opened), so the window appears as fast as a bare Qt window.
        self._views: list[StepView | None] = [MetadataView(state, self.settings), None, None,
                                              None, None, None]
        for index, name in enumerate(STEPS):
            item = QListWidgetItem(f"{index + 1}   {name}")
            item.setData(ACCESSIBLE_TEXT_ROLE, f"Step {index + 1}: {name}")
            item.setSizeHint(QSize(190, 40))
            self.steps.addItem(item)
            self.stack.addWidget(self._views[index] or QWidget())
        after_first_paint(self._add_step_shortcuts)
        self.metadata_view.next_requested.connect(lambda: self.go_to(1))
        self.steps.currentRowChanged.connect(self._show_step)
        state.show_history_requested.connect(lambda: self.go_to(4))
        state.signin_test_requested.connect(lambda domain: self.open_signin_dialog(domain))
        state.session_changed.connect(self._open_overview_when_signed_in)
        body.addWidget(self.steps)
        body.addWidget(self.stack, 1)
        outer.addLayout(body, 1)
        self.setCentralWidget(central)

        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setAccessibleName("Working")
        self.busy.hide()
        self.status_text = PlainLabel("")
        self.statusBar().addWidget(self.status_text, 1)
        self.statusBar().addPermanentWidget(self.busy)
        state.busy_changed.connect(self.busy.setVisible)
        state.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        state.startup_reconciled.connect(self._show_startup_note)
        self.metadata_view.try_sandbox.connect(self.start_sandbox)
        for signal in (state.metadata_changed, state.domain_changed, state.preflight_changed,
                       state.plan_changed, state.session_changed, state.operation_started,
                       state.operation_finished, state.operation_cleared):
            signal.connect(self.update_step_hints)

        self.fit_to_screen()
        self.go_to(0)
        self.update_step_hints()
        central.installEventFilter(self)
        # A metadata file can be dropped anywhere on the window, whatever page is open.
        self.setAcceptDrops(True)
        self.drop_overlay = PlainLabel("Drop the file to open it as the IdP metadata", central)
        self.drop_overlay.setObjectName("dropOverlay")
        self.drop_overlay.hide()
        # Everything after the first paint is queued, not run inside the signal: a slot that
        # reports the paint (the self-test, the benchmark) then sees the moment it happened.
        self.first_painted.connect(lambda: QTimer.singleShot(0, self.build_all_views))
        self.first_painted.connect(lambda: QTimer.singleShot(300, self.state.warm_up))
        self.first_painted.connect(lambda: QTimer.singleShot(0, self.state.resume_session))

    def fit_to_screen(self, available: QRect | None = None) -> None:
        """Open at the saved geometry only if it fits the screen's available area (without the
        taskbar), else at the preferred size cut to that area, centred. ``available`` is for
        tests; by default the primary screen's."""
        if available is None:
            from PySide6.QtGui import QGuiApplication

            screen = self.screen() or QGuiApplication.primaryScreen()
            available = screen.availableGeometry() if screen is not None else None
        if self.settings.geometry:
            from PySide6.QtCore import QByteArray  # only returning users have one

            restored = self.restoreGeometry(
                QByteArray.fromBase64(self.settings.geometry.encode("ascii")))
            if restored and (available is None or self._fits(available)):
                return
            # Only here: the ``Qt`` namespace is 15 ms of a returning admin's start.
            from PySide6.QtCore import Qt

            self.setWindowState(self.windowState() & ~(Qt.WindowState.WindowMaximized
                                                       | Qt.WindowState.WindowFullScreen))
        if available is None:
            self.resize(*PREFERRED_SIZE)
            return
        width = max(MINIMUM_SIZE[0], min(PREFERRED_SIZE[0],
                                         available.width() - FRAME_ALLOWANCE[0]))
        height = max(MINIMUM_SIZE[1], min(PREFERRED_SIZE[1],
                                          available.height() - FRAME_ALLOWANCE[1]))
        self.resize(width, height)
        # A window's position is its frame's: centred with the title bar inside the area.
        self.move(available.x() + max(0, (available.width() - width - FRAME_ALLOWANCE[0]) // 2),
                  available.y() + max(0, (available.height() - height - FRAME_ALLOWANCE[1])
                                      // 2))

    def _fits(self, available: QRect) -> bool:
        """The restored window lies inside the available area, frame allowance included."""
        if self.isMaximized() or self.isFullScreen():
            return True  # Qt sizes those to the screen itself
        geometry = self.geometry()
        return (geometry.width() + FRAME_ALLOWANCE[0] <= available.width()
                and geometry.height() + FRAME_ALLOWANCE[1] <= available.height()
                and available.contains(geometry))

    # -- dropping a file ----------------------------------------------------------------------

    @staticmethod
    def _dropped_file(event: QDropEvent | QDragEnterEvent) -> str | None:
        mime = event.mimeData()
        if mime is None or not mime.hasUrls():
            return None
        files = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
        return files[0] if files else None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_file(event) is None:
            event.ignore()
            return
        event.acceptProposedAction()
        # The visible target: the whole page area says what a drop will do.
        from PySide6.QtCore import Qt

        central = self.centralWidget()
        self.drop_overlay.setAlignment(Qt.AlignmentFlag.AlignCenter)
        if central is not None:
            self.drop_overlay.setGeometry(central.rect().adjusted(12, 12, -12, -12))
        self.drop_overlay.raise_()
        self.drop_overlay.show()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.drop_overlay.hide()
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_overlay.hide()
        path = self._dropped_file(event)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.go_to(0)
        self.metadata_view.open_source(path)

    def _close_after_change(self) -> None:
        self.state.changes_finished.disconnect(self._close_after_change)
        # Queued: the change's own result handlers finish before the window goes.
        QTimer.singleShot(0, self.close)

    def _add_step_shortcuts(self) -> None:
        """Ctrl+1..5 open the steps (made after the first paint: QKeySequence costs 3 ms)."""
        from PySide6.QtGui import QKeySequence, QShortcut

        for index in range(len(STEPS)):
            shortcut = QShortcut(QKeySequence(f"Ctrl+{index + 1}"), self)
            shortcut.activated.connect(lambda i=index: self.go_to(i))
        QShortcut(QKeySequence("F1"), self).activated.connect(self.header.show_about)
        # Ctrl+O opens a metadata file from any page (landing on the Metadata step); F5 reads
        # again what the current page shows.
        QShortcut(QKeySequence("Ctrl+O"), self).activated.connect(self.open_metadata)
        QShortcut(QKeySequence("F5"), self).activated.connect(self.reload_current)

    def open_metadata(self) -> None:
        self.go_to(0)
        self.metadata_view.choose_file()

    def reload_current(self) -> None:
        self.view(self.current_step()).reload()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter or Return presses the focused button, as on Windows: Qt's buttons take only
        Space outside a dialog, so a keyboard-only walk stopped at every button. A key a
        widget used (a line edit's typed confirmation, the step list) never arrives here."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QToolButton

        focused = self.focusWidget()
        if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and isinstance(focused, (QPushButton, QToolButton))
                and focused.isEnabled() and focused.isVisible()):
            focused.animateClick()
            event.accept()
            return
        super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and watched is self.centralWidget():
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self.first_painted.emit)
            QTimer.singleShot(0, first_paint_done)
        return False

    # -- views ------------------------------------------------------------------------------

    def view(self, index: int) -> StepView:
        """The step view at ``index``, built on first use."""
        existing = self._views[index]
        if existing is not None:
            return existing
        from gui.views.domain_view import DomainView
        from gui.views.history_view import HistoryView
        from gui.views.preflight_view import PreflightView
        from gui.views.review_view import ReviewView

        view: StepView
        if index == 1:
            domain_view = DomainView(self.state)
            domain_view.open_history.connect(lambda: self.go_to(4))
            view = domain_view
        elif index == 2:
            view = PreflightView(self.state)
        elif index == 3:
            view = ReviewView(self.state)
        elif index == OVERVIEW:
            from gui.views.overview_view import OverviewView

            overview = OverviewView(self.state)
            overview.report_shown.connect(self.update_step_hints)
            view = overview
        else:
            history_view = HistoryView(self.state)
            history_view.go_to_review.connect(lambda: self.go_to(3))
            view = history_view
        view.next_requested.connect(lambda i=index: self.go_to(i + 1))
        view.hint_changed.connect(self.update_step_hints)
        self._views[index] = view
        placeholder = self.stack.widget(index)
        current = self.stack.currentIndex()
        self.stack.insertWidget(index, view)
        if placeholder is not None:
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
        self.stack.setCurrentIndex(current)
        self.update_step_hints()
        return view

    def build_all_views(self) -> None:
        for index in range(len(STEPS)):
            self.view(index)

    @property
    def views(self) -> list[StepView]:
        return [self.view(i) for i in range(len(STEPS))]

    @property
    def metadata_view(self) -> MetadataView:
        return cast("MetadataView", self._views[0])

    @property
    def domain_view(self) -> DomainView:
        return cast("DomainView", self.view(1))

    @property
    def preflight_view(self) -> PreflightView:
        return cast("PreflightView", self.view(2))

    @property
    def review_view(self) -> ReviewView:
        return cast("ReviewView", self.view(3))

    @property
    def history_view(self) -> HistoryView:
        return cast("HistoryView", self.view(4))

    # -- navigation -------------------------------------------------------------------------

    def _show_step(self, index: int) -> None:
        if index < 0:
            return
        self.view(index)
        self.stack.setCurrentIndex(index)

    def go_to(self, index: int) -> None:
        index = max(0, min(index, len(STEPS) - 1))
        self.steps.setCurrentRow(index)
        self.view(index).entered()

    def current_step(self) -> int:
        return self.stack.currentIndex()

    def _blank_icon(self) -> QIcon:
        """A transparent icon of the step list's icon size, drawn in place of the status icons
        until the first paint (then :meth:`update_step_hints` runs again)."""
        from PySide6.QtGui import QColor, QIcon, QPixmap

        if not self._icons_waiting:
            self._icons_waiting = True
            after_first_paint(self.update_step_hints)
        pixmap = QPixmap(self.steps.iconSize())
        pixmap.fill(QColor(0, 0, 0, 0))
        return QIcon(pixmap)

    def update_step_hints(self) -> None:
        """Each step's line in the list says where it stands, so the admin sees progress."""
        hints = [view.step_hint() if view is not None else (None, "")
                 for view in self._views]
        # Before the first paint each icon is a blank of its size, and the icons are drawn right
        # after it: rendering their SVGs (and loading QtSvg) is a twentieth of a bare Qt
        # window's start, and the text already stands where it will stay.
        blank = None if first_paint_happened() else self._blank_icon()
        for index, (name, hint) in enumerate(zip(STEPS, hints, strict=True)):
            item = self.steps.item(index)
            status, text = hint
            number = index + 1
            item.setText(f"{number}   {name}\n      {text}"
                         if text else f"{number}   {name}")
            if blank is not None:
                item.setIcon(blank)
            elif status == "running":  # a change is running: seen from whichever page is open
                item.setIcon(theme.icon("refresh"))
            else:
                item.setIcon(theme.status_icon(status) if status else theme.icon("status-todo"))
            item.setSizeHint(QSize(190, 52 if text else 40))
            item.setData(ACCESSIBLE_TEXT_ROLE,
                         f"Step {number}: {name}, {text}"
                         if text else f"Step {number}: {name}")
            word = ("In progress" if status == "running"
                    else theme.STATUS_WORDS.get(status or "", ""))
            item.setData(ACCESSIBLE_DESCRIPTION_ROLE, word or "Not started")

    def _open_overview_when_signed_in(self) -> None:
        """An admin signed in to a real tenant starts on the tenant overview (its health), unless
        already at work on a federation; the demo keeps its guided first step."""
        if (self.state.session is not None and not self.state.sandbox
                and self.state.metadata is None and self.current_step() == 0):
            self.go_to(OVERVIEW)

    # -- tenant -----------------------------------------------------------------------------

    def start_sandbox(self) -> None:
        """The first-start "Try it on a sandbox tenant": switch to demo mode and sign in."""
        self.state.enter_sandbox()
        self.setWindowTitle("Federator (sandbox)")
        self.settings.first_start_done = True
        gui_settings.save(self.state.paths, self.settings)

    def _show_startup_note(self, *_args: object) -> None:
        """The start-up reconcile's finding, in the status bar until something replaces it
        (History shows it whole)."""
        note = self.state.startup_note
        if note is not None:
            self.status_text.setText(note[1])

    def sign_in(self) -> None:
        """Real tenant sign-in; with no app registration configured, explain and offer demo."""
        if self.state.needs_tenant_setup():
            if self.state.tenant_settings_error is not None:
                return  # the banner says what is wrong with the file; the sandbox stays offered
            from gui.dialogs import TenantSetupDialog

            dialog = TenantSetupDialog(self.state.paths, self)
            result = dialog.exec()
            if dialog.chose_sandbox:
                self.start_sandbox()
                return
            if not result:
                return
        self.state.sign_in(parent_window=int(self.winId()))

    def open_signin_dialog(self, domain: str | None = None) -> None:
        """Test sign-in and the sign-in doctor (gui/views/signin_view.py), for ``domain`` (from
        History or a change's result) or else the domain at hand."""
        from gui.views.signin_view import SignInDialog

        if not domain:
            domain = getattr(self.state, "domain", None)
        self.signin_dialog = SignInDialog(self.state, domain if isinstance(domain, str) else "",
                                          self)
        self.signin_dialog.show()

    def sign_out(self) -> None:
        self.state.sign_out()

    # -- lifetime ---------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.state.changing:
            # Never close the session under a write, nor freeze the window waiting for it: say
            # so and close when the change (and its journal entry) is done.
            event.ignore()
            self.statusBar().showMessage(CLOSING_AFTER_CHANGE)
            if not self._close_pending:
                self._close_pending = True
                self.state.changes_finished.connect(self._close_after_change)
            return
        self.settings.geometry = bytes(self.saveGeometry().toBase64().data()).decode("ascii")
        self.settings.last_step = self.current_step()
        self.settings.first_start_done = True
        gui_settings.save(self.state.paths, self.settings)
        self.state.shutdown()
        super().closeEvent(event)
