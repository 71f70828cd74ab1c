"""One rule for a domain name typed by a person: as ``--domain``, as ``--confirm``, anywhere.

Why it exists: Graph names a domain in lower case, without the final dot of a fully qualified
name, and in ASCII: an internationalised name (IDN) is held in its ``xn--`` form (RFC 5891).
An admin may type ``Fabrikam.com.`` or ``bücher.example``; both the domain a command changes
and the confirmation typed for it must be read the same way, or a confirmation that matches
would be refused, or a change journaled under a name ``history`` does not find.
``core.preflight.run.normalize_domain`` checks the result is a domain name at all.
"""

from __future__ import annotations


def ascii_form(text: str) -> str:
    """``text`` as Graph names a domain: trimmed, no final dot, lower case, IDN as ``xn--``
    (https://www.rfc-editor.org/rfc/rfc5891, with the UTS #46 mapping:
    https://www.unicode.org/reports/tr46/). Raises ``idna.IDNAError`` (a ValueError) when a
    non-ASCII name is not a valid IDN."""
    name = text.strip().rstrip(".")
    if not name.isascii():
        # Imported here: most names are ASCII, and the window's confirmation fields call this
        # on every key press. idna (a dependency of requests) is IDNA 2008 with UTS #46.
        import idna

        name = idna.encode(name, uts46=True).decode("ascii")
    return name.lower()


def same_domain(a: str, b: str) -> bool:
    """Whether two typed names are the same domain (case, a final dot and IDN form aside)."""
    def key(text: str) -> str:
        try:
            return ascii_form(text)
        except (ValueError, UnicodeError):
            return text.strip().rstrip(".").lower()
    return bool(key(a)) and key(a) == key(b)
