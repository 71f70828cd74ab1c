"""Characters that must never reach a terminal, a command line or a Graph value as they are.

Metadata, Graph answers and file names come from outside. Control characters in them (an ESC
sequence, a carriage return, a newline, a C1 control) can erase or forge lines on a terminal, and
bidirectional overrides can make text read differently from what it is (CVE-2021-42574,
"Trojan Source"). This module says which characters those are and how to show them visibly; the
CLI's output layer, the PowerShell quoting and the metadata checks all use it.
"""

from __future__ import annotations

# Bidirectional formatting characters: embeddings and overrides U+202A-U+202E, isolates
# U+2066-U+2069 (Unicode Standard Annex #9, https://www.unicode.org/reports/tr9/), and the
# implicit marks LRM, RLM and ALM.
BIDI_CONTROLS = frozenset({*range(0x202A, 0x202F), *range(0x2066, 0x206A),
                           0x200E, 0x200F, 0x061C})
# LINE SEPARATOR and PARAGRAPH SEPARATOR end a line in many viewers.
LINE_SEPARATORS = frozenset({0x2028, 0x2029})


def is_control(ch: str) -> bool:
    """C0 controls, DEL, C1 controls, bidirectional controls and Unicode line separators."""
    cp = ord(ch)
    return (cp < 0x20 or 0x7F <= cp <= 0x9F or cp in BIDI_CONTROLS
            or cp in LINE_SEPARATORS)


def has_control(text: str) -> bool:
    return any(is_control(ch) for ch in text)


def escape_char(ch: str) -> str:
    """``ch`` as a visible escape: ``\\x1b``, ``\\n``, ``\\u202e``."""
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if ch in named:
        return named[ch]
    cp = ord(ch)
    return f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}"


def visible_controls(text: str, *, keep: str = "") -> str:
    """``text`` with every control character (see :func:`is_control`) except those in ``keep``
    shown as a visible escape, so it prints as the characters it holds and nothing more."""
    if not any(is_control(ch) and ch not in keep for ch in text):
        return text  # the common case, without building a new string
    return "".join(escape_char(ch) if is_control(ch) and ch not in keep else ch for ch in text)


def for_terminal(text: str) -> str:
    """Text Federator composed for a terminal: its own line breaks and tabs kept, every other
    control character made visible."""
    return visible_controls(text, keep="\n\t")


def json_terminal_safe(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with every control character
    written as a ``\\uXXXX`` escape: the same JSON value, nothing a terminal acts on. json
    already escapes C0 controls inside strings, so a raw newline is the indentation's own."""
    if not any(is_control(ch) and ch != "\n" for ch in text):
        return text
    return "".join(f"\\u{ord(ch):04x}" if is_control(ch) and ch != "\n" else ch
                   for ch in text)


def one_line(text: str) -> str:
    """A single value (a URL, a name, a certificate subject) on one line, whatever it holds."""
    return visible_controls(text)
