"""Reading one SAML 2.0 response safely, and checking its signatures against given certificates.

The response is hostile input, like metadata: it is parsed by ``core.metadata.xmlsafe`` (no DTD,
no entities, no network, size cap). Signatures are checked with signxml against the
certificates the tenant has configured (``signingCertificate``, ``nextSigningCertificate``),
never only against the certificate the response embeds: anyone can sign with their own key.

Signature wrapping (an attacker keeps a genuinely signed assertion somewhere the verifier finds
it, and puts their own values where a naive reader looks) is defeated as for metadata
(``core.metadata.signature.covers``): one Reference, naming by an ID that occurs once the very
element the signature sits in, and the values judged are read from signxml's ``signed_xml``
(the canonical bytes the digest covers, re-parsed), never from the document around it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.certificates import CertificateError, CertificateInfo, parse_certificate_text
from core.errors import InputError
from core.metadata.model import MetadataError

if TYPE_CHECKING:
    from lxml import etree

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
P = f"{{{SAMLP}}}"
A = f"{{{SAML}}}"
D = f"{{{DS}}}"


@dataclass
class ResponseFacts:
    """What the response says, as shown to the admin and judged (strings as found)."""

    issuer: str | None = None  # Response/Issuer, else Assertion/Issuer
    assertion_issuer: str | None = None
    destination: str | None = None
    in_response_to: str | None = None
    status: str | None = None
    issue_instant: str | None = None
    audience: list[str] = field(default_factory=list)
    name_id: str | None = None
    name_id_format: str | None = None
    idp_email: str | None = None
    upn_claim: str | None = None
    not_before: str | None = None
    not_on_or_after: str | None = None
    confirmation_method: str | None = None
    recipient: str | None = None
    confirmation_not_on_or_after: str | None = None
    signed_parts: list[str] = field(default_factory=list)  # "response", "assertion" (verified)
    signature_algorithm: str | None = None
    certificate_sha1: str | None = None  # of the certificate embedded in the signature

    def to_json(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "destination": self.destination,
                "audience": self.audience[0] if len(self.audience) == 1 else self.audience,
                "name_id": self.name_id, "name_id_format": self.name_id_format,
                "idp_email": self.idp_email, "not_before": self.not_before,
                "not_on_or_after": self.not_on_or_after, "signed_parts": self.signed_parts,
                "certificate_sha1": self.certificate_sha1,
                "assertion_issuer": self.assertion_issuer, "status": self.status,
                "issue_instant": self.issue_instant, "recipient": self.recipient,
                "in_response_to": self.in_response_to,
                "signature_algorithm": self.signature_algorithm}

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) pairs for a readable table (CLI and window)."""
        audience = ", ".join(self.audience) if self.audience else None
        pairs = [("Issuer", self.issuer), ("Destination", self.destination),
                 ("Status", self.status), ("Issued", self.issue_instant),
                 ("Audience", audience), ("NameID", self.name_id),
                 ("NameID format", self.name_id_format), ("IDPEmail", self.idp_email),
                 ("Not before", self.not_before), ("Not on or after", self.not_on_or_after),
                 ("Recipient", self.recipient),
                 ("Signed", ", ".join(self.signed_parts) or "nothing verified"),
                 ("Signature algorithm", self.signature_algorithm),
                 ("Signer certificate SHA-1", self.certificate_sha1)]
        return [(label, value if value is not None else "(none)") for label, value in pairs]


@dataclass
class SignatureCheck:
    """One ds:Signature: whether it verifies with one of the given certificates."""

    where: str  # "response" or "assertion"
    embedded_der: bytes | None
    algorithm: str
    error: str | None = None  # why it does not verify (None: verified)
    matched: int | None = None  # index into the certificates given
    signed_root: etree._Element | None = None


@dataclass
class ParsedResponse:
    root: etree._Element
    assertions: list[etree._Element]
    encrypted: bool

    @property
    def assertion(self) -> etree._Element | None:
        return self.assertions[0] if len(self.assertions) == 1 else None

    def signature_of(self, element: etree._Element | None) -> etree._Element | None:
        return element.find(D + "Signature") if element is not None else None


def parse(xml: bytes) -> ParsedResponse:
    """The response's tree; ``InputError`` when it is not XML, not a SAML response, or
    encrypted (Entra does not accept encrypted assertions)."""
    from core.metadata import xmlsafe

    try:
        root = xmlsafe.parse(xml)
    except MetadataError as exc:
        message = exc.message.replace("SAML metadata", "a SAML response").replace(
            "metadata", "SAML response")
        raise InputError(message, code=f"signin_{exc.code}",
                         remedy="Capture the response again; paste it exactly as posted.") from exc
    if str(root.tag).endswith("}RequestSecurityTokenResponse") or str(root.tag).endswith(
            "}RequestSecurityTokenResponseCollection"):
        raise InputError("This is a WS-Federation answer (wresult, with a SAML 1.1 assertion), "
                         "as Okta and AD FS send: Federator's doctor judges SAML 2.0 (SAML-P) "
                         "responses only.", code="signin_wsfed",
                         remedy="Check by hand that its Issuer equals the domain's issuerUri and "
                                "its NameIdentifier the user's ImmutableID.")
    if root.tag != P + "Response":
        local = str(root.tag).rsplit("}", 1)[-1]
        raise InputError(f"This is not a SAML 2.0 response: its root element is '{local}'.",
                         code="signin_not_response",
                         remedy="Paste the SAMLResponse the IdP posted to login.srf (not the "
                                "SAMLRequest Entra sent, nor the IdP's metadata).")
    encrypted = root.find(A + "EncryptedAssertion") is not None or bool(
        root.findall(f".//{A}EncryptedID"))
    if encrypted:
        raise InputError("The response holds an encrypted assertion (or NameID): Entra ID does "
                         "not accept encrypted assertions from a federated IdP.",
                         code="signin_encrypted",
                         remedy="Turn assertion encryption off in the IdP's Microsoft 365 / "
                                "Entra application.")
    return ParsedResponse(root, root.findall(A + "Assertion"), encrypted)


