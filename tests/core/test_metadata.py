"""Reading metadata the tests generate: values, entity choice, findings, signatures."""

from __future__ import annotations

import base64
import datetime as dt
import textwrap
from pathlib import Path

import pytest

from core.errors import InputError
from core.idp_sample import build_idp_metadata, entities_aggregate, jumpcloud_sample
from core.metadata import (
    BINDING_POST,
    BINDING_REDIRECT,
    BINDING_SOAP,
    IdpMetadata,
    MetadataError,
    read_metadata,
)
from tests import factories as f


def read(xml: bytes, **kwargs: object) -> IdpMetadata:
    return read_metadata(xml, now=f.NOW, **kwargs)  # type: ignore[arg-type]


def error_of(source: bytes | str | Path, **kwargs: object) -> MetadataError:
    with pytest.raises(MetadataError) as info:
        read_metadata(source, now=f.NOW, **kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, InputError)
    return info.value


# --- values ---------------------------------------------------------------------------------

def test_jumpcloud_sample_values(tmp_path: Path) -> None:
    xml, issued = jumpcloud_sample("o365", entity_id="https://contoso.com")
    path = tmp_path / "JumpCloud-o365-metadata.xml"
    path.write_bytes(xml)
    md = read_metadata(path)
    assert md.entity_id == "https://contoso.com"
    assert [(e.binding, e.location) for e in md.sso] == [
        (BINDING_POST, "https://sso.jumpcloud.com/saml2/o365"),
        (BINDING_REDIRECT, "https://sso.jumpcloud.com/saml2/o365")]
    assert md.slo == []
    assert md.name_id_formats == ["urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"]
    assert [c.der for c in md.certificates] == [issued.der]
    assert md.certificates[0].use == "signing"
    assert md.signed is False and md.signature_valid is None
    assert md.valid_until is None
    assert md.entities_in_source == ["https://contoso.com"]
    assert md.source_name == str(path)
    assert {x.id for x in md.findings} == set()
    assert f.finding_ids(md) == {"slo_missing"}


def test_every_endpoint_and_binding_is_kept_in_order() -> None:
    md = read(f.metadata(sso_soap="https://idp.example.com/ecp", slo_post="https://idp.example.com/lp"))
    assert [e.binding for e in md.sso] == [BINDING_POST, BINDING_REDIRECT, BINDING_SOAP]
    assert [e.binding_name for e in md.slo] == ["HTTP-Redirect", "HTTP-POST"]


def test_valid_until_is_the_earliest_and_cache_duration_is_kept() -> None:
    later = f.NOW + 20 * f.DAY
    earlier = f.NOW + 10 * f.DAY
    entity = f.metadata(valid_until=later, cache_duration="PT6H")
    xml = entities_aggregate([entity], valid_until=earlier)
    md = read(xml)
    assert md.valid_until == earlier
    assert md.cache_duration == "PT6H"
    assert md.to_json()["valid_until"] == earlier.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_role_level_valid_until_is_read() -> None:
    xml = f.metadata().replace(b"<md:IDPSSODescriptor ",
                               b'<md:IDPSSODescriptor validUntil="2001-01-01T00:00:00Z" ')
    md = read(xml)
    assert md.valid_until == dt.datetime(2001, 1, 1, tzinfo=dt.UTC)
    assert "metadata_expired" in f.finding_ids(md)


def test_certificate_text_with_whitespace_tabs_and_newlines() -> None:
    issued = f.cert()
    b64 = base64.b64encode(issued.der).decode()
    messy = "\n\t\t" + "\n\t\t".join(textwrap.wrap(b64, 64)) + "\n        "
    xml = f.metadata(signing=[issued.der]).replace(b64.encode(), messy.encode())
    md = read(xml)
    assert md.certificates[0].der == issued.der
    assert "\n" not in md.certificates[0].der_base64


