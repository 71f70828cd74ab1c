"""The ``federator`` command line: a thin face over core. Never imports Qt.

``gui.launch`` is the installed entry point; it calls :func:`run` for every subcommand and opens the
desktop app only when there is none.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from cli.commands import COMMAND_MODULES
from cli.commands.common import EXIT_BAD_INPUT, EXIT_FAILED, Context, report_error
from cli.options import add_global_options, make_context, pasted_options, subcommand_words
from core.errors import FederatorError
from core.logs import setup_logging

log = logging.getLogger(__name__)


class FederatorParser(argparse.ArgumentParser):
    """argparse, plus the CLI's error contract for ``--json``: a usage error (exit 2) also puts
    ``{"error": {"code", "message"}}`` on stdout, so scripts parse every failure the same way.
    Subcommand parsers are made of this class too (argparse uses the parent's class)."""

    _argv: list[str] | None = None
    # The whole command line's parser (not a subcommand's): it records ``invocation``, the
    # subcommand and its arguments as typed, for "run the same command again" (cli.options).
    top_level = False

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None
                         ) -> tuple[argparse.Namespace, list[str]]:
        self._argv = list(sys.argv[1:] if args is None else args)
        parsed, extras = super().parse_known_args(self._argv, namespace)
        if self.top_level:
            parsed.invocation = subcommand_words(self._argv, getattr(parsed, "command", None))
        return parsed, extras

    def error(self, message: str) -> NoReturn:
        if "--json" in (self._argv or []):
            body = {"error": {"code": "bad_arguments", "message": message}}
            sys.stdout.write(json.dumps(body, indent=2) + "\n")
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    """The whole parser: global options plus every registered subcommand."""
    parser = FederatorParser(
        prog="federator",
        description="Federate a Microsoft 365 domain with a SAML 2.0 identity provider, "
                    "and put it back to managed sign-in. With no command, opens the desktop app.",
    )
    parser.top_level = True
    add_global_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the subcommand in ``args``; every error becomes a readable line and an exit code."""
    ctx = make_context(args)
    try:
        setup_logging(ctx.paths.cli_log_file, verbose=ctx.verbose)
    except OSError:
        setup_logging(None, verbose=ctx.verbose)
    as_json = bool(getattr(args, "json", False))
    from core.progname import run_options

    try:
        # Every command this run prints carries the global options it was given (--home...).
        with run_options(pasted_options(args)):
            return _run_handler(args, ctx, as_json=as_json)
    except BrokenPipeError:
        # The reader went away (``federator domains --json | head``), also while an error was
        # being reported: not an error worth a message. Point stdout at devnull so the
        # interpreter's final flush does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED


def _run_handler(args: argparse.Namespace, ctx: Context, *, as_json: bool) -> int:
    try:
        code: int = args.handler(args, ctx)
        return code
    except FederatorError as exc:
        log.info("command failed: %s (%s)", exc.message, exc.code)
        return report_error(exc, ctx, as_json=as_json)
    except KeyboardInterrupt:
        ctx.error("interrupted")
        return 130
    except BrokenPipeError:
        raise
    except Exception as exc:  # the last net: a readable line, details in the log
        log.exception("unexpected error")
        ctx.error(f"unexpected {type(exc).__name__}; details are in {ctx.paths.cli_log_file}")
        return EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line only entry (no GUI): ``python -m cli``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
