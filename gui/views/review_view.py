"""Step 4: see exactly what will change, accept the warnings, type the domain, apply, watch it land.

The plan (core's) as a diff of every federation property, the requests that will be sent, the
PowerShell equivalent to copy; each preflight warning must be ticked and the domain typed before
Apply is enabled. During the change each step shows as it happens; afterwards the result, its
verification, the way back, and a live indicator of when sign-in itself sees the change.
"""

from __future__ import annotations

import html
import json
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
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

from core.domain_names import same_domain
from core.localtime import local_and_utc
from core.progname import runnable
from core.textsafe import elide_middle
from core.window_text import for_window, way_back_for_window, way_back_step
from gui import theme
from gui.state import AppState
from gui.views.base import StepView
from gui.widgets import (
    MAX_LABEL_CHARS,
    Card,
    LoadStatus,
    StatusLabel,
    clear_layout,
    copy_button,
    label,
    markup,
    plain_tooltip,
    plural,
    text_button,
)

EVENT_STATUS = {"started": "skipped", "ok": "pass", "failed": "fail", "warning": "warn",
                "info": "info"}
POLL_INTERVAL_MS = 5000


def code_box(text: str, name: str) -> QPlainTextEdit:
    # Each line cut in the middle beyond MAX_LABEL_CHARS: a 9 MB issuer would take the window
    # tens of seconds to lay out. The card's copy button carries the full text.
    text = "\n".join(elide_middle(line, MAX_LABEL_CHARS) for line in text.split("\n"))
    box = QPlainTextEdit(text)
    box.setObjectName("code")
    box.setReadOnly(True)
    box.setAccessibleName(name)
    box.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    font = QFont()
    font.setFamilies(["Cascadia Mono", "Consolas", "DejaVu Sans Mono", "monospace"])
    font.setStyleHint(QFont.StyleHint.Monospace)
    box.setFont(font)
    lines = max(3, min(14, text.count("\n") + 2))
    box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 14)
    return box