def test_base64_of_pem_certificate_is_unwrapped_with_a_finding() -> None:
    issued = f.cert()
    b64 = base64.b64encode(issued.der).decode()
    xml = f.metadata(signing=[issued.der]).replace(b64.encode(), base64.b64encode(issued.pem))
    md = read(xml)
    assert md.certificates[0].der == issued.der
    assert "certificate_base64_of_pem" in f.finding_ids(md)


def test_damaged_certificate_is_a_bad_certificate_error() -> None:
    issued = f.cert()
    b64 = base64.b64encode(issued.der).decode()
    xml = f.metadata(signing=[issued.der]).replace(b64.encode(), b64[:50].encode() + b"!!")
    error = error_of(xml)
    assert error.code == "bad_certificate"
    assert "Certificate 1" in error.message


def test_certificates_in_the_metadata_namespace_are_read_with_a_warning() -> None:
    # samlify's fixture puts KeyInfo/X509Data/X509Certificate in the md namespace.
    xml = f.metadata().replace(b"ds:", b"md:").replace(
        b' xmlns:md="http://www.w3.org/2000/09/xmldsig#"', b"")
    md = read(xml)
    assert len(md.certificates) == 1
    assert "certificate_wrong_namespace" in f.finding_ids(md)


def test_want_authn_requests_signed_is_reported() -> None:
    xml = f.metadata().replace(b'WantAuthnRequestsSigned="false"',
                               b'WantAuthnRequestsSigned="true"')
    assert read(xml).want_authn_requests_signed is True


# --- entity choice --------------------------------------------------------------------------

def test_entities_descriptor_with_one_idp_and_sps_is_read() -> None:
    sp = (b'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
          b'entityID="https://sp.example.com"><md:SPSSODescriptor protocolSupportEnumeration='
          b'"urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>')
    xml = entities_aggregate([sp, f.metadata()], name="urn:keycloak")
    md = read(xml)
    assert md.entity_id == f.ENTITY
    assert md.entities_in_source == [f.ENTITY]


def test_nested_entities_descriptors() -> None:
    inner = entities_aggregate([f.metadata("https://a.example.com/idp")], name="inner")
    outer = entities_aggregate([inner, f.metadata("https://b.example.com/idp")], name="outer")
    error = error_of(outer)
    assert error.code == "multiple_identity_providers"
    assert error.details["entity_ids"] == ["https://a.example.com/idp", "https://b.example.com/idp"]
    assert "https://a.example.com/idp" in error.message
    md = read(outer, entity="https://a.example.com/idp")
    assert md.entity_id == "https://a.example.com/idp"
    assert md.entities_in_source == ["https://a.example.com/idp", "https://b.example.com/idp"]


def test_unknown_entity_lists_the_available_ones() -> None:
    error = error_of(f.metadata(), entity="https://nope.example.com")
    assert error.code == "entity_not_found"
    assert error.details["entity_ids"] == [f.ENTITY]


def test_service_provider_metadata_is_refused_in_plain_words() -> None:
    sp = (b'<?xml version="1.0"?><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" '
          b'entityID="https://sp.example.com"><SPSSODescriptor protocolSupportEnumeration='
          b'"urn:oasis:names:tc:SAML:2.0:protocol"/></EntityDescriptor>')
    error = error_of(sp)
    assert error.code == "no_identity_provider"
    assert "service provider" in error.message


def test_xml_that_is_not_metadata_is_refused() -> None:
    error = error_of(b"<?xml version='1.0'?><config><item/></config>")
    assert error.code == "not_metadata"
    assert "<config>" in error.message
    error = error_of(b"<EntityDescriptor entityID='x'><IDPSSODescriptor/></EntityDescriptor>")
    assert error.code == "not_metadata"
    assert "namespace" in error.message


