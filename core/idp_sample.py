"""Building SAML 2.0 IdP metadata: the sandbox's demo IdP and every test's fixtures.

The one place that writes metadata XML, so that demo files and test files look like what real IdPs
export (JumpCloud's single-line ``md:`` style by default) and can be signed like AD FS or
SimpleSAMLphp sign theirs. lxml and signxml load only when a function runs.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from core.certgen import Issued, make_key

MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
_B = "urn:oasis:names:tc:SAML:2.0:bindings:"
NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"

Style = Literal["jumpcloud", "pretty"]


def build_idp_metadata(
    entity_id: str,
    *,
    sso_post: str | None = None,
    sso_redirect: str | None = None,
    sso_soap: str | None = None,
    slo_redirect: str | None = None,
    slo_post: str | None = None,
    signing_certs: Sequence[bytes] = (),
    encryption_certs: Sequence[bytes] = (),
    unspecified_certs: Sequence[bytes] = (),
    name_id_formats: Iterable[str] = (NAMEID_EMAIL,),
    valid_until: dt.datetime | None = None,
    cache_duration: str | None = None,
    sign_with: Issued | None = None,
    signature_algorithm: str = "rsa-sha256",
    style: Style = "jumpcloud",
) -> bytes:
    """Metadata of one IdP as UTF-8 bytes with an XML declaration.

    Certificates are DER bytes; ``unspecified_certs`` get a KeyDescriptor without ``use``.
    ``sign_with`` signs the EntityDescriptor (enveloped, exclusive c14n, signature first, as
    SAML requires) with that key, embedding its certificate; ``signature_algorithm`` is a signxml
    name such as ``rsa-sha256``, ``rsa-sha1`` or ``ecdsa-sha256``. ``style="jumpcloud"`` is one
    line without a trailing newline; ``"pretty"`` is indented.
    """
    from lxml import etree

    md = f"{{{MD_NS}}}"
    root = etree.Element(md + "EntityDescriptor", nsmap={"md": MD_NS})
    root.set("entityID", entity_id)
    if sign_with is not None:
        root.set("ID", "_" + base64.b32encode(entity_id.encode()[:20] or b"x").decode().strip("="))
    if valid_until is not None:
        root.set("validUntil", valid_until.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    if cache_duration is not None:
        root.set("cacheDuration", cache_duration)
    idp = etree.SubElement(root, md + "IDPSSODescriptor")
    idp.set("WantAuthnRequestsSigned", "false")
    idp.set("protocolSupportEnumeration", PROTOCOL)
    for use, certs in (("signing", signing_certs), ("encryption", encryption_certs),
                       (None, unspecified_certs)):
        for der in certs:
            kd = etree.SubElement(idp, md + "KeyDescriptor")
            if use:
                kd.set("use", use)
            key_info = etree.SubElement(kd, f"{{{DS_NS}}}KeyInfo", nsmap={"ds": DS_NS})
            x509_data = etree.SubElement(key_info, f"{{{DS_NS}}}X509Data")
            etree.SubElement(x509_data, f"{{{DS_NS}}}X509Certificate").text = (
                base64.b64encode(der).decode("ascii"))
    for binding, location in (("HTTP-Redirect", slo_redirect), ("HTTP-POST", slo_post)):
        if location:
            etree.SubElement(idp, md + "SingleLogoutService", Binding=_B + binding,
                             Location=location)
    for fmt in name_id_formats:
        etree.SubElement(idp, md + "NameIDFormat").text = fmt
    for binding, location in (("HTTP-POST", sso_post), ("HTTP-Redirect", sso_redirect),
                              ("SOAP", sso_soap)):
        if location:
            etree.SubElement(idp, md + "SingleSignOnService", Binding=_B + binding,
                             Location=location)
    if style == "pretty":
        etree.indent(root, space="  ")  # before signing: indenting afterwards breaks it
    if sign_with is not None:
        root = _sign(root, sign_with, signature_algorithm)
    body: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    # lxml writes single quotes in the declaration; IdPs write double quotes.
    body = body.replace(b"<?xml version='1.0' encoding='UTF-8'?>",
                        b'<?xml version="1.0" encoding="UTF-8"?>', 1)
    if style == "jumpcloud":
        body = body.replace(b"?>\n", b"?>", 1)
    else:
        body += b"\n"
    return body


def _sign(root: Any, signer: Issued, algorithm: str) -> Any:
    """Enveloped signature placed as the first child of the EntityDescriptor."""
    from lxml import etree
    from signxml import SignatureConstructionMethod, XMLSigner  # type: ignore[attr-defined]

    placeholder = etree.Element(f"{{{DS_NS}}}Signature", Id="placeholder", nsmap={"ds": DS_NS})
    root.insert(0, placeholder)
    digest = "sha1" if algorithm.endswith("sha1") else "sha256"
    signer_class: Any = XMLSigner
    if algorithm.endswith("sha1"):
        # signxml refuses to make SHA-1 signatures; tests need files like SimpleSAMLphp's.
        class _Sha1Signer(XMLSigner):
            def check_deprecated_methods(self) -> None:
                return None

        signer_class = _Sha1Signer
    signer_obj = signer_class(method=SignatureConstructionMethod.enveloped,
                              signature_algorithm=algorithm, digest_algorithm=digest,
                              c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
    signed = signer_obj.sign(root, key=signer.key_pem, cert=[signer.pem.decode("ascii")],
                             reference_uri=root.get("ID"))
    return signed


def jumpcloud_certificate(org: str = "Federator Demo", *, years: int = 5, key_size: int = 2048,
                          now: dt.datetime | None = None) -> Issued:
    """A self-signed RSA certificate shaped like JumpCloud's (subject, 5-year validity).

    Real JumpCloud keys are RSA-4096; the default here is 2048 to keep demo start-up and tests fast.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    key = make_key("rsa", key_size)
    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=5)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "CO"),
        x509.NameAttribute(NameOID.LOCALITY_NAME, "Boulder"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "JumpCloudSAMLIdP"),
        x509.NameAttribute(NameOID.COMMON_NAME, "JumpCloudSAMLUser"),
    ])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + dt.timedelta(days=365 * years + 1))
            .sign(key, hashes.SHA256()))
    return Issued(cert=cert, key=key)