class ReviewView(StepView):
    """Plan, acceptance, confirmation, Apply, progress and result."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, "Review and apply",
                         "Exactly what will be sent to Microsoft, before anything is sent.",
                         parent=parent)
        self.missing = label("", wrap=True)
        self.content.addWidget(self.missing)
        # The plan is made by the preflight read: while it runs (F5, step 3) or when it could
        # not, this page says so too.
        self.load_status = LoadStatus()
        self.load_status.retry.connect(self.reload)
        self.content.addWidget(self.load_status)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 0, 0, 0)
        self.body_layout.setSpacing(12)
        self.content.addWidget(self.body)
        self.content.addStretch(1)

        # Confirmation and apply, always at the bottom of the page (not scrolled away).
        self.confirm_edit = QLineEdit()
        self.confirm_edit.setAccessibleName("Type the domain name to confirm")
        self.confirm_edit.setMaximumWidth(260)
        self.confirm_edit.textChanged.connect(self._update_gate)
        self.confirm_edit.returnPressed.connect(self.apply)  # Enter submits (apply() gates)
        self.confirm_label = label("Type the domain to confirm:")
        self.confirm_label.setBuddy(self.confirm_edit)
        self.apply_button = text_button("Apply", primary=True)
        self.apply_button.clicked.connect(self.apply)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stops before the write; a write in flight is never "
                                      "abandoned")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        self.gate_reason = label("", wrap=True, name="muted")
        self.footer.addWidget(self.gate_reason, 1)
        self.footer.addWidget(self.confirm_label)
        self.footer.addWidget(self.confirm_edit)
        self.footer.addWidget(self.cancel_button)
        self.footer.addWidget(self.apply_button)

        self.warning_boxes: dict[str, QCheckBox] = {}
        self.plan_cards: list[QWidget] = []
        self.progress_list: QListWidget | None = None
        self.progress_card: Card | None = None
        self.result_card: Card | None = None
        self.test_signin_button: QPushButton | None = None  # on a federating result
        self.propagation: StatusLabel | None = None
        self.check_again: QPushButton | None = None  # an uncertain result's "Check again"
        self.check_result: QLabel | None = None
        self.replace_dialog: QWidget | None = None  # the offer to replace, while open
        self.running = False  # set before the operation starts (a synchronous runner finishes
        # inside apply_plan, so the returned task cannot be the flag)
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(POLL_INTERVAL_MS)
        self.poll_timer.timeout.connect(self.poll_propagation)
        # Hidden, the page only notes it is stale and is rebuilt when opened: building the plan
        # diff while the admin watches the preflight would stall the window for nothing.
        self._stale = False
        for signal in (state.preflight_changed, state.plan_changed, state.domain_changed,
                       state.session_changed, state.metadata_changed):
            signal.connect(self._changed)
        state.operation_progress.connect(self.on_progress)
        state.operation_finished.connect(self._operation_finished)
        state.operation_started.connect(self._operation_started)
        state.operation_cleared.connect(self._changed)
        state.propagation_changed.connect(self.on_propagation)
        state.reconciled.connect(self.on_reconciled)
        state.load_changed.connect(self._load_changed)
        self.refresh_view()

    def _load_changed(self, what: str) -> None:
        if what != "preflight":
            return
        phase, error = self.state.loads.get(what, ("done", None))
        if phase == "loading":
            self.load_status.show_loading("Reading the domain and making the plan…")
        elif phase == "failed" and error is not None:
            self.load_status.show_failed(error, "The plan could not be made")
        else:
            self.load_status.clear()

    def _changed(self) -> None:
        if self.isVisible():
            self.refresh_view()
        else:
            self._stale = True

    def reload(self) -> None:
        """F5: read the domain again and make a new plan (never under a running change)."""
        if not self.running and not self.state.changing:
            self.state.run_preflight()

    def entered(self) -> None:
        if self._stale:
            self._stale = False
            self.refresh_view()

    # -- inputs -------------------------------------------------------------------------------

    def shown_operation(self) -> Any:
        """The operation this page reports on: one started here (History reports its own)."""
        op = self.state.operation
        if op is None or op.origin != "review":
            return None
        return op

    def _operation_started(self, op: Any) -> None:
        if op.origin != "review":  # started elsewhere: this page's old outcome goes
            self._changed()

    def _operation_finished(self, result: Any, error: Any) -> None:
        if self.shown_operation() is not None:
            self.on_finished(result, error)
        else:
            self._changed()

    def step_hint(self) -> tuple[str | None, str]:
        op = self.shown_operation()
        if op is not None and op.running:
            return "running", "change running…"
        result = op.result if op is not None else None
        if result is not None and result.domain == self.state.domain:
            return ("pass" if result.ok else "fail"), result.outcome
        preflight = self.state.preflight
        if preflight is not None and preflight.failed:
            return "fail", "blocked by preflight"
        if self.state.plan is not None:
            return None, "ready to review"
        return None, ""

    def plan(self) -> Any:
        result = self.state.preflight
        return getattr(result, "plan", None) if result is not None else None

    def warnings(self) -> list[Any]:
        result = self.state.preflight
        # Checks Federator could not read (unknown) are accepted like warnings, never assumed.
        return list(result.to_accept) if result is not None else []

    def gate(self) -> str:
        """Why Apply is disabled ('' when it is enabled): the admin always sees the reason."""
        if self.running:
            return "Applying…"
        result = self.state.preflight
        op = self.shown_operation()
        last = op.result if op is not None else None
        if result is None and last is not None and last.domain == self.state.domain:
            # Right after a change the checks are cleared on purpose (the domain is new); the
            # line above the result already says how to change it again.
            return ""
        if result is None:
            return "Run the preflight checks first (step 3)."
        if result.failed:
            first = result.failed[0]
            others = len(result.failed) - 1
            if others:
                return plural(others, "Apply is disabled: the check “{title}” and 1 other "
                                      "failed. See step 3.",
                              "Apply is disabled: the check “{title}” and {n} others failed. "
                              "See step 3.", title=first.title)
            return f"Apply is disabled: the check “{first.title}” failed. See step 3."
        plan = self.plan()
        if plan is None:
            return f"No plan: {result.plan_error or 'the change could not be planned.'}"
        if plan.is_noop:
            return "Nothing to apply: the tenant already holds these values."
        unaccepted = [cid for cid, box in self.warning_boxes.items() if not box.isChecked()]
        if unaccepted:
            return plural(len(unaccepted), "Tick the warning above to accept it.",
                          "Tick the {n} warnings above to accept them.")
        if not same_domain(self.confirm_edit.text(), self.state.domain or ""):
            return f"Type {self.state.domain} to confirm."
        return ""

    def _update_gate(self) -> None:
        reason = self.gate()
        self.apply_button.setEnabled(not reason)
        self.gate_reason.setText(reason)
        self.apply_button.setAccessibleDescription(reason or "Apply the change")

    # -- rendering ----------------------------------------------------------------------------

    def refresh_view(self) -> None:
        if self.running:
            return  # never redraw under a running change
        clear_layout(self.body_layout)
        self.warning_boxes = {}
        self.plan_cards = []
        self.progress_list = None
        self.progress_card = None
        self.result_card = None
        self.propagation = None
        self.poll_timer.stop()
        if self._banner is not None and self._banner.status == "fail":
            self._banner.hide()  # an error belongs to the operation that caused it
        result = self.state.preflight
        plan = self.plan()
        has_plan = plan is not None
        op = self.shown_operation()
        last = op.result if op is not None else None
        if last is not None and last.domain != self.state.domain:
            last = None
        self.missing.setVisible(not has_plan)
        if result is not None:
            self.missing.setText(f"No plan: {getattr(result, 'plan_error', '') or ''}")
        elif last is not None:
            self.missing.setText(f"To change {last.domain} again, run the preflight checks "
                                 "again (step 3): they read the domain's new state.")
        else:
            self.missing.setText("Run the preflight checks (step 3): the plan is made from the "
                                 "metadata and the domain's current state.")
        for widget in (self.confirm_edit, self.confirm_label, self.apply_button):
            widget.setVisible(has_plan)
        if plan is not None:
            self.confirm_edit.setPlaceholderText(plan.domain)
            self.apply_button.setText(_apply_label(plan))
            self.plan_cards = [self._summary(plan), self._options_card(plan),
                               self._diff_card(plan)]
            if self.warnings():
                self.plan_cards.append(self._warnings_card())
            self.plan_cards += [self._requests_card(plan), self._powershell_card(plan)]
            for card in self.plan_cards:
                self.body_layout.addWidget(card)
        if op is not None and op.events and (last is not None or op.error is not None):
            self.progress_card = self._progress_card(op.events)
            self.body_layout.insertWidget(0, self.progress_card)
        if last is not None:
            self._show_result(last)
        if op is not None and op.error is not None:
            self.banner.show_error(op.error)
        self._update_gate()
        self.order_tabs()

    def _summary(self, plan: Any) -> QWidget:
        card = Card(plan.title)
        for note in plan.notes:
            card.body.addWidget(label(f"• {for_window(note)}", wrap=True))
        if plan.is_noop:
            card.body.addWidget(StatusLabel("pass", "Nothing to change: the tenant already "
                                                    "holds these values"))
        return card

    def _options_card(self, plan: Any) -> QWidget:
        """What the command line sets with options, set here: the name users see, the MFA and
        prompt-login behaviours, the sign-out URL; each explained; the certificates by
        thumbprint. "Use these options" makes the plan again with them."""
        from core.plan import OPTION_EXPLANATIONS, OPTION_VALUE_WORDS, SIGN_OUT_EXPLANATION
        from core.settings import MFA_BEHAVIORS, PROMPT_LOGIN_BEHAVIORS

        card = Card("Sign-in options")
        chosen = self.state.plan_options
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)

        def row(at: int, name: str, field: QWidget, why: str) -> None:
            caption = label(name)
            caption.setBuddy(field)
            grid.addWidget(caption, at * 2, 0)
            grid.addWidget(field, at * 2, 1)
            grid.addWidget(label(why[:1].upper() + why[1:], wrap=True, name="muted"),
                           at * 2 + 1, 1)

        self.display_name_edit = QLineEdit(getattr(chosen, "display_name", None) or "")
        self.display_name_edit.setPlaceholderText(
            f"{plan.domain} (or the current name, when already federated)")
        self.display_name_edit.setAccessibleName("Display name users see on the sign-in page")
        row(0, "Display name:", self.display_name_edit, OPTION_EXPLANATIONS["displayName"])

        def choices(values: tuple[str, ...], current: str | None, name: str) -> QComboBox:
            box = QComboBox()
            box.setAccessibleName(name)
            box.addItem("Keep the current value (the default for a new federation)", None)
            for value in values:
                box.addItem(f"{value}: {OPTION_VALUE_WORDS.get(value, '')}", value)
            box.setCurrentIndex(max(0, box.findData(current)) if current else 0)
            # The choices' explanations are long: the box shows what fits, the list opens
            # whole, so the page never gets wider than a small screen.
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(24)
            for index in range(box.count()):
                box.setItemData(index, box.itemText(index), Qt.ItemDataRole.ToolTipRole)
            return box

        self.mfa_box = choices(MFA_BEHAVIORS, getattr(chosen, "federated_idp_mfa_behavior", None),
                               "MFA behavior")
        row(1, "MFA behavior:", self.mfa_box, OPTION_EXPLANATIONS["federatedIdpMfaBehavior"])
        self.prompt_box = choices(PROMPT_LOGIN_BEHAVIORS,
                                  getattr(chosen, "prompt_login_behavior", None),
                                  "Prompt-login behavior")
        row(2, "Prompt-login behavior:", self.prompt_box,
            OPTION_EXPLANATIONS["promptLoginBehavior"])
        federation = self.state.federation
        self.sign_out_edit = QLineEdit(self.state.sign_out_override
                                       or getattr(federation, "sign_out_uri", None) or "")
        self.sign_out_edit.setPlaceholderText("https://… (the IdP's sign-out URL)")
        self.sign_out_edit.setAccessibleName("Sign-out URL")
        row(3, "Sign-out URL:", self.sign_out_edit, SIGN_OUT_EXPLANATION)
        card.body.addLayout(grid)
        for text in certificate_lines(self.state.metadata, federation):
            card.body.addWidget(label(text, wrap=True, selectable=True))
        self.options_button = QPushButton("Use these options")
        self.options_button.setAccessibleName("Use these options and make the plan again")
        self.options_button.clicked.connect(self.use_options)
        card.body.addWidget(self.options_button, 0, Qt.AlignmentFlag.AlignLeft)
        return card

    def use_options(self) -> None:
        """Plan again with the options on the page (the checks run again: they read the domain
        the plan is made from)."""
        self.banner.hide()
        typed_out = self.sign_out_edit.text().strip()
        federation = self.state.federation
        if typed_out != (self.state.sign_out_override
                         or getattr(federation, "sign_out_uri", None) or ""):
            self.state.set_sign_out_override(typed_out or None)
        self.state.set_plan_options(
            display_name=self.display_name_edit.text().strip() or None,
            mfa_behavior=self.mfa_box.currentData(),
            prompt_login_behavior=self.prompt_box.currentData())

    def _diff_card(self, plan: Any) -> QWidget:
        from core.plan import display_value

        changed = [c for c in plan.changes if c.changed]
        card = Card(plural(len(plan.changes), "What changes ({changed} of 1 property)",
                           "What changes ({changed} of {n} properties)", changed=len(changed)))
        table = QTableWidget(len(plan.changes), 3)
        table.setHorizontalHeaderLabels(["Property", "Now", "After"])
        table.setAccessibleName("Federation properties: now and after the change")
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setTabKeyNavigation(False)
        # One line per property (rows sized before the columns settle came out uneven); a
        # value too long for its column is elided in the middle, so both the host and the end
        # of a URL stay visible (a trailing slash in issuerUri is the difference between working
        # and AADSTS50107), and shown whole in its tooltip.
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        # "Now" only takes what it needs while the domain has no settings yet (all "(not set)").
        long_now = any(len(display_value(c.name, c.current) or "") > 24 for c in plan.changes)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch if long_now
                                    else QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        bold = QFont()
        bold.setBold(True)
        for row, change in enumerate(plan.changes):
            name = QTableWidgetItem(change.name)
            now = QTableWidgetItem(elide_middle(display_value(change.name, change.current),
                                                MAX_LABEL_CHARS) or "—")
            after = QTableWidgetItem(elide_middle(display_value(change.name, change.new),
                                                  MAX_LABEL_CHARS) or "—")
            if change.changed:
                name.setIcon(theme.status_icon("info"))
                name.setToolTip("changes")
                after.setFont(bold)
                after.setForeground(theme.colour("manual"))
                name.setData(Qt.ItemDataRole.AccessibleTextRole, f"{change.name} (changes)")
            for col, item in enumerate((name, now, after)):
                if col:
                    item.setToolTip(plain_tooltip(item.text()))
                table.setItem(row, col, item)
        table.resizeRowsToContents()
        height = table.horizontalHeader().height() + sum(
            table.rowHeight(r) for r in range(table.rowCount())) + 4
        table.setFixedHeight(min(height, 420))
        card.body.addWidget(table)
        card.body.addWidget(label("Changed properties are marked and shown in bold; "
                                  "certificates are shortened on screen only.", name="muted"))
        return card

    def _warnings_card(self) -> QWidget:
        card = Card("Warnings to accept")
        card.body.addWidget(label("Preflight found these. Tick each one to say you have read it "
                                  "and accept it.", wrap=True, name="muted"))
        for check in self.warnings():
            # A short checkbox text (checkbox labels do not wrap) and the details beside it.
            unread = check.status == "unknown"
            box = QCheckBox(f"I accept{' not knowing' if unread else ''}: {check.title}")
            box.setAccessibleName(f"Accept {'unread check' if unread else 'warning'}: "
                                  f"{check.title}")
            box.setAccessibleDescription(check.found)
            box.setChecked(check.id in self.state.accepted_warnings)
            box.toggled.connect(lambda on, cid=check.id: self._accept(cid, on))
            row = QHBoxLayout()
            icon = label()
            icon.setPixmap(theme.status_icon(check.status).pixmap(18, 18))
            icon.setAccessibleName(theme.STATUS_WORDS[check.status])
            row.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
            column = QVBoxLayout()
            column.setSpacing(2)
            column.addWidget(box)
            column.addWidget(label(check.found, wrap=True, selectable=True))
            if check.remedy:
                column.addWidget(label(for_window(check.remedy), wrap=True, name="muted"))
            row.addLayout(column, 1)
            card.body.addLayout(row)
            self.warning_boxes[check.id] = box
        return card

    def _accept(self, check_id: str, accepted: bool) -> None:
        if accepted:
            self.state.accepted_warnings.add(check_id)
        else:
            self.state.accepted_warnings.discard(check_id)
        self._update_gate()

    def _requests_card(self, plan: Any) -> QWidget:
        from core.plan import display_body

        graph_url = self.state.graph_url()
        text = "\n\n".join(f"{r.method} {r.url(graph_url)}\n{display_body(r.body)}".rstrip()
                           for r in plan.requests) or "(no request)"
        full = "\n\n".join(f"{r.method} {r.url(graph_url)}\n"
                           f"{json.dumps(r.body, indent=2) if r.body else ''}".rstrip()
                           for r in plan.requests)
        card = Card("Requests Federator will send")
        card.add_head_widget(copy_button(lambda: full, "Copy the requests (full values)"))
        card.body.addWidget(code_box(text, "Requests"))
        return card

    def _powershell_card(self, plan: Any) -> QWidget:
        from core.plan import display_powershell

        shown = "\n".join(display_powershell(c) for c in plan.powershell)
        full = "\n".join(plan.powershell)
        card = Card("The same change in Microsoft Graph PowerShell")
        card.add_head_widget(copy_button(lambda: full, "Copy the PowerShell commands"))
        card.body.addWidget(code_box(shown, "PowerShell commands"))
        return card

    # -- applying -----------------------------------------------------------------------------

    def apply(self) -> None:
        if self.gate():
            return
        self.banner.hide()
        self._drop_outcome()
        # While the change runs, the page shows the change and its progress only: the plan was
        # read and accepted, and a short page keeps every progress update cheap to draw.
        summary = self.plan_cards[0] if self.plan_cards else None
        for plan_card in self.plan_cards[1:]:
            plan_card.hide()
        card = self.progress_card = self._progress_card([])
        self.body_layout.insertWidget(1 if summary is not None else 0, card)
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.apply_button.setEnabled(False)
        self.confirm_edit.setEnabled(False)
        self.running = True
        self.state.apply_plan(confirm=self.confirm_edit.text().strip(),
                              accepted=sorted(self.state.accepted_warnings))
        self.scroll_area.ensureWidgetVisible(card)

    def _drop_outcome(self) -> None:
        """A new run starts clean: the previous run's progress and result go."""
        self.poll_timer.stop()
        for card in (self.progress_card, self.result_card):
            if card is not None:
                card.hide()
                card.deleteLater()
        self.progress_card = self.result_card = None
        self.progress_list = None
        self.propagation = None

    def _progress_card(self, events: list[Any]) -> Card:
        self.progress_list = QListWidget()
        self.progress_list.setAccessibleName("Progress")
        self.progress_list.setMinimumHeight(200)
        self.progress_list.setWordWrap(True)
        self.progress_list.setIconSize(QSize(18, 18))
        card = Card("Progress")
        card.body.addWidget(self.progress_list)
        for event in events:
            self._add_event(event)
        return card

    def cancel(self) -> None:
        if self.running:
            self.state.cancel_operation()
            self.cancel_button.setEnabled(False)
            self.gate_reason.setText("Cancelling before the next safe point…")

    def on_progress(self, event: Any) -> None:
        if self.progress_list is None or self.shown_operation() is None:
            return
        self._add_event(event)
        if event.step in ("snapshot", "write", "verify", "record"):
            self.cancel_button.setEnabled(False)  # past the point where stopping is safe

    def _add_event(self, event: Any) -> None:
        assert self.progress_list is not None
        add_event(self.progress_list, event)

    def on_finished(self, result: Any, error: Any) -> None:
        """Add the result above the progress, in place: rebuilding the page here would stall
        the window right when the admin is reading the outcome."""
        self.running = False
        self.cancel_button.hide()
        self.confirm_edit.setEnabled(True)
        self.confirm_edit.clear()
        for widget in (self.confirm_edit, self.confirm_label, self.apply_button):
            widget.hide()
        for box in self.warning_boxes.values():
            box.setEnabled(False)
        self.warning_boxes = {}
        for plan_card in self.plan_cards:
            plan_card.hide()  # the result repeats what matters; the plan is in History
        if result is not None:
            self._show_result(result)
            self.missing.setText(f"To change {result.domain} again, run the preflight checks "
                                 "again (step 3): they read the domain's new state.")
            self.missing.show()
        if error is not None:
            self.banner.show_error(error)
        self._update_gate()
        self.order_tabs()
        if result is not None and getattr(result, "replace_possible", False):
            self.ask_replace(result.domain)

    def ask_replace(self, domain: str) -> None:
        """Graph kept refusing the update and nothing changed: offer the replacement, saying
        what it does; only a click on its own button runs it (Cancel is the default)."""
        from gui.dialogs import ReplaceConfigurationDialog

        dialog = ReplaceConfigurationDialog(domain, self)
        dialog.accepted.connect(self.apply_replacing)
        self.replace_dialog = dialog
        dialog.open()

    def apply_replacing(self) -> None:
        self.replace_dialog = None
        self.banner.hide()
        self._drop_outcome()
        card = self.progress_card = self._progress_card([])
        self.body_layout.insertWidget(0, card)
        self.running = True
        self.state.apply_replacing()

    def _show_result(self, result: Any) -> None:
        if self.result_card is not None:
            self.result_card.hide()
            self.result_card.deleteLater()
        self.propagation = None
        ok = bool(result.ok)
        card = Card("Result")
        card.body.addWidget(StatusLabel("pass" if ok else "fail", result_headline(result)))
        after = result.after
        if after is not None:
            auth = after.authentication_type
            card.body.addWidget(label(markup("Microsoft Graph now reports {} as <b>{}</b> (read "
                                             "back after the change).", result.domain, auth),
                                      wrap=True, rich=True))
        for cert in getattr(result, "certificates_after", []) or []:
            card.body.addWidget(label(f"Entra accepts: {cert.describe()}", wrap=True,
                                      name="muted"))
        plan_json = getattr(result, "plan", None) or {}
        planned = set(plan_json.get("notes", []))
        for part in plan_json.get("plans", []):  # an operation may hold several plans
            planned.update(part.get("notes", []))
        for note in getattr(result, "notes", []) or []:
            if note not in planned:  # the plan's own notes were on the page before Apply
                card.body.addWidget(label(f"• {for_window(note)}", wrap=True))
        remaining = getattr(result, "remaining", []) or []
        if remaining:  # no way back works: what remains, in order (half-federated)
            card.body.addWidget(label("<b>What remains, in order:</b>", rich=True))
            for option in remaining:
                shown = label(for_window(str(option)), wrap=True, selectable=True)
                shown.setTextFormat(Qt.TextFormat.PlainText)
                card.body.addWidget(shown)
        if result.way_back:
            back = runnable(way_back_for_window(result.way_back))
            card.body.addWidget(label(markup("<b>Way back:</b> {}", back), wrap=True,
                                      selectable=True, rich=True))
            step = way_back_step(result.way_back)
            if step is not None and result.op_id:
                undo = text_button(f"{step.label} (in History)")
                undo.setAccessibleName(f"{step.describe} Opens the change in History")
                op = str(result.op_id)
                undo.clicked.connect(lambda _c=False: self.state.show_change(op))
                card.body.addWidget(undo, 0, Qt.AlignmentFlag.AlignLeft)
        elif result.changed is False and not remaining:
            card.body.addWidget(label(markup("<b>Way back:</b> none needed: {} was not changed. "
                                             "Fix the cause above, run the preflight again and "
                                             "apply.", result.domain), wrap=True, rich=True))
        # What went wrong with the journal itself while the change ran (a file deleted or
        # replaced under it, a full disk): the admin must know where the record is.
        for problem in getattr(result, "journal_problems", []) or []:
            card.body.addWidget(StatusLabel("warn", f"Journal: {problem}"))
        if getattr(result, "journal_failed", False) and result.before is not None:
            kept = (f"kept in {result.rescue_file}" if result.rescue_file else
                    "not saved to any file: copy it from here")
            card.body.addWidget(label(
                f"The snapshot taken before the change ({html.escape(kept)}):<pre>"
                f"{html.escape(json.dumps(result.before.to_json(), indent=2), quote=False)}</pre>",
                wrap=True, selectable=True, rich=True))
        self.check_again = None
        self.check_result = None
        if result.outcome == "unknown":
            # Whether the change landed is not known yet: re-read it here, not in a terminal.
            check_row = QHBoxLayout()
            self.check_result = label(markup("“Check again” reads {} from Microsoft Graph again "
                                             "and records in the journal what it finds.",
                                             result.domain), wrap=True, selectable=True, rich=True)
            self.check_again = text_button("Check again")
            self.check_again.setAccessibleName(f"Check again whether {result.domain} changed")
            self.check_again.clicked.connect(self.check_again_clicked)
            check_row.addWidget(self.check_result, 1)
            check_row.addWidget(self.check_again)
            card.body.addLayout(check_row)
        row = QHBoxLayout()
        if ok and after is not None:  # only a change that landed can propagate
            self.propagation = StatusLabel("skipped", "Sign-in propagation: not checked yet")
            row.addWidget(self.propagation, 1)
        else:
            row.addStretch(1)
        self.test_signin_button = None
        if ok and after is not None and after.authentication_type == "Federated":
            # Federated is not done until a user signs in: test it here, for this domain.
            from gui.views.signin_view import test_signin_button

            self.test_signin_button = test_signin_button(self.state, result.domain,
                                                         "Test sign-in now")
            row.addWidget(self.test_signin_button)
        if result.op_id:
            export = QPushButton("Export change record…")
            export.setAccessibleName("Export the change record (HTML or JSON) for a change "
                                     "ticket")
            op, domain = str(result.op_id), result.domain
            export.clicked.connect(
                lambda _c=False: self.state.ask_export_change(self, op, domain))
            row.addWidget(export)
        history = QPushButton("Open History")
        history.clicked.connect(self.state.show_history_requested)
        row.addWidget(history)
        card.body.addLayout(row)
        self.result_card = card
        self.body_layout.insertWidget(0, card)
        if ok and after is not None:
            self.poll_propagation()
            self.poll_timer.start()

    def check_again_clicked(self) -> None:
        if self.check_again is None or self.check_result is None:
            return
        self.check_again.setEnabled(False)
        self.check_result.setText("Reading the domain again…")
        self.banner.hide()
        task = self.state.reconcile()
        if task is None:
            self.check_again.setEnabled(True)
            self.check_result.setText("Sign in again to check.")
            return
        task.failed.connect(self._check_failed)

    def _check_failed(self, _error: object) -> None:
        if self.check_again is not None and self.check_result is not None:
            self.check_again.setEnabled(True)
            self.check_result.setText("The domain could not be read this time; the change "
                                      "stays recorded as unverified. Try again later.")

    def on_reconciled(self, results: list[Any]) -> None:
        op = self.shown_operation()
        last = op.result if op is not None else None
        if self.check_result is None or self.check_again is None or last is None:
            return
        mine = [r for r in results if r.op == last.op_id]
        if mine:
            text = markup("Checked again: {}", for_window(mine[0].summary))
            if mine[0].way_back:
                text += markup("<br><b>Way back:</b> {}",
                               runnable(way_back_for_window(mine[0].way_back)))
            if getattr(mine[0], "still_open", False):  # a write could still land: look later
                self.check_again.setEnabled(True)
            else:
                self.check_again.hide()
        else:
            text = ("No answer for this change yet: the domain could still not be read, or it "
                    "was already checked (History shows what was recorded). Try again in a "
                    "moment.")
            self.check_again.setEnabled(True)
        self.check_result.setText(text)

    def poll_propagation(self) -> None:
        op = self.shown_operation()
        if op is None or op.result is None or self.state.session is None:
            self.poll_timer.stop()
            return
        self.state.check_propagation(op.result.domain)

    def on_propagation(self, status: Any) -> None:
        if self.propagation is None:
            return
        agreed = bool(status.agree)
        realm = status.realm.namespace_type
        if agreed:
            text = (f"Sign-in sees the change: Graph and sign-in (home realm discovery) both say "
                    f"{status.graph_type} (checked {_clock(status.checked_at)}).")
        else:
            text = (f"Waiting for sign-in to see the change: {status.disagreement}. Microsoft "
                    f"can take minutes to hours; checking every {POLL_INTERVAL_MS // 1000} s "
                    f"(last {_clock(status.checked_at)}, sign-in says {realm}).")
        self.propagation.set_status("pass" if agreed else "manual", text)
        if agreed:
            self.poll_timer.stop()