# --- findings -------------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "finding", "severity"), [
    ({"sso_post": "http://idp.example.com/sso"}, "sso_not_https", "error"),
    ({"sso_post": None}, "sso_post_missing", "warning"),
    ({"slo_redirect": None}, "slo_missing", "warning"),
    ({"signing": []}, "no_signing_certificate", "error"),
    # An error, as in preflight's metadata.issuer: the same verdict wherever an admin looks.
    ({"entity_id": "JumpCloud"}, "entity_id_not_uri", "error"),
    ({"entity_id": "login.udem.edu"}, "entity_id_not_uri", "error"),
    ({"entity_id": "https://sts.windows.net/{tenantid}/"}, "entity_id_placeholder", "error"),
    ({"valid_until": f.NOW - f.DAY}, "metadata_expired", "warning"),
    ({"valid_until": f.NOW + 5 * f.DAY}, "metadata_expiring_soon", "info"),
])
def test_metadata_findings(kwargs: dict[str, object], finding: str, severity: str) -> None:
    md = read(f.metadata(**kwargs))  # type: ignore[arg-type]
    found = [x for x in f.all_findings(md) if x.id == finding]
    assert found, md.findings
    assert found[0].severity == severity
    assert found[0].message and (found[0].remedy or severity == "info")


def test_clean_metadata_has_no_findings() -> None:
    assert read(f.metadata()).findings == []


def test_urn_and_http_entity_ids_are_fine() -> None:
    for entity_id in ("urn:bpce:bpce:pro:sp1", "http://www.okta.com/exk7r0qrje5hFQlkk2p7"):
        assert not f.finding_ids(read(f.metadata(entity_id))) & {"entity_id_not_uri",
                                                                 "entity_id_placeholder"}


def test_expired_only_signer_is_an_error_but_after_rollover_a_warning() -> None:
    md = read(f.metadata(signing=[f.expired().der]))
    expired = [x for x in md.findings if x.id == "certificate_expired"]
    assert expired[0].severity == "error"
    assert "no_valid_signing_certificate" in f.finding_ids(md)
    md = read(f.metadata(signing=[f.expired().der, f.cert().der]))
    assert [x.severity for x in md.findings if x.id == "certificate_expired"] == ["warning"]


@pytest.mark.parametrize(("der", "finding"), [
    (lambda: f.not_yet_valid().der, "certificate_not_yet_valid"),
    (lambda: f.expiring_soon().der, "certificate_expiring_soon"),
    (lambda: f.cert(size=1024).der, "certificate_weak_key"),
    (lambda: f.sha1_cert(), "certificate_sha1"),
    (lambda: f.with_serial(f.cert(), 0), "certificate_serial_not_positive"),
    (lambda: f.with_serial(f.cert(), -7), "certificate_serial_not_positive"),
])
def test_certificate_findings(der: object, finding: str) -> None:
    cert_der = der()  # type: ignore[operator]
    md = read(f.metadata(signing=[cert_der, f.cert("other", slot=3).der]))
    assert finding in f.finding_ids(md)


def test_ec_certificate_is_read() -> None:
    md = read(f.metadata(signing=[f.cert(kind="ec").der]))
    assert md.certificates[0].key_type == "EC"


def test_duplicate_certificates_are_reported_once() -> None:
    issued = f.cert()
    md = read(f.metadata(signing=[issued.der, issued.der]))
    assert [x.id for x in md.findings] == ["certificate_duplicate"]
    assert len(md.certificates) == 2


def test_findings_are_sorted_errors_first() -> None:
    md = read(f.metadata(slo_redirect=None, signing=[f.expired().der]))
    order = [x.severity for x in md.findings]
    assert order == sorted(order, key=["error", "warning", "info"].index)


# --- signatures -----------------------------------------------------------------------------

def _signed(signer: object = None, **kwargs: object) -> bytes:
    signer = signer or f.cert("signer.example.com", slot=4)
    return f.metadata(sign_with=signer, **kwargs)  # type: ignore[arg-type]


def test_signed_metadata_verifies_and_says_what_that_proves() -> None:
    md = read(_signed())
    assert md.signed is True
    assert md.signature_valid is True
    assert "not who signed it" in (md.signature_detail or "")
    assert "signature_self_embedded" in f.finding_ids(md)


def test_pretty_signed_metadata_verifies() -> None:
    md = read(_signed(style="pretty"))
    assert md.signature_valid is True


