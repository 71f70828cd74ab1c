"""Quoting text for the shells an admin pastes Federator's suggested commands into.

Every command Federator prints or shows for copying (the way back of a change, next steps, the
Microsoft Graph PowerShell equivalent of a plan) carries values from outside: file names, URLs,
the IdP's issuer and display name. Quoted badly, ``idp$(Start-Process calc).xml`` runs code when
pasted. So every such value goes through this module, quoted for the shell it is meant for and
never inside double quotes (which expand ``$(...)`` in PowerShell and sh alike).

PowerShell: a single-quoted string is verbatim; it ends at any of the five single-quote
characters ``'`` U+2018 U+2019 U+201A U+201B, and doubling any of them inside the string stands for
that character
(https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_quoting_rules,
and the tokenizer's ``IsSingleQuote`` in PowerShell's source). Control characters are written as
``[char]0x...`` outside the quotes, so a pasted command never holds a raw newline or escape.

POSIX sh: :func:`shlex.quote` (single quotes, nothing expands inside them; POSIX.1-2017 XCU 2.2.2).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable
from typing import Any, Literal

from core.textsafe import CONTROL_RE

Shell = Literal["powershell", "posix"]

# The characters PowerShell's tokenizer takes as a single quote.
PS_SINGLE_QUOTES = frozenset("'\u2018\u2019\u201a\u201b")
_PS_QUOTE_RE = re.compile("[" + "".join(sorted(PS_SINGLE_QUOTES)) + "]")
# The characters it takes as a double quote (they would end a double-quoted string).
PS_DOUBLE_QUOTES = frozenset('"\u201c\u201d\u201e')
# A bare PowerShell argument needs no quotes when it holds only these (no $ @ , ; ( ) { } ` # etc.).
_PS_BARE = re.compile(r"[A-Za-z0-9_./\\:-]+")


def default_shell() -> Shell:
    """The shell an admin on this machine pastes into: PowerShell on Windows, sh elsewhere."""
    return "powershell" if os.name == "nt" else "posix"


def ps_string(value: str) -> str:
    """``value`` as a PowerShell string expression that evaluates to exactly ``value``.

    A single-quoted literal with every single-quote character doubled; control characters (which
    a terminal or a paste would act on) go as ``[char]0xNNNN`` joined with ``+``, in parentheses
    so the whole is one argument or one hashtable value."""
    pieces: list[str] = []
    at = 0
    for match in CONTROL_RE.finditer(value):
        if match.start() > at:
            pieces.append(_ps_literal(value[at:match.start()]))
        pieces.append(f"[char]0x{ord(match.group()):04X}")
        at = match.end()
    if at < len(value) or not pieces:
        pieces.append(_ps_literal(value[at:]))
    if len(pieces) == 1 and pieces[0].startswith("'"):
        return pieces[0]
    # In parentheses: in argument mode a bare [char]0x41 would be the text "[char]0x41".
    # [string] first so that + concatenates even when the value starts with a [char].
    return "([string]" + " + ".join(pieces) + ")"


def _ps_literal(text: str) -> str:
    """``text`` (no control characters) in single quotes, each single-quote character doubled."""
    return "'" + _PS_QUOTE_RE.sub(lambda m: m.group() * 2, text) + "'"


def ps_quote(value: Any) -> str:
    """A PowerShell value: ``$true``/``$false``/``$null``, or a string as :func:`ps_string`."""
    if isinstance(value, bool):
        return "$true" if value else "$false"
    if value is None:
        return "$null"
    return ps_string(str(value))


def quote_for_shell(arg: str, shell: Shell | None = None) -> str:
    """``arg`` as one argument of a command pasted into ``shell`` (default: this machine's)."""
    shell = shell or default_shell()
    if shell == "powershell":
        if _PS_BARE.fullmatch(arg):
            return arg
        return ps_string(arg)
    return shlex.quote(arg)


def command_line(args: Iterable[str], shell: Shell | None = None) -> str:
    """A command line from its arguments, each quoted for ``shell`` (``federator restore ID
    --confirm DOMAIN``). Options and words that need no quotes stay bare.

    In PowerShell a quoted first word is a string, not a command: it gets the call operator
    (``& 'C:\\Program Files\\Federator\\federator.exe' history``; about_Operators, "Call
    operator &", https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_operators).
    """
    shell = shell or default_shell()
    words = [quote_for_shell(a, shell) for a in args]
    if shell == "powershell" and words and words[0][:1] in ("'", "("):
        words[0] = "& " + words[0]
    return " ".join(words)
