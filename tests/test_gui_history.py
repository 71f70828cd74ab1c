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
