"""Splitting URLs that come from outside (metadata, Graph answers, typed text) without raising.

``urllib.parse.urlsplit`` raises ``ValueError`` on some malformed input: an unclosed IPv6
bracket such as ``https://[sso.example/x``, brackets around something that is not an IP address,
characters that NFKC normalisation turns into URL delimiters; and ``SplitResult.port`` raises on a
port that is not a number from 0 to 65535 (https://docs.python.org/3/library/urllib.parse.html).
Every place that splits an untrusted URL goes through :func:`split`, so a malformed value becomes
a finding or a clean error, never an unexpected exception.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit


def split(text: str) -> SplitResult | None:
    """``text`` split into parts, or ``None`` when it is not a URL that can be parsed."""
    return None if problem(text) else urlsplit(text)


def problem(text: str) -> str | None:
    """Why ``text`` cannot be parsed as a URL, in words an admin understands; ``None`` if it can."""
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        reason = str(exc)
        if "IPv6" in reason or "IPv4" in reason or "IPvFuture" in reason:
            return ("a '[' or ']' in its host is unmatched or does not enclose an IP address")
        if "NFKC" in reason:
            return "its host holds characters that normalise into URL delimiters"
        return "it cannot be parsed as a URL"
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number from 0 to 65535
    except ValueError:
        return "its port is not a number from 0 to 65535"
    return None


def web_problem(text: str) -> str | None:
    """:func:`problem`, stricter for an address a browser opens (an IdP's sign-in or sign-out URL):
    also refused when readers disagree on where it leads. A user name before the host is
    deprecated (RFC 3986 section 3.2.1, https://www.rfc-editor.org/rfc/rfc3986#section-3.2.1) and
    hides the real host ("https://login.microsoftonline.com@attacker.example/"); browsers read a
    backslash as '/' (https://url.spec.whatwg.org/#special-authority-ignore-slashes-state) where
    other parsers keep it in the host; white space is not allowed in a URI at all (RFC 3986
    section 2)."""
    reason = problem(text)
    if reason:
        return reason
    if any(c.isspace() for c in text):
        return "it holds white space, which a URL cannot contain"
    if "\\" in text:
        return "it holds a backslash, which browsers read as '/' and other programs do not"
    if "@" in urlsplit(text).netloc:
        return ("it names a user before the host (the part before '@'), which hides where it "
                "really leads")
    return None


def scheme(text: str) -> str:
    """The lower-case scheme of ``text``, ``""`` when it has none or cannot be parsed."""
    parts = split(text)
    return parts.scheme.lower() if parts is not None else ""
