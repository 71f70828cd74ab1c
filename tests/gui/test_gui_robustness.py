"""The window stays usable when something around it is broken or slow.

A damaged settings file, an unreadable journal, a close while a change is being written, an error
whose text quotes a token, a change whose outcome is not known: each is a sentence on the page and
a way on, never the crash dialog, a frozen window or a session closed under a write.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.gui_helpers import accept_and_confirm, settle, start_threaded_sandbox, walk_to_review


def test_a_damaged_settings_file_is_a_sentence_and_the_sandbox_stays_offered(
        make_window: Any, qtbot: Any, federator_home: Path) -> None:
    from core.paths import resolve_paths

    paths = resolve_paths(federator_home)
    paths.settings_file.parent.mkdir(parents=True, exist_ok=True)
    paths.settings_file.write_text("{ this is not json", encoding="utf-8")
    window = make_window()  # the first paint asks for the remembered sign-in
    banner = window.metadata_view.banner
    qtbot.waitUntil(banner.isVisible, timeout=5000)
    assert "cannot read the settings file" in banner.text.text()
    assert str(paths.settings_file) in banner.text.text()
    assert not paths.crash_dir.exists() or not any(paths.crash_dir.iterdir())
    # Sign in again says the same, without a dialog that could not save; demo mode still works.
    banner.hide()
    qtbot.mouseClick(window.header.sign_in, Qt.MouseButton.LeftButton)
    assert banner.isVisible() and "settings file" in banner.text.text()
    assert window.metadata_view.try_button.isVisible()
    qtbot.mouseClick(window.metadata_view.try_button, Qt.MouseButton.LeftButton)
    assert window.state.session is not None and window.state.domains


def test_an_unreadable_journal_is_shown_in_the_history_not_a_crash(
        make_window: Any, qtbot: Any, federator_home: Path) -> None:
    from core.paths import resolve_paths

    window = make_window(sandbox=True)
    journal_dir = resolve_paths(federator_home).journal_dir
    (journal_dir / "tenant-damaged.jsonl").mkdir(parents=True)  # a folder cannot be read
    window.go_to(4)
    history = window.history_view
    shown = history.load_status.status.word.text()
    assert history.load_status.isVisible() and history.load_status.retry_button.isVisible()
    assert "cannot be read" in shown
    assert "tenant-damaged.jsonl" in shown
    assert "Traceback" not in shown
    # Read through the state's runner (a worker in the app), not on the GUI thread.
    assert "read journal" in window.state.runner.submitted


def test_closing_during_a_change_waits_for_it_without_freezing(
        make_window: Any, qtbot: Any, idp_file: Path) -> None:
    from core.journal import read_all
    from gui.main_window import CLOSING_AFTER_CHANGE
    from gui.workers import ThreadPoolRunner

    window = make_window(runner=ThreadPoolRunner())
    state = start_threaded_sandbox(window, qtbot, idp_file)
    state.run_preflight()
    qtbot.waitUntil(lambda: state.preflight is not None, timeout=15_000)
    window.go_to(3)
    accept_and_confirm(window.review_view, qtbot, "fabrikam.com")
    assert window.review_view.apply_button.isEnabled()

    state.session.sandbox.set_faults("latency:300")  # every request of the change is slow
    qtbot.mouseClick(window.review_view.apply_button, Qt.MouseButton.LeftButton)
    assert state.changing
    started = time.monotonic()
    closed = window.close()
    assert time.monotonic() - started < 1.0  # the GUI thread did not wait for the change
    assert not closed and window.isVisible()
    assert window.statusBar().currentMessage() == CLOSING_AFTER_CHANGE
    assert state.session is not None  # the session is not closed under the write

    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30_000)
    assert state.last_result is not None and state.last_result.ok, state.last_result
    assert state.session is None  # closed, after the change
    [entry] = read_all(state.paths.journal_dir).entries
    assert entry.outcome == "succeeded" and not entry.in_progress


def test_error_details_never_show_a_token(qtbot: Any) -> None:
    from gui.widgets import Banner, describe_error

    token = "eyJhbGciOiJSUzI1NiJ9.eyJ1cG4iOiJvcHNAY29udG9zby5jb20ifQ.c2lnbmF0dXJl"
    error = RuntimeError(f"request failed: Authorization: Bearer {token}")
    message, details = describe_error(error)
    assert "RuntimeError" in details and "request failed" in details
    assert token not in details and "eyJ" not in details and token not in message
    banner = Banner()
    qtbot.addWidget(banner)
    banner.show_error(error)
    assert token not in banner.details.text()


def test_the_header_and_whoami_read_the_connection_one_way(
        make_window: Any, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    import cli.main as cli
    from core.tenant import ConnectionInfo

    window = make_window(sandbox=True, user="breakglass@contoso.onmicrosoft.com")
    info = window.state.tenant_info
    assert isinstance(info, ConnectionInfo)
    assert cli.main(["--sandbox", "--as", "breakglass@contoso.onmicrosoft.com", "whoami",
                     "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["tenant_name"] == info.tenant_name
    assert shown["roles"] == list(info.roles) and "Global Administrator" in info.roles
    assert info.tenant_name in window.header.tenant.text()
    assert ", ".join(info.roles) in window.header.account.accessibleName()  # text may elide


def test_the_header_still_says_who_is_signed_in_when_roles_cannot_be_read(
        federator_home: Path) -> None:
    from core.errors import FederatorError
    from core.paths import resolve_paths
    from core.tenant import SessionOptions, describe_connection
    from session import open_session

    with open_session(SessionOptions(paths=resolve_paths(federator_home),
                                     sandbox=True)) as session:
        assert session.sandbox is not None
        session.sandbox.set_faults("500:100@0.01")
        info = describe_connection(session, best_effort=True)
        assert info.upn == "ops@contoso.com"
        assert info.tenant_name == session.tenant_id and info.roles == ()
        with pytest.raises(FederatorError):
            describe_connection(session)  # whoami: the failure is the answer


def test_an_unknown_outcome_can_be_checked_again_from_the_result(
        make_window: Any, qtbot: Any, idp_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.journal import read_all

    monkeypatch.setattr("core.operations.state.READ_RETRY_DELAYS_S", (0.0, 0.0))
    window = make_window(sandbox=True)
    state = window.state
    review = walk_to_review(window, qtbot, idp_file)
    accept_and_confirm(review, qtbot, "fabrikam.com")

    def reads_fail_after_the_write(event: Any) -> None:
        if event.step == "write" and event.status == "ok":
            state.session.sandbox.set_faults("500:100@0.01")  # the write landed; no read back

    state.operation_progress.connect(reads_fail_after_the_write)
    state.operation_finished.connect(lambda *_: state.session.sandbox.set_faults(None))
    qtbot.mouseClick(review.apply_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    result = state.last_result
    assert result is not None and result.outcome == "unknown", result
    assert review.check_again is not None and review.check_again.isVisible()
    [entry] = read_all(state.paths.journal_dir).entries
    assert entry.in_progress

    qtbot.mouseClick(review.check_again, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert review.check_result is not None
    assert review.check_result.text().startswith("Checked again:")
    assert "fabrikam.com" in review.check_result.text()
    assert review.check_again.isHidden()
    [entry] = read_all(state.paths.journal_dir).entries
    assert not entry.in_progress
    fabrikam = next(d for d in state.domains if d["id"] == "fabrikam.com")
    assert fabrikam["authenticationType"] == "Federated"
