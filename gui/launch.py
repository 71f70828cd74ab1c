"""The installed ``federator`` entry point: a subcommand runs the CLI, none opens the desktop app.

Kept free of Qt imports so that ``federator <command>`` never loads PySide6.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

STARTED = time.perf_counter()  # the self-test and the startup benchmark measure from here


def main(argv: Sequence[str] | None = None) -> int:
    from cli.options import parse_app_options

    arguments = list(sys.argv[1:] if argv is None else argv)
    app_args = parse_app_options(arguments)
    if app_args is None:
        from cli.main import build_parser, run

        args = build_parser().parse_args(arguments)
        if args.command is not None:
            return run(args)
        app_args = args
    problem = None if app_args.self_test else display_problem()
    if problem:
        # Qt would abort with a message about platform plugins; say what is wrong instead.
        sys.stderr.write(f"error: {problem}\n")
        return 2
    from gui.app import run_gui

    return run_gui(app_args)


# The X11 libraries Qt's xcb plugin loads that desktop installs sometimes lack, with their
# Debian/Ubuntu packages.
XCB_PACKAGES = {"xcb-cursor": "libxcb-cursor0", "xcb-icccm": "libxcb-icccm4",
                "xcb-keysyms": "libxcb-keysyms1"}


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
                "Federator on a desktop session, or use its command line: federator --help")
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
