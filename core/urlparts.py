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


def scheme(text: str) -> str:
    """The lower-case scheme of ``text``, ``""`` when it has none or cannot be parsed."""
    parts = split(text)
    return parts.scheme.lower() if parts is not None else ""
