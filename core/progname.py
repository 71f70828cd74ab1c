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

import functools
import os
import re
import shutil
import sys
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


def command(*args: str, shell: Shell | None = None) -> str:
    """A Federator command line that runs as printed: the program name, then ``args`` quoted."""
    return command_line([program_name(), *args], shell)


def runnable(text: str, shell: Shell | None = None) -> str:
    """``text`` with each ``federator <command>`` in it naming the program as :func:`program_name`
    does (unchanged when that is ``federator``)."""
    name = program_name()
    if name == PROGRAM or PROGRAM not in text:
        return text
    return _COMMAND_RE.sub(lambda _m: command_line([name], shell), text)
