"""QApplication set-up and the desktop entry (placeholder window until the real app lands)."""

from __future__ import annotations

import argparse
import os
import sys
import time

_T0 = time.perf_counter()


def run_gui(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    from core.cli import make_context
    from core.logs import setup_logging

    if (args.self_test and sys.platform.startswith("linux")
            and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    ctx = make_context(args)
    setup_logging(ctx.paths.log_file, verbose=ctx.verbose)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Federator")
    window = QMainWindow()
    window.setWindowTitle("Federator")
    window.setCentralWidget(QLabel("Federator"))
    window.resize(900, 600)
    window.show()
    if args.self_test:
        def done() -> None:
            print(f"self-test ok: first paint after {(time.perf_counter() - _T0) * 1000:.0f} ms")
            app.quit()
        QTimer.singleShot(0, done)
    return int(app.exec())
