"""QApplication set-up and the desktop entry: style, theme, icon, logging, crash hook, self-test.

``run_gui`` is what ``federator`` with no subcommand calls. ``build_window`` is the seam tests,
the screenshot generator and benchmarks use to get the same window without ``app.exec()``.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from core.paths import Paths
    from gui.main_window import MainWindow
    from gui.settings import GuiSettings
    from gui.workers import Runner

_T0 = time.perf_counter()
log = logging.getLogger(__name__)


def _startup_t0() -> float:
    """When the process began its work: ``gui.launch`` stamps it before anything heavy loads."""
    launch = sys.modules.get("gui.launch")
    return float(getattr(launch, "STARTED", _T0))


def create_app() -> QApplication:
    """The one QApplication, themed (Fusion, following the system light/dark scheme)."""
    from PySide6.QtWidgets import QApplication

    from gui import theme
    from gui.widgets import after_first_paint

    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
        if app.property("federator_themed"):
            return app
        app.setStyle("Fusion")
    else:
        # Fusion from the start (it follows a dark palette; the old "windowsvista" style does
        # not): cheaper than creating the platform's style and then replacing it.
        app = QApplication([*sys.argv[:1], "-style", "Fusion"])
    app.setProperty("federator_themed", True)
    # Workers run Python (parsing, TLS, JSON); hand the GIL back to the GUI thread more often
    # than the 5 ms default so the window stays smooth while they work.
    sys.setswitchinterval(0.001)
    app.setApplicationName("Federator")
    app.setOrganizationName("Federator")
    app.setApplicationDisplayName("Federator")
    theme.apply_theme(app)
    theme.follow_system_scheme(app)

    def set_icon() -> None:
        # After the first paint: loading the SVG icon engine is a few ms, and the packaged
        # .exe already carries the icon the taskbar shows at launch.
        icon = theme.app_icon()
        if not icon.isNull():
            app.setWindowIcon(icon)

    after_first_paint(set_icon)
    return app


def build_window(paths: Paths, *, sandbox: bool = False, sandbox_user: str | None = None,
                 runner: Runner | None = None, settings: GuiSettings | None = None) -> MainWindow:
    """The main window over a fresh :class:`AppState`; ``runner`` defaults to the thread pool,
    ``settings`` to the ones saved in ``paths``."""
    from gui.main_window import MainWindow
    from gui.state import AppState
    from gui.workers import ThreadPoolRunner

    create_app()
    state = AppState(paths, runner or ThreadPoolRunner(), sandbox=sandbox,
                     sandbox_user=sandbox_user)
    window = MainWindow(state, settings=settings)
    if sandbox:
        state.enter_sandbox()
    return window


def _route_qt_messages() -> None:
    """Qt's own warnings go to the log file rather than a console nobody sees."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("qt")
    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}

    def handler(mode: QtMsgType, _context: object, message: str) -> None:
        qt_log.log(levels.get(mode, logging.WARNING), "%s", message)

    qInstallMessageHandler(handler)


def run_gui(args: argparse.Namespace) -> int:
    # The collector, paused by gui.launch while the app starts, comes back right after the first
    # paint, or after 5 s should the window start minimized and not paint.
    gc.disable()  # already off when started through gui.launch; here for callers that are not
    # Only the paths and the global flags: the CLI's Context (and the json and dataclasses
    # imports behind it) would be ~3 ms of startup for nothing the window uses.
    from core.paths import resolve_paths

    open_path = getattr(args, "open_path", None)  # a metadata file dropped on the app, etc.
    if args.self_test and (open_path or (
            sys.platform.startswith("linux")
            and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")))):
        # ``--self-test PATH`` proves the file argument works, without a window on screen.
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    paths = resolve_paths(args.home)
    # The window's saved settings are read before PySide6 loads: its import hook inspects every
    # module imported after it (json's four included), which is startup time for nothing.
    from gui import settings as gui_settings

    settings = gui_settings.load(paths)

    def start_logging() -> None:
        from core.logs import setup_logging

        try:
            paths.ensure()
            setup_logging(paths.log_file, verbose=args.verbose)
        except OSError:
            setup_logging(None, verbose=args.verbose)

    app = create_app()
    from PySide6.QtCore import QTimer

    if not args.self_test:
        from gui.crash import install_excepthook

        _route_qt_messages()
        install_excepthook(paths)
    window = build_window(paths, sandbox=args.sandbox, sandbox_user=args.sandbox_user,
                          settings=settings)
    window.show()
    shown_ms = (time.perf_counter() - _startup_t0()) * 1000

    def after_paint() -> None:
        gc.enable()
        # The log file (rotating handler, folders) is set up right after the first paint: it
        # is a tenth of the startup time and nothing before the paint needs it.
        start_logging()
        log.info("window shown after %.0f ms", shown_ms)

    window.first_painted.connect(lambda: QTimer.singleShot(0, after_paint))
    QTimer.singleShot(5_000, gc.enable)
    opening = None
    if open_path:
        # In the Metadata step, where a dropped file goes (the window starts there); an absolute
        # path so that the recent-files list and messages name the file the admin chose.
        opening = window.metadata_view.open_source(str(Path(open_path).absolute()))
    if args.self_test:
        outcome = {"painted": False, "done": False}

        def finish(line: str, code: int) -> None:
            outcome["done"] = True
            print(line)
            app.exit(code)

        def painted() -> None:
            outcome["painted"] = True
            print(f"self-test ok: first paint after "
                  f"{(time.perf_counter() - _startup_t0()) * 1000:.0f} ms")
            if os.environ.get("FEDERATOR_PAINT_STAMP"):  # bench/startup_bench.py reads it
                print(f"paint-epoch {time.time():.6f}")
            if opening is None:
                app.quit()
            elif opening.done:
                opened()

        def opened() -> None:
            if outcome["done"] or not outcome["painted"]:
                return
            if opening is not None and opening.error is not None:
                finish(f"self-test failed: could not open {open_path}: {opening.error}", 1)
            elif window.state.metadata is not None:
                finish(f"self-test ok: opened {window.state.metadata.entity_id}", 0)

        if opening is not None:
            opening.finished.connect(opened)

        def gave_up() -> None:
            if not outcome["done"] and not (outcome["painted"] and opening is None):
                print("self-test failed: the main window was not painted (or the file not "
                      "opened) within 20 s")
                app.exit(1)

        window.first_painted.connect(painted)
        QTimer.singleShot(20_000, gave_up)
    code = int(app.exec())
    window.state.shutdown()
    return code
