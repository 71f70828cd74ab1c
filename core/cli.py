"""The ``federator`` command line: a thin face over core. Never imports Qt.

``gui.launch`` is the installed entry point; it calls :func:`run` for every subcommand and opens the
desktop app only when there is none.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from core import __version__
from core.commands import COMMAND_MODULES
from core.commands.common import EXIT_BAD_INPUT, EXIT_FAILED, Context, report_error
from core.errors import FederatorError
from core.logs import setup_logging
from core.paths import resolve_paths

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The whole parser: global options plus every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="federator",
        description="Federate a Microsoft 365 domain with a SAML 2.0 identity provider, "
                    "and put it back to managed sign-in. With no command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"federator {__version__}")
    parser.add_argument("--home", metavar="DIR",
                        help="keep settings, logs, journal and sandbox state under DIR "
                             "(default: per-user folders; also FEDERATOR_HOME)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail to stderr")
    parser.add_argument("--sandbox", action="store_true",
                        help="work against the built-in sandbox tenant (demo mode)")
    parser.add_argument("--as", dest="sandbox_user", metavar="UPN",
                        help="with --sandbox: sign in as this seed user (default ops@contoso.com)")
    parser.add_argument("--self-test", action="store_true", help=argparse.SUPPRESS)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def make_context(args: argparse.Namespace) -> Context:
    paths = resolve_paths(args.home)
    return Context(paths=paths, verbose=args.verbose, sandbox=args.sandbox,
                   sandbox_user=args.sandbox_user)


def run(args: argparse.Namespace) -> int:
    """Run the subcommand in ``args``; every error becomes a readable line and an exit code."""
    ctx = make_context(args)
    try:
        setup_logging(ctx.paths.log_file, verbose=ctx.verbose)
    except OSError:
        setup_logging(None, verbose=ctx.verbose)
    as_json = bool(getattr(args, "json", False))
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
        # The reader went away (``federator domains | head``): not an error worth a message.
        # Point stdout at devnull so the interpreter's final flush does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as exc:  # the last net: a readable line, details in the log
        log.exception("unexpected error")
        ctx.error(f"unexpected {type(exc).__name__}; details are in {ctx.paths.log_file}")
        return EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line only entry (no GUI): ``python -m core.cli``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
