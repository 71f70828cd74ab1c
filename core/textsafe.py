"""Characters that must never reach a terminal, a command line or a Graph value as they are.

Metadata, Graph answers and file names come from outside. Control characters in them (an ESC
sequence, a carriage return, a newline, a C1 control) can erase or forge lines on a terminal, and
bidirectional overrides can make text read differently from what it is (CVE-2021-42574,
"Trojan Source"). This module says which characters those are and how to show them visibly; the
CLI's output layer, the PowerShell quoting and the metadata checks all use it.
"""

from __future__ import annotations

import re

# Bidirectional formatting characters: embeddings and overrides U+202A-U+202E, isolates
# U+2066-U+2069 (Unicode Standard Annex #9, https://www.unicode.org/reports/tr9/), and the
# implicit marks LRM, RLM and ALM.
BIDI_CONTROLS = frozenset({*range(0x202A, 0x202F), *range(0x2066, 0x206A),
                           0x200E, 0x200F, 0x061C})
# LINE SEPARATOR and PARAGRAPH SEPARATOR end a line in many viewers.
LINE_SEPARATORS = frozenset({0x2028, 0x2029})
# Characters that draw nothing: an issuer "https://idp.example.org/x" and the same with a ZERO
# WIDTH SPACE after the x read the same on screen and differ to Entra, which compares issuers
# exactly (AADSTS50107). These are the Default_Ignorable_Code_Point characters that are not
# bidi controls above and not the variation selectors emoji need (Unicode DerivedCoreProperties,
# https://www.unicode.org/reports/tr44/#Default_Ignorable_Code_Point): soft hyphen, combining
# grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian vowel separator, zero width
# space, non-joiner and joiner, word joiner and the invisible operators, and the byte order
# mark (all in the Basic Multilingual Plane: PowerShell's [char] form holds each).
INVISIBLE = frozenset({0x00AD, 0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x200B, 0x200C,
                       0x200D, *range(0x2060, 0x2065), 0x3164, 0xFEFF, 0xFFA0})


# The same set as one character class: a 9 MB value is scanned at C speed.
CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f" + "".join(
    re.escape(chr(cp)) for cp in sorted(BIDI_CONTROLS | LINE_SEPARATORS | INVISIBLE)) + "]")


def is_control(ch: str) -> bool:
    """C0 controls, DEL, C1 controls, bidirectional controls, Unicode line separators and
    invisible characters."""
    cp = ord(ch)
    return (cp < 0x20 or 0x7F <= cp <= 0x9F or cp in BIDI_CONTROLS
            or cp in LINE_SEPARATORS or cp in INVISIBLE)


def has_control(text: str) -> bool:
    return CONTROL_RE.search(text) is not None


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
    return CONTROL_RE.sub(lambda m: m.group() if m.group() in keep else escape_char(m.group()),
                          text)


def for_terminal(text: str) -> str:
    """Text Federator composed for a terminal: its own line breaks and tabs kept, every other
    control character made visible."""
    return visible_controls(text, keep="\n\t")


def json_terminal_safe(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with every control character
    written as a ``\\uXXXX`` escape: the same JSON value, nothing a terminal acts on. json
    already escapes C0 controls inside strings, so a raw newline is the indentation's own."""
    return CONTROL_RE.sub(lambda m: m.group() if m.group() == "\n"
                          else f"\\u{ord(m.group()):04x}", text)


def one_line(text: str) -> str:
    """A single value (a URL, a name, a certificate subject) on one line, whatever it holds."""
    return visible_controls(text)


def elide_middle(text: str, limit: int) -> str:
    """``text`` cut in the middle when longer than ``limit`` characters, saying how long it is:
    the start and end of a URL or a name stay recognisable and a 9 MB value stays cheap to
    show. For the screen only: copy and send the full value."""
    if len(text) <= limit:
        return text
    keep = max(limit - 40, 2)
    head, tail = keep * 2 // 3, keep // 3
    return f"{text[:head]} … ({len(text):,} characters) … {text[len(text) - tail:]}"
