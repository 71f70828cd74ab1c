"""The metadata builder the demo mode and the tests use: it must look like real exports."""

from __future__ import annotations

import datetime as dt

from lxml import etree

from core.idp_sample import build_idp_metadata, entities_aggregate, jumpcloud_sample
from core.metadata import read_metadata
from tests import factories as f

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"


def test_jumpcloud_sample_looks_like_a_jumpcloud_export() -> None:
    xml, issued = jumpcloud_sample("o365")
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor')
    assert b"\n" not in xml  # one line, no trailing newline
    assert b"<md:IDPSSODescriptor" in xml and b"<md:SingleSignOnService" in xml
    assert b"ds:Signature" not in xml and b"validUntil" not in xml
    assert b"SingleLogoutService" not in xml
    cert = issued.cert
    assert cert.subject == cert.issuer
    assert "OU=JumpCloudSAMLIdP" in cert.subject.rfc4514_string()
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert dt.timedelta(days=5 * 365) <= lifetime <= dt.timedelta(days=5 * 366)
    md = read_metadata(xml)
    assert [e.binding_name for e in md.sso] == ["HTTP-POST", "HTTP-Redirect"]
    assert f.finding_ids(md) == {"slo_missing"}


def test_jumpcloud_sample_with_slo_and_entity_id() -> None:
    xml, _ = jumpcloud_sample("demo", entity_id="https://contoso.com", with_slo=True)
    md = read_metadata(xml)
    assert md.entity_id == "https://contoso.com"
    assert [e.location for e in md.slo] == ["https://sso.jumpcloud.com/saml2/demo"]
    assert md.findings == []


def test_builder_writes_every_part_in_schema_order() -> None:
    xml = build_idp_metadata(
        "urn:example:idp", sso_post="https://i/p", sso_redirect="https://i/r",
        sso_soap="https://i/s", slo_redirect="https://i/lr", slo_post="https://i/lp",
        signing_certs=[f.cert().der], encryption_certs=[f.cert("enc", slot=1).der],
        unspecified_certs=[f.cert("both", slot=2).der], valid_until=f.NOW + 30 * f.DAY,
        cache_duration="PT1H", style="pretty")
    assert xml.count(b"\n") > 10 and xml.endswith(b"\n")
    root = etree.fromstring(xml)
    idp = root.find(f"{MD}IDPSSODescriptor")
    assert idp is not None
    order = [etree.QName(child).localname for child in idp]
    assert order == ["KeyDescriptor"] * 3 + ["SingleLogoutService"] * 2 + ["NameIDFormat"] + \
        ["SingleSignOnService"] * 3
    md = read_metadata(xml, now=f.NOW)
    assert [c.use for c in md.certificates] == ["signing", "encryption", None]
    assert md.cache_duration == "PT1H"


def test_signed_builder_output_places_the_signature_first() -> None:
    xml = f.metadata(sign_with=f.cert("signer", slot=4))
    root = etree.fromstring(xml)
    assert etree.QName(root[0]).localname == "Signature"
    assert read_metadata(xml).signature_valid is True


def test_entity_id_is_escaped() -> None:
    odd = 'https://idp.example.com/?a=1&b="2"<x>'
    md = read_metadata(f.metadata(odd))
    assert md.entity_id == odd


def test_aggregate_holds_every_entity() -> None:
    xml = entities_aggregate([f.metadata(f"https://idp{i}.example.com") for i in range(3)],
                             name="urn:test & co")
    root = etree.fromstring(xml)
    assert root.get("Name") == "urn:test & co"
    assert len(root.findall(f"{MD}EntityDescriptor")) == 3
