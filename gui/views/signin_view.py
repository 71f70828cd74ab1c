"""The "Test sign-in" and "Sign-in doctor" window: prove a federated sign-in works, or explain it.

Test sign-in: pick a domain and a pilot user; in the sandbox the whole round trip runs and each
hop is a row with an icon, a word and a colour; against a real tenant the steps to test by hand
are listed. Sign-in doctor: paste (or drop a file with) a captured SAML response or an AADSTS
error text; the decoded response is shown as a table of plain-text values beside the verdicts.
Both call ``session.signin`` (core decides; this only shows). The pasted response may hold
personal data: it stays in the paste box and memory, and is never logged.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui import theme
from gui.state import AppState
from gui.widgets import label, text_button

# Each state's mark, word and status colour (the theme's light/dark pair: fixed colours were
# unreadable on the dark scheme).
_LOOK = {"ok": ("✓", "OK", "pass"), "fail": ("✗", "FAIL", "fail"),
         "skipped": ("–", "SKIPPED", "skipped"), "error": ("✗", "FAIL", "fail"),
         "warning": ("!", "WARN", "warn"), "info": ("i", "INFO", "info")}
MAX_DROP_BYTES = 10 * 1024 * 1024
# The size the dialog opens at when the screen has room; on a small or scaled screen (1366x768
# at 150 % is 911x512) it takes what the screen has, less the window frame and title bar.
PREFERRED_SIZE = (980, 720)
FRAME_ALLOWANCE = (16, 40)


def fitting_size(widget: QWidget, preferred: tuple[int, int]) -> tuple[int, int]:
    """``preferred``, made small enough for the available area of the screen ``widget`` (or its
    parent) is on."""
    from PySide6.QtGui import QGuiApplication

    host = widget.parentWidget() or widget
    screen = host.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return preferred
    room = screen.availableGeometry()
    return (min(preferred[0], room.width() - FRAME_ALLOWANCE[0]),
            min(preferred[1], room.height() - FRAME_ALLOWANCE[1]))


def test_signin_button(state: AppState, domain: str, text: str = "Test sign-in…") -> QPushButton:
    """A button that opens Test sign-in preset for ``domain``: where the admin is when a
    federation is new or changed (a change's result, History), not only in the header."""
    button = text_button(text, accessible=f"Test a sign-in to {domain}")
    button.clicked.connect(lambda _c=False: state.signin_test_requested.emit(domain))
    return button


class PasteBox(QPlainTextEdit):
    """Plain text only (a response is hostile input); a dropped file's contents are loaded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("Paste the SAMLResponse (base64 or XML) or the error text "
                                "from Microsoft's page, or drop a HAR / SAML-tracer file here.")
        self.setAccessibleName("Captured SAML response or error text")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            self.load_file(urls[0].toLocalFile())
            event.acceptProposedAction()
            return
        super().dropEvent(event)

    def load_file(self, path: str) -> None:
        from pathlib import Path

        file = Path(path)
        try:
            if file.stat().st_size > MAX_DROP_BYTES:
                self.setPlainText("")
                self.setPlaceholderText("That file is over 10 MB: not a capture of one "
                                        "sign-in.")
                return
            self.setPlainText(file.read_bytes().decode("utf-8", "replace"))
        except OSError as exc:
            self.setPlaceholderText(f"Cannot read that file: {exc.strerror or exc}.")


class SignInDialog(QDialog):
    def __init__(self, state: AppState, domain: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.setWindowTitle("Test sign-in and sign-in doctor")
        self.resize(*fitting_size(self, PREFERRED_SIZE))
        outer = QVBoxLayout(self)
        outer.addWidget(label("Test sign-in", name="viewTitle"))
        outer.addWidget(label("In the sandbox Federator signs the user in end to end; with a "
                              "real tenant it lists the steps to test by hand.", wrap=True))
        form = QFormLayout()
        self.domain = QLineEdit(domain)
        self.domain.setAccessibleName("Domain")
        self.user = QLineEdit()
        self.user.setPlaceholderText("pilot user's UPN, e.g. ada.albers0@fabrikam.com")
        self.user.setAccessibleName("Pilot user")
        form.addRow("Domain", self.domain)
        user_row = QHBoxLayout()
        user_row.addWidget(self.user, 1)
        self.find_button = text_button("Find users",
                                       accessible="Find users of the domain by name or UPN")
        self.find_button.clicked.connect(self.find_users)
        user_row.addWidget(self.find_button)
        form.addRow("Pilot user", user_row)
        outer.addLayout(form)
        self.pilots = QListWidget()
        self.pilots.setAccessibleName("Users of the domain")
        self.pilots.setMaximumHeight(110)
        self.pilots.hide()
        self.pilots.itemClicked.connect(
            lambda item: self.user.setText(str(item.data(Qt.ItemDataRole.UserRole))))
        outer.addWidget(self.pilots)
        row = QHBoxLayout()
        self.run_button = text_button("Run test sign-in", primary=True)
        self.run_button.clicked.connect(self.run_test)
        row.addWidget(self.run_button)
        row.addStretch(1)
        outer.addLayout(row)
        self.hops = QListWidget()
        self.hops.setAccessibleName("Hops of the test sign-in")
        self.hops.setMaximumHeight(150)
        outer.addWidget(self.hops)

        outer.addWidget(label("Sign-in doctor", name="viewTitle"))
        self.paste = PasteBox()
        self.paste.setMaximumHeight(110)
        outer.addWidget(self.paste)
        row = QHBoxLayout()
        self.judge_button = text_button("Judge", primary=True)
        self.judge_button.clicked.connect(self.run_doctor)
        row.addWidget(self.judge_button)
        self.verdict = label("", wrap=True)
        row.addWidget(self.verdict, 1)
        outer.addLayout(row)
        body = QHBoxLayout()
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Field", "Value"])
        self.table.setAccessibleName("The decoded response")
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.findings = QListWidget()
        self.findings.setAccessibleName("Verdicts")
        self.findings.setWordWrap(True)
        body.addWidget(self.table, 1)
        body.addWidget(self.findings, 1)
        outer.addLayout(body, 1)

    # -- test sign-in ------------------------------------------------------------------------

    def _row(self, target: QListWidget, state: str, text: str) -> None:
        icon, word, colour = _LOOK.get(state, _LOOK["info"])
        item = QListWidgetItem(f"{icon}  {word}   {text}")  # plain text: never rendered as HTML
        item.setForeground(theme.colour(colour))
        item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{word}: {text}")
        target.addItem(item)

    def find_users(self) -> None:
        session = self.state.session
        domain, text = self.domain.text().strip(), self.user.text().strip()
        if session is None or not domain:
            return

        def work() -> Any:
            from core.signin.pilots import find_pilots

            return find_pilots(session.client, domain, text)

        self.state.run(work, name="find users", on_result=self._show_pilots,
                       on_error=lambda exc: self._row(self.hops, "fail", _error_text(exc)))

    def _show_pilots(self, pilots: Any) -> None:
        self.pilots.clear()
        for pilot in pilots:
            flag = pilot.flag
            item = QListWidgetItem(f"{pilot.display_name}  <{pilot.upn}>"
                                   + (f"   ⚠ {flag}" if flag else ""))
            item.setData(Qt.ItemDataRole.UserRole, pilot.upn)
            if flag:
                item.setForeground(theme.colour(_LOOK["warning"][2]))
            self.pilots.addItem(item)
        self.pilots.setVisible(bool(pilots))

    def run_test(self) -> None:
        session = self.state.session
        domain, upn = self.domain.text().strip(), self.user.text().strip()
        self.hops.clear()
        if session is None:
            self._row(self.hops, "fail", "Sign in to a tenant (or start the sandbox) first.")
            return
        if not domain or not upn:
            self._row(self.hops, "fail", "Give the domain and the pilot user.")
            return

        def work() -> Any:
            from session.signin import lookup_user, run_test_signin

            if not session.is_sandbox:
                from core.graph import api
                from core.signin.manual import manual_steps

                config = api.find_federation_configuration(session.client, domain) or {}
                return manual_steps(domain, lookup_user(session, upn),
                                    passive_sign_in_uri=config.get("passiveSignInUri"),
                                    issuer_uri=config.get("issuerUri"))
            return run_test_signin(session, upn)

        self.state.run(work, name="test sign-in", on_result=self._show_trip,
                       on_error=lambda exc: self._row(self.hops, "fail", _error_text(exc)))

    def _show_trip(self, result: Any) -> None:
        if isinstance(result, list):
            for number, step in enumerate(result, 1):
                self._row(self.hops, "skipped", f"{number}. {step}")
            return
        for hop in result.hops:
            self._row(self.hops, hop.state, f"{hop.name}: {hop.detail}")
        for finding in result.findings:
            if finding.severity == "error" and finding.remedy:
                self._row(self.hops, "info", f"Fix: {finding.remedy}")
        if result.saml_response:
            self.paste.setPlainText(result.saml_response)

    # -- doctor ------------------------------------------------------------------------------

    def run_doctor(self) -> None:
        session = self.state.session
        text = self.paste.toPlainText()
        upn = self.user.text().strip() or None
        self.findings.clear()
        self.table.setRowCount(0)
        if session is None:
            self.verdict.setText("Sign in to a tenant (or start the sandbox) first.")
            return
        if not text.strip():
            self.verdict.setText("Paste a response or an error text first.")
            return
        is_error_text = "AADSTS" in text[:4096] and not text.lstrip().startswith(("<", "{"))

        def work() -> Any:
            from session.signin import run_doctor

            if is_error_text:
                return run_doctor(session, None, text, upn=upn)
            return run_doctor(session, text, None, upn=upn)

        self.state.run(work, name="sign-in doctor", on_result=self._show_report,
                       on_error=lambda exc: self.verdict.setText(_error_text(exc)))

    def _show_report(self, report: Any) -> None:
        if report.facts is not None:
            rows = report.facts.rows()
            self.table.setRowCount(len(rows))
            for index, (name, value) in enumerate(rows):
                self.table.setItem(index, 0, QTableWidgetItem(name))
                self.table.setItem(index, 1, QTableWidgetItem(value))
        for finding, code in zip(report.findings, report.finding_codes, strict=True):
            suffix = f" ({code})" if code else ""
            fix = f" Fix: {finding.remedy}" if finding.remedy else ""
            self._row(self.findings, finding.severity, f"{finding.message}{suffix}{fix}")
        if not report.findings:  # an empty list beside the table would look unfinished
            self._row(self.findings, "ok", "No problems found in this response.")
        if report.ok:
            self.verdict.setText("Entra would accept this response." if report.facts
                                 else "Nothing to fix was found.")
        else:
            self.verdict.setText("Entra would refuse it" + (
                f" with {report.predicted_error}." if report.predicted_error else "."))


def _error_text(exc: BaseException) -> str:
    from core.errors import FederatorError

    if isinstance(exc, FederatorError):
        return exc.message + (f" {exc.remedy}" if exc.remedy else "")
    return f"{type(exc).__name__}: {exc}"
