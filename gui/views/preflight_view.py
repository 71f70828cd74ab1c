"""Step 3: the preflight checklist, so nothing about the change is a surprise.

Each check shows icon + word + colour (never colour alone), its title and what was found; expanding
it shows why it matters, the remedy, the names involved and, where core offers one, a fix action
(make another domain the default). Run again and Export the HTML report for a change ticket.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.check_status import STATUS_WORDS
from core.domain_names import same_domain
from core.window_text import for_window
from gui import theme
from gui.state import AppState
from gui.views.base import StepView
from gui.widgets import (
    LoadStatus,
    StatusLabel,
    clear_layout,
    label,
    learn_button,
    markup,
    plain_dialog_labels,
    plain_tooltip,
    plural,
    text_button,
)

ROWS_PER_TURN = 4
# The summary above the list, as whole phrases per count (singular, plural).
SUMMARY_PHRASES = {"fail": ("1 failed", "{n} failed"), "warn": ("1 warning", "{n} warnings"),
                   "unknown": ("1 not read", "{n} not read"),
                   "manual": ("1 manual check", "{n} manual checks"),
                   "pass": ("1 passed", "{n} passed"), "skipped": ("1 skipped", "{n} skipped")}


class CheckRow(QFrame):
    """One check: a header that expands (mouse or keyboard) to the details."""

    action_requested = Signal(object)

    def __init__(self, check: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = check
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(4)
        head = QHBoxLayout()
        self.toggle = QToolButton()
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.setCheckable(True)
        word = STATUS_WORDS.get(check.status, check.status)
        self.toggle.setAccessibleName(f"{word}: {check.title}. Show details")
        self.toggle.setToolTip("Show details")
        self.toggle.toggled.connect(self.set_expanded)
        head.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignTop)
        status = StatusLabel(check.status, word)
        status.setFixedWidth(128)
        status.setAccessibleName(word)
        head.addWidget(status, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        text.setSpacing(1)
        self.title = label(markup("<b>{}</b>", check.title), wrap=True, rich=True)
        self.title.setAccessibleName(f"{word}: {check.title}")
        self.found = label(for_window(check.found), wrap=True, selectable=True, name="muted")
        text.addWidget(self.title)
        text.addWidget(self.found)
        head.addLayout(text, 1)
        self.action_button: QPushButton | None = None
        if check.action is not None:
            self.action_button = text_button(check.action.label, primary=check.status == "fail")
            self.action_button.clicked.connect(lambda: self.action_requested.emit(check.action))
            head.addWidget(self.action_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(head)
        self.details = QWidget()
        details = QVBoxLayout(self.details)
        details.setContentsMargins(36, 2, 4, 4)
        details.setSpacing(4)
        details.addWidget(label(markup("<b>Why it matters:</b> {}", check.why), wrap=True,
                                selectable=True, rich=True))
        if check.remedy:
            details.addWidget(label(markup("<b>What to do:</b> {}", for_window(check.remedy)),
                                    wrap=True,
                                    selectable=True, rich=True))
        if check.items:
            shown = list(check.items)[:50]
            more = len(check.items) - len(shown)
            details.addWidget(label(markup("<b>Found ({}):</b>", len(check.items)), wrap=True,
                                    rich=True))
            if more > 0:
                shown.append(f"…and {more} more")
            listing = label("\n".join(shown), selectable=True, wrap=True)
            listing.setContentsMargins(12, 0, 0, 0)
            listing.setAccessibleName(plural(len(check.items), "1 name", "{n} names"))
            details.addWidget(listing)
            tools = QHBoxLayout()
            self.copy_list = QPushButton("Copy the list")
            self.copy_list.setAccessibleName(f"Copy the {len(check.items)} names of "
                                             f"{check.title}")
            self.copy_list.clicked.connect(self.copy_items)
            self.export_list = QPushButton("Export CSV…")
            self.export_list.setAccessibleName(f"Export the names of {check.title} as CSV")
            self.export_list.clicked.connect(lambda _c=False: self.export_items())
            tools.addWidget(self.copy_list)
            tools.addWidget(self.export_list)
            tools.addStretch(1)
            details.addLayout(tools)
        self.learn_button: QPushButton | None = None
        if getattr(check, "learn", None):
            self.learn_button = learn_button(check.learn, check.title)
            details.addWidget(self.learn_button, 0, Qt.AlignmentFlag.AlignLeft)
        details.addWidget(label(f"Check id: {check.id}", name="muted", selectable=True))
        self.details.hide()
        layout.addWidget(self.details)
        # Failures and warnings open by default: they are what the admin must read.
        if check.status in ("fail",):
            self.toggle.setChecked(True)

    def copy_items(self) -> None:
        from PySide6.QtGui import QGuiApplication

        from core.user_lists import check_text

        QGuiApplication.clipboard().setText(check_text(self.check))
        self.copy_list.setText("Copied")  # visible feedback; the next click copies again

    def export_items(self, path: str | None = None) -> Path | None:
        """Save the names as CSV (asks where, unless ``path`` is given)."""
        from core.report import _write
        from core.user_lists import check_csv

        if path is None:
            name = self.check.id.replace(".", "-") + ".csv"
            path, _ = QFileDialog.getSaveFileName(self, "Export the list as CSV", name,
                                                  "CSV (*.csv)")
        if not path:
            return None
        # Small (at most the sample Graph gave): written here, like a copy to the clipboard.
        return _write(Path(path), check_csv(self.check))

    def set_expanded(self, expanded: bool) -> None:
        self.details.setVisible(expanded)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.toggle.setToolTip("Hide details" if expanded else "Show details")

    def mousePressEvent(self, event: Any) -> None:
        self.toggle.toggle()
        super().mousePressEvent(event)


class PreflightView(StepView):
    """The checklist for the chosen metadata and domain."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, "Preflight checks",
                         "Everything Federator can check before it changes anything: the "
                         "metadata, the domain, the tenant, your access and the users.",
                         next_label="Next: review and apply  →", parent=parent)
        top = QHBoxLayout()
        self.summary = QHBoxLayout()
        self.summary.setSpacing(16)
        top.addLayout(self.summary)
        top.addStretch(1)
        self.run_button = QPushButton(theme.icon("refresh"), "Run checks")
        self.run_button.setAccessibleName("Run the preflight checks")
        self.run_button.clicked.connect(self.run_checks)
        self.export_button = QPushButton("Export HTML report…")
        self.export_button.clicked.connect(self.export_report)
        top.addWidget(self.run_button)
        top.addWidget(self.export_button)
        self.content.addLayout(top)
        self.missing = label("", wrap=True)
        self.content.addWidget(self.missing)
        self.load_status = LoadStatus()
        self.load_status.retry.connect(self.run_checks)
        self.content.addWidget(self.load_status)
        self.list_widget = QWidget()
        self.rows = QVBoxLayout(self.list_widget)
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.rows.setSpacing(6)
        self.content.addWidget(self.list_widget)
        self.content.addStretch(1)
        self.check_rows: dict[str, CheckRow] = {}
        self.next_reason: QLabel | None = None
        self._generation = 0
        for signal in (state.preflight_changed, state.session_changed, state.metadata_changed,
                       state.domain_changed):
            signal.connect(self.refresh_view)
        state.load_changed.connect(self._load_changed)
        self.refresh_view()

    def _load_changed(self, what: str) -> None:
        if what != "preflight":
            return
        phase, error = self.state.loads.get(what, ("done", None))
        if phase == "loading":
            self.load_status.show_loading("Running the checks (Federator only reads the "
                                          "tenant)…")
        elif phase == "failed" and error is not None:
            self.load_status.show_failed(error, "The checks could not run")
        else:
            self.load_status.clear()

    # -- state --------------------------------------------------------------------------------

    def missing_inputs(self) -> str:
        missing = []
        if self.state.metadata is None:
            missing.append("Open the IdP metadata (step 1).")
        if self.state.session is None:
            missing.append("Sign in (top right) or try the sandbox.")
        if self.state.domain is None:
            missing.append("Choose a domain (step 2).")
        return " ".join(missing)

    def entered(self) -> None:
        if self.state.preflight is None and not self.missing_inputs() and not self.state.busy:
            self.run_checks()

    def reload(self) -> None:
        if not self.missing_inputs():
            self.run_checks()

    def run_checks(self) -> None:
        self.banner.hide()
        self.state.run_preflight()

    def step_hint(self) -> tuple[str | None, str]:
        result = self.state.preflight
        if result is None:
            if self._outdated():
                return None, "out of date"
            return None, "not run yet"
        fails, warns = result.count("fail"), result.count("warn")
        unread = result.count("unknown")
        if fails:
            return "fail", plural(fails, "1 failed", "{n} failed")
        if unread:
            return "unknown", plural(unread, "1 not read", "{n} not read")
        if warns:
            return "warn", plural(warns, "1 warning", "{n} warnings")
        return "pass", "all passed"

    def refresh_view(self) -> None:
        result = self.state.preflight
        missing = self.missing_inputs()
        if missing:
            self.missing.setText(f"Before the checks can run: {missing}")
        elif result is None and self._outdated():
            self.missing.setText(f"The checks ran before the change to {self.state.domain}. "
                                 "Press Run again to check it as it is now (it only reads the "
                                 "tenant).")
        else:
            self.missing.setText("" if result is not None
                                 else "Press Run checks (it only reads the tenant).")
        self.missing.setVisible(bool(self.missing.text()))
        self.run_button.setEnabled(not missing)
        self.run_button.setText("Run again" if result is not None or self._outdated()
                                else "Run checks")
        self.export_button.setEnabled(result is not None)
        self._update_next(result)
        clear_layout(self.summary)
        clear_layout(self.rows)
        self.check_rows = {}
        if result is None:
            self.order_tabs()
            return
        for status in ("fail", "warn", "unknown", "manual", "pass", "skipped"):
            count = result.count(status)
            if count:
                one, many = SUMMARY_PHRASES[status]
                self.summary.addWidget(StatusLabel(status, plural(count, one, many)))
        order = {"fail": 0, "warn": 1, "unknown": 2, "manual": 3, "pass": 4, "skipped": 5}
        checks = sorted(result.checks, key=lambda c: order.get(c.status, 5))
        self._generation += 1
        self._add_rows(checks, self._generation)
        if result.failed:
            self.banner.show_message("fail", plural(
                len(result.failed),
                "1 check failed: Federator will not change the domain until it passes. It says "
                "what to do.",
                "{n} checks failed: Federator will not change the domain until they pass. Each "
                "one says what to do."))
        elif result.count("unknown"):
            self.banner.show_message("unknown", plural(
                result.count("unknown"),
                "Federator could not read what 1 check needs (it says what). To go ahead you "
                "will accept it in the Review step, like a warning.",
                "Federator could not read what {n} checks need (each says what). To go ahead "
                "you will accept them in the Review step, like warnings."))
        else:
            self.banner.hide()

    def _outdated(self) -> bool:
        """The checks ran for this domain, and a change to it since made them out of date."""
        domain = self.state.domain
        return domain is not None and self.state.checks_outdated_by == domain

    def _update_next(self, result: Any) -> None:
        """Next only when the checks ran and none failed (a failed check blocks the change,
        and no acceptance lifts it); when disabled, the line beside it says why."""
        if self.next_button is None:
            return
        failed = list(result.failed) if result is not None else []
        if result is None:
            reason = ""
        elif failed:
            names = ", ".join(c.title for c in failed[:3]) + (", …" if len(failed) > 3 else "")
            reason = plural(len(failed), "Blocked: 1 check failed ({names}). Fix it and run "
                            "the checks again.", "Blocked: {n} checks failed ({names}). Fix "
                            "them and run the checks again.", names=names)
        else:
            reason = ""
        self.next_button.setEnabled(result is not None and not failed)
        self.next_button.setToolTip(plain_tooltip(reason))
        self.next_button.setAccessibleDescription(reason)
        if self.next_reason is None:
            if not reason:
                return
            self.next_reason = label("", wrap=True, name="muted")
            self.next_reason.setAccessibleName("Why Next is disabled")
            self.footer.insertWidget(0, self.next_reason, 3)
        self.next_reason.setText(reason)
        self.next_reason.setVisible(bool(reason))

    def _add_rows(self, checks: list[Any], generation: int) -> None:
        """A few rows per event-loop turn (failures first), so the window never stalls."""
        if generation != self._generation:
            return  # a newer result replaced this one
        for check in checks[:ROWS_PER_TURN]:
            row = CheckRow(check)
            row.action_requested.connect(self.run_action)
            self.rows.addWidget(row)
            self.check_rows[check.id] = row
        rest = checks[ROWS_PER_TURN:]
        if rest:
            QTimer.singleShot(0, lambda: self._add_rows(rest, generation))
        else:
            self.order_tabs()

    # -- actions ------------------------------------------------------------------------------

    def run_action(self, action: Any) -> None:
        if action.kind == "make_default":
            domains = [str(d.get("id")) for d in self.state.domains
                       if d.get("isVerified") and not d.get("isDefault")
                       and d.get("authenticationType") == "Managed"
                       and d.get("id") != self.state.domain]
            suggested = str(action.arguments.get("domain") or (domains[0] if domains else ""))
            options = domains or [suggested]
            current = options.index(suggested) if suggested in options else 0
            choice, ok = QInputDialog.getItem(
                self, "Make another domain the default",
                "The default domain cannot be federated. New users get the default domain in "
                "their names.\nMake this domain the default instead:", options, current, False)
            if not ok or not choice:
                return
            ask = QInputDialog(self)
            ask.setWindowTitle("Confirm")
            ask.setLabelText(f"Type {choice} to make it the default domain:")
            plain_dialog_labels(ask)  # the domain name comes from Graph
            if not ask.exec():
                return
            typed = ask.textValue()
            if not same_domain(typed, choice):
                return
            self.state.make_default(choice, confirm=typed.strip())
        else:  # an action the window has no button for yet: say where it is done
            self.state.message.emit(f"{action.label}: {for_window(action.command)}")

    def export_report(self) -> None:
        result = self.state.preflight
        if result is None:
            return
        default = self.state.paths.reports_dir / f"preflight-{result.domain}.html"
        path, _ = QFileDialog.getSaveFileName(self, "Export the preflight report", str(default),
                                              "HTML report (*.html)")
        if path:
            self.state.export_report(Path(path))