def certificate_lines(md: Any, federation: Any) -> list[str]:
    """The certificates Entra will accept, by thumbprint (what the IdP's console shows), with
    their validity (current, and the next one Entra accepts too)."""
    if md is None or federation is None:
        return []
    lines = []
    by_der = {c.der_base64: c for c in getattr(md, "signing_certificates", [])}
    for slot, der in (("Current signing certificate",
                       federation.signing_certificate),
                      ("Next signing certificate (accepted too, for a rollover)",
                       federation.next_signing_certificate)):
        cert = by_der.get(der or "")
        if cert is None:
            continue
        lines.append(f"{slot}: SHA-1 {cert.sha1}, SHA-256 {cert.sha256}, valid "
                     f"{cert.not_before:%Y-%m-%d} to {cert.not_after:%Y-%m-%d} (UTC)")
    return lines
def add_event(progress: QListWidget, event: Any) -> None:
    """One line per step: a step's "started" line is replaced by how it ended.

    The line is core's sentence, as the command line prints it: core words each event to be read
    alone ("Preflight passed", "Verified: ... is ...", "Journal: ..."), so a step name in front
    said the step twice."""
    status = EVENT_STATUS.get(event.status, "info")
    text = for_window(event.message)
    last = progress.item(progress.count() - 1)
    if last is not None and last.data(Qt.ItemDataRole.UserRole) == (event.step, "started"):
        item = last
    else:
        item = QListWidgetItem()
        progress.addItem(item)
    item.setIcon(theme.icon("refresh") if event.status == "started"
                 else theme.status_icon(status))
    item.setText(text)
    item.setToolTip(plain_tooltip(text))
    item.setData(Qt.ItemDataRole.UserRole, (event.step, event.status))
    item.setData(Qt.ItemDataRole.AccessibleTextRole,
                 f"{theme.STATUS_WORDS.get(status, status)}: {text}"
                 if event.status != "started" else f"In progress: {text}")
    progress.scrollToBottom()


def result_headline(result: Any) -> str:
    """The result's first line: core's summary says what happened (it names the IdP by its
    issuer and quotes the name users see)."""
    return ("Done: {summary}" if result.ok else "Not done: {summary}").format(
        summary=for_window(result.summary))


def _clock(stamp: str) -> str:
    """The time of day of a UTC stamp, in local time."""
    return local_and_utc(stamp)[0][11:] or stamp


def _apply_label(plan: Any) -> str:
    return {"federate": f"Federate {plan.domain}", "update": f"Update {plan.domain}"}.get(
        str(plan.action), "Apply")
