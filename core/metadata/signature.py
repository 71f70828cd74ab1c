"""Checking the XML signature of metadata with signxml, and saying what the result proves.

A signature checked against the certificate embedded in the same file proves only that the file was
not altered after signing (integrity): anyone can sign a forged file with their own certificate.
Only a certificate the admin obtained separately proves who signed it. Expired signers and SHA-1
are reported, not refused: the point is to inform, and the values Graph receives do not depend on
the signature.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.certificates import CertificateError, CertificateInfo, parse_certificate_text
from core.findings import Finding

if TYPE_CHECKING:
    from lxml import etree

DS = "http://www.w3.org/2000/09/xmldsig#"
_SIG = f"{{{DS}}}Signature"


@dataclass
class SignatureResult:
    """``valid`` is ``None`` when unsigned or when nothing was available to check against."""

    signed: bool = False
    valid: bool | None = None
    detail: str | None = None
    findings: list[Finding] = field(default_factory=list)


def find_signature(entity: etree._Element) -> etree._Element | None:
    """The ds:Signature that covers ``entity``: its own, else the nearest signed ancestor's."""
    for element in (entity, *entity.iterancestors()):
        signature = element.find(_SIG)
        if signature is not None:
            return signature
    return None


def check(entity: etree._Element, *, trusted: CertificateInfo | None,
          now: dt.datetime) -> SignatureResult:
    """Whether a signature covers ``entity`` and verifies (see module doc for what it proves)."""
    signature = find_signature(entity)
    if signature is None:
        result = SignatureResult(signed=False, detail="The metadata is not signed.")
        if trusted is not None:
            result.valid = False
            result.findings.append(Finding(
                "signature_missing", "error",
                "You supplied a signer certificate, but the metadata is not signed.",
                "Download the signed metadata from the IdP (or its federation), or check that "
                "this is the file you meant."))
        return result
    signed_element = signature.getparent()
    assert signed_element is not None
    result = SignatureResult(signed=True)
    method = _algorithm(signature, f"SignedInfo/{{{DS}}}SignatureMethod")
    digest = _algorithm(signature, f"SignedInfo/{{{DS}}}Reference/{{{DS}}}DigestMethod")
    if "sha1" in method.lower() or digest.lower().endswith("#sha1"):
        result.findings.append(Finding(
            "signature_sha1", "warning",
            "The metadata is signed with SHA-1, which is no longer considered secure.",
            "Ask the IdP owner to sign metadata with RSA-SHA256. Federator still checked it."))

    embedded, embedded_findings = _embedded_certificate(signature, now)
    result.findings.extend(embedded_findings)
    signer = trusted or embedded
    if signer is None:
        result.detail = ("The metadata is signed, but holds no signer certificate and none was "
                         "supplied, so the signature cannot be checked.")
        result.findings.append(Finding(
            "signature_unverifiable", "warning", result.detail,
            "Supply the IdP's metadata-signing certificate to check the signature."))
        return result

    error = _verify(signed_element, signer)
    if trusted is not None and embedded is not None and trusted.sha256 != embedded.sha256:
        note = " (the file embeds a different certificate)"
    else:
        note = ""
    if error is None:
        result.valid = True
        if trusted is not None:
            result.detail = (f"The signature verifies with the certificate you supplied "
                             f"({trusted.common_name}, SHA-256 {trusted.sha256[:16]}...){note}: "
                             "the metadata comes from whoever holds that certificate's key.")
        else:
            result.detail = (f"The signature verifies with the certificate embedded in the file "
                             f"({signer.common_name}). That proves the file was not altered "
                             "after signing, not who signed it.")
            result.findings.append(Finding(
                "signature_self_embedded", "info",
                "The signature was checked with the certificate inside the metadata itself: "
                "this proves integrity, not identity (anyone can sign a file with their own "
                "certificate).",
                "To prove who signed it, supply the IdP's signing certificate obtained another "
                "way (--signer-certificate)."))
        if not signer.is_valid_at(now):
            state = "expired" if now > signer.not_after else "is not yet valid"
            result.findings.append(Finding(
                "signature_signer_expired", "warning",
                f"The certificate that signed the metadata {state} "
                f"(valid {signer.not_before:%Y-%m-%d} to {signer.not_after:%Y-%m-%d}); the "
                "signature was checked as of a time inside that period.",
                "Ask the IdP owner to re-sign the metadata with a current certificate."))
        return result

    result.valid = False
    against = "the certificate you supplied" if trusted is not None else \
        "the certificate embedded in the file"
    result.detail = f"The signature does not verify with {against}{note}: {error}"
    result.findings.append(Finding(
        "signature_invalid", "error",
        f"The metadata's signature does not verify with {against}{note}. The file may have "
        "been changed after it was signed.",
        "Download the metadata again from the IdP; do not edit signed metadata by hand. If it "
        "still fails, ask the IdP owner."))
    return result


def _algorithm(signature: etree._Element, path: str) -> str:
    element = signature.find(f"{{{DS}}}" + path)
    return (element.get("Algorithm") or "") if element is not None else ""


def _embedded_certificate(signature: etree._Element, now: dt.datetime
                          ) -> tuple[CertificateInfo | None, list[Finding]]:
    element = signature.find(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
    if element is None or not (element.text or "").strip():
        return None, []
    try:
        der, findings = parse_certificate_text(element.text or "")
        return CertificateInfo.from_der(der, use="signature", now=now), findings
    except CertificateError as exc:
        return None, [Finding("signature_certificate_unreadable", "warning",
                              f"The certificate inside the metadata's signature cannot be read: "
                              f"{exc.message}", exc.remedy)]


def _verify(signed_element: etree._Element, signer: CertificateInfo) -> str | None:
    """``None`` when the signature verifies with ``signer``, else the reason in words."""
    import warnings

    from cryptography import x509
    from cryptography.utils import CryptographyDeprecationWarning
    from signxml import (  # type: ignore[attr-defined]
        DigestAlgorithm,
        SignatureMethod,
        XMLVerifier,
    )
    from signxml.exceptions import InvalidInput, SignXMLException
    from signxml.verifier import SignatureConfiguration

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        try:
            cert = x509.load_der_x509_certificate(signer.der)
        except ValueError:
            return "the signer certificate cannot be loaded"
    # Check at a time inside the signer's validity: expiry is reported separately.
    now = dt.datetime.now(dt.UTC)
    when = now if signer.is_valid_at(now) else signer.not_before + (
        signer.not_after - signer.not_before) / 2
    config = SignatureConfiguration(
        location="./", expect_references=1, require_x509=True,
        signature_methods=frozenset(SignatureMethod),
        digest_algorithms=frozenset(DigestAlgorithm),
        verification_time=when,
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result: Any = XMLVerifier().verify(signed_element, x509_cert=cert,
                                               expect_config=config, id_attribute="ID")
    except InvalidInput as exc:
        return f"the signature is not in a form Federator can check ({exc})"
    except SignXMLException as exc:
        return str(exc) or type(exc).__name__
    except Exception as exc:  # signxml surfaces lxml/cryptography errors on odd input
        return f"{type(exc).__name__}: {exc}"
    signed_xml = getattr(result, "signed_xml", None)
    if signed_xml is None or signed_xml.tag != signed_element.tag or (
            signed_xml.get("entityID") != signed_element.get("entityID")):
        return "the signature covers another element, not the metadata itself"
    return None
