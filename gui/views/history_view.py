"""Step 5: every change Federator made, and the way back from each.

For the chosen domain, when it is federated: a prominent "Revert to managed authentication" (with
how many users will need a cloud password and how to give them one) and the certificate rollover
(stage the new certificate as next, then promote it). Below, the journal as a table; selecting an
entry shows its snapshots, request ids and the way back, and can restore a snapshot.
"""

from __future__ import annotations

import contextlib
import html
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QListWidget,
    QPushButton,
    QWidget,
)

from core.change_kinds import kind_title
from core.domain_names import same_domain
from core.errors import FederatorError
from core.localtime import local_and_utc
from core.progname import runnable
from core.window_text import for_window, way_back_for_window, way_back_step
from gui import theme
from gui.state import AppState
from gui.views.base import StepView
from gui.views.journal_table import OUTCOME_STATUS, JournalRow, JournalTable, journal_rows
from gui.widgets import (
    Card,
    KeyValues,
    LoadStatus,
    StatusLabel,
    clear_layout,
    label,
    plural,
    text_button,
)

MAX_COLUMN_WIDTH = 190  # the journal's columns before Summary, which takes the rest
STACK_BELOW_WIDTH = 960  # page width under which the revert and rollover cards stack
# How an entry's detail opens: the journal's outcome word as the heading of a sentence.
OUTCOME_HEADINGS = {"succeeded": "Succeeded", "no-change": "No change needed", "failed": "Failed",
                    "unknown": "Outcome unknown", "in-progress": "In progress",
                    "reconciled": "Reconciled"}
KIND_WORDS_BY_NAME = {"revert": "Revert", "restore": "Restore",
                      "update certificate": "Certificate change for", "federate": "Federate"}


