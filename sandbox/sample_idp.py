"""The sandbox's sample IdP: a JumpCloud-like SAML IdP that can sign a seed user in.

Demo mode federates a domain with this IdP's metadata, then ``federator test-signin`` has it
answer Entra's request. Its key is made once per sandbox state folder and stays there
(``sample-idp.pem``, owner-only): only its metadata (certificate) leaves the sandbox.

``build_response`` writes responses shaped like real IdPs' (Response and Assertion issuers,
bearer confirmation, audience ``urn:federation:MicrosoftOnline``, NameID persistent = the
user's ImmutableID, IDPEmail = UPN), signed on the assertion, the response or both, RSA-SHA256
or SHA-1, and with any one ``DEFECTS`` on request, so that every error Entra gives can be produced.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from core.certgen import Issued
from core.idp_sample import NAMEID_PERSISTENT, build_idp_metadata, jumpcloud_certificate

ENTITY_ID = "https://sso.jumpcloud.com/saml2/federator-demo"
SSO_URL = "https://sso.jumpcloud.com/saml2/federator-demo"
LOGIN_SRF = "https://login.microsoftonline.com/login.srf"
AUDIENCE = "urn:federation:MicrosoftOnline"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
KEY_FILE = "sample-idp.pem"

DEFECTS: dict[str, str] = {
    "wrong-issuer": "the issuer differs from the domain's issuerUri (AADSTS50107)",
    "wrong-key": "signed with another key than the configured certificate (AADSTS500081)",
    "tampered": "altered after signing (AADSTS50006)",
    "expired": "the assertion expired an hour ago",
    "wrong-audience": "the audience is not urn:federation:MicrosoftOnline",
    "nameid-not-immutableid": "the NameID is the e-mail address, not the ImmutableID "
                              "(AADSTS51004)",
    "no-idpemail": "no IDPEmail attribute",
    "unsigned": "nothing is signed",
}
Signed = Literal["assertion", "response", "both", "none"]


def load_key(state_dir: Path) -> Issued:
    """The sample IdP's certificate and key, made on first use in ``state_dir``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    path = state_dir / KEY_FILE
    if path.exists():
        data = path.read_bytes()
        key: Any = serialization.load_pem_private_key(data, password=None)
        cert = x509.load_pem_x509_certificate(data)
        return Issued(cert=cert, key=key)
    issued = jumpcloud_certificate("Federator Demo")
    state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(issued.key_pem + issued.pem)
    return issued


def metadata(issued: Issued) -> bytes:
    """The sample IdP's metadata (what ``federator sandbox idp-metadata`` prints)."""
    return build_idp_metadata(ENTITY_ID, sso_post=SSO_URL, sso_redirect=SSO_URL,
                              signing_certs=[issued.der], name_id_formats=[NAMEID_PERSISTENT],
                              style="pretty")


@dataclass(frozen=True)
class Subject:
    upn: str
    immutable_id: str | None


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.microsecond // 1000:03d}Z"


