"""Step 2: the tenant's domains in a table, to choose the one to federate (or to manage).

Shows what Graph says about each domain (verified, default, initial, authentication, issuer). It
does not judge which domain can be federated: that is preflight's job, one step later.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from gui import theme
from gui.state import AppState
from gui.views.base import StepView
from gui.widgets import LoadStatus, label, markup, text_button

# Short header words (a header is never cut at 1366x768, 150 %): the authentication type
# (Managed or Federated), the IdP's issuer, and whether Microsoft would accept federating it;
# the reason of a "No" is shown whole under the table.
COLUMNS = ("Domain", "Verified", "Default", "Sign-in", "Issuer\n(IdP)", "Can\nfederate")
SPOKEN_COLUMNS = ("Domain", "Verified", "Default", "Authentication (sign-in)", "Issuer (IdP)",
                  "Can be federated")
ISSUER_COLUMN = 4


def _field(domain: Any, *names: str) -> Any:
    for name in names:
        if isinstance(domain, dict) and name in domain:
            return domain[name]
        if hasattr(domain, name):
            return getattr(domain, name)
    return None


def domain_name(domain: Any) -> str:
    return str(_field(domain, "id", "name") or "")


class DomainView(StepView):
    """The domains table; selecting a row chooses the target domain."""

    open_history = Signal()

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, "Domain",
                         "Choose the custom domain whose users will sign in at your identity "
                         "provider. Preflight checks it next.",
                         next_label="Next: run preflight checks  →", parent=parent)
        self.not_signed_in = label("Sign in (top right) or try the sandbox tenant to see the "
                                   "domains.", wrap=True)
        self.content.addWidget(self.not_signed_in)
        self.load_status = LoadStatus()
        self.load_status.retry.connect(self.state.refresh_domains)
        self.content.addWidget(self.load_status)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Domains in the tenant")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setTabKeyNavigation(False)
        from gui.views.table_text import set_headers, wrap_text_columns

        set_headers(self.table, COLUMNS, SPOKEN_COLUMNS)
        # The issuer (a URL) takes the room left and wraps; the verdict is a word, its reason
        # a sentence below the table for the chosen row: at 1366x768, 150 % a column has
        # about 70 px, where a sentence would be cut or stand eight lines tall.
        wrap_text_columns(self.table, [ISSUER_COLUMN], words=False)
        self.table.itemSelectionChanged.connect(self._selected)
        # Low enough that the chosen row's reason, under the table, is on screen at 1366x768,
        # 150 % (the table scrolls its rows).
        self.table.setMinimumHeight(200)
        self.content.addWidget(self.table, 1)
        self.selection = label("", wrap=True, rich=True)
        self.content.addWidget(self.selection)
        row = QHBoxLayout()
        self.refresh_button = QPushButton(theme.icon("refresh"), "Refresh")
        self.refresh_button.setAccessibleName("Refresh the list of domains")
        self.refresh_button.clicked.connect(self.state.refresh_domains)
        self.history_button = text_button("Manage this federated domain (history, revert)…")
        self.history_button.clicked.connect(self.open_history)
        row.addWidget(self.refresh_button)
        row.addStretch(1)
        row.addWidget(self.history_button)
        self.content.addLayout(row)
        self.content.addStretch(1)
        state.domains_changed.connect(self.refresh_view)
        state.session_changed.connect(self.refresh_view)
        state.domain_changed.connect(self._sync_selection)
        state.load_changed.connect(self._load_changed)
        self.refresh_view()

    def _load_changed(self, what: str) -> None:
        if what != "domains":
            return
        phase, error = self.state.loads.get(what, ("done", None))
        if phase == "loading":
            self.load_status.show_loading("Reading the tenant's domains from Microsoft Graph…")
        elif phase == "failed" and error is not None:
            self.load_status.show_failed(error, "The domains could not be read")
        else:
            self.load_status.clear()

    def step_hint(self) -> tuple[str | None, str]:
        if self.state.domain:
            return "pass", self.state.domain
        return None, "none chosen"

    def reload(self) -> None:
        self.state.refresh_domains()

    def entered(self) -> None:
        if self.state.session is not None and not self.state.domains:
            self.state.refresh_domains()

    def refresh_view(self) -> None:
        signed_in = self.state.session is not None
        self.not_signed_in.setVisible(not signed_in)
        self.table.setVisible(signed_in)
        self.refresh_button.setVisible(signed_in)
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        from core.domains import federation_blocker
        from gui.views.table_text import text_item

        self.blockers: dict[str, str | None] = {}
        for domain in self.state.domains:
            row = self.table.rowCount()
            self.table.insertRow(row)
            name = domain_name(domain)
            verified = bool(_field(domain, "isVerified", "is_verified"))
            default = bool(_field(domain, "isDefault", "is_default"))
            initial = bool(_field(domain, "isInitial", "is_initial"))
            auth = str(_field(domain, "authenticationType", "authentication_type") or "")
            issuer = str(_field(domain, "issuerUri", "issuer_uri") or "")
            if domain.get("inheritsFrom"):
                issuer = f"{issuer} (follows {domain['inheritsFrom']})".strip()
            cells = [
                QTableWidgetItem(name + ("  (initial)" if initial else "")),
                QTableWidgetItem("Yes" if verified else "No"),
                QTableWidgetItem("Default" if default else ""),
                QTableWidgetItem(auth),
                text_item(issuer or ("—" if auth != "Federated" else ""), anywhere=True),
            ]
            # Flagged before preflight: what Microsoft would refuse, with the reason.
            blocker = federation_blocker(dict(domain), [dict(d) for d in self.state.domains])
            self.blockers[name] = blocker
            can = QTableWidgetItem(theme.status_icon("fail" if blocker else "pass"),
                                   "No" if blocker else "Yes")
            can.setToolTip(f"No: {blocker}" if blocker else "Nothing in the domain list stops it "
                           "(preflight checks the rest)")
            can.setData(Qt.ItemDataRole.AccessibleTextRole,
                        f"Cannot be federated: {blocker}" if blocker else "Can be federated")
            cells.append(can)
            cells[0].setData(Qt.ItemDataRole.UserRole, name)
            cells[1].setIcon(theme.status_icon("pass" if verified else "warn"))
            if auth == "Federated":
                cells[3].setIcon(theme.status_icon("info"))
            for col, cell in enumerate(cells):
                self.table.setItem(row, col, cell)
        self.table.blockSignals(False)
        self._sync_selection()
        self.order_tabs()

    def _sync_selection(self) -> None:
        chosen = self.state.domain
        self.table.blockSignals(True)
        self.table.clearSelection()
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == chosen:
                self.table.selectRow(row)
        self.table.blockSignals(False)
        domain = self.chosen_domain()
        federated = domain is not None and _field(domain, "authenticationType",
                                                   "authentication_type") == "Federated"
        self.history_button.setVisible(federated)
        if self.next_button is not None:
            self.next_button.setEnabled(chosen is not None)
        blocker = getattr(self, "blockers", {}).get(chosen or "")
        if chosen and blocker:
            self.selection.setText(markup("Chosen: <b>{}</b>. It cannot be federated as it is: "
                                          "{}.", chosen, blocker))
        else:
            self.selection.setText(markup("Chosen: <b>{}</b>", chosen) if chosen else "")

    def chosen_domain(self) -> Any:
        for domain in self.state.domains:
            if domain_name(domain) == self.state.domain:
                return domain
        return None

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        item = self.table.item(rows[0].row(), 0)
        if item is not None:
            self.state.choose_domain(str(item.data(Qt.ItemDataRole.UserRole)))

    def select(self, name: str) -> None:
        """Choose ``name`` (tests and keyboard users land here the same way)."""
        self.state.choose_domain(name)
