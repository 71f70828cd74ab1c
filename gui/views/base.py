"""What every step view shares: a page, a "Next" request, and a one-line hint for the step list."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from gui.state import AppState
from gui.widgets import Page, text_button


class StepView(Page):
    """A step page; ``next_requested`` asks the window to show the following step."""

    next_requested = Signal()
    hint_changed = Signal()  # what step_hint() says changed outside the state's signals

    def __init__(self, state: AppState, title: str, intro: str, *,
                 next_label: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(title, intro, parent)
        self.state = state
        self.next_button = None
        state.error.connect(self._on_error)
        # An error banner belongs to what caused it: another session or a new change replaces
        # it (a sign-in error must not stay above the sandbox's pages).
        state.session_changed.connect(self._drop_error)
        state.operation_started.connect(self._drop_error)
        if next_label:
            self.footer.addStretch(1)
            self.next_button = text_button(next_label, primary=True)
            self.next_button.clicked.connect(self.next_requested)
            self.footer.addWidget(self.next_button)

    def entered(self) -> None:
        """Called when the admin opens this step (refresh what may be stale)."""

    def reload(self) -> None:
        """F5: read again what this page shows (each page says what that is)."""
        self.entered()

    def step_hint(self) -> tuple[str | None, str]:
        """(status or None, a few words) shown under the step's name in the list."""
        return None, ""

    def _drop_error(self, *_args: object) -> None:
        if self._banner is not None and self._banner.status == "fail":
            self._banner.hide()

    def _on_error(self, where: str, error: object) -> None:
        if self.isVisible() and isinstance(error, BaseException):
            self.banner.show_error(error)
