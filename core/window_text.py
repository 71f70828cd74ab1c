"""Core's advice, worded for the window: command lines become what to do in the window.

Why it exists: remedies, notes, summaries and ways back are written once in core and recorded in
the journal, in the command line's words ("run federator revert --domain x --confirm x"). A
person using the window has no terminal at hand and should not need one, so before the window
shows such a text it goes through :func:`for_window`, which replaces each Federator command line
with where the same thing is done in the window (the CLI keeps its own wording). The way back of
a change is also read as a structured step (:func:`way_back_step`), so the window can offer it as
a button. One table here, so both the journal's old entries and new texts read the same way.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

# Where each command's work is done in the window (a noun phrase: it replaces the command inside
# the sentence core wrote).
WINDOW_PLACES: dict[str, str] = {
    "signin": "Sign in at the top right of the window",
    "signout": "Sign out at the top right of the window",
    "whoami": "the account shown at the top right of the window",
    "domains": "the list in the Domain step",
    "inspect": "the Metadata step",
    "preflight": "Run again on the Preflight step",
    "plan": "the Review step",
    "federate": "steps 1 to 4 of this window",
    "update-certificate": "Certificate rollover in History",
    "revert": "Revert to managed authentication in History",
    "restore": "Restore this state on the change in History",
    "history": "History",
    "status": "the sign-in propagation indicator on the result",
    "make-default": "the Make default button in the preflight checks",
    "sandbox": "demo mode",
    "reconcile": "Check again on the result",
}
_COMMANDS = "|".join(sorted((re.escape(c) for c in WINDOW_PLACES), key=len, reverse=True))
# "federator <command>" then its arguments: options, their values and positional words, up to a
# closing quote or bracket, a sentence's end, or a word that is plainly prose again.
_VALUE = r"(?:'[^']*'|[A-Z][A-Z_]+|[^\s`'\u2019\u201d\"(),;]*[^\s`'\u2019\u201d\"(),;.])"
_COMMAND_RE = re.compile(
    r"(?P<lead>\b[Rr]un(?: it)?:?\s+)?"
    r"(?P<quote>[`'\u2018\u201c\"]?)\bfederator\s+(?P<cmd>" + _COMMANDS + r")\b"
    # One positional word (restore's snapshot id, make-default's domain, sandbox's verb) ...
    r"(?:\s+(?!--)(?=[\w'])(?:[0-9a-f]{8}-\w+|[\w-]+(?:\.[\w-]+)+|s-[\w-]+|serve|reset|status|'[^']*'))?"
    # ... then options, each with at most one value.
    r"(?:\s+--?[A-Za-z][\w-]*(?:\s+(?!-)" + _VALUE + r")?)*"
    r"(?P<end>[`'\u2019\u201d\"]?)")


def for_window(text: str | None) -> str:
    """``text`` with every Federator command line replaced by where the window does the same
    (the rest of the text unchanged). ``None`` reads as ``""``."""
    if not text:
        return ""

    def place(match: re.Match[str]) -> str:
        where = WINDOW_PLACES[match.group("cmd")]
        lead = match.group("lead") or ""
        if lead:
            where = "use " + where if lead[0].islower() else "Use " + where
        return where

    text = _COMMAND_RE.sub(place, text)
    # Inside the window, "the desktop app" is where the admin already is: say where on it (the
    # first form is core.settings' remedy today, the second the one older journals hold).
    text = text.replace("(--sign-out-url on the command line, the Sign-out URL field in the "
                        "desktop app)", "(the Sign-out URL field of the Metadata step)")
    return text.replace("with --sign-out-url URL (in the desktop app's Metadata step, its "
                        "Sign-out URL field)",
                        "in the Sign-out URL field of the Metadata step (under Endpoints)"
                        ).replace("in the desktop app's Metadata step",
                                  "in the Sign-out URL field of the Metadata step (under "
                                  "Endpoints)")


def has_command_line(text: str | None) -> bool:
    """Whether ``text`` still holds a Federator command line (tests, and a last guard)."""
    return bool(text) and bool(re.search(r"\bfederator\s+(?:--?\w|[a-z][a-z-]+\b)", text or ""))


@dataclass(frozen=True)
class WindowStep:
    """A way back (or next step) the window can offer as a button.

    ``kind`` is stable (``restore``, ``revert``, ``make_default``); ``label`` is the button's
    text; ``arguments`` what the step needs (``snapshot``, ``domain``); ``describe`` says it in a
    sentence for a person.
    """

    kind: str
    label: str
    describe: str
    arguments: dict[str, str] = field(default_factory=dict)


def way_back_step(way_back: str | None) -> WindowStep | None:
    """The journal's way back (a command line, as the CLI prints it) as a step for the window;
    None when it is empty or not one Federator's window can take."""
    if not way_back:
        return None
    try:
        words = shlex.split(way_back.strip().strip("`"), posix=True)
    except ValueError:
        return None
    if len(words) < 2 or words[0] != "federator":
        return None
    command, rest = words[1], words[2:]
    options: dict[str, str] = {}
    positional: list[str] = []
    i = 0
    while i < len(rest):
        word = rest[i]
        if word.startswith("--"):
            if i + 1 < len(rest) and not rest[i + 1].startswith("--"):
                options[word[2:]] = rest[i + 1]
                i += 2
                continue
            options[word[2:]] = ""
        else:
            positional.append(word)
        i += 1
    if command == "restore" and positional:
        domain = options.get("confirm", "")
        return WindowStep("restore", "Undo this change",
                          f"Restore the state before this change (snapshot {positional[0]}).",
                          {"snapshot": positional[0], "domain": domain})
    if command == "revert" and options.get("domain"):
        domain = options["domain"]
        return WindowStep("revert", f"Revert {domain}",
                          f"Revert {domain} to managed authentication.", {"domain": domain})
    if command == "make-default" and positional:
        domain = positional[0]
        return WindowStep("make_default", f"Make {domain} the default again",
                          f"Make {domain} the default domain again.", {"domain": domain})
    return None


def way_back_for_window(way_back: str | None) -> str:
    """The way back in a sentence for the window (the step's description, else the text with
    its command lines replaced)."""
    step = way_back_step(way_back)
    return step.describe if step is not None else for_window(way_back)