def jumpcloud_sample(app: str = "federator-demo", entity_id: str | None = None, *,
                     org: str = "Federator Demo", with_slo: bool = False,
                     issued: Issued | None = None) -> tuple[bytes, Issued]:
    """A JumpCloud-style export and its signing certificate with key.

    One line, ``md:`` prefix, HTTP-POST then HTTP-Redirect SSO at
    ``https://sso.jumpcloud.com/saml2/<app>``, no SLO unless ``with_slo`` (then the user portal
    redirect, like hand-edited exports), no signature, no validUntil.
    """
    issued = issued or jumpcloud_certificate(org)
    sso = f"https://sso.jumpcloud.com/saml2/{app}"
    xml = build_idp_metadata(
        entity_id or f"https://sso.jumpcloud.com/saml2/{app}",
        sso_post=sso,
        sso_redirect=sso,
        slo_redirect=sso if with_slo else None,
        signing_certs=[issued.der],
        name_id_formats=[NAMEID_EMAIL],
        style="jumpcloud",
    )
    return xml, issued


def entities_aggregate(entities: Iterable[bytes], *, name: str | None = None,
                       valid_until: dt.datetime | None = None,
                       sign_with: Issued | None = None) -> bytes:
    """Wrap several EntityDescriptor documents in one ``md:EntitiesDescriptor`` (an aggregate).

    ``sign_with`` signs the aggregate's root the way federations do (ID ``_aggregate``, enveloped
    RSA-SHA256, exclusive c14n, signature first).
    """
    parts = [b'<?xml version="1.0" encoding="UTF-8"?>\n<md:EntitiesDescriptor xmlns:md="',
             MD_NS.encode(), b'"']
    if name:
        from xml.sax.saxutils import quoteattr

        parts.append(b" Name=" + quoteattr(name).encode("utf-8"))
    if valid_until is not None:
        parts.append(b' validUntil="' + valid_until.astimezone(dt.UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ").encode() + b'"')
    parts.append(b">\n")
    for doc in entities:
        if doc.startswith(b"<?xml"):
            doc = doc[doc.index(b"?>") + 2:]
        parts.append(doc.strip() + b"\n")
    parts.append(b"</md:EntitiesDescriptor>\n")
    if sign_with is None:
        return b"".join(parts)
    from lxml import etree

    root = etree.fromstring(b"".join(parts))
    root.set("ID", "_aggregate")
    signed: bytes = etree.tostring(_sign(root, sign_with, "rsa-sha256"), xml_declaration=True,
                                   encoding="UTF-8")
    return signed
