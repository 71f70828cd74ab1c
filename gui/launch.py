"""The installed ``federator`` entry point: a subcommand runs the CLI, none opens the desktop app.

Kept free of Qt imports so that ``federator <command>`` never loads PySide6.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Sequence

STARTED = time.perf_counter()  # the self-test and the startup benchmark measure from here


def main(argv: Sequence[str] | None = None) -> int:
    # No cyclic garbage collection while the desktop app starts: loading the argument parser,
    # PySide6 and building the window allocate objects that all stay alive, so the collector's
    # passes over them free nothing and cost ~5 ms before the first paint (bench/startup_bench.py).
    # gui.app.run_gui turns it back on after the first paint; a command line turns it on at once.
    gc.disable()
    try:
        return _main(argv)
    finally:
        gc.enable()


def _main(argv: Sequence[str] | None) -> int:
    from cli.options import parse_app_options

    arguments = list(sys.argv[1:] if argv is None else argv)
    # The windowed Windows exe (federatorw.exe) has no stdout or stderr at all: Python sets them
    # to None (https://docs.python.org/3/library/sys.html#sys.__stdout__). Anything written to
    # them must go somewhere harmless, and command-line use goes to the console program.
    windowed = sys.stderr is None
    if windowed:
        _quiet_missing_streams()
    app_args = parse_app_options(arguments)
    if app_args is None and windowed:
        show_notice(console_program_notice(arguments))
        return 2
    if app_args is None:
        gc.enable()
        from cli.main import build_parser, run

        args = build_parser().parse_args(arguments)
        if args.command is not None:
            return run(args)
        app_args = args
    problem = windows_problem() or (None if app_args.self_test else display_problem())
    if problem and windowed:
        _native_message_box(problem)
        return 2
    if problem:
        # Qt would abort with a message about platform plugins; say what is wrong instead.
        sys.stderr.write(f"error: {problem}\n")
        return 2
    from gui.app import run_gui

    return run_gui(app_args)


def _quiet_missing_streams() -> None:
    """Point a missing stdout/stderr at the null device (a ``--self-test`` report may already
    have replaced stdout with its copy to a file: that one stays)."""
    import os

    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (lives until exit)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115


def console_program_notice(arguments: Sequence[str]) -> str:
    """What the windowed app says when started with a command: where command-line use goes."""
    from core import __version__
    from core.progname import command

    typed = command(*arguments) if arguments else command("--help")
    return (f"Federator {__version__}\n\n"
            "This is Federator's desktop app, which has no console. Commands run in the console "
            "program, from PowerShell or a command prompt:\n\n"
            f"{typed}\n\n"
            f"{command('--help')} lists every command.")


def show_notice(text: str) -> None:
    """A message box (the windowed app has nowhere else to write)."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QMessageBox

    _app = QApplication.instance() or QApplication(sys.argv[:1])
    box = QMessageBox(QMessageBox.Icon.Information, "Federator", text)
    box.setTextFormat(Qt.TextFormat.PlainText)  # the arguments are the admin's text, not HTML
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # to copy
    box.exec()


# The X11 libraries Qt's xcb plugin loads that desktop installs sometimes lack, with their
# Debian/Ubuntu packages.
XCB_PACKAGES = {"xcb-cursor": "libxcb-cursor0", "xcb-icccm": "libxcb-icccm4",
                "xcb-keysyms": "libxcb-keysyms1"}


# Qt 6 uses the ICU library Windows ships from Windows 10 version 1903 (build 18362) and Windows
# Server 2019 (build 17763) on (https://learn.microsoft.com/windows/win32/intl/international-
# components-for-unicode--icu-); Qt 6's supported platforms start there too
# (https://doc.qt.io/qt-6/supported-platforms.html). Windows Server 2016 (build 14393) has no
# system ICU, and the app would fail to start with a missing-DLL error.
MIN_WINDOWS_BUILD = 18362
MIN_WINDOWS_SERVER_BUILD = 17763


def unsupported_windows(build: int, *, server: bool) -> str | None:
    """Why this Windows cannot run Federator, or None (``build``: the OS build number)."""
    if build >= (MIN_WINDOWS_SERVER_BUILD if server else MIN_WINDOWS_BUILD):
        return None
    return (f"Federator needs Windows 10 version 1903 or later, Windows 11, or Windows Server "
            f"2019 or later (this is build {build}): the Qt toolkit it uses needs the ICU "
            "library those versions include.")


def windows_problem() -> str | None:
    """:func:`unsupported_windows` for this machine; None elsewhere."""
    if sys.platform != "win32":
        return None
    version = sys.getwindowsversion()
    return unsupported_windows(version.build, server=version.product_type != 1)


def _native_message_box(text: str) -> None:
    """A message box without Qt (which may be what cannot load): user32's MessageBoxW."""
    import ctypes

    windll = getattr(ctypes, "windll", None)
    if windll is not None:
        windll.user32.MessageBoxW(None, text, "Federator", 0x10)  # MB_ICONERROR


def _console_help() -> str:
    from core.progname import command

    return command("--help")


def display_problem() -> str | None:
    """Why the desktop app cannot open a window on this Linux machine, or None.

    Only Linux can lack a display or the X11 libraries Qt loads at run time; Windows and macOS
    always have what Qt needs. ``QT_QPA_PLATFORM`` set by the user means they chose a platform.
    """
    import os

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return ("no graphical display (neither DISPLAY nor WAYLAND_DISPLAY is set). Run "
                "Federator on a desktop session, or use its command line: "
                + _console_help())
    if os.environ.get("WAYLAND_DISPLAY"):
        return None
    import ctypes.util

    missing = [name for name in XCB_PACKAGES if ctypes.util.find_library(name) is None]
    if missing:
        packages = " ".join(XCB_PACKAGES[name] for name in missing)
        return (f"Qt needs the X11 libraries {', '.join(missing)} to open a window. On Debian "
                f"or Ubuntu: sudo apt-get install {packages}")
    return None


if __name__ == "__main__":
    sys.exit(main())