def build_response(issued: Issued, subject: Subject, *, defect: str | None = None,
                   issuer: str = ENTITY_ID, signed: Signed = "assertion",
                   algorithm: str = "rsa-sha256", in_response_to: str | None = None,
                   now: dt.datetime | None = None, xml_declaration: bool = False,
                   other_key: Issued | None = None, padding: int = 0,
                   name_id_format: str = NAMEID_PERSISTENT) -> bytes:
    """A response XML for ``subject`` (see module doc); ``padding`` adds that many bytes of
    extra attribute values (for size tests and the benchmark)."""
    from lxml import etree

    if defect is not None and defect not in DEFECTS:
        raise ValueError(f"unknown defect {defect!r}")
    now = now or dt.datetime.now(dt.UTC)
    p, a = f"{{{SAMLP}}}", f"{{{SAML}}}"
    if defect == "wrong-issuer":
        issuer = issuer.rstrip("/") + "/"  # the classic trailing-slash mismatch
    root = etree.Element(p + "Response", nsmap={"samlp": SAMLP, "saml": SAML})
    root.set("ID", "_" + uuid.uuid4().hex)
    root.set("Version", "2.0")
    root.set("IssueInstant", _stamp(now))
    root.set("Destination", LOGIN_SRF)
    if in_response_to:
        root.set("InResponseTo", in_response_to)
    etree.SubElement(root, a + "Issuer").text = issuer
    status = etree.SubElement(root, p + "Status")
    etree.SubElement(status, p + "StatusCode",
                     Value="urn:oasis:names:tc:SAML:2.0:status:Success")
    assertion = etree.SubElement(root, a + "Assertion", ID="_" + uuid.uuid4().hex,
                                 Version="2.0", IssueInstant=_stamp(now))
    etree.SubElement(assertion, a + "Issuer").text = issuer
    subj = etree.SubElement(assertion, a + "Subject")
    name_id = subject.upn if defect == "nameid-not-immutableid" else (
        subject.immutable_id or subject.upn)
    etree.SubElement(subj, a + "NameID", Format=name_id_format).text = name_id
    confirmation = etree.SubElement(subj, a + "SubjectConfirmation",
                                    Method="urn:oasis:names:tc:SAML:2.0:cm:bearer")
    data = etree.SubElement(confirmation, a + "SubjectConfirmationData",
                            NotOnOrAfter=_stamp(now + dt.timedelta(minutes=5)),
                            Recipient=LOGIN_SRF)
    if in_response_to:
        data.set("InResponseTo", in_response_to)
    start, end = now - dt.timedelta(seconds=30), now + dt.timedelta(hours=1)
    if defect == "expired":
        start, end = now - dt.timedelta(hours=2), now - dt.timedelta(hours=1)
    conditions = etree.SubElement(assertion, a + "Conditions", NotBefore=_stamp(start),
                                  NotOnOrAfter=_stamp(end))
    restriction = etree.SubElement(conditions, a + "AudienceRestriction")
    etree.SubElement(restriction, a + "Audience").text = (
        "https://sso.example.org/sp" if defect == "wrong-audience" else AUDIENCE)
    statement = etree.SubElement(assertion, a + "AuthnStatement", AuthnInstant=_stamp(now),
                                 SessionIndex="_" + uuid.uuid4().hex)
    context = etree.SubElement(statement, a + "AuthnContext")
    etree.SubElement(context, a + "AuthnContextClassRef").text = (
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
    attributes = etree.SubElement(assertion, a + "AttributeStatement")
    if defect != "no-idpemail":
        attribute = etree.SubElement(attributes, a + "Attribute", Name="IDPEmail")
        etree.SubElement(attribute, a + "AttributeValue").text = subject.upn
    if padding:
        attribute = etree.SubElement(attributes, a + "Attribute", Name="memberOf")
        chunk = "CN=Group-0123456789,OU=Groups,DC=fabrikam,DC=com"
        for index in range(max(1, padding // (len(chunk) + 40))):
            etree.SubElement(attribute, a + "AttributeValue").text = f"{chunk}{index}"
    if defect == "unsigned":
        signed = "none"
    key = other_key if defect == "wrong-key" and other_key is not None else issued
    if defect == "wrong-key" and other_key is None:
        key = jumpcloud_certificate("Someone Else")
    if signed in ("assertion", "both"):
        original, assertion = assertion, _sign(assertion, key, algorithm)
        root.replace(original, assertion)
    if signed in ("response", "both"):
        root = _sign(root, key, algorithm)
    if defect == "tampered":
        found = root.find(f"{a}Assertion/{a}Subject/{a}NameID")
        if found is not None:
            found.text = (found.text or "") + "x"
    body: bytes = etree.tostring(root, xml_declaration=xml_declaration, encoding="UTF-8")
    return body


def _sign(element: Any, key: Issued, algorithm: str) -> Any:
    """Enveloped signature right after the element's Issuer, as SAML's schema orders it."""
    from lxml import etree
    from signxml import SignatureConstructionMethod, XMLSigner  # type: ignore[attr-defined]

    ds = "http://www.w3.org/2000/09/xmldsig#"
    placeholder = etree.Element(f"{{{ds}}}Signature", Id="placeholder", nsmap={"ds": ds})
    element.insert(1, placeholder)
    signer_class: Any = XMLSigner
    if algorithm.endswith("sha1"):
        class _Sha1Signer(XMLSigner):  # signxml refuses SHA-1 by default; IdPs still use it
            def check_deprecated_methods(self) -> None:
                return None

        signer_class = _Sha1Signer
    signer = signer_class(method=SignatureConstructionMethod.enveloped,
                          signature_algorithm=algorithm,
                          digest_algorithm="sha1" if algorithm.endswith("sha1") else "sha256",
                          c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
    return signer.sign(element, key=key.key_pem, cert=[key.pem.decode("ascii")],
                       reference_uri=element.get("ID"))


def encode(xml: bytes) -> str:
    """The SAMLResponse form value: base64, not deflated (HTTP-POST binding)."""
    return base64.b64encode(xml).decode("ascii")
