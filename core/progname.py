"""The name of Federator's console program, and the commands it prints made runnable as printed.

Why it exists: every way back, remedy and next step Federator prints is a command to paste
(``federator restore ID --confirm DOMAIN``). It must run as printed in the admin's shell on the
installed system, so the program's name is decided here, once, for the CLI and the window alike.

The names (fixed: renaming breaks pinned shortcuts and scripts):

* ``federator`` (``federator.exe``): the console program, for every command-line use. pip installs
  it as a script; the MSI installs it next to the app and adds that folder to the PATH.
* ``federatorw`` (``federatorw.exe``): the windowed app the Start-menu shortcut opens, named like
  ``pythonw.exe``. It cannot be ``Federator.exe``: Windows file names ignore case, so that name
  would be taken by (or take the place of) ``federator.exe`` in the same folder.

The journal and the texts in ``core`` record commands with the canonical name :data:`PROGRAM`,
so a journal stays valid whichever copy reads it; :func:`runnable` turns them into what runs here
when they are shown. When the frozen app's console program is not the one the PATH finds (a copied
folder, a shell opened before the install), the printed commands name it by its full path.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from core.shellquote import Shell, command_line

PROGRAM = "federator"
WINDOWED_PROGRAM = "federatorw"

# "federator " where a command starts: not inside a word, a path or an address
# (``C:\federator x``, ``https://x/federator y``, ``my-federator z``).
_COMMAND_RE = re.compile(r"(?<![\w./\\:-])federator(?= [a-z-])")


def console_executable(folder: Path | None = None) -> Path:
    """The console program beside the frozen app (``federator.exe`` on Windows)."""
    folder = folder if folder is not None else Path(sys.executable).resolve().parent
    return folder / (PROGRAM + (".exe" if os.name == "nt" else ""))


def _same_file(a: str, b: Path) -> bool:
    try:
        return Path(a).samefile(b)
    except OSError:
        return False


@functools.lru_cache(maxsize=1)
def program_name() -> str:
    """The console program as this machine's shell finds it: ``federator`` when it is on the PATH
    (pip, and the MSI, which adds its folder to the PATH), else the frozen app's full path."""
    if not getattr(sys, "frozen", False):
        return PROGRAM  # from source or pip: the ``federator`` script (pyproject.toml)
    console = console_executable()
    found = shutil.which(PROGRAM)
    if found and _same_file(found, console):
        return PROGRAM
    return str(console)


# The global options of this run that a pasted command needs to reach the same data and tenant
# (``--home DIR``, ``--sandbox``, ``--as UPN``): set once by the face that parsed them
# (:func:`run_options`), carried by every command printed meanwhile. Texts in ``core`` and the
# journal keep the bare ``federator <command>``.
_run_options: tuple[str, ...] = ()


@contextlib.contextmanager
def run_options(options: Sequence[str]) -> Iterator[None]:
    """While the block runs, every command :func:`command` builds and every ``federator
    <command>`` :func:`runnable` shows carries ``options`` after the program name."""
    global _run_options
    saved = _run_options
    _run_options = tuple(options)
    try:
        yield
    finally:
        _run_options = saved


def command(*args: str, shell: Shell | None = None) -> str:
    """A Federator command line that runs as printed: the program name, this run's global
    options (:func:`run_options`), then ``args`` quoted."""
    return command_line([program_name(), *_run_options, *args], shell)


def runnable(text: str, shell: Shell | None = None) -> str:
    """``text`` with each ``federator <command>`` in it naming the program as :func:`program_name`
    does, followed by this run's global options (unchanged when that is ``federator`` and there
    are none). A command already given options (``federator --home D x``) gets none added."""
    name = program_name()
    options = _run_options
    if PROGRAM not in text or (name == PROGRAM and not options):
        return text
    with_options = command_line([name, *options], shell)
    bare = with_options if not options else command_line([name], shell)

    def place(match: re.Match[str]) -> str:
        return bare if text.startswith(" -", match.end()) else with_options

    return _COMMAND_RE.sub(place, text)
