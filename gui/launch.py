"""The installed ``federator`` entry point: a subcommand runs the CLI, none opens the desktop app.

Kept free of Qt imports so that ``federator <command>`` never loads PySide6.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

STARTED = time.perf_counter()  # the self-test and the startup benchmark measure from here


def main(argv: Sequence[str] | None = None) -> int:
    from core.cli_options import parse_app_options

    arguments = list(sys.argv[1:] if argv is None else argv)
    app_args = parse_app_options(arguments)
    if app_args is None:
        from core.cli import build_parser, run

        args = build_parser().parse_args(arguments)
        if args.command is not None:
            return run(args)
        app_args = args
    from gui.app import run_gui

    return run_gui(app_args)


if __name__ == "__main__":
    sys.exit(main())
