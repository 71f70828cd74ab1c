"""The sandbox's one sample IdP: a JumpCloud-like SAML IdP with its key store, its metadata, the
rotation of its signing certificate, and the responses it signs for a seed user.

Demo mode federates a domain with this IdP's metadata, then ``federator test-signin`` has it
answer Entra's request. Its certificates and keys live in the sandbox's state folder
(``idp/idp.json``, owner-only) so every process sharing the sandbox sees the same IdP; only its
metadata leaves the sandbox: served at ``GET /sandbox/idp/metadata`` (public, as an IdP's
metadata is), written beside the keys as ``idp/metadata.xml`` for file-based demos, and
printed by ``federator sandbox idp-metadata``.

Real IdPs roll a certificate in two moves: they publish the new one beside the old one (the
relying party can add it ahead of time), then sign with the new one and drop the old one from
their metadata. ``SampleIdp.stage`` and ``SampleIdp.switch`` are those two moves (``federator
sandbox idp-rotate --stage|--switch``); the IdP signs with the oldest certificate it still
publishes, so after a switch its responses carry the new key and a tenant that was not rolled
over refuses them, as Entra would.

``build_response`` writes responses shaped like real IdPs' (Response and Assertion issuers,
bearer confirmation, audience ``urn:federation:MicrosoftOnline``, NameID persistent = the
user's ImmutableID, IDPEmail = UPN), signed on the assertion, the response or both, RSA-SHA256
or SHA-1, and with any one ``DEFECTS`` on request, so that every error Entra gives can be produced.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from core.atomic_write import write_atomic
from core.certgen import Issued
from core.idp_sample import NAMEID_PERSISTENT, build_idp_metadata, jumpcloud_certificate

APP = "federator-demo"
ENTITY_ID = f"https://sso.jumpcloud.com/saml2/{APP}"
SSO_URL = ENTITY_ID
METADATA_PATH = "/sandbox/idp/metadata"
LOGIN_SRF = "https://login.microsoftonline.com/login.srf"
AUDIENCE = "urn:federation:MicrosoftOnline"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
IDP_FOLDER = "idp"
# Where the key was kept before the sample IdP had one key store: a sandbox folder that still
# holds it (and tenants federated with its certificate) keeps signing with it.
LEGACY_KEY_FILE = "sample-idp.pem"

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




class SampleIdp:
    """The sample IdP whose state lives in ``folder`` (``<sandbox state>/idp``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.state_file = folder / "idp.json"
        self.metadata_file = folder / "metadata.xml"

    @classmethod
    def of(cls, state_dir: Path) -> SampleIdp:
        """The sample IdP of the sandbox whose state folder is ``state_dir``."""
        return cls(state_dir / IDP_FOLDER)

    def _load(self) -> list[dict[str, str]]:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        certs = data.get("certificates") if isinstance(data, dict) else None
        return [c for c in certs or [] if isinstance(c, dict) and "cert_pem" in c
                and "key_pem" in c]

    def _save(self, certs: list[dict[str, str]]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(self.state_file, json.dumps({"certificates": certs}, indent=2).encode())
        write_atomic(self.metadata_file, self._build(certs), mode=0o644)

    def _legacy(self) -> list[dict[str, str]]:
        """The key an older sandbox folder kept in ``sample-idp.pem``, as generation 1."""
        try:
            data = (self.folder.parent / LEGACY_KEY_FILE).read_bytes()
        except OSError:
            return []
        start = data.find(b"-----BEGIN CERTIFICATE-----")
        if start < 0:
            return []
        return [{"cert_pem": data[start:].decode("ascii"),
                 "key_pem": data[:start].decode("ascii"), "generation": "1"}]

    @staticmethod
    def _issue(generation: int, now: dt.datetime | None) -> dict[str, str]:
        org = "Federator Demo" if generation == 1 else f"Federator Demo (rotation {generation})"
        issued = jumpcloud_certificate(org, now=now)
        return {"cert_pem": issued.pem.decode(), "key_pem": issued.key_pem.decode(),
                "generation": str(generation)}

    @staticmethod
    def _after(certs: list[dict[str, str]], now: dt.datetime | None) -> dt.datetime:
        """A clock for the next certificate that makes it start at least a second after the
        newest one (two rotations within a second would otherwise look equally new)."""
        from cryptography import x509

        newest = max(x509.load_pem_x509_certificate(c["cert_pem"].encode()).not_valid_before_utc
                     for c in certs)
        # jumpcloud_certificate starts a certificate 5 minutes before its clock.
        floor = newest + dt.timedelta(minutes=5, seconds=1)
        return max(now or dt.datetime.now(dt.UTC), floor)

    def ensure(self, now: dt.datetime | None = None) -> SampleIdp:
        """Create the IdP with its first certificate if it does not exist yet (and its
        metadata file if it went missing)."""
        certs = self._load()
        if not certs or not self.metadata_file.exists():
            self._save(certs or self._legacy() or [self._issue(1, now)])
        return self

    def certificates(self) -> list[dict[str, str]]:
        return self._load()

    def metadata(self, now: dt.datetime | None = None) -> bytes:
        """The metadata it publishes: the bytes of ``metadata.xml``, served at the URL."""
        self.ensure(now)
        try:
            return self.metadata_file.read_bytes()
        except OSError:
            return self._build(self._load())

    def signing_key(self, now: dt.datetime | None = None) -> Issued:
        """The certificate and key it signs responses with: the oldest it still publishes
        (a staged certificate is only announced; ``switch`` makes the newest the one)."""
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        certs = self.ensure(now)._load()
        first = certs[0]
        key: Any = serialization.load_pem_private_key(first["key_pem"].encode(), password=None)
        return Issued(cert=x509.load_pem_x509_certificate(first["cert_pem"].encode()), key=key)

    def stage(self, now: dt.datetime | None = None) -> dict[str, Any]:
        """Publish a new certificate beside the current one(s)."""
        certs = self._load() or self._legacy() or [self._issue(1, now)]
        generation = max(int(c.get("generation", "1")) for c in certs) + 1
        certs.append(self._issue(generation, self._after(certs, now)))
        self._save(certs)
        return certs[-1]

    def switch(self, now: dt.datetime | None = None) -> dict[str, Any]:
        """Sign with the newest certificate and drop the others from the metadata (staging one
        first when only one is published)."""
        certs = self._load()
        if len(certs) < 2:
            self.stage(now)
            certs = self._load()
        newest = certs[-1]
        self._save([newest])
        return newest

    @staticmethod
    def _build(certs: list[dict[str, str]]) -> bytes:
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        ders = [x509.load_pem_x509_certificate(c["cert_pem"].encode()).public_bytes(Encoding.DER)
                for c in certs]
        # NameID persistent: what its responses carry (the user's ImmutableID), the one format
        # Entra accepts for federated sign-in
        # (https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-fed-saml-idp).
        return build_idp_metadata(ENTITY_ID, sso_post=SSO_URL, sso_redirect=SSO_URL,
                                  signing_certs=ders, name_id_formats=[NAMEID_PERSISTENT],
                                  style="jumpcloud")


def load_key(state_dir: Path) -> Issued:
    """The certificate and key the sandbox's sample IdP signs with now (made on first use)."""
    return SampleIdp.of(state_dir).signing_key()


def metadata(state_dir: Path) -> bytes:
    """The sample IdP's metadata (what ``federator sandbox idp-metadata`` prints, the same bytes
    as ``idp/metadata.xml`` and the sandbox's ``/sandbox/idp/metadata``)."""
    return SampleIdp.of(state_dir).metadata()


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
