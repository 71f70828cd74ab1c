"""Property-based: whatever bytes arrive, the reader returns metadata or raises Federator's own
error, never anything else (so the CLI and GUI never show a traceback).

Inputs that once escaped as a bare exception are pinned with ``@example`` so CI finds them every
run, not only when the random search happens to.
"""

from __future__ import annotations

import base64

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cli.commands.inspect import render_text
from core.errors import FederatorError
from core.findings import merge_findings
from core.metadata import IdpMetadata, read_metadata
from core.preflight.checks import (
    PreflightInput,
    check_metadata_endpoints,
    check_metadata_issuer,
    check_metadata_readable,
)
from core.settings import settings_from_metadata
from tests import factories as f

PLAIN = f.metadata()
SIGNED = f.metadata(sign_with=f.cert("signer", slot=4))
FRAGMENTS = [
    b"<?xml version='1.0'?>", b"<md:EntityDescriptor", b"</md:EntityDescriptor>",
    b' xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"', b' entityID="', b'"', b">", b"/>",
    b"<md:IDPSSODescriptor>", b"</md:IDPSSODescriptor>", b"<md:KeyDescriptor use='signing'>",
    b"<ds:X509Certificate xmlns:ds='http://www.w3.org/2000/09/xmldsig#'>",
    b"</ds:X509Certificate>", base64.b64encode(f.cert().der)[:40], b"<!DOCTYPE x>", b"<!--",
    b"-->", b"&amp;", b"&x;", b"<![CDATA[", b"]]>", b"\xef\xbb\xbf", b"\xff\xfe", b"\x00",
    b"<md:SingleSignOnService Binding='urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST' "
    b"Location='", b"https://idp.example.com/", b"validUntil='2020-13-45T99:99:99Z'",
    b"<md:EntitiesDescriptor xmlns:md='urn:oasis:names:tc:SAML:2.0:metadata'>",
    b"</md:EntitiesDescriptor>", b"<html>", b"\x89PNG",
]
# Right after "https://" in the sign-in URL: an inserted "[" leaves an unclosed IPv6 bracket.
SSO_HOST = PLAIN.index(b'Location="' + f.SSO.encode()) + len('Location="https://')
MALFORMED_URLS = ["https://[sso.example/x", "https://sso.example]/x", "https://[sso.example]/x",
                  "https://sso.example:99999/x", "https://sso.example:x/", "https://a\uff03b/"]


def _check(data: bytes) -> None:
    try:
        md = read_metadata(data, now=f.NOW)
    except FederatorError as exc:
        assert exc.message and exc.code
        return
    assert isinstance(md, IdpMetadata)
    settings, findings = settings_from_metadata(md, now=f.NOW)
    md.to_json()
    # What the faces do with it next: inspect's summary and the metadata checks of preflight.
    render_text(md, settings, merge_findings(md.findings, findings))
    inp = PreflightInput(domain="fabrikam.com", metadata=md, settings=settings,
                         settings_findings=findings, now=f.NOW)
    for check in (check_metadata_readable, check_metadata_issuer, check_metadata_endpoints):
        check(inp)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_random_bytes(data: bytes) -> None:
    _check(data)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30))
def test_random_markup(parts: list[bytes]) -> None:
    _check(b"".join(parts))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([PLAIN, SIGNED]), st.integers(min_value=0, max_value=10**6),
       st.binary(min_size=0, max_size=8), st.integers(min_value=0, max_value=8))
@example(PLAIN, SSO_HOST, b"[", 0)
@example(PLAIN, SSO_HOST + len("idp.example.com"), b":99999", 0)
@example(PLAIN, SSO_HOST + len("idp.example.com"), b"]", 0)
def test_mutated_metadata(base: bytes, position: int, insert: bytes, delete: int) -> None:
    at = position % (len(base) + 1)
    _check(base[:at] + insert + base[at + delete:])


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
@example(MALFORMED_URLS[0])
@example(MALFORMED_URLS[3])
def test_any_entity_id_and_text(text: str) -> None:
    from xml.sax.saxutils import quoteattr

    quoted = quoteattr(text).encode("utf-8", "surrogatepass")
    _check(PLAIN.replace(b'entityID="https://idp.example.com/saml/metadata"',
                         b"entityID=" + quoted))
    _check(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=100))
@example(MALFORMED_URLS[0])
@example(MALFORMED_URLS[1])
@example(MALFORMED_URLS[2])
@example(MALFORMED_URLS[3])
@example(MALFORMED_URLS[4])
@example(MALFORMED_URLS[5])
def test_any_text_as_a_sign_in_or_sign_out_url(text: str) -> None:
    from xml.sax.saxutils import quoteattr

    quoted = quoteattr(text).encode("utf-8", "surrogatepass")
    _check(PLAIN.replace(b'Location="' + f.SSO.encode() + b'"', b"Location=" + quoted))
    _check(PLAIN.replace(b'Location="' + f.SLO.encode() + b'"', b"Location=" + quoted))
