"""The tenant overview: every domain, and for federated ones their health, certificate and fix.

The window's face of the health watch (``core.health``): the same verdict as ``federator watch``,
computed off the GUI thread. The page opens at once on the last report (kept by every watch run,
the command line's too) and then refreshes. A fix is the same journaled operation as the
command's (``core.health.fix``), after the domain is typed to confirm it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui import theme
from gui.state import AppState
from gui.views.base import StepView
from gui.widgets import (
    Card,
    KeyValues,
    StatusLabel,
    clear_layout,
    label,
    text_button,
)

# A domain's finding is a sentence (with a certificate's subject and SHA-1): it is shown whole,
# on the table's full width, in a row of its own under the domain's (at 1366x768, 150 % a
# Finding column had 80 px, a 20-line cell).
COLUMNS = ["Domain", "Authentication", "IdP", "Health", "Certificate"]
# The watch's states in the window's status vocabulary (icon, word, colour).
STATE_STATUS = {"healthy": "pass", "attention": "warn", "broken": "fail", "unknown": "unknown"}
STATE_WORDS = {"healthy": "Healthy", "attention": "Attention", "broken": "Broken",
               "unknown": "Unknown"}
BAR_DAYS = 365  # a full bar: a year or more left


class OverviewView(StepView):
    """Every domain of the tenant with its health; a federated one opens its certificates."""

    report_shown = Signal()

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, "Overview",
                         "Every domain of the tenant and, for federated ones, whether sign-ins "
                         "will keep working: the IdP's current metadata against the tenant's "
                         "certificates, issuer and URLs.", parent=parent)
        self.report: dict[str, Any] | None = None
        self.selected: str | None = None
        self.not_signed_in = label("Sign in (top right) or try the sandbox tenant to see the "
                                   "tenant's health.", wrap=True)
        self.content.addWidget(self.not_signed_in)
        self.checked = label("", wrap=True)
        self.content.addWidget(self.checked)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Domains and their health")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setTabKeyNavigation(False)
        from gui.views.table_text import SpanDelegate, set_headers, wrap_text_columns

        set_headers(self.table, COLUMNS)
        # The IdP (a URL or an entity ID) takes the room left and wraps, rows as tall as their
        # text: read whole at 1366x768, 150 %, where it was cut.
        wrap_text_columns(self.table, [COLUMNS.index("IdP")])
        self.table.setItemDelegate(SpanDelegate(self.table))
        self.table.setMinimumHeight(220)
        self.table.itemSelectionChanged.connect(self._selected)
        self.content.addWidget(self.table, 1)
        self.refresh_button = QPushButton(theme.icon("refresh"), "Check now")
        self.refresh_button.setAccessibleName("Check the tenant's health now")
        self.refresh_button.clicked.connect(self.refresh)
        row = QHBoxLayout()
        row.addWidget(self.refresh_button)
        row.addStretch(1)
        self.content.addLayout(row)
        self.detail = QHBoxLayout()
        self.content.addLayout(self.detail)
        self.fix_card = Card("Fix")
        self.fix_text = label("", wrap=True)
        # The admin's word, as `federator watch --fix --promote`: the IdP already signs with the
        # staged certificate though its metadata still lists both (the watch cannot see that).
        self.promote_check = QCheckBox("The IdP already signs with the staged next certificate "
                                       "(its metadata may still list both): promote it")
        self.promote_check.setAccessibleName("The IdP signs with the staged next certificate: "
                                             "promote it")
        self.promote_check.toggled.connect(self._promote_toggled)
        self.fix_confirm = QLineEdit()
        self.fix_confirm.setAccessibleName("Type the domain to confirm the fix")
        self.fix_button = text_button("Apply the fix", primary=True)
        self.fix_button.setEnabled(False)
        self.fix_confirm.textChanged.connect(self._gate_fix)
        self.fix_button.clicked.connect(self.apply_fix)
        self.fix_card.body.addWidget(self.fix_text)
        self.fix_card.body.addWidget(self.promote_check)
        self.fix_card.body.addWidget(self.fix_confirm)
        self.fix_card.body.addWidget(self.fix_button)
        self.content.addWidget(self.fix_card)
        self.source_card = Card("Where the IdP's metadata comes from")
        self.source_edit = QLineEdit()
        self.source_edit.setPlaceholderText("https://... or a metadata file")
        self.source_edit.setAccessibleName("Metadata source of the selected domain")
        self.source_button = text_button("Remember this source")
        self.source_button.clicked.connect(self.set_source)
        self.source_card.body.addWidget(self.source_edit)
        self.source_card.body.addWidget(self.source_button)
        self.content.addWidget(self.source_card)
        self.content.addStretch(1)
        state.session_changed.connect(self._session_changed)
        state.operation_finished.connect(self._after_change)
        self._show_selection()
        self._session_changed()

    # -- data -------------------------------------------------------------------------------

    def step_hint(self) -> tuple[str | None, str]:
        if self.report is None:
            return None, "not checked yet"
        worst = str(self.report.get("worst") or "unknown")
        return STATE_STATUS.get(worst, "unknown"), STATE_WORDS.get(worst, worst).lower()

    def entered(self) -> None:
        if self.state.session is not None:
            self.refresh()

    def _session_changed(self) -> None:
        session = self.state.session
        self.not_signed_in.setVisible(session is None)
        self.refresh_button.setEnabled(session is not None)
        if session is None:
            self.show_report(None)
            return
        from core.health.sources import load_last_report

        # At once, from the last run (this window's or `federator watch`'s); refreshed next.
        self.show_report(load_last_report(self.state.paths, session.tenant_id), cached=True)

    def refresh(self) -> None:
        session = self.state.session
        if session is None:
            return
        paths = self.state.paths

        def work() -> dict[str, Any]:
            from core.health.gather import watch_tenant
            from session import judgement_now, metadata_loader

            now = judgement_now(session)
            return watch_tenant(session, paths, now=now,
                                load_metadata=metadata_loader(session, now),
                                everything=True).to_json()

        def done(report: dict[str, Any]) -> None:
            if session is self.state.session:
                self.show_report(report)

        self.state.run(work, name="check the tenant's health", on_result=done)

    # -- showing ----------------------------------------------------------------------------

    def show_report(self, report: dict[str, Any] | None, *, cached: bool = False) -> None:
        self.report = report
        self.table.setRowCount(0)
        self.table.clearSpans()
        domains = report.get("domains", []) if report else []
        for item in domains:
            row = self.table.rowCount()
            self.table.insertRow(row)
            note = self._fill_row(row, item)
            if note is not None:
                self._add_note(row + 1, item, note)
        if report is None:
            self.checked.setText("")
        else:
            from core.localtime import local_and_utc

            # In the admin's local time, as History shows times; UTC in the tooltip.
            local, utc = local_and_utc(report.get("checked_at") or "?")
            self.checked.setText(f"Last checked {local}" + (" (refreshing…)" if cached else ""))
            self.checked.setToolTip(utc)
        if self.selected and not any(d.get("domain") == self.selected for d in domains):
            self.selected = None
        for row in range(self.table.rowCount()):
            cell = self.table.item(row, 0)
            if cell is not None and cell.data(Qt.ItemDataRole.UserRole) == self.selected:
                self.table.selectRow(row)
                break
        self._show_selection()
        self.report_shown.emit()

    def _add_note(self, row: int, item: dict[str, Any], note: dict[str, Any]) -> None:
        """The domain's finding, whole, in a row spanning the table under the domain's row;
        choosing it chooses the domain."""
        from gui.views.table_text import text_item

        name = str(item.get("domain") or "")
        message = str(note.get("message") or "")
        self.table.insertRow(row)
        cell = text_item(message)
        status = {"info": "info", **STATE_STATUS}.get(str(note.get("severity")), "unknown")
        cell.setIcon(theme.status_icon(status))
        cell.setData(Qt.ItemDataRole.UserRole, name)
        cell.setData(Qt.ItemDataRole.AccessibleTextRole, f"Finding for {name}: {message}")
        self.table.setItem(row, 0, cell)
        self.table.setSpan(row, 0, 1, len(COLUMNS))

    def _fill_row(self, row: int, item: dict[str, Any]) -> dict[str, Any] | None:
        """The domain's row; returns its finding to show under it, if any."""
        name = str(item.get("domain") or "")
        federated = str(item.get("authentication") or "").lower() == "federated"
        first = QTableWidgetItem(name)
        first.setData(Qt.ItemDataRole.UserRole, name)
        self.table.setItem(row, 0, first)
        self.table.setItem(row, 1, QTableWidgetItem(str(item.get("authentication") or "")))
        from gui.views.table_text import text_item

        self.table.setItem(row, 2, text_item(
            str(item.get("idp_entity_id") or item.get("issuer") or "—") if federated else "—",
            anywhere=True))
        if not federated:
            self.table.setItem(row, 3, QTableWidgetItem("—"))
            return None
        state = str(item.get("state") or "unknown")
        self.table.setCellWidget(row, 3, StatusLabel(STATE_STATUS.get(state, "unknown"),
                                                     STATE_WORDS.get(state, state)))
        findings = [f for f in item.get("findings") or [] if f.get("severity") != "info"]
        cert = item.get("signing_certificate")
        # With no certificate of its own and nothing to warn about, the note says why (a
        # subdomain is checked with its root).
        notes = findings or (list(item.get("findings") or []) if cert is None else [])
        note = dict(notes[0]) if notes else None
        if cert is None:  # none of its own (a subdomain follows its root): not "unreadable"
            self.table.setItem(row, 4, QTableWidgetItem("—"))
            return note
        days = cert.get("days_left")
        bar = QProgressBar()
        bar.setRange(0, BAR_DAYS)
        if isinstance(days, int):
            bar.setValue(max(0, min(days, BAR_DAYS)))
            bar.setFormat(f"{days} days left" if days >= 0 else f"expired {-days} days ago")
        else:
            bar.setValue(0)
            bar.setFormat("unreadable")
        bar.setAccessibleName(f"Certificate of {name}: {bar.format()}")
        # At its own height, centred in the cell: a row made tall by a wrapped IdP would
        # otherwise stretch the bar into a block.
        bar.setMaximumHeight(bar.sizeHint().height())
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(2, 0, 2, 0)
        column.addStretch(1)
        column.addWidget(bar)
        column.addStretch(1)
        self.table.setCellWidget(row, 4, holder)
        return note

    def _domain(self, name: str | None) -> dict[str, Any] | None:
        for item in (self.report or {}).get("domains", []):
            if item.get("domain") == name:
                return dict(item)
        return None

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            cell = self.table.item(rows[0].row(), 0)
            self.selected = cell.data(Qt.ItemDataRole.UserRole) if cell else None
        self._show_selection()

    def _show_selection(self) -> None:
        clear_layout(self.detail)
        item = self._domain(self.selected)
        federated = item is not None and str(item.get("authentication")).lower() == "federated"
        self.source_card.setVisible(federated)
        with QSignalBlocker(self.promote_check):  # a new domain: the admin has not said so
            self.promote_check.setChecked(False)
        promotable = federated and self._promotable(item)
        self.promote_check.setVisible(promotable)
        fixable = self.fixable()
        self.fix_card.setVisible(fixable is not None or promotable)
        self.fix_confirm.clear()
        self.fix_button.setEnabled(False)
        if item is None or not federated:
            return
        self.source_edit.setText(str(item.get("source") or ""))
        for slot, title in (("signing_certificate", "Current signing certificate"),
                            ("next_signing_certificate", "Next signing certificate")):
            self.detail.addWidget(self._certificate_card(title, item.get(slot)))
        self.detail.addWidget(self._advice_card(item))
        self._describe_fix()

    def _describe_fix(self) -> None:
        fixable = self.fixable()
        if fixable is not None:
            self.fix_text.setText(f"{fixable.describe()} Type {fixable.domain} to confirm.")
            self.fix_confirm.setPlaceholderText(fixable.domain)
        elif not self.promote_check.isHidden():
            self.fix_text.setText("Nothing to fix from the IdP's metadata. If the IdP already "
                                  "signs with the staged next certificate, say so to promote "
                                  "it.")
            self.fix_confirm.setPlaceholderText("")

    @staticmethod
    def _promotable(item: dict[str, Any] | None) -> bool:
        """A next certificate is staged and the IdP's metadata source is known: promoting it on
        the admin's word is possible (``core.health.fix.fix_for(promote=True)``)."""
        from core.health.fix import fix_for
        from core.health.model import DomainHealth

        return item is not None and fix_for(DomainHealth.from_json(item),
                                            promote=True) is not None

    def _promote_toggled(self, _checked: bool) -> None:
        # What is confirmed is what is shown: a changed choice asks for the domain again.
        self.fix_confirm.clear()
        self._describe_fix()
        self._gate_fix()

    @staticmethod
    def _certificate_card(title: str, cert: dict[str, Any] | None) -> Card:
        card = Card(title)
        if not cert:
            card.body.addWidget(label("None staged.", wrap=True))
            return card
        values = KeyValues()
        values.add("Subject", str(cert.get("subject") or ""))
        values.add("SHA-1", str(cert.get("sha1") or ""), mono=True)
        from core.localtime import local_and_utc

        local, utc = local_and_utc(cert.get("not_after"))
        values.add("Valid until", local).setToolTip(utc)  # local time, as History shows
        days = cert.get("days_left")
        values.add("Days left", str(days) if days is not None else "?")
        listed = cert.get("in_idp_metadata")
        values.add("In the IdP's metadata",
                   "Yes" if listed is True else "No" if listed is False else "Not read")
        card.body.addWidget(values)
        return card

    @staticmethod
    def _advice_card(item: dict[str, Any]) -> Card:
        card = Card("The IdP signs with")
        current = item.get("signing_certificate") or {}
        staged = item.get("next_signing_certificate") or {}
        if current.get("in_idp_metadata") is None:
            text = "Not known: Federator has not read the IdP's metadata (set its source below)."
        elif staged and staged.get("in_idp_metadata") and not current.get("in_idp_metadata"):
            text = ("The next certificate: the IdP's metadata lists only it. Promote it now.")
        elif staged and staged.get("in_idp_metadata"):
            text = ("The current certificate, and it already publishes the next one. Promote "
                    "the next one when the IdP switches (its metadata then lists only it).")
        elif current.get("in_idp_metadata"):
            text = "The current certificate."
        else:
            text = "A certificate the tenant does not have: sign-ins fail until it is added."
        card.body.addWidget(label(text, wrap=True))
        for finding in item.get("findings") or []:
            card.body.addWidget(StatusLabel(
                {"info": "info", **STATE_STATUS}.get(str(finding.get("severity")), "unknown"),
                str(finding.get("message") or "")))
        return card

    # -- fixing -----------------------------------------------------------------------------

    def fixable(self) -> Any:
        """The selected domain's fix as ``core.health.fix.HealthFix``, or ``None``."""
        from core.health.fix import HealthFix, fix_for
        from core.health.model import FIX_PROMOTE, FIX_STAGE, DomainHealth, HealthFinding

        item = self._domain(self.selected)
        if item is not None and self.promote_check.isChecked():
            return fix_for(DomainHealth.from_json(item), promote=True)  # as the CLI's --promote
        if item is None or not item.get("source"):
            return None
        order = {"broken": 3, "unknown": 2, "attention": 1}
        fixes = [f for f in item.get("findings") or [] if f.get("fix") in (FIX_STAGE,
                                                                             FIX_PROMOTE)]
        if not fixes:
            return None
        top = max(fixes, key=lambda f: order.get(str(f.get("severity")), 0))
        finding = HealthFinding(str(top["id"]), str(top["severity"]), str(top["message"]),
                                str(top.get("remedy") or ""), str(top["fix"]))
        return HealthFix(str(item["domain"]), finding, top["fix"] == FIX_PROMOTE,
                         str(item["source"]))

    def _gate_fix(self) -> None:
        from core.domain_names import same_domain

        fix = self.fixable()
        self.fix_button.setEnabled(fix is not None and not self.state.changing
                                   and same_domain(self.fix_confirm.text(), fix.domain))

    def apply_fix(self) -> None:
        fix = self.fixable()
        session = self.state.session
        if fix is None or session is None:
            return
        confirm = self.fix_confirm.text().strip()
        paths = self.state.paths

        def call(ctx: Any) -> Any:
            from core.health.fix import apply_fix
            from core.health.sources import journal_facts, remember_after_change
            from session import judgement_now, metadata_loader

            metadata = metadata_loader(session, judgement_now(session))(fix.source)
            ctx.journal_extra.update(journal_facts(fix.source, metadata))
            result = apply_fix(ctx, fix, metadata, confirm=confirm)
            remember_after_change(paths, session.tenant_id, fix.domain, fix.source, metadata,
                                  result)
            return result

        # The window's one path for a change: progress, the change count, history refreshed.
        self.state._operation(fix.finding.fix or "fix", call)

    def _after_change(self, result: object, error: object) -> None:
        if self.isVisible() and self.state.session is not None:
            self.refresh()

    def set_source(self) -> None:
        session, name = self.state.session, self.selected
        text = self.source_edit.text()
        if session is None or not name:
            return
        paths = self.state.paths

        def work() -> str:
            from core.health.sources import certificate_facts, check_source, remember_source
            from session import judgement_now, metadata_loader

            source = check_source(text)
            metadata = metadata_loader(session, judgement_now(session))(source)
            remember_source(paths, session.tenant_id, name, source, by="set-source",
                            certificates=certificate_facts(metadata))
            return source

        self.state.run(work, name="remember the metadata source",
                       on_result=lambda _source: self.refresh())
