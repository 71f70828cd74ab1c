"""``read_metadata``'s work: load, parse safely, pick the IdP, decode certificates, check, report.

Kept apart from ``core.metadata``'s package module so that importing the package stays cheap.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from core import urlparts
from core.certificates import (
    CertificateError,
    CertificateInfo,
    parse_certificate_text,
    read_certificate,
)
from core.findings import Finding, merge_findings
from core.metadata import checks, extract, signature, xmlsafe
from core.metadata.fetch import check_url, download
from core.metadata.model import MAX_METADATA_BYTES, IdpMetadata, MetadataError

if TYPE_CHECKING:
    from lxml import etree

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def load_source(source: str | Path | bytes, *, ca_bundle: str | Path | None = None
                ) -> tuple[bytes, str | None, str | None]:
    """The raw bytes of ``source``, a name to show for it (for a URL: the address it finally
    came from) and, when a download was redirected, the address first asked for."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if len(data) > MAX_METADATA_BYTES:
            raise xmlsafe.too_large(len(data))
        return data, None, None
    if isinstance(source, str) and not source.strip():
        raise MetadataError("No metadata file or URL was given.", code="not_found",
                            remedy="Give the path of the IdP's metadata file, or its https:// "
                                   "URL.")
    if isinstance(source, str) and source.strip().lower().startswith("file://"):
        # A file:/// address copied from a browser's address bar: the file it names.
        from urllib.parse import unquote
        from urllib.request import url2pathname

        parts = urlparts.split(source.strip())
        if parts is None:
            raise MetadataError(f"'{source.strip()}' is not a valid file:// address: "
                                f"{urlparts.problem(source.strip())}.", code="not_found",
                                remedy="Give the path of the metadata file instead.")
        local = url2pathname(unquote(parts.path))
        path = Path(f"//{parts.netloc}{local}" if parts.netloc else local)
        return xmlsafe.read_file(path), str(path), None
    if isinstance(source, str) and _URL.match(source.strip()):
        url = source.strip()
        check_url(url)
        got = download(url, ca_bundle=ca_bundle)
        return got.data, got.final_url, (url if got.final_url != url else None)
    path = Path(source)
    return xmlsafe.read_file(path), str(path), None


def read(source: str | Path | bytes, *, entity: str | None = None,
         signer_certificate: bytes | None = None, now: dt.datetime | None = None,
         ca_bundle: str | Path | None = None) -> IdpMetadata:
    now = now or dt.datetime.now(dt.UTC)
    trusted = _trusted(signer_certificate, now)
    data, name, redirected_from = load_source(source, ca_bundle=ca_bundle)
    root = xmlsafe.parse(data)
    idps = extract.find_idps(root)
    if not idps:
        raise extract.no_idp_error(root)
    element = extract.choose(root, idps, entity)
    sig = signature.check(element, trusted=trusted, now=now)
    if sig.valid:
        # Every value comes from what the signature covers, never from the document around it.
        element = _covered(sig, element)
    raw = extract.extract(element)

    findings: list[Finding] = []
    certificates: list[CertificateInfo] = []
    wrong_namespace = 0
    for found in raw.certificates:
        try:
            der, cert_findings = parse_certificate_text(found.text)
            certificates.append(CertificateInfo.from_der(der, use=found.use, now=now))
        except CertificateError as exc:
            raise MetadataError(
                f"Certificate {found.position} ({found.use or 'no use'}) of '{raw.entity_id}' "
                f"cannot be read: {exc.message}", code="bad_certificate",
                remedy="Export the metadata from the IdP again; if it was edited by hand, "
                       "copy the certificate again.") from exc
        findings.extend(cert_findings)
        if found.namespace != extract.DS:
            wrong_namespace += 1
    if wrong_namespace:
        findings.append(Finding(
            "certificate_wrong_namespace", "warning",
            f"{wrong_namespace} certificate(s) are not in the XML-signature namespace "
            "(ds:X509Certificate); Federator read them by name, but stricter software will not "
            "see them.",
            "Ask the IdP owner to fix the metadata, or export it again."))

    valid_until: dt.datetime | None = None
    unreadable: list[str] = []
    for _, text in raw.valid_until:
        value = extract.parse_datetime(text)
        if value is None:
            unreadable.append(text)
        elif valid_until is None or value < valid_until:
            valid_until = value

    findings += checks.entity_id_findings(raw.entity_id)
    findings += checks.endpoint_findings(raw.sso, raw.slo)
    findings += checks.malformed_url_findings(raw.entity_id, raw.sso, raw.slo)
    findings += checks.host_findings(raw.sso, raw.slo)
    findings += checks.unsafe_character_findings(raw.entity_id, raw.sso, raw.slo)
    findings += checks.validity_findings(valid_until, unreadable, now)
    findings += checks.certificate_findings(certificates, now)
    findings += sig.findings

    md = IdpMetadata(
        entity_id=raw.entity_id,
        sso=raw.sso,
        slo=raw.slo,
        name_id_formats=raw.name_id_formats,
        valid_until=valid_until,
        cache_duration=raw.cache_duration,
        certificates=certificates,
        signed=sig.signed,
        signature_valid=sig.valid,
        signature_detail=sig.detail,
        entities_in_source=idps,
        want_authn_requests_signed=raw.want_authn_requests_signed,
        source_name=name,
        redirected_from=redirected_from,
    )
    return replace(md, findings=merge_findings(findings))


def _covered(sig: signature.SignatureResult, element: etree._Element) -> etree._Element:
    """The chosen entity inside the signed content (``sig.signed_root``); when it is not there,
    ``sig`` is turned into a failed check and ``element`` is returned unchanged."""
    signed_root = sig.signed_root
    wanted = element.get("entityID") or ""
    if signed_root is not None:
        try:
            ids = extract.find_idps(signed_root)
            if wanted in ids:
                return extract.choose(signed_root, ids, wanted)
        except MetadataError:
            pass
    sig.valid, sig.signed_root = False, None
    sig.detail = ("The signature verifies, but does not cover the identity provider "
                  f"'{wanted}' that Federator reads.")
    sig.findings = [x for x in sig.findings if x.id != "signature_self_embedded"]
    sig.findings.append(Finding(
        "signature_invalid", "error", sig.detail,
        "Download the metadata again from the IdP; do not edit signed metadata by hand."))
    return element


def _trusted(signer_certificate: bytes | None, now: dt.datetime) -> CertificateInfo | None:
    if signer_certificate is None:
        return None
    try:
        cert, _ = read_certificate(signer_certificate, now=now)
    except CertificateError as exc:
        raise MetadataError(f"The signer certificate you supplied cannot be read: {exc.message}",
                            code="bad_certificate", remedy=exc.remedy) from exc
    return cert
