"""History: the way back stays usable while the app reads in the background."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from gui.workers import ThreadPoolRunner
from tests.gui_helpers import federate_in_window, settle, walk_to_review


def test_revert_is_enabled_after_typing_while_a_background_read_runs(
        make_window: Any, qtbot: Any, idp_file: Path) -> None:
    """The propagation indicator polls Graph every few seconds: typing the domain during such a
    read must still enable Revert (only a running change may block it)."""
    window = make_window(sandbox=True)
    federate_in_window(window, walk_to_review(window, qtbot, idp_file))
    window.go_to(4)
    settle(qtbot)
    history = window.history_view
    release = threading.Event()
    pool = ThreadPoolRunner(max_threads=1)
    window.state.runner = pool
    try:
        task = window.state.run(lambda: release.wait(10), name="background read")
        assert window.state.busy and not window.state.changing
        qtbot.keyClicks(history.revert_confirm, "fabrikam.com")
        assert history.revert_button.isEnabled()
    finally:
        release.set()
        qtbot.waitUntil(lambda: task.done, timeout=5000)
        pool.wait_idle(5000)


def test_the_window_reconciles_an_unfinished_change_at_start_and_says_so(
        make_window: Any, qtbot: Any, federator_home: Path) -> None:
    """A Federator killed after its write left the entry open; the next window, once signed
    in, re-reads the domain in a worker, closes the entry and shows what it found."""
    from core.journal import Journal
    from core.operations import read_snapshot
    from core.operations.state import Target

    first = make_window(sandbox=True)
    session = first.state.session
    journal = Journal(first.state.paths.journal_dir, session.tenant_id)
    before = read_snapshot(session.client, session.tenant_id, "tailspin.io", "k1-before")
    with journal.writing("test") as w:  # what the killed run had written
        entry = w.begin(kind="revert", domain="tailspin.io", who="ops@contoso.com",
                        snapshot=before, op="k1", target=Target("Managed", None).to_json(),
                        way_back="federator restore k1-before --confirm tailspin.io")
        entry.request("PATCH", "/domains/tailspin.io", {"authenticationType": "Managed"})
    session.client.request("PATCH", "/domains/tailspin.io",
                           json={"authenticationType": "Managed"})
    assert journal.entries()[0].in_progress

    second = make_window(sandbox=True)
    qtbot.waitUntil(lambda: not journal.entries()[0].in_progress, timeout=10_000)
    [closed] = journal.entries()
    assert closed.outcome == "reconciled"
    note = second.state.startup_note
    assert note is not None and "re-read 1 change(s)" in note[1]
    assert "tailspin.io" in note[2]  # the recorded finding (its wording is reconcile's)
    assert "re-read 1 change(s)" in second.status_text.text()
    second.go_to(4)
    settle(qtbot)
    banner = second.history_view.banner
    assert banner.isVisible() and "re-read 1 change(s)" in banner.text.text()