class HistoryView(StepView):
    """Revert / rollover for the chosen domain, and the journal."""

    go_to_review = Signal()

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, "History and the way back",
                         "Every change Federator made, with the state before and after it. "
                         "Any of them can be undone from here.", parent=parent)
        self._restoring: tuple[str, str] | None = None  # (snapshot id, typed domain)
        self.overwrite_dialog: QWidget | None = None  # the offer to restore anyway, while open
        state.operation_finished.connect(self._on_finished)
        state.operation_started.connect(self._operation_started)
        state.operation_progress.connect(self._operation_progress)
        state.operation_cleared.connect(self._operation_cleared)
        # The change started on this page (revert, restore, rollover): its progress and result
        # show here, where the admin clicked, not on step 4.
        self.operation_card = Card("Change in progress")
        self.operation_status = StatusLabel("skipped", "")
        self.operation_card.body.addWidget(self.operation_status)
        self.operation_list = QListWidget()
        self.operation_list.setAccessibleName("Progress of the change")
        self.operation_list.setWordWrap(True)
        self.operation_list.setIconSize(QSize(18, 18))
        self.operation_list.setMinimumHeight(120)
        self.operation_list.setMaximumHeight(200)
        self.operation_card.body.addWidget(self.operation_list)
        self.operation_way_back = label("", wrap=True, selectable=True)
        self.operation_way_back.hide()
        self.operation_card.body.addWidget(self.operation_way_back)
        # A change started here that leaves the domain federated (a rollover, a restore):
        # "Test sign-in now", as on Review's result.
        self.operation_test_signin = text_button("Test sign-in now")
        self.operation_test_signin.clicked.connect(
            lambda _c=False: self.state.signin_test_requested.emit(
                str(self.operation_test_signin.property("domain") or "")))
        self.operation_test_signin.hide()
        self.operation_card.body.addWidget(self.operation_test_signin, 0,
                                           Qt.AlignmentFlag.AlignLeft)
        self.operation_card.hide()
        self.content.addWidget(self.operation_card)
        self.domain_area = QWidget()
        self.domain_layout = QHBoxLayout(self.domain_area)
        self.domain_layout.setContentsMargins(0, 0, 0, 0)
        self.domain_layout.setSpacing(12)
        self.content.addWidget(self.domain_area)

        journal = Card("Journal")
        head = QHBoxLayout()
        self.only_domain = QCheckBox("Only the chosen domain")
        self.only_domain.toggled.connect(self.load_journal)
        refresh = QPushButton(theme.icon("refresh"), "Refresh")
        refresh.setAccessibleName("Refresh the journal")
        refresh.clicked.connect(self.load_journal)
        head.addWidget(self.only_domain)
        head.addStretch(1)
        head.addWidget(refresh)
        journal.body.addLayout(head)
        self.problems = label("", wrap=True)
        self.problems.hide()
        journal.body.addWidget(self.problems)
        self.load_status = LoadStatus()
        self.load_status.retry.connect(self.load_journal)
        journal.body.addWidget(self.load_status)
        self.table = JournalTable()
        self.table.setAccessibleName("Journal of changes")
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        # The summary carries the text: it takes the room. The other columns fit their contents
        # up to a cap (a long domain or account name is elided, whole in its tooltip).
        for col in range(5):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setMinimumHeight(150)
        self.table.setMaximumHeight(260)
        self.table.selectionModel().selectionChanged.connect(self.show_entry)
        journal.body.addWidget(self.table)
        self.content.addWidget(journal)
        self.entry_card = Card("Selected change")
        self.entry_body = self.entry_card.body
        self.entry_card.hide()
        self.content.addWidget(self.entry_card)
        self.content.addStretch(1)

        self.entries: list[Any] = []
        self._journal_reads = 0
        self.revert_confirm: QLineEdit | None = None
        self.snaps_layout: QHBoxLayout | None = None  # the selected entry's before/after
        # Hidden, this page only notes that it is stale: reading the journal and counting users
        # happen when the admin opens it (never a stall elsewhere, never a needless request).
        self._stale = True
        state.history_changed.connect(self._changed)
        state.domain_changed.connect(self._changed)
        state.domains_changed.connect(self._changed)
        state.session_changed.connect(self._changed)
        state.password_impact_changed.connect(self._changed)
        state.metadata_changed.connect(self._changed)  # the rollover compares with it
        state.startup_reconciled.connect(self.show_startup_note)
        self.show_startup_note()

    def show_startup_note(self, *_args: object) -> None:
        """What the start-up reconcile found (it may have run before this page was built)."""
        note = self.state.startup_note
        if note is not None:
            self.banner.show_message(*note)

    def resizeEvent(self, event: QResizeEvent) -> None:
        # Revert and rollover side by side when there is room; stacked on a small screen (the
        # revert row alone needs ~600 px), so nothing is cut off at 1024x768 or 150 %.
        self._arrange(event.size().width())
        super().resizeEvent(event)
        self._size_columns()

    def _arrange(self, width: int) -> None:
        # The room the content really has: the page less its margins and the scroll bar.
        room = width - 56 - self.scroll_area.verticalScrollBar().sizeHint().width()
        for layout in (self.domain_layout, self.snaps_layout):
            if layout is None:
                continue
            side = width >= STACK_BELOW_WIDTH and _side_by_side_width(layout) <= room
            layout.setDirection(QBoxLayout.Direction.LeftToRight if side
                                else QBoxLayout.Direction.TopToBottom)

    def _changed(self) -> None:
        if self.isVisible():
            self.load_journal()
            self.refresh_domain()
        else:
            self._stale = True

    def reload(self) -> None:
        self._stale = False
        self.load_journal()
        self.refresh_domain()

    def entered(self) -> None:
        if self._stale:
            self._stale = False
            self.load_journal()
            self.refresh_domain()

    # -- the change started here -------------------------------------------------------------

    def shown_operation(self) -> Any:
        op = self.state.operation
        return op if op is not None and op.origin == "history" else None

    def _operation_started(self, op: Any) -> None:
        if self._banner is not None and self._banner.status == "fail":
            self._banner.hide()  # the new change's outcome replaces the last one's error
        self.operation_list.clear()
        self.operation_way_back.hide()
        self.operation_test_signin.hide()
        self._set_actions_enabled(False)  # one change at a time, wherever it was started
        self.operation_card.title.setText(f"{KIND_WORDS_BY_NAME.get(op.name, op.name)} "
                                          f"{op.domain or ''}".strip())
        here = op.origin == "history"
        self.operation_list.setVisible(here)
        self.operation_status.set_status("skipped", (
            "Running… the buttons come back when the change is recorded." if here else
            "Running… step 4 (Review & apply) shows its progress; the journal below lists it "
            "once its snapshot is recorded."))
        self.operation_card.show()
        if here:
            self.scroll_area.ensureWidgetVisible(self.operation_card)

    def _operation_progress(self, event: Any) -> None:
        if self.shown_operation() is not None:
            from gui.views.review_view import add_event

            add_event(self.operation_list, event)

    def _operation_cleared(self) -> None:
        self.operation_card.hide()
        if self._banner is not None and self._banner.status == "fail":
            self._banner.hide()

    def _show_operation_outcome(self, op: Any) -> None:
        from gui.views.review_view import result_headline
        from gui.widgets import describe_error

        if op.result is not None:
            self.operation_status.set_status("pass" if op.result.ok else "fail",
                                             result_headline(op.result))
            way_back = getattr(op.result, "way_back", "") or ""
            # Core words these for the command line; the window says where it does the same.
            remaining = [for_window(str(o)) for o in getattr(op.result, "remaining", []) or []]
            if remaining:  # no way back works: what remains, in order (half-federated)
                text = "What remains, in order:\n" + "\n".join(remaining)
            else:
                text = (f"Way back: {runnable(way_back_for_window(way_back))}" if way_back
                        else "")
            self.operation_way_back.setText(text)
            self.operation_way_back.setVisible(bool(text))
            after = getattr(op.result, "after", None)
            federated = (op.result.ok and after is not None
                         and after.authentication_type == "Federated")
            self.operation_test_signin.setProperty("domain", op.result.domain)
            self.operation_test_signin.setAccessibleName(
                f"Test a sign-in to {op.result.domain}")
            self.operation_test_signin.setVisible(bool(federated))
        elif op.error is not None:
            message, _details = describe_error(op.error)
            self.operation_status.set_status("fail", f"Not done: {message}")
            self.banner.show_error(op.error)
        self.operation_card.show()

    def _set_actions_enabled(self, enabled: bool) -> None:
        """While a change runs no other can start: its buttons say so by being disabled."""
        buttons = [getattr(self, name, None)
                   for name in ("revert_button", "stage_button", "promote_button")]
        for button in [*buttons, *getattr(self, "restore_buttons", [])]:
            if button is not None:
                with contextlib.suppress(RuntimeError):  # deleted with its card
                    button.setEnabled(enabled and button.isEnabled())

    def step_hint(self) -> tuple[str | None, str]:
        op = self.shown_operation()
        if op is not None and op.running:
            return "running", "change running…"
        if not self.entries:
            return None, ""
        return None, plural(len(self.entries), "1 change", "{n} changes")

    # -- the chosen domain --------------------------------------------------------------------

    def chosen(self) -> dict[str, Any] | None:
        for domain in self.state.domains:
            if str(domain.get("id")) == self.state.domain:
                return dict(domain)
        return None

    def refresh_domain(self) -> None:
        clear_layout(self.domain_layout)
        self.revert_confirm = None
        domain = self.chosen()
        if domain is None:
            self.domain_layout.addWidget(label(
                "Choose a domain in step 2 to revert it or roll its certificate.",
                name="muted", wrap=True))
            return
        name = str(domain["id"])
        federated = domain.get("authenticationType") == "Federated"
        if not federated:
            card = Card(f"{name} uses managed (cloud password) sign-in")
            card.body.addWidget(StatusLabel("pass", "Managed"))
            card.body.addWidget(label("Nothing to revert. To federate it, go through the steps "
                                      "1 to 4.", name="muted", wrap=True))
            self.domain_layout.addWidget(card, 1)
            self.order_tabs()
            return
        self.domain_layout.addWidget(self._revert_card(name), 3)
        self.domain_layout.addWidget(self._rollover_card(name, domain), 2)
        self._arrange(self.width())
        self.order_tabs()

    def _revert_card(self, name: str) -> QWidget:
        from gui.views.signin_view import test_signin_button

        card = Card(f"Revert {name} to managed authentication")
        issuer = self.chosen_issuer()
        federated_row = QHBoxLayout()
        federated_row.addWidget(StatusLabel("info", (
            "{domain} is federated with the identity provider {issuer}" if issuer
            else "{domain} is federated").format(domain=name, issuer=issuer)), 1)
        # Whether a user of the domain can sign in through the IdP: the proof of federation.
        self.domain_test_signin = test_signin_button(self.state, name)
        federated_row.addWidget(self.domain_test_signin)
        card.body.addLayout(federated_row)
        impact = self.state.password_impact
        if impact is not None and impact.domain == name:
            text = plural(impact.users,
                          "<b>1 user</b> in {domains} will sign in with a Microsoft 365 password "
                          "after this. Unless password hash sync is running, they may have no "
                          "cloud password yet.",
                          "<b>{n} users</b> in {domains} will sign in with a Microsoft 365 "
                          "password after this. Unless password hash sync is running, most of "
                          "them have no cloud password yet.",
                          domains=html.escape(", ".join(impact.domains_counted)))
            card.body.addWidget(StatusLabel("warn", plural(
                impact.users, "1 user will need a cloud password",
                "{n} users will need a cloud password")))
            card.body.addWidget(label(text, wrap=True, rich=True))
            for option in impact.options:
                card.body.addWidget(label(f"• {option}", wrap=True, name="muted"))
            self.export_users = QPushButton("Export the list of these users as CSV…")
            self.export_users.setAccessibleName("Export the users who will need a cloud "
                                                "password as CSV")
            self.export_users.clicked.connect(lambda _c=False: self.export_password_users())
            card.body.addWidget(self.export_users, 0, Qt.AlignmentFlag.AlignLeft)
        else:
            card.body.addWidget(StatusLabel("warn", "Users will need a cloud password"))
            failed = self.state.password_impact_error
            if failed is not None and failed[0] == name:
                status = LoadStatus()
                status.show_failed(failed[1], "The users could not be counted")
                status.retry.connect(lambda: self.state.load_password_impact(name))
                card.body.addWidget(status)
            else:
                card.body.addWidget(label("Counting the users who will need one…",
                                          name="muted"))
                # Asked after this page is drawn: the answer redraws the page, never in the
                # middle.
                QTimer.singleShot(0, lambda: self.state.load_password_impact(name))
        row = QHBoxLayout()
        self.revert_confirm = QLineEdit()
        self.revert_confirm.setPlaceholderText(name)
        self.revert_confirm.setAccessibleName(f"Type {name} to confirm the revert")
        self.revert_confirm.setMinimumWidth(160)
        confirm_label = label(f"Type {name} to confirm:", wrap=True)  # wraps on a small screen
        confirm_label.setBuddy(self.revert_confirm)
        self.revert_button = text_button("Revert to managed authentication", danger=True)
        self.revert_button.setEnabled(False)
        self.revert_confirm.textChanged.connect(
            lambda text: self.revert_button.setEnabled(same_domain(text, name)
                                                       and not self.state.changing))
        self.revert_button.clicked.connect(lambda: self.revert(name))
        # Enter in the confirmation submits it, when the button would.
        self.revert_confirm.returnPressed.connect(
            lambda: self.revert(name) if self.revert_button.isEnabled() else None)
        row.addWidget(confirm_label)
        row.addWidget(self.revert_confirm, 1)
        row.addWidget(self.revert_button)
        card.body.addLayout(row)
        return card

    def export_password_users(self, path: str | None = None) -> None:
        from pathlib import Path

        from PySide6.QtWidgets import QFileDialog

        if path is None:
            default = self.state.paths.reports_dir / "users-needing-a-password.csv"
            path, _ = QFileDialog.getSaveFileName(self, "Export the users as CSV",
                                                  str(default), "CSV (*.csv)")
        if path:
            self.state.export_password_users(Path(path))

    def chosen_issuer(self) -> str:
        domain = self.chosen()
        return str(domain.get("issuerUri") or "") if domain else ""

    def _rollover_card(self, name: str, domain: dict[str, Any]) -> QWidget:
        card = Card("Certificate rollover")
        card.body.addWidget(label(
            "Roll the IdP's signing certificate without downtime: first add the new one as the "
            "next certificate (Entra accepts both), then, once the IdP signs with it, promote "
            "it.", wrap=True, name="muted"))
        md = self.state.metadata
        source = (f"The new certificate comes from the metadata open in step 1 "
                  f"({md.entity_id})." if md is not None else
                  "Open the IdP's new metadata in step 1 first.")
        card.body.addWidget(label(source, wrap=True))
        # Current and next side by side, read from the tenant after the page is drawn.
        self.rollover_slots = QHBoxLayout()
        self.rollover_advice = label("Reading the certificates Entra holds…", wrap=True,
                                     name="muted")
        card.body.addLayout(self.rollover_slots)
        card.body.addWidget(self.rollover_advice)
        QTimer.singleShot(0, lambda: self.state.read_rollover(name, self.show_rollover))
        self.rollover_confirm = confirm = _confirm_field(name, "the certificate change")
        confirm_label = label(f"Type {name} to confirm the certificate change:", wrap=True)
        confirm_label.setBuddy(confirm)
        card.body.addWidget(confirm_label)
        card.body.addWidget(confirm)
        self.stage_button = QPushButton("1. Add the new certificate as next")
        self.promote_button = QPushButton("2. Promote the next certificate to current")
        self.stage_button.clicked.connect(lambda: self.roll_certificate(name, promote=False))
        self.promote_button.clicked.connect(lambda: self.roll_certificate(name, promote=True))

        def gate(text: str) -> None:
            # Only a running change blocks another; background reads (the propagation
            # indicator's polling, say) must not leave the button dead after typing.
            typed = same_domain(text, name) and not self.state.changing
            self.stage_button.setEnabled(typed and md is not None)
            self.promote_button.setEnabled(typed and md is not None)

        confirm.textChanged.connect(gate)
        gate("")
        card.body.addWidget(self.stage_button)
        card.body.addWidget(self.promote_button)
        return card

    def show_rollover(self, rollover: Any) -> None:
        """The two slots side by side: thumbprints, validity, whether the IdP signs with it;
        then what to do now."""
        if rollover.domain != self.state.domain:
            return
        clear_layout(self.rollover_slots)
        # Side by side when the page has room for both; one above the other on a small or
        # scaled screen (the page never scrolls sideways).
        from PySide6.QtWidgets import QBoxLayout

        wide = self.scroll_area.viewport().width() >= 1100
        self.rollover_slots.setDirection(QBoxLayout.Direction.LeftToRight if wide
                                         else QBoxLayout.Direction.TopToBottom)
        for slot in rollover.slots:
            box = Card(f"{slot.title} certificate")
            cert = slot.certificate
            if cert is None:
                box.body.addWidget(label("Unreadable certificate text" if slot.unreadable
                                         else "None", name="muted"))
            else:
                kv = KeyValues()
                kv.add("Subject", cert.subject)
                kv.add("SHA-1", cert.sha1, mono=True)
                half = len(cert.sha256) // 2  # on two lines: the page fits a small screen
                kv.add("SHA-256", f"{cert.sha256[:half]}\n{cert.sha256[half:]}", mono=True)
                kv.add("Valid", f"{cert.not_before:%Y-%m-%d} to {cert.not_after:%Y-%m-%d} "
                                f"({cert.days_left} days left)")
                box.body.addWidget(kv)
                box.body.addWidget(StatusLabel(
                    "pass" if slot.idp_signs else "info",
                    "The IdP signs with it" if slot.idp_signs else
                    "In the IdP's metadata, not signing" if slot.in_metadata else
                    "Not in the metadata open in step 1"))
            self.rollover_slots.addWidget(box, 1)
        self.rollover_advice.setText(rollover.advice)
        # The rollover card's width changed: beside revert or below it, once Qt has measured it.
        self.rollover_slots.activate()
        self._arrange(self.width())
        QTimer.singleShot(0, lambda: self._arrange(self.width()))
        self.order_tabs()

    def revert(self, name: str) -> None:
        if self.revert_confirm is None:
            return
        self.banner.hide()
        self.state.revert(name, confirm=self.revert_confirm.text().strip())

    def roll_certificate(self, name: str, *, promote: bool) -> None:
        self.banner.hide()
        self.state.update_certificate(name, confirm=self.rollover_confirm.text().strip(),
                                      promote=promote)

    # -- the journal --------------------------------------------------------------------------

    def load_journal(self) -> None:
        """Read the journal in a worker (every file is parsed: never on the GUI thread)."""
        domain = self.state.domain if self.only_domain.isChecked() else None
        journal_dir = self.state.paths.journal_dir
        self._journal_reads += 1
        generation = self._journal_reads

        def work() -> tuple[Any, list[JournalRow]]:
            from core.journal_index import read_history

            contents = read_history(journal_dir, domain=domain)
            # The table's texts too (local times, kinds, summaries): plain strings made here,
            # so the GUI thread only hands them to the table's model.
            return contents, journal_rows(contents.entries)

        def done(read: tuple[Any, list[JournalRow]]) -> None:
            if generation == self._journal_reads:  # an older read finishing late is stale
                self.load_status.clear()
                self.show_journal(*read)

        def failed(exc: BaseException) -> None:
            if generation != self._journal_reads:
                return
            if isinstance(exc, OSError) and not isinstance(exc, FederatorError):
                exc = FederatorError(f"{exc.strerror or exc}", code="journal_unreadable")
            self.load_status.show_failed(exc, "The journal could not be read")

        self.load_status.show_loading("Reading the journal…")
        self.state.run(work, name="read journal", on_result=done, on_error=failed)

    def show_journal(self, contents: Any, rows: list[JournalRow] | None = None) -> None:
        """Show what core read (``core.journal.JournalContents``); ``rows``: the table's texts
        as :func:`journal_rows` makes them in the worker (made here when not given)."""
        selected = self.selected_entry()
        keep = selected.op if selected is not None else None
        self.entries = list(reversed(contents.entries))  # newest first
        if contents.problems:
            self.problems.setText("Problems in the journal (kept, never dropped):\n"
                                  + "\n".join(str(p) for p in contents.problems))
            self.problems.show()
        else:
            self.problems.hide()
        selection = self.table.selectionModel()
        selection.blockSignals(True)  # the rows go: the entry shown stays until chosen again
        self.table.journal.set_rows(rows if rows is not None
                                    else journal_rows(contents.entries))
        selection.blockSignals(False)
        focus, self.state.history_focus = self.state.history_focus, None
        keep = focus or keep  # a result's button asked for this change
        self._size_columns()
        self.hint_changed.emit()  # "n changes" in the step list
        found = [i for i, e in enumerate(self.entries) if keep is not None and e.op == keep]
        if found:
            self.table.selectRow(found[0])  # a reload keeps what the admin was reading
        else:
            self.entry_card.hide()

    def _size_columns(self) -> None:
        """The columns before Summary fit their contents, capped, and together leave Summary
        at least 40 % of the table: Who, then Domain, give way first."""
        self.table.resizeColumnsToContents()
        widths = [min(self.table.columnWidth(col), MAX_COLUMN_WIDTH) for col in range(5)]
        excess = sum(widths) - int(self.table.viewport().width() * 0.6)
        for col in (3, 1):
            if excess <= 0:
                break
            cut = max(0, min(excess, widths[col] - 90))
            widths[col] -= cut
            excess -= cut
        for col, width in enumerate(widths):
            self.table.setColumnWidth(col, width)

    def selected_entry(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.entries[rows[0].row()]

    def show_entry(self) -> None:
        from core.plan import display_value

        entry = self.selected_entry()
        clear_layout(self.entry_body)
        self.snaps_layout = None
        if entry is None:
            self.entry_card.hide()
            return
        try:
            entry.records  # noqa: B018 - its records are read from the journal on first use
        except FederatorError as exc:  # the journal changed since the list was read
            self.entry_card.hide()
            self.banner.show_error(exc)
            return
        self.entry_card.title.setText(f"{kind_title(entry.kind)} "
                                      f"{entry.domain}, {_when(entry.started_at)}")
        status = OUTCOME_STATUS.get(entry.outcome, "info")
        self.entry_body.addWidget(StatusLabel(status, entry_sentence(entry)))
        kv = KeyValues()
        kv.add("Who", entry.who)
        kv.add("Operation id", entry.op, mono=True)
        if entry.request_ids:
            kv.add("Graph request ids", "\n".join(entry.request_ids), mono=True)
        if entry.way_back:
            step = way_back_step(entry.way_back)
            kv.add("Way back", (f"{step.describe} Type the domain below, then Restore the "
                                "state before." if step is not None and step.kind == "restore"
                                else runnable(way_back_for_window(entry.way_back))))
        self.entry_body.addWidget(kv)
        export = QPushButton("Export change record…")
        export.setAccessibleName("Export this change's record (HTML or JSON) for a change "
                                 "ticket")
        op, domain = entry.op, entry.domain
        export.clicked.connect(lambda _c=False: self.state.ask_export_change(self, op, domain))
        self.export_button = export
        current = next((d.get("authenticationType") for d in self.state.domains
                        if str(d.get("id")) == entry.domain), None)
        after_state = (entry.snapshot_after.authentication_type
                       if entry.snapshot_after is not None else None)
        self.entry_test_signin: QPushButton | None = None
        if (current or after_state) == "Federated":  # the domain as Graph has it now
            from gui.views.signin_view import test_signin_button

            actions = QHBoxLayout()
            actions.addWidget(export)
            self.entry_test_signin = test_signin_button(self.state, entry.domain)
            actions.addWidget(self.entry_test_signin)
            actions.addStretch(1)
            self.entry_body.addLayout(actions)
        else:
            self.entry_body.addWidget(export, 0, Qt.AlignmentFlag.AlignLeft)
        remaining = (entry.end or {}).get("remaining_options")
        if isinstance(remaining, list) and remaining:  # no way back works: what remains
            self.entry_body.addWidget(label("<b>What remains, in order:</b>", rich=True))
            for option in remaining:
                shown = label(for_window(str(option)), wrap=True, selectable=True)
                shown.setTextFormat(Qt.TextFormat.PlainText)  # journal text is data
                self.entry_body.addWidget(shown)
        self.restore_confirm = _confirm_field(entry.domain, "a restore")
        self.restore_buttons: list[QPushButton] = []
        if entry.snapshot_before is not None or entry.snapshot_after is not None:
            # The confirmation comes before the Restore buttons, in reading and in Tab order.
            row = QHBoxLayout()
            restore_label = label(f"To restore one of these states, type {entry.domain}:")
            restore_label.setBuddy(self.restore_confirm)
            row.addWidget(restore_label)
            row.addWidget(self.restore_confirm, 1)
            self.entry_body.addLayout(row)
        snaps = self.snaps_layout = QHBoxLayout()
        for title, snap in (("Before", entry.snapshot_before), ("After", entry.snapshot_after)):
            if snap is None:
                continue
            card = Card(f"{title}: {snap.authentication_type}")
            skv = KeyValues()
            skv.add("Snapshot", snap.id, mono=True)
            skv.add("Taken", _when(snap.taken_at)).setToolTip(
                local_and_utc(snap.taken_at)[1])
            for key, value in (snap.federation or {}).items():
                if key.startswith("@") or key == "id" or value in (None, ""):
                    continue
                skv.add(key, display_value(key, value), mono=True)
            if not snap.readable:
                skv.add("Note", snap.note or "Graph could not read this state")
            card.body.addWidget(skv)
            restore = QPushButton(f"Restore this state ({snap.authentication_type})")
            restore.setAccessibleName(f"Restore the state {title.lower()} this change")
            restore.clicked.connect(lambda _c=False, s=snap: self.restore(s))
            restore.setEnabled(False)
            if snap.authentication_type == "Managed" and current == "Managed":
                # Nothing to restore: the domain already uses managed sign-in.
                reason = f"{entry.domain} already uses managed sign-in: nothing to restore."
                restore.setToolTip(reason)
                restore.setAccessibleDescription(reason)
                card.body.addWidget(label(reason, wrap=True, name="muted"))
            else:
                self.restore_buttons.append(restore)
            card.body.addWidget(restore)
            snaps.addWidget(card, 1)
        self.entry_body.addLayout(snaps)
        self._arrange(self.width())
        if self.restore_buttons:
            domain = entry.domain

            def gate(text: str) -> None:
                for button in self.restore_buttons:
                    button.setEnabled(same_domain(text, domain))

            self.restore_confirm.textChanged.connect(gate)

            def submit() -> None:  # Enter restores when only one state can be restored
                enabled = [b for b in self.restore_buttons if b.isEnabled()]
                if len(enabled) == 1:
                    enabled[0].click()

            self.restore_confirm.returnPressed.connect(submit)
        self.entry_card.show()
        self.order_tabs()

    def restore(self, snapshot: Any) -> None:
        self.banner.hide()
        confirm = self.restore_confirm.text().strip()
        self._restoring = (snapshot.id, confirm)
        self.state.restore(snapshot.id, confirm=confirm)

    def _on_finished(self, _result: object, error: object) -> None:
        """Show the outcome of a change started here; a restore refused because it would undo
        a later change: say which, offer to."""
        op = self.shown_operation()
        if op is not None:
            self._show_operation_outcome(op)
        else:
            self.operation_card.hide()  # a change started elsewhere reports there
        pending, self._restoring = self._restoring, None
        if pending is None or getattr(error, "code", None) != "restore_would_overwrite":
            return
        from gui.dialogs import OverwriteDialog

        snapshot_id, confirm = pending
        dialog = OverwriteDialog(str(getattr(error, "message", error)), self)
        dialog.accepted.connect(lambda: self._restore_anyway(snapshot_id, confirm))
        self.overwrite_dialog = dialog
        dialog.open()

    def _restore_anyway(self, snapshot_id: str, confirm: str) -> None:
        self.overwrite_dialog = None
        self.state.restore(snapshot_id, confirm=confirm, force=True)


def _side_by_side_width(layout: QBoxLayout) -> int:
    """The least width of the layout's widgets in a row."""
    widths = []
    for index in range(layout.count()):
        item = layout.itemAt(index)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widths.append(widget.minimumSizeHint().width())
    return sum(widths) + layout.spacing() * max(0, len(widths) - 1)


def _confirm_field(domain: str, what: str) -> QLineEdit:
    """Every write needs the domain typed again; the field says so in words and for readers."""
    field = QLineEdit()
    field.setPlaceholderText(domain)
    field.setAccessibleName(f"Type {domain} to confirm {what}")
    return field


def entry_sentence(entry: Any) -> str:
    """An entry's detail as a sentence: "Succeeded: fabrikam.com is now Federated ...", never
    the journal's bare "succeeded: ..." (a domain name may still open the summary: it is a
    name, kept as Graph spells it)."""
    heading = OUTCOME_HEADINGS.get(entry.outcome, entry.outcome.replace("-", " ").capitalize())
    summary = for_window(entry.summary).strip()
    if not summary:
        return f"{heading}."
    first = summary.split(" ", 1)[0]
    if "." not in first.rstrip(".:,;"):  # a word, not a domain name
        summary = summary[0].upper() + summary[1:]
    return f"{heading}: {summary}"


def _when(stamp: str) -> str:
    """The journal's UTC time in the admin's local time (UTC is in the tooltips)."""
    return local_and_utc(stamp)[0]
