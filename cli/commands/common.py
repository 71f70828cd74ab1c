"""What every subcommand shares: the context, output helpers and the error-to-exit-code rule.

Exit codes: 0 success, 1 refused or failed (the tenant's state is reported), 2 unusable input.
"""

from __future__ import annotations

import argparse
import errno
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from core.errors import FederatorError, InputError, RefusedError
from core.paths import Paths
from core.progname import runnable
from core.textsafe import for_terminal, json_terminal_safe, one_line

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


@dataclass
class Context:
    """What a handler needs besides its own arguments: where files live and the global options."""

    paths: Paths
    verbose: bool = False
    sandbox: bool = False
    sandbox_user: str | None = None
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)

    # Human output goes through core.textsafe: metadata, Graph answers and file names may hold
    # escape sequences, carriage returns or bidi overrides that would erase or forge lines on
    # the admin's terminal; they are shown as visible escapes (\x1b, \r, \u202e). The commands
    # a text suggests name the console program as this machine finds it (core.progname).

    def print(self, text: str = "") -> None:
        _write(self.stdout, for_terminal(runnable(text)) + "\n")

    def note(self, text: str) -> None:
        """A line for the admin on stderr (a warning, the device-code prompt)."""
        self.stderr.write(for_terminal(runnable(text.rstrip("\n"))) + "\n")

    def emit_json(self, payload: Any) -> None:
        # json escapes C0 controls itself; C1 controls and bidi overrides are escaped too
        # (\u009b is the same JSON string as the raw character).
        text = json.dumps(payload, indent=2, ensure_ascii=False, default=str)
        _write(self.stdout, json_terminal_safe(text) + "\n")

    def error(self, message: str) -> None:
        self.stderr.write(f"error: {one_line(runnable(message))}\n")


def _write(stream: TextIO, text: str) -> None:
    """``stream.write(text)``; a pipe whose reader has gone is a BrokenPipeError everywhere.

    On Windows the C runtime's write() turns ERROR_NO_DATA ("The pipe is being closed", 232:
    https://learn.microsoft.com/windows/win32/debug/system-error-codes--0-499-) into EINVAL
    ("Invalid argument"), not EPIPE, e.g. after ``federator history | Select-Object -First 1``;
    the CLI would otherwise call it an unexpected error."""
    try:
        stream.write(text)
    except BrokenPipeError:
        raise
    except OSError as exc:
        if exc.errno != errno.EINVAL:
            raise
        raise BrokenPipeError(errno.EPIPE, "the reader closed the pipe") from exc


Handler = Callable[[argparse.Namespace, Context], int]


def exit_code_for(error: FederatorError) -> int:
    """2 for unusable input, 1 for everything else Federator reports."""
    if isinstance(error, InputError):
        return EXIT_BAD_INPUT
    if isinstance(error, RefusedError):
        return EXIT_FAILED
    return EXIT_FAILED


def report_error(error: FederatorError, ctx: Context, *, as_json: bool) -> int:
    """Print ``error`` as one ``error: ...`` line (and a JSON body with ``--json``)."""
    line = error.message.strip()
    if error.remedy:
        if line and line[-1] not in ".!?:":
            line += "."  # the remedy is a sentence of its own
        line += f" {error.remedy.strip()}"
    ctx.error(line)
    if as_json:
        ctx.emit_json({"error": error.to_json()})
    return exit_code_for(error)
