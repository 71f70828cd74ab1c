"""Checking the XML signature of metadata with signxml, and saying what the result proves.

A signature checked against the certificate embedded in the same file proves only that the file was
not altered after signing (integrity): anyone can sign a forged file with their own certificate.
Only a certificate the admin obtained separately proves who signed it. Expired signers and SHA-1
are reported, not refused: the point is to inform, and the values Graph receives do not depend on
the signature.

XML signature wrapping: a signature's Reference names an element by ID, and a naive reader
verifies that element but reads values from another one (the signed original hidden in
md:Extensions or a ds:Object, a second element with the same ID, an attacker's EntityDescriptor
beside the genuine one). So a signature counts only when it has exactly one Reference, the ID it
names occurs exactly once in the whole document, and that element is, by identity, the element the
signature sits in (an enveloped signature, as SAML requires: "Signatures MUST contain a single
<ds:Reference> containing a same-document reference to the ID attribute value of the root element
... being signed", SAML V2.0 Core, section 5.4.2,
https://docs.oasis-open.org/security/saml/v2.0/saml-core-2.0-os.pdf). When it verifies, the
caller reads every value from ``SignatureResult.signed_root``: the canonicalized content the
digest covers, as signxml returns it, re-parsed, so that comments (which exclusive c14n ignores,
so an attacker may add them to signed text) cannot cut a value short.
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
    # When ``valid``: the signed element as the signature covers it (signxml's ``signed_xml``),
    # the only place values may be read from.
    signed_root: etree._Element | None = None


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

    error = covers(signature, signed_element)
    signed_root: etree._Element | None = None
    if error is None:
        error, signed_root = _verify(signed_element, signer)
    if trusted is not None and embedded is not None and trusted.sha256 != embedded.sha256:
        note = " (the file embeds a different certificate)"
    else:
        note = ""
    if error is None:
        result.valid = True
        result.signed_root = signed_root
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


def _ids(element: etree._Element) -> list[str]:
    """The values of ``element``'s ID-like attributes (``ID``, ``Id``, ``id``, ``xml:id``)."""
    return [str(value) for name, value in element.attrib.items()
            if str(name).rsplit("}", 1)[-1] in ("ID", "Id", "id")]


def covers(signature: etree._Element, signed_element: etree._Element) -> str | None:
    """``None`` when ``signature`` can only be about ``signed_element``, else why not, in words.

    Exactly one Reference; its URI names, by an ID that occurs once in the whole document, the
    element the signature sits in (``URI=""`` only when that element is the document's root).
    """
    if len(signed_element.findall(_SIG)) != 1:
        return "the element holds more than one signature"
    references = signature.findall(f"{{{DS}}}SignedInfo/{{{DS}}}Reference")
    if len(references) != 1:
        return (f"it has {len(references)} references; signed SAML metadata has exactly one, to "
                "the element the signature sits in")
    uri = references[0].get("URI")
    root = signed_element.getroottree().getroot()
    if uri == "":
        if signed_element is not root:
            return ("it signs the whole document (an empty reference) but sits inside another "
                    "element")
        return None
    if uri is None or not uri.startswith("#") or uri.startswith("#xpointer("):
        return "its reference does not name an element of this document by ID"
    # Compiled XPath, not a Python loop: a federation aggregate has hundreds of thousands of
    # elements.
    named: Any = root.xpath(
        "//*[@*[local-name()='ID' or local-name()='Id' or local-name()='id'][.=$wanted]]",
        wanted=uri[1:])
    if len(named) != 1:
        return (f"the ID its reference names occurs {len(named)} times in the document; "
                "Federator cannot tell which element it covers")
    if named[0] is not signed_element:
        return "it covers another element than the metadata it sits in"
    return None


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


def _verify(signed_element: etree._Element, signer: CertificateInfo
            ) -> tuple[str | None, etree._Element | None]:
    """``(None, signed content)`` when the signature verifies with ``signer``, else
    ``(the reason in words, None)``."""
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
            return "the signer certificate cannot be loaded", None
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
        return f"the signature is not in a form Federator can check ({exc})", None
    except SignXMLException as exc:
        return str(exc) or type(exc).__name__, None
    except Exception as exc:  # signxml surfaces lxml/cryptography errors on odd input
        return f"{type(exc).__name__}: {exc}", None
    # signxml re-parses the canonicalized bytes the digest covers: a new tree, not a node of the
    # document. Its root must be the element the signature sits in (``covers`` checked the
    # reference; this guards against a signxml that resolved it differently).
    signed_xml = getattr(result, "signed_xml", None)
    if signed_xml is None or signed_xml.tag != signed_element.tag or (
            signed_xml.get("entityID") != signed_element.get("entityID")) or (
            sorted(_ids(signed_xml)) != sorted(_ids(signed_element))):
        return "the signature covers another element, not the metadata itself", None
    root: etree._Element = signed_xml
    return None, root
