"""The command-line subcommands, one module each; ``cli.main`` registers the modules listed here.

Each module defines ``register(subparsers)`` that adds its parsers and sets ``handler`` on them.
Handlers take the parsed arguments and a ``Context`` and return an exit code. Heavy imports stay
inside the handlers so that ``federator --help`` is fast.
"""

COMMAND_MODULES = [
    "cli.commands.inspect",
    "cli.commands.tenant",
    "cli.commands.sandbox",
    "cli.commands.preflight",
    "cli.commands.make_default",
    "cli.commands.changes",
    "cli.commands.signin",
    "cli.commands.watch",
]
