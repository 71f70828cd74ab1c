"""Step 5: every change Federator made, and the way back from each.

For the chosen domain, when it is federated: a prominent "Revert to managed authentication" (with
how many users will need a cloud password and how to give them one) and the certificate rollover
(stage the new certificate as next, then promote it). Below, the journal as a table; selecting an
entry shows its snapshots, request ids and the way back, and can restore a snapshot.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from core.change_kinds import kind_title
from core.domain_names import same_domain
from core.errors import FederatorError
from gui import theme
from gui.state import AppState
from gui.views.base import StepView
from gui.widgets import (
    Card,
    KeyValues,
    StatusLabel,
    clear_layout,
    label,
    plain_tooltip,
    plural,
    text_button,
)

STACK_BELOW_WIDTH = 960  # page width under which the revert and rollover cards stack
OUTCOME_STATUS = {"succeeded": "pass", "no-change": "pass", "failed": "fail",
                  "unknown": "warn", "in-progress": "warn", "reconciled": "info"}


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
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["When (UTC)", "Domain", "Change", "Who", "Outcome",
                                              "Summary"])
        self.table.setAccessibleName("Journal of changes")
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        for col in range(5):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(150)
        self.table.setMaximumHeight(260)
        self.table.itemSelectionChanged.connect(self.show_entry)
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

    def _arrange(self, width: int) -> None:
        direction = (QBoxLayout.Direction.LeftToRight if width >= STACK_BELOW_WIDTH
                     else QBoxLayout.Direction.TopToBottom)
        self.domain_layout.setDirection(direction)
        if self.snaps_layout is not None:
            self.snaps_layout.setDirection(direction)

    def _changed(self) -> None:
        if self.isVisible():
            self.load_journal()
            self.refresh_domain()
        else:
            self._stale = True

    def entered(self) -> None:
        if self._stale:
            self._stale = False
            self.load_journal()
            self.refresh_domain()

    def step_hint(self) -> tuple[str | None, str]:
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
        self.order_tabs()

    def _revert_card(self, name: str) -> QWidget:
        card = Card(f"Revert {name} to managed authentication")
        issuer = self.chosen_issuer()
        card.body.addWidget(StatusLabel("info", (
            "{domain} is federated with the identity provider {issuer}" if issuer
            else "{domain} is federated").format(domain=name, issuer=issuer)))
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
        else:
            card.body.addWidget(StatusLabel("warn", "Users will need a cloud password"))
            card.body.addWidget(label("Counting the users who will need one…", name="muted"))
            # Asked after this page is drawn: the answer redraws the page, never in the middle.
            QTimer.singleShot(0, lambda: self.state.load_password_impact(name))
        row = QHBoxLayout()
        self.revert_confirm = QLineEdit()
        self.revert_confirm.setPlaceholderText(name)
        self.revert_confirm.setAccessibleName(f"Type {name} to confirm the revert")
        self.revert_confirm.setMinimumWidth(160)
        confirm_label = label(f"Type {name} to confirm:")
        confirm_label.setBuddy(self.revert_confirm)
        self.revert_button = text_button("Revert to managed authentication", danger=True)
        self.revert_button.setEnabled(False)
        self.revert_confirm.textChanged.connect(
            lambda text: self.revert_button.setEnabled(same_domain(text, name)
                                                       and not self.state.changing))
        self.revert_button.clicked.connect(lambda: self.revert(name))
        row.addWidget(confirm_label)
        row.addWidget(self.revert_confirm, 1)
        row.addWidget(self.revert_button)
        card.body.addLayout(row)
        return card

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

        def work() -> Any:
            from core.journal_index import read_history

            return read_history(journal_dir, domain=domain)

        def done(contents: Any) -> None:
            if generation == self._journal_reads:  # an older read finishing late is stale
                self.show_journal(contents)

        def failed(exc: BaseException) -> None:
            if generation != self._journal_reads:
                return
            if isinstance(exc, FederatorError):
                text = exc.message + (f"\n{exc.remedy}" if exc.remedy else "")
            elif isinstance(exc, OSError):
                text = f"The journal could not be read: {exc.strerror or exc}"
            else:
                self.state.error.emit("read journal", exc)
                return
            self.problems.setText(text)
            self.problems.show()

        self.state.run(work, name="read journal", on_result=done, on_error=failed)

    def show_journal(self, contents: Any) -> None:
        """Fill the table from what core read (``core.journal.JournalContents``)."""
        selected = self.selected_entry()
        keep = selected.op if selected is not None else None
        self.entries = list(reversed(contents.entries))  # newest first
        if contents.problems:
            self.problems.setText("Problems in the journal (kept, never dropped):\n"
                                  + "\n".join(str(p) for p in contents.problems))
            self.problems.show()
        else:
            self.problems.hide()
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for entry in self.entries:
            row = self.table.rowCount()
            self.table.insertRow(row)
            status = OUTCOME_STATUS.get(entry.outcome, "info")
            outcome = QTableWidgetItem(theme.status_icon(status), entry.outcome)
            cells = [QTableWidgetItem(_when(entry.started_at)), QTableWidgetItem(entry.domain),
                     QTableWidgetItem(kind_title(entry.kind)),
                     QTableWidgetItem(entry.who), outcome, QTableWidgetItem(entry.summary)]
            cells[5].setToolTip(plain_tooltip(entry.summary))  # the column elides long summaries
            outcome.setData(Qt.ItemDataRole.AccessibleTextRole,
                            f"{theme.STATUS_WORDS.get(status, status)}: {entry.outcome}")
            cells[0].setData(Qt.ItemDataRole.UserRole, entry.op)
            for col, cell in enumerate(cells):
                self.table.setItem(row, col, cell)
        self.table.blockSignals(False)
        rows = [i for i, e in enumerate(self.entries) if keep is not None and e.op == keep]
        if rows:
            self.table.selectRow(rows[0])  # a reload keeps what the admin was reading
        else:
            self.entry_card.hide()

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
        self.entry_body.addWidget(StatusLabel(status, f"{entry.outcome}: {entry.summary}"))
        kv = KeyValues()
        kv.add("Who", entry.who)
        kv.add("Operation id", entry.op, mono=True)
        if entry.request_ids:
            kv.add("Graph request ids", "\n".join(entry.request_ids), mono=True)
        if entry.way_back:
            kv.add("Way back", entry.way_back)
        self.entry_body.addWidget(kv)
        remaining = (entry.end or {}).get("remaining_options")
        if isinstance(remaining, list) and remaining:  # no way back works: what remains
            self.entry_body.addWidget(label("<b>What remains, in order:</b>", rich=True))
            for option in remaining:
                shown = label(str(option), wrap=True, selectable=True)
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
            skv.add("Taken", _when(snap.taken_at))
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
        self.entry_card.show()
        self.order_tabs()

    def restore(self, snapshot: Any) -> None:
        self.banner.hide()
        confirm = self.restore_confirm.text().strip()
        self._restoring = (snapshot.id, confirm)
        self.state.restore(snapshot.id, confirm=confirm)

    def _on_finished(self, _result: object, error: object) -> None:
        """A restore refused because it would undo a later change: say which, offer to."""
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


def _confirm_field(domain: str, what: str) -> QLineEdit:
    """Every write needs the domain typed again; the field says so in words and for readers."""
    field = QLineEdit()
    field.setPlaceholderText(domain)
    field.setAccessibleName(f"Type {domain} to confirm {what}")
    return field


def _when(stamp: str) -> str:
    return stamp.replace("T", " ").replace("Z", "")[:19] if stamp else ""