def test_tampered_signed_metadata_is_invalid() -> None:
    xml = _signed().replace(f.SSO.encode(), b"https://evil.example.com/sso")
    md = read(xml)
    assert md.signed is True
    assert md.signature_valid is False
    assert next(x for x in md.findings if x.id == "signature_invalid").severity == "error"


def test_sha1_signature_is_verified_and_reported_weak() -> None:
    md = read(_signed(signature_algorithm="rsa-sha1"))
    assert md.signature_valid is True
    assert "signature_sha1" in f.finding_ids(md)


def test_expired_signer_is_reported_not_a_crash() -> None:
    signer = f.cert("old-signer", not_before=f.NOW - 400 * f.DAY, not_after=f.NOW - 3 * f.DAY,
                    slot=5)
    md = read(_signed(signer))
    assert md.signature_valid is True
    assert "signature_signer_expired" in f.finding_ids(md)


def test_admin_supplied_certificate_proves_identity() -> None:
    signer = f.cert("signer.example.com", slot=4)
    md = read(_signed(signer), signer_certificate=signer.pem)
    assert md.signature_valid is True
    assert "you supplied" in (md.signature_detail or "")
    assert "signature_self_embedded" not in f.finding_ids(md)


def test_signature_by_another_key_than_the_supplied_one_fails() -> None:
    other = f.cert("someone-else", slot=6)
    md = read(_signed(), signer_certificate=other.der)
    assert md.signature_valid is False
    assert "signature_invalid" in f.finding_ids(md)


def test_supplied_certificate_but_unsigned_metadata() -> None:
    md = read(f.metadata(), signer_certificate=f.cert().der)
    assert md.signed is False
    assert md.signature_valid is False
    assert "signature_missing" in f.finding_ids(md)


def test_unreadable_supplied_certificate_is_bad_certificate() -> None:
    assert error_of(f.metadata(), signer_certificate=b"nonsense").code == "bad_certificate"


def test_signed_aggregate_covers_the_chosen_entity() -> None:
    signer = f.cert("federation", slot=7)
    aggregate = entities_aggregate([f.metadata("https://a.example.com"),
                                    f.metadata("https://b.example.com")])
    # Sign the aggregate root the way federations do.
    from lxml import etree
    from signxml import XMLSigner  # type: ignore[attr-defined]

    root = etree.fromstring(aggregate)
    root.set("ID", "_fed")
    placeholder = etree.Element("{http://www.w3.org/2000/09/xmldsig#}Signature", Id="placeholder")
    root.insert(0, placeholder)
    signed = etree.tostring(XMLSigner(c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
                            .sign(root, key=signer.key_pem, cert=[signer.pem.decode()],
                                  reference_uri="_fed"))
    md = read(signed, entity="https://b.example.com")
    assert md.signed is True and md.signature_valid is True


def test_changing_the_entity_id_of_signed_metadata_breaks_the_signature() -> None:
    signed_other = _signed(entity_id="https://other.example.com")
    doc = signed_other.replace(b'entityID="https://other.example.com"',
                               b'entityID="https://victim.example.com"')
    md = read(doc)
    assert md.signature_valid is False


def test_builder_signing_refuses_nothing_for_ec_keys() -> None:
    signer = f.cert("ec-signer", kind="ec")
    xml = build_idp_metadata(f.ENTITY, sso_post=f.SSO, signing_certs=[f.cert().der],
                             sign_with=signer, signature_algorithm="ecdsa-sha256")
    assert read(xml).signature_valid is True


def test_the_benchmark_input_is_valid_metadata() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    try:
        import inspect_bench
    finally:
        sys.path.pop(0)
    data, last = inspect_bench.build(20)
    md = read(data, entity=last)
    assert md.entity_id == last and len(md.entities_in_source) == 20


def test_expiring_signing_certificate_remedy_names_the_command() -> None:
    md = read(f.metadata(signing=[f.expiring_soon().der]))
    [finding] = [x for x in md.findings if x.id == "certificate_expiring_soon"]
    assert "federator update-certificate --metadata FILE --domain DOMAIN --confirm DOMAIN" \
        in (finding.remedy or "")
