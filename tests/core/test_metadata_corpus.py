"""Every real IdP file in ../shared/corpus gives the right values; every unusable one a clear error.

Dates are checked as of 2026-11-29 (the corpus MANIFEST's reference date), so the expectations do
not drift as certificates expire.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from core.findings import merge_findings
from core.metadata import MetadataError, read_metadata
from core.settings import settings_from_metadata

AT = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
SOAP = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP"

IDP_FILES: dict[str, dict[str, Any]] = {
    "jumpcloud-bugdaddy-2020.xml": dict(
        entity_id="https://bugdaddy.container.danielnet.ca/saml/acs/",
        sso=[POST, REDIRECT], slo=[], certs=[("signing", "JumpCloudSAMLUser", "2025-05-13")],
        passive="https://sso.jumpcloud.com/saml2/saml2", sign_out=None,
        signing=None, next=None, signed=False, valid=None,
        findings={"certificate_expired", "no_valid_signing_certificate", "slo_missing"}),
    "jumpcloud-convergent-pretty-slo.xml": dict(
        entity_id="JumpCloud", sso=[POST, REDIRECT], slo=[REDIRECT],
        certs=[("signing", "JumpCloudSAMLUser", "2028-06-01")],
        passive="https://sso.jumpcloud.com/saml2/convergentbitdefender",
        sign_out="https://sso.jumpcloud.com/saml2/convergentbitdefender",
        signing=0, next=None, signed=False, valid=None,
        findings={"entity_id_not_uri", "authn_requests_signed_wanted"}),
    "okta-verkada.xml": dict(
        entity_id="http://www.okta.com/exk7r0qrje5hFQlkk2p7", sso=[POST, REDIRECT], slo=[],
        certs=[("signing", "verkada", "2027-08-05")],
        passive="https://verkada.okta.com/app/verkadainc_bugdaddy_1/exk7r0qrje5hFQlkk2p7/sso/saml",
        sign_out=None, signing=0, next=None, signed=False, valid=None,
        findings={"slo_missing"}),
    "google-workspace-2certs.xml": dict(
        entity_id="https://accounts.google.com/o/saml2?idpid=C023zw3x8",
        sso=[REDIRECT, POST], slo=[],
        certs=[("signing", "Google", "2026-12-16"), ("signing", "Google", "2027-04-26")],
        passive="https://accounts.google.com/o/saml2/idp?idpid=C023zw3x8", sign_out=None,
        signing=0, next=1, signed=False, valid=None, valid_until="2026-12-16T17:18:02Z",
        findings={"certificate_expiring_soon", "slo_missing", "metadata_expiring_soon"}),
    "adfs-federationmetadata-signed.xml": dict(
        entity_id="urn:bpce:bpce:bpce:pro:sp1", sso=[REDIRECT, POST], slo=[REDIRECT, POST],
        certs=[("encryption", "BPCE-ZOC-PRO-SP1-Crypt", "2021-04-24"),
               ("signing", "BPCE-ZOC-PRO-SP1-Sign", "2021-04-24")],
        passive="https://fi-sp.a.bbg/adfs/ls/", sign_out="https://fi-sp.a.bbg/adfs/ls/",
        signing=None, next=None, signed=True, valid=True,
        findings={"certificate_expired", "no_valid_signing_certificate",
                  "signature_signer_expired", "signature_self_embedded"}),
    "keycloak-realm-in-entitiesdescriptor.xml": dict(
        entity_id="https://lxapocd5.transplace.com:8443/auth/realms/SpringBootKeycloak",
        sso=[POST, REDIRECT, SOAP], slo=[POST, REDIRECT],
        certs=[("signing", "SpringBootKeycloak", "2030-12-10")],
        passive="https://lxapocd5.transplace.com:8443/auth/realms/SpringBootKeycloak/protocol/saml",
        sign_out="https://lxapocd5.transplace.com:8443/auth/realms/SpringBootKeycloak/protocol/saml",
        signing=0, next=None, signed=False, valid=None,
        findings={"authn_requests_signed_wanted"}),
    "shibboleth-testshib-idp-v2.xml": dict(
        entity_id="https://idp.testshib.org/idp/shibboleth",
        sso=["urn:mace:shibboleth:1.0:profiles:AuthnRequest", POST, REDIRECT, SOAP], slo=[],
        certs=[(None, "idp.testshib.org", "2016-08-27")],
        passive="https://idp.testshib.org/idp/profile/SAML2/POST/SSO",
        active="https://idp.testshib.org/idp/profile/SAML2/SOAP/ECP",
        sign_out=None, signing=None, next=None, signed=False, valid=None,
        findings={"certificate_expired", "no_valid_signing_certificate", "certificate_sha1",
                  "certificate_serial_not_positive", "slo_missing"}),
    "samlify-3-anonymous-certs-wrong-ds-ns.xml": dict(
        entity_id="https://idp.example.com/metadata",
        sso=[REDIRECT, POST, "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST-SimpleSign"],
        slo=[REDIRECT, POST],
        certs=[(None, "IDP", "2018-07-04"), (None, "samlify", "2030-05-08"),
               (None, "esaml", "2018-10-02")],
        passive="https://idp.example.org/sso/SingleSignOnService",
        sign_out="https://idp.example.org/sso/SingleLogoutService",
        signing=1, next=None, signed=False, valid=None,
        findings={"certificate_wrong_namespace", "certificate_expired",
                  "authn_requests_signed_wanted"}),
    "simplesamlphp-idp-signed-valid.xml": dict(
        entity_id="https://idp.example.org/saml2/idp/metadata.php", sso=[REDIRECT],
        slo=[REDIRECT],
        certs=[("signing", "signing.idp.moo-archive.nl", "2027-06-27"),
               ("encryption", "signing.idp.moo-archive.nl", "2027-06-27")],
        passive="https://idp.example.org/saml2/idp/SSOService.php",
        sign_out="https://idp.example.org/saml2/idp/SingleLogoutService.php",
        signing=0, next=None, signed=True, valid=True,
        findings={"signature_sha1", "sso_post_missing", "signature_self_embedded"}),
    "simplesamlphp-idp-expired-validuntil.xml": dict(
        entity_id="https://idp.example.org/saml2/idp/metadata.php", sso=[REDIRECT],
        slo=[REDIRECT],
        certs=[("signing", "signing.idp.moo-archive.nl", "2027-06-27"),
               ("encryption", "signing.idp.moo-archive.nl", "2027-06-27")],
        passive="https://idp.example.org/saml2/idp/SSOService.php",
        sign_out="https://idp.example.org/saml2/idp/SingleLogoutService.php",
        signing=0, next=None, signed=False, valid=None, valid_until="2019-07-19T16:46:00Z",
        findings={"metadata_expired", "sso_post_missing"}),
}

UNUSABLE_FILES = {
    "jumpcloud-convergent-broken-quote.xml": ("malformed_xml", "line 1, column 2910"),
    "pysaml2-not-xml-at-all.xml": ("malformed_xml", "not XML, so it is not SAML metadata: it "
                                                     "starts with 'this content is invalid'"),
    "simplesamlphp-idp-signed-undefined-prefix.xml": ("malformed_xml", "Namespace prefix s"),
    "ruby-saml-billion-laughs.xml": ("forbidden_dtd", "DOCTYPE"),
    "sp-only-aggregate-2sps.xml": ("no_identity_provider", "service provider"),
}


def test_every_corpus_file_is_covered(corpus_dir: Path) -> None:
    files = {p.name for p in corpus_dir.glob("*.xml")}
    assert files == set(IDP_FILES) | set(UNUSABLE_FILES)


@pytest.mark.parametrize("name", sorted(IDP_FILES))
def test_idp_file(corpus_dir: Path, name: str) -> None:
    want = IDP_FILES[name]
    md = read_metadata(corpus_dir / name, now=AT)
    settings, settings_findings = settings_from_metadata(md, now=AT)
    assert md.entity_id == want["entity_id"]
    assert [e.binding for e in md.sso] == want["sso"]
    assert [e.binding for e in md.slo] == want["slo"]
    assert [(c.use, c.common_name, f"{c.not_after:%Y-%m-%d}") for c in md.certificates] \
        == want["certs"]
    assert settings.issuer_uri == want["entity_id"]
    assert settings.passive_sign_in_uri == want["passive"]
    assert settings.active_sign_in_uri == want.get("active", want["passive"])
    assert settings.sign_out_uri == want["sign_out"]
    assert settings.preferred_authentication_protocol == "saml"
    for field, index in (("signing_certificate", want["signing"]),
                         ("next_signing_certificate", want["next"])):
        expected = md.certificates[index].der_base64 if index is not None else None
        assert getattr(settings, field) == expected, field
    assert (md.signed, md.signature_valid) == (want["signed"], want["valid"])
    assert md.to_json()["valid_until"] == want.get("valid_until")
    assert {f.id for f in merge_findings(md.findings, settings_findings)} == want["findings"]
    for cert in md.certificates:
        assert len(cert.sha1) == 40 and len(cert.sha256) == 64
        assert "\n" not in cert.der_base64 and " " not in cert.der_base64


def test_serial_zero_certificate_is_reported(corpus_dir: Path) -> None:
    md = read_metadata(corpus_dir / "shibboleth-testshib-idp-v2.xml", now=AT)
    assert md.certificates[0].serial == 0
    assert md.certificates[0].signature_hash == "sha1"


def test_jumpcloud_whitespace_in_certificate_and_name_id(corpus_dir: Path) -> None:
    md = read_metadata(corpus_dir / "jumpcloud-convergent-pretty-slo.xml", now=AT)
    assert md.certificates[0].key_description == "RSA 4096"
    assert md.name_id_formats == ["urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"]


@pytest.mark.parametrize("name", sorted(UNUSABLE_FILES))
def test_unusable_file(corpus_dir: Path, name: str) -> None:
    code, words = UNUSABLE_FILES[name]
    with pytest.raises(MetadataError) as info:
        read_metadata(corpus_dir / name, now=AT)
    assert info.value.code == code
    assert words in info.value.message
    assert "\n" not in info.value.message
