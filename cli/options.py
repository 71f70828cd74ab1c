"""The global command-line options, shared by the full CLI parser and the desktop app's launcher.

Kept apart from ``cli.main`` so that opening the desktop app parses its few options without
importing every subcommand module (that import is a third of the app's startup time).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from core import __version__

if TYPE_CHECKING:
    from cli.commands.common import Context


def add_global_options(parser: argparse.ArgumentParser) -> None:
    """Options valid before any subcommand, and for the desktop app."""
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


def looks_like_a_file(arg: str) -> bool:
    """Whether a lone argument is a file to open rather than a command: Explorer passes the full
    path of a file dropped on the app or opened with it ("Open with"), and no command name holds a
    dot or a path separator (``federator C:\\idp.xml``, ``federator ./idp.xml``)."""
    return not arg.startswith("-") and any(c in arg for c in "./\\")


def parse_app_options(argv: list[str]) -> argparse.Namespace | None:
    """The options for opening the desktop app, or None when ``argv`` asks for the CLI.

    A lone file path (see :func:`looks_like_a_file`) opens the app with that metadata file
    (``open_path``).

    Anything that is not a global option (a subcommand, ``--help``, ``--version``, a typo) goes to
    the full parser, which knows every command and prints the right message.
    """
    if any(a in ("-h", "--help", "--version") for a in argv):
        return None
    parser = argparse.ArgumentParser(prog="federator", add_help=False)
    add_global_options(parser)
    try:
        args, rest = parser.parse_known_args(argv)
    except SystemExit:
        return None
    args.open_path = None
    if len(rest) == 1 and looks_like_a_file(rest[0]):
        args.open_path = rest[0]  # opened in the Metadata step
    elif rest:
        return None
    args.command = None
    return args


def pasted_options(args: argparse.Namespace) -> list[str]:
    """The global options this run was given that a command it suggests needs to reach the same
    data and tenant when pasted (in another shell, too): ``--home DIR`` when the home came from
    ``--home`` or ``FEDERATOR_HOME``, ``--sandbox``, ``--as UPN``. ``cli.main`` hands them to
    ``core.progname.run_options`` once, so every printed command carries them."""
    import os
    from pathlib import Path

    from core.paths import HOME_ENV

    home = getattr(args, "home", None) or os.environ.get(HOME_ENV) or None
    options: list[str] = []
    if home:
        options += ["--home", str(Path(home).expanduser().resolve())]
    if getattr(args, "sandbox", False):
        options.append("--sandbox")
    if getattr(args, "sandbox_user", None):
        options += ["--as", str(args.sandbox_user)]
    return options


def subcommand_words(argv: list[str], command: str | None) -> list[str]:
    """The subcommand and its arguments as typed (``["restore", "ID", "--confirm", "D"]``),
    without the global options before it (``pasted_options`` gives those back when a command is
    shown): the command a failed change suggests running again. Empty when there is none."""
    valued = ("--home", "--as")  # global options that take a value (argparse accepts prefixes)
    i = 0
    while command and i < len(argv):
        word = argv[i]
        if word == command:
            return list(argv[i:])
        takes_value = (len(word) > 2 and "=" not in word
                       and any(option.startswith(word) for option in valued))
        i += 2 if takes_value else 1
    return []


def make_context(args: argparse.Namespace) -> Context:
    """The context every face builds from the global options."""
    from cli.commands.common import Context
    from core.paths import resolve_paths

    return Context(paths=resolve_paths(args.home), verbose=args.verbose, sandbox=args.sandbox,
                   sandbox_user=args.sandbox_user)
