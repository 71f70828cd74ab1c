"""The command-line subcommands, one module each; ``core.cli`` registers the modules listed here.

Each module defines ``register(subparsers)`` that adds its parsers and sets ``handler`` on them.
Handlers take the parsed arguments and a ``Context`` and return an exit code. Heavy imports stay
inside the handlers so that ``federator --help`` is fast.
"""

COMMAND_MODULES = [
    "core.commands.inspect",
    "core.commands.tenant",
    "core.commands.sandbox",
    "core.commands.preflight",
    "core.commands.changes",
]
