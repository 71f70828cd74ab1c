"""The History page on a long journal (10,000 changes): how long the window stops answering
when the table is filled, and when the admin presses Refresh.

    .venv/bin/python bench/history_window_bench.py [--entries N] [--repeat R]

Builds the journal of ``bench/history_bench.py`` and reads it with core's ``read_history``
(the worker's part; ``bench/history_bench.py`` measures it), makes the rows' texts as the
worker does (``journal_rows``), then gives both to the real History page (offscreen) R times.
A 5 ms heartbeat timer records the longest event-loop stall (the freeze an admin would feel).
"Refresh" is the whole path: the worker reads the journal and makes the rows, the page shows
them, and the previous read's entries are let go. Target for the fill: under 50 ms (the
responsiveness target of ``bench/responsiveness.py``); it was 0.38 to 0.66 s with a
``QTableWidget`` of 60,000 items.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.history_bench import build
from bench.responsiveness import Heartbeat, wait_for

TARGET_STALL_MS = 50.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from core.journal_index import read_history
    from core.paths import resolve_paths
    from gui.app import build_window, create_app
    from gui.workers import ThreadPoolRunner

    app = create_app()
    with tempfile.TemporaryDirectory(prefix="history-window-bench-") as tmp:
        paths = resolve_paths(Path(tmp) / "home")
        build(paths.journal_dir, args.entries)
        contents = read_history(paths.journal_dir)  # builds the index once
        try:
            from gui.views.journal_table import journal_rows
        except ImportError:  # before the model/view table: the page made its texts itself
            def journal_rows(_entries: list[object]) -> None:  # type: ignore[misc]
                return None
        t0 = time.perf_counter()
        rows = journal_rows(contents.entries)
        rows_s = time.perf_counter() - t0
        window = build_window(paths, runner=ThreadPoolRunner())
        window.resize(1366, 768)
        window.show()
        window.go_to(4)
        view = window.history_view
        wait_for(app, lambda: not window.state.busy and view.table.rowCount() == args.entries,
                 60)
        beat = Heartbeat()

        def quiet() -> None:
            until = time.perf_counter() + 0.3
            wait_for(app, lambda: time.perf_counter() > until, 5)
            beat.reset()

        fills, stalls = [], []
        for _ in range(args.repeat):
            quiet()
            t0 = time.perf_counter()
            if rows is None:
                view.show_journal(contents)
            else:
                view.show_journal(contents, rows)
            app.processEvents()  # the paint that follows
            fills.append(time.perf_counter() - t0)
            stalls.append(beat.worst)
        reloads, reload_stalls = [], []
        for _ in range(args.repeat):
            quiet()
            t0 = time.perf_counter()
            reads = view._journal_reads
            view.load_journal()
            wait_for(app, lambda: view._journal_reads == reads + 1  # noqa: B023
                     and not window.state.busy and view.table.rowCount() == args.entries, 60)
            reloads.append(time.perf_counter() - t0)
            reload_stalls.append(beat.worst)
        window.state.shutdown()
        fill, stall = min(fills), min(stalls)
        print(f"History page, {args.entries} changes (best of {args.repeat})")
        if rows is not None:
            print(f"rows' texts, on the worker thread      {rows_s * 1000:7.1f} ms")
        print(f"show the rows and paint (GUI thread)   {fill * 1000:7.1f} ms")
        print(f"longest event-loop stall while filling {stall:7.1f} ms  "
              f"(target < {TARGET_STALL_MS:.0f} ms)")
        print(f"Refresh (worker read + show)           {min(reloads) * 1000:7.1f} ms; longest "
              f"stall {min(reload_stalls):.1f} ms (worst run {max(reload_stalls):.1f} ms)")
        ok = stall < TARGET_STALL_MS
        print(f"target: {'met' if ok else 'NOT met'}")
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