def _text(element: etree._Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    if found is None:
        return None
    return "".join(str(t) for t in found.itertext()).strip()


def read_facts(response: etree._Element | None, assertion: etree._Element | None,
               facts: ResponseFacts | None = None) -> ResponseFacts:
    """Facts from ``response`` (its own attributes and Status) and ``assertion``."""
    facts = facts or ResponseFacts()
    if response is not None:
        facts.destination = response.get("Destination")
        facts.in_response_to = response.get("InResponseTo")
        facts.issue_instant = response.get("IssueInstant")
        status = response.find(f"{P}Status/{P}StatusCode")
        facts.status = status.get("Value") if status is not None else None
        facts.issuer = _text(response, A + "Issuer")
    if assertion is not None:
        facts.assertion_issuer = _text(assertion, A + "Issuer")
        facts.issuer = facts.issuer or facts.assertion_issuer
        facts.issue_instant = facts.issue_instant or assertion.get("IssueInstant")
        name_id = assertion.find(f"{A}Subject/{A}NameID")
        facts.name_id = _text(assertion, f"{A}Subject/{A}NameID")
        facts.name_id_format = name_id.get("Format") if name_id is not None else None
        confirmation = assertion.find(f"{A}Subject/{A}SubjectConfirmation")
        if confirmation is not None:
            facts.confirmation_method = confirmation.get("Method")
            data = confirmation.find(A + "SubjectConfirmationData")
            if data is not None:
                facts.recipient = data.get("Recipient")
                facts.confirmation_not_on_or_after = data.get("NotOnOrAfter")
        conditions = assertion.find(A + "Conditions")
        if conditions is not None:
            facts.not_before = conditions.get("NotBefore")
            facts.not_on_or_after = conditions.get("NotOnOrAfter")
            facts.audience = [
                "".join(str(t) for t in a.itertext()).strip()
                for a in conditions.iterfind(f"{A}AudienceRestriction/{A}Audience")]
        for attribute in assertion.iterfind(f"{A}AttributeStatement/{A}Attribute"):
            name = attribute.get("Name")
            value = _text(attribute, A + "AttributeValue")
            if name == "IDPEmail" and facts.idp_email is None:
                facts.idp_email = value
            elif name in ("http://schemas.xmlsoap.org/claims/UPN", "UPN") and \
                    facts.upn_claim is None:
                facts.upn_claim = value
    return facts


def embedded_certificate(signature: etree._Element) -> bytes | None:
    element = signature.find(f"{D}KeyInfo/{D}X509Data/{D}X509Certificate")
    if element is None or not (element.text or "").strip():
        return None
    try:
        der, _findings = parse_certificate_text(element.text or "")
    except CertificateError:
        return None
    return der


def sha1_hex(der: bytes) -> str:
    return hashlib.sha1(der).hexdigest().upper()  # noqa: S324 - a fingerprint, as IdPs show it


def check_signature(where: str, element: etree._Element,
                    certificates: Sequence[CertificateInfo]) -> SignatureCheck | None:
    """``None`` when ``element`` carries no signature of its own, else whether it verifies with
    one of ``certificates`` (the first that does is ``matched``)."""
    from core.metadata.signature import _verify, covers

    # signxml logs the whole canonicalized assertion at DEBUG (names, e-mail, ImmutableID):
    # personal data that must not reach Federator's log file with -v.
    logging.getLogger("signxml").setLevel(max(logging.INFO,
                                              logging.getLogger("signxml").level))
    signature = element.find(D + "Signature")
    if signature is None:
        return None
    method = signature.find(f"{D}SignedInfo/{D}SignatureMethod")
    check = SignatureCheck(where, embedded_certificate(signature),
                           (method.get("Algorithm") or "") if method is not None else "")
    problem = covers(signature, element)
    if problem is not None:
        check.error = problem
        return check
    if not certificates:
        check.error = "no certificate is configured to check it against"
        return check
    errors = []
    for index, certificate in enumerate(certificates):
        error, signed_root = _verify(element, certificate)
        if error is None:
            check.matched = index
            check.signed_root = signed_root
            return check
        errors.append(error)
    check.error = errors[0]
    return check


def parse_time(value: str | None) -> dt.datetime | None:
    """An xs:dateTime as SAML writes it (UTC, ``Z``, optional fraction); None if unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if "." in text:  # fractions of any length: Python reads at most 6 digits
        head, _, tail = text.partition(".")
        digits = "".join(ch for ch in tail if ch.isdigit())
        rest = tail[len(digits):]
        text = f"{head}.{(digits + '000000')[:6]}{rest}"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:  # SAML times are UTC (SAML Core 1.3.3)
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed
