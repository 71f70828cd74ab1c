"""From what an admin captured to the XML of one SAML response.

Accepted: the response XML itself; its base64 (line-wrapped or not, also the URL-safe alphabet
and the raw DEFLATE that the HTTP-Redirect binding uses, though Entra's login.srf takes POST
only); a URL-encoded POST body (``SAMLResponse=...&RelayState=...``); a HAR file (the browser's
developer tools: Network, "Save all as HAR") or a SAML-tracer export (JSON), from which the
last POST carrying a SAMLResponse is taken. Anything else is unusable input (exit 2).

A capture holds personal data (names, e-mail addresses, ImmutableIDs) and sometimes cookies or
passwords (HAR files record every request): only the SAMLResponse value is kept, in memory;
nothing is written or logged.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote_plus

from core.errors import InputError

# A SAML response is a few kilobytes; 10 MB (the metadata cap) leaves room for huge attribute
# sets while refusing files that are surely not one response.
MAX_INPUT_BYTES = 10 * 1024 * 1024
_URLSAFE = bytes.maketrans(b"-_", b"+/")
_REMEDY = ("Paste the value of the SAMLResponse form field (base64), the decoded XML, or a HAR "
           "file saved from the browser's developer tools (Network tab) during the sign-in.")


@dataclass(frozen=True)
class Decoded:
    xml: bytes
    source: str  # "xml", "base64", "deflate+base64", "form", "har", "saml-tracer"
    relay_state: str | None = None


def unusable(message: str, code: str = "signin_bad_input") -> InputError:
    return InputError(message, code=code, remedy=_REMEDY)


def decode(data: bytes | str) -> Decoded:
    """The response XML in ``data`` (see module doc); ``InputError`` when there is none."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_INPUT_BYTES:
        raise unusable(f"The input is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MB; a SAML "
                       "response is a few kilobytes.", "signin_too_large")
    text = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        raise unusable("The input is empty.")
    if text.startswith(b"<"):
        return Decoded(text, "xml")
    if text.startswith((b"{", b"[")):
        return _from_json(text)
    if b"SAMLResponse=" in text[:4096] or b"&RelayState=" in text:
        return _from_form(text.decode("utf-8", "replace"))
    xml, source = _from_base64(text)
    return Decoded(xml, source)


def _from_base64(text: bytes, *, quoted: bool = False) -> tuple[bytes, str]:
    """The XML and how it was packed (``base64`` or ``deflate+base64``)."""
    if b"%" in text[:4096] and not quoted:
        text = unquote_plus(text.decode("ascii", "replace")).encode("ascii", "replace")
    # bytes.translate, not a regex: a pasted 1 MB response is scanned at C speed.
    compact = text.translate(_URLSAFE, b" \t\r\n\x0b\x0c")
    compact += b"=" * (-len(compact) % 4)
    try:
        decoded = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise unusable("The input is neither XML nor base64, so it is not a SAML "
                       "response.") from exc
    stripped = decoded.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<"):
        return stripped, "base64"
    try:
        inflater = zlib.decompressobj(-15)
        inflated = inflater.decompress(decoded, MAX_INPUT_BYTES + 1)
    except zlib.error:
        inflated = b""
    if inflated.lstrip().startswith(b"<"):
        if len(inflated) > MAX_INPUT_BYTES:
            raise unusable("The response inflates to more than 10 MB.", "signin_too_large")
        return inflated.lstrip(), "deflate+base64"
    raise unusable("The input decodes from base64, but not to XML: it is not a SAML response.")


def _from_form(body: str) -> Decoded:
    fields = parse_qs(body.strip(), keep_blank_values=True)
    values = fields.get("SAMLResponse") or []
    if not values or not values[-1].strip():
        raise unusable("The form body holds no SAMLResponse field (Entra would answer "
                       "AADSTS90081).", "signin_no_response")
    relays = fields.get("RelayState") or []
    relay = relays[-1] if relays else None
    xml, _source = _from_base64(values[-1].encode("ascii", "replace"), quoted=True)
    return Decoded(xml, "form", relay)


def _from_json(text: bytes) -> Decoded:
    try:
        document: Any = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise unusable("The input starts like JSON but is not valid JSON.") from exc
    found: list[tuple[str, str, str | None]] = []
    if isinstance(document, dict) and isinstance(document.get("log"), dict):
        for entry in document["log"].get("entries") or []:
            request = entry.get("request") if isinstance(entry, dict) else None
            post = request.get("postData") if isinstance(request, dict) else None
            if not isinstance(post, dict):
                continue
            for param in post.get("params") or []:
                if isinstance(param, dict) and param.get("name") == "SAMLResponse":
                    found.append(("har", unquote_plus(str(param.get("value") or "")), None))
            body = post.get("text")
            if isinstance(body, str) and "SAMLResponse=" in body:
                found.append(("har-form", body, None))
    else:
        # SAML-tracer export: {"requests": [{"method", "url", "post": [[name, value], ...],
        # "saml": "<decoded XML>", ...}]}.
        requests = document.get("requests") if isinstance(document, dict) else None
        for request in requests or []:
            if not isinstance(request, dict):
                continue
            for pair in request.get("post") or []:
                if isinstance(pair, list) and len(pair) == 2 and pair[0] == "SAMLResponse":
                    found.append(("saml-tracer", str(pair[1]), None))
    if not found:
        raise unusable("The JSON file holds no POST with a SAMLResponse: capture the sign-in "
                       "again with 'Preserve log' on, so that the post to login.srf is kept.",
                       "signin_no_response")
    kind, value, _ = found[-1]
    if kind == "har-form":
        decoded = _from_form(value)
        return Decoded(decoded.xml, "har", decoded.relay_state)
    xml, _source = _from_base64(value.encode("ascii", "replace"), quoted=True)
    return Decoded(xml, kind)
