"""One truthful status per operation, shown where it was started (issue 14, section 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from core.errors import FederatorError
from gui.widgets import Card
from tests.gui_helpers import (
    accept_and_confirm,
    federate_in_window,
    revert_in_history,
    settle,
    walk_to_review,
)


def _cards(review: Any, title: str) -> list[Any]:
    return [c for c in review.body.findChildren(Card)
            if c.title.text() == title and not c.isHidden()]


def _fail_once(window: Any) -> None:
    """The next apply's write fails (after its snapshot), once."""
    def break_the_write(event: Any) -> None:
        if event.step == "snapshot" and event.status == "ok":
            window.state.session.sandbox.set_faults("write:500:3")
            window.state.operation_progress.disconnect(break_the_write)

    window.state.operation_progress.connect(break_the_write)


def test_a_new_plan_and_a_new_apply_show_only_their_own_status(
        make_window: Any, qtbot: Any, idp_file: Path) -> None:
    """A failed apply, then the preflight run again: the new plan shows no old result, no old
    progress and no old step hint; the next apply shows one Progress and one Result."""
    window = make_window(sandbox=True)
    review = walk_to_review(window, qtbot, idp_file)
    accept_and_confirm(review, qtbot, "fabrikam.com")
    _fail_once(window)
    qtbot.mouseClick(review.apply_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert window.review_view.step_hint()[0] == "fail"
    window.state.session.sandbox.set_faults("")

    window.go_to(2)  # entering preflight runs it again: a new plan
    settle(qtbot)
    assert window.state.plan is not None
    window.go_to(3)
    settle(qtbot)
    assert review.result_card is None and not _cards(review, "Result")
    assert not _cards(review, "Progress")
    assert review.step_hint() == (None, "ready to review")
    assert "failed" not in window.steps.item(3).text()

    accept_and_confirm(review, qtbot, "fabrikam.com")
    qtbot.mouseClick(review.apply_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert window.state.last_result.ok
    assert len(_cards(review, "Progress")) == 1
    assert len(_cards(review, "Result")) == 1
    assert not review.banner.isVisible()


def test_a_revert_started_on_history_reports_on_history(
        make_window: Any, qtbot: Any, idp_file: Path) -> None:
    """Progress and result appear where the admin clicked; the step list shows it running."""
    window = make_window(sandbox=True)
    federate_in_window(window, walk_to_review(window, qtbot, idp_file))
    window.go_to(4)
    settle(qtbot)
    history = window.history_view
    seen: list[tuple[str, bool, bool]] = []

    def during(_event: Any) -> None:
        seen.append((window.steps.item(4).text(), history.operation_card.isVisible(),
                     history.revert_button.isEnabled()))

    window.state.operation_progress.connect(during)
    qtbot.keyClicks(history.revert_confirm, "fabrikam.com")
    qtbot.mouseClick(history.revert_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert window.state.last_result.ok
    assert seen and all("change running" in text and card and not enabled
                        for text, card, enabled in seen)
    assert history.operation_card.isVisible()
    assert history.operation_list.count() >= 3
    assert history.operation_status.status == "pass"
    assert history.operation_status.word.text().startswith("Done")
    assert window.current_step() == 4
    # Review does not claim the revert as its own result.
    window.go_to(3)
    settle(qtbot)
    assert window.review_view.result_card is None
    assert not _cards(window.review_view, "Progress")


def test_an_error_banner_goes_with_the_next_operation(
        make_window: Any, qtbot: Any, idp_file: Path, tmp_path: Path) -> None:
    """"Nothing new to stage" must not stay above a later successful rollover step."""
    from core.idp_sample import jumpcloud_sample

    window = make_window(sandbox=True)
    federate_in_window(window, walk_to_review(window, qtbot, idp_file))
    window.go_to(4)
    settle(qtbot)
    history = window.history_view
    qtbot.keyClicks(history.rollover_confirm, "fabrikam.com")
    qtbot.mouseClick(history.stage_button, Qt.MouseButton.LeftButton)  # same certificate
    settle(qtbot)
    assert window.state.last_error is not None or not window.state.last_result.ok
    assert history.operation_status.status == "fail"

    renewed = tmp_path / "JumpCloud-renewed.xml"
    renewed.write_bytes(jumpcloud_sample("acme-demo")[0])
    window.metadata_view.open_source(str(renewed))
    window.go_to(4)
    settle(qtbot)
    qtbot.keyClicks(history.rollover_confirm, "fabrikam.com")
    qtbot.mouseClick(history.stage_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert window.state.last_result.ok
    assert not history.banner.isVisible()
    assert history.operation_status.status == "pass"


def test_a_sign_in_error_banner_goes_when_the_sandbox_signs_in(
        make_window: Any, qtbot: Any) -> None:
    window = make_window()
    window.go_to(1)
    settle(qtbot)
    window.state.error.emit("sign in", FederatorError("Sign-in was cancelled.",
                                                      code="sign_in_cancelled"))
    assert window.domain_view.banner.isVisible()
    window.start_sandbox()
    settle(qtbot)
    assert not window.domain_view.banner.isVisible()


def test_roles_unread_under_a_graph_outage_say_so_and_offer_retry(
        make_window: Any, qtbot: Any) -> None:
    """503s on the roles read: the header says Federator retries (attempt n, next in s), then
    "could not read your roles" (never "no admin role found") with a Retry that works."""
    window = make_window()
    window.state.sandbox_faults = "503:5@0.05/$batch"
    seen: list[str] = []
    window.state.roles_progress.connect(seen.append)
    window.start_sandbox()
    settle(qtbot)
    assert any("attempt 2 of 5, next in 0 s" in text for text in seen), seen
    header = window.header
    assert "could not read your roles" in header.account.accessibleName()
    assert "no admin role" not in header.account.accessibleName()
    assert header.roles_retry.isVisible()
    qtbot.mouseClick(header.roles_retry, Qt.MouseButton.LeftButton)  # Graph is back
    settle(qtbot)
    assert "Hybrid Identity Administrator" in header.account.accessibleName()
    assert not header.roles_retry.isVisible()


def test_pages_that_read_show_the_error_with_retry(make_window: Any, qtbot: Any,
                                                   idp_file: Path) -> None:
    """The domains and the checks: a Graph outage shows why, with a Retry that works."""
    window = make_window(sandbox=True)
    window.metadata_view.open_source(str(idp_file))
    window.state.choose_domain("fabrikam.com")
    sandbox = window.state.session.sandbox
    window.go_to(1)
    sandbox.set_faults("503:20@0.01")
    window.state.refresh_domains()
    status = window.domain_view.load_status
    assert status.isVisible() and status.phase == "failed"
    assert "The domains could not be read" in status.status.word.text()
    sandbox.set_faults("")
    qtbot.mouseClick(status.retry_button, Qt.MouseButton.LeftButton)
    assert not status.isVisible() and window.domain_view.table.rowCount() > 3

    window.go_to(2)
    sandbox.set_faults("503:40@0.01")
    window.preflight_view.run_checks()
    status = window.preflight_view.load_status
    assert status.isVisible() and status.retry_button.isVisible()
    sandbox.set_faults("")
    qtbot.mouseClick(status.retry_button, Qt.MouseButton.LeftButton)
    assert not status.isVisible() and window.state.preflight is not None


def test_restoring_managed_is_not_offered_when_the_domain_is_managed(
        make_window: Any, qtbot: Any, idp_file: Path) -> None:
    from PySide6.QtWidgets import QPushButton

    window = make_window(sandbox=True)
    federate_in_window(window, walk_to_review(window, qtbot, idp_file))
    history = revert_in_history(window, qtbot)
    assert window.state.last_result.ok  # fabrikam.com is managed again
    row = next(r for r in range(history.table.rowCount())
               if history.table.item(r, 2).text() == "Federate")
    history.table.selectRow(row)
    settle(qtbot)
    qtbot.keyClicks(history.restore_confirm, "fabrikam.com")
    buttons = {b.text(): b for b in history.entry_card.findChildren(QPushButton)
               if b.text().startswith("Restore this state")}
    assert not buttons["Restore this state (Managed)"].isEnabled()
    assert "already uses managed sign-in" in buttons["Restore this state (Managed)"].toolTip()
    assert buttons["Restore this state (Federated)"].isEnabled()


def test_reading_metadata_shows_that_it_is_reading(make_window: Any, qtbot: Any,
                                                   idp_file: Path) -> None:
    from gui.workers import ThreadPoolRunner

    window = make_window(runner=ThreadPoolRunner())
    view = window.metadata_view
    with qtbot.waitSignal(window.state.metadata_changed, timeout=10_000):
        view.open_source(str(idp_file))
        assert view.load_status.isVisible() and view.load_status.phase == "loading"
        assert str(idp_file) in view.load_status.status.word.text()
    assert not view.load_status.isVisible()
    window.state.runner.wait_idle(5000)


def test_history_shows_a_change_running_from_review(make_window: Any, qtbot: Any,
                                                    idp_file: Path) -> None:
    """History opened while an apply runs: the journal, and that a change is running (its
    buttons wait for it)."""
    window = make_window(sandbox=True)
    window.history_view  # built before the change starts  # noqa: B018
    review = walk_to_review(window, qtbot, idp_file)
    accept_and_confirm(review, qtbot, "fabrikam.com")
    seen: list[tuple[bool, str]] = []

    def during(event: Any) -> None:
        if event.step == "write":
            history = window.history_view
            seen.append((history.operation_card.isVisibleTo(history),
                         history.operation_status.word.text()))

    window.state.operation_progress.connect(during)
    qtbot.mouseClick(review.apply_button, Qt.MouseButton.LeftButton)
    assert seen and all(card and "Running" in text for card, text in seen), seen
    assert not window.history_view.operation_card.isVisibleTo(window.history_view)


def test_counting_the_users_that_fails_says_so_with_retry(make_window: Any, qtbot: Any,
                                                          idp_file: Path) -> None:
    from gui.widgets import LoadStatus

    window = make_window(sandbox=True)
    federate_in_window(window, walk_to_review(window, qtbot, idp_file))
    window.state.session.sandbox.set_faults("503:40@0.01")
    window.go_to(4)
    settle(qtbot)
    history = window.history_view
    [status] = [s for s in history.domain_area.findChildren(LoadStatus) if s.isVisible()]
    assert "The users could not be counted" in status.status.word.text()
    window.state.session.sandbox.set_faults("")
    qtbot.mouseClick(status.retry_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert window.state.password_impact is not None
    assert not [s for s in history.domain_area.findChildren(LoadStatus) if s.isVisible()]


def test_cancel_stops_waiting_for_the_roles(make_window: Any, qtbot: Any) -> None:
    """Cancel during Graph's retries: signed in at once, the roles "could not be read"."""
    from gui.workers import ThreadPoolRunner

    window = make_window(runner=ThreadPoolRunner())
    state = window.state
    state.sandbox_faults = "503:2@2/$batch"  # two failures, each retry after 2 s
    with qtbot.waitSignal(state.roles_progress, timeout=10_000,
                          check_params_cb=lambda text: "attempt 2" in text):
        window.start_sandbox()
    assert window.header.roles_cancel.isVisible()
    with qtbot.waitSignal(state.session_changed, timeout=10_000):
        qtbot.mouseClick(window.header.roles_cancel, Qt.MouseButton.LeftButton)
    assert state.session is not None
    assert "could not read your roles" in window.header.account.accessibleName()
    assert not window.header.roles_cancel.isVisible()
    qtbot.waitUntil(lambda: not state.busy, timeout=10_000)


def test_the_step_list_counts_the_journal_once_read(make_window: Any, qtbot: Any,
                                                    idp_file: Path) -> None:
    window = make_window(sandbox=True)
    federate_in_window(window, walk_to_review(window, qtbot, idp_file))
    window.go_to(4)
    settle(qtbot)
    assert "1 change" in window.steps.item(4).text()


def test_review_says_when_the_plan_could_not_be_made(make_window: Any, qtbot: Any,
                                                      idp_file: Path) -> None:
    window = make_window(sandbox=True)
    review = walk_to_review(window, qtbot, idp_file)
    window.state.session.sandbox.set_faults("503:40@0.01")
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F5)  # read the domain again for a new plan
    assert review.load_status.isVisible()
    assert "The plan could not be made" in review.load_status.status.word.text()
    window.state.session.sandbox.set_faults("")
    qtbot.mouseClick(review.load_status.retry_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert not review.load_status.isVisible() and window.state.plan is not None
