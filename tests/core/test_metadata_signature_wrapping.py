"""XML signature wrapping: a genuine signature must never vouch for values it does not cover.

Each attack takes metadata genuinely signed by a key the admin trusts and rearranges it so that a
naive reader verifies the genuine signature but reads the attacker's sign-in URL and certificate.
Whatever the arrangement, Federator either reports the signature as not verifying, or shows only
the values the signature covers.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from cli.main import main
from core.certgen import Issued
from core.idp_sample import entities_aggregate
from core.metadata import IdpMetadata, read_metadata
from tests import factories as f

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
EVIL_SSO = "https://evil.example.net/saml/sso"


@functools.cache
def _signer() -> Issued:
    return f.cert("metadata-signer.example.com", slot=4)


@functools.cache
def _evil_cert() -> Issued:
    return f.cert("evil.example.net", slot=5)


def _genuine(entity_id: str = f.ENTITY) -> etree._Element:
    return etree.fromstring(f.metadata(entity_id, sign_with=_signer()))


def _attacker(entity_id: str = f.ENTITY) -> etree._Element:
    return etree.fromstring(f.metadata(entity_id, sso_post=EVIL_SSO, sso_redirect=EVIL_SSO,
                                       signing=[_evil_cert().der]))


def _take_signature(element: etree._Element) -> etree._Element:
    signature = element.find(f"{{{DS}}}Signature")
    assert signature is not None
    element.remove(signature)
    return signature


def _extensions(*children: etree._Element) -> etree._Element:
    extensions = etree.Element(f"{{{MD}}}Extensions")
    for child in children:
        extensions.append(child)
    return extensions


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _shows_attacker_values(md: IdpMetadata) -> bool:
    evil_sha = hashlib.sha256(_evil_cert().der).hexdigest().upper()
    return any(e.location == EVIL_SSO for e in md.sso) or any(
        c.sha256 == evil_sha for c in md.certificates)


def _assert_not_vouched(md: IdpMetadata) -> None:
    """The attacker's values may be shown, but never as covered by a verifying signature."""
    if md.signature_valid is True:
        assert not _shows_attacker_values(md), "a verifying signature vouches for forged values"
    else:
        assert md.signature_valid is False
        assert "signature_invalid" in {x.id for x in md.findings}


# --- the wrapping variants -------------------------------------------------------------------

def _signed_original_in_extensions() -> bytes:
    genuine = _genuine()
    signature = _take_signature(genuine)
    attacker = _attacker()
    attacker.insert(0, _extensions(genuine))
    attacker.insert(0, signature)
    return _bytes(attacker)


def _signed_original_in_an_object() -> bytes:
    genuine = _genuine()
    signature = _take_signature(genuine)
    obj = etree.SubElement(signature, f"{{{DS}}}Object")
    obj.append(genuine)
    attacker = _attacker()
    attacker.insert(0, signature)
    return _bytes(attacker)


def _duplicated_ids() -> bytes:
    # The attacker's entity carries the genuine ID too, and a second copy of the original sits
    # beside it: whoever resolves the ID picks one, whoever reads values picks another.
    genuine = _genuine()
    signature = _take_signature(genuine)
    attacker = _attacker()
    attacker.insert(0, _extensions(copy.deepcopy(genuine)))
    attacker.insert(0, signature)
    wrapper = etree.fromstring(entities_aggregate([]))
    wrapper.append(attacker)
    spare = copy.deepcopy(genuine)
    spare.set("entityID", "https://spare.example.com")
    wrapper.append(_extensions(spare))
    wrapper.insert(0, wrapper[-1])
    return _bytes(wrapper)


def _second_entity_descriptor() -> bytes:
    # The signed original follows the attacker's role as a second EntityDescriptor child.
    genuine = _genuine()
    signature = _take_signature(genuine)
    attacker = _attacker()
    attacker.insert(0, signature)
    attacker.append(genuine)
    return _bytes(attacker)


def _entities_descriptor_wrapper() -> bytes:
    # A federation-signed aggregate, hidden in the Extensions of an attacker's aggregate that
    # carries the federation's signature and lists the attacker's IdP under the same entityID.
    genuine = etree.fromstring(entities_aggregate(
        [f.metadata("https://a.example.com"), f.metadata(f.ENTITY)], sign_with=_signer()))
    signature = _take_signature(genuine)
    wrapper = etree.fromstring(entities_aggregate([_bytes(_attacker())]))
    wrapper.insert(0, _extensions(genuine))
    wrapper.insert(0, signature)
    return _bytes(wrapper)


ATTACKS = {
    "signed original in md:Extensions": _signed_original_in_extensions,
    "signed original in ds:Object": _signed_original_in_an_object,
    "duplicated IDs": _duplicated_ids,
    "second EntityDescriptor": _second_entity_descriptor,
    "EntitiesDescriptor wrapper": _entities_descriptor_wrapper,
}


@pytest.mark.parametrize("attack", list(ATTACKS), ids=list(ATTACKS))
def test_wrapped_signature_never_vouches_for_the_attackers_values(attack: str) -> None:
    xml = ATTACKS[attack]()
    for trusted in (_signer().pem, None):
        md = read_metadata(xml, entity=f.ENTITY, signer_certificate=trusted)
        _assert_not_vouched(md)
        assert md.signature_valid is not True or not _shows_attacker_values(md)


@pytest.mark.parametrize("attack", list(ATTACKS), ids=list(ATTACKS))
def test_inspect_with_the_trusted_signer_says_invalid(attack: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    metadata = tmp_path / "idp.xml"
    metadata.write_bytes(ATTACKS[attack]())
    signer = tmp_path / "signer.pem"
    signer.write_bytes(_signer().pem)
    main(["inspect", str(metadata), "--entity", f.ENTITY, "--signer-certificate", str(signer)])
    out = capsys.readouterr().out
    if EVIL_SSO in out:
        assert "Signature          INVALID" in out
        assert "comes from whoever holds that certificate's key" not in out


def test_the_genuine_file_still_verifies_with_the_trusted_signer() -> None:
    md = read_metadata(_bytes(_genuine()), signer_certificate=_signer().pem)
    assert md.signature_valid is True and md.sso[0].location == f.SSO


def test_signed_aggregate_still_verifies_for_each_entity() -> None:
    xml = entities_aggregate([f.metadata("https://a.example.com"), f.metadata(f.ENTITY)],
                             sign_with=_signer())
    for entity in ("https://a.example.com", f.ENTITY):
        md = read_metadata(xml, entity=entity, signer_certificate=_signer().pem)
        assert md.signature_valid is True and md.entity_id == entity


def test_an_id_that_occurs_twice_is_refused_even_outside_the_signed_element() -> None:
    # signxml sees only the signed element; a copy of the ID elsewhere is still an ambiguity.
    genuine = _genuine()
    decoy = _attacker("https://decoy.example.com")
    decoy.set("ID", genuine.get("ID") or "")
    wrapper = etree.fromstring(entities_aggregate([]))
    wrapper.append(genuine)
    wrapper.append(decoy)
    md = read_metadata(_bytes(wrapper), entity=f.ENTITY, signer_certificate=_signer().pem)
    assert md.signature_valid is False
    assert "occurs 2 times" in (md.signature_detail or "")


# --- comments inside signed text --------------------------------------------------------------

def test_comments_inside_signed_text_are_read_as_the_signature_covers_them() -> None:
    # Exclusive c14n drops comments, so inserting one keeps the signature valid; a reader that
    # stops at the comment would see a truncated value the signature never covered.
    genuine = _genuine()
    name_id = genuine.find(f"{{{MD}}}IDPSSODescriptor/{{{MD}}}NameIDFormat")
    cert = genuine.find(f".//{{{MD}}}KeyDescriptor//{{{DS}}}X509Certificate")
    assert name_id is not None and cert is not None
    full_format, full_cert = name_id.text or "", cert.text or ""
    xml = _bytes(genuine)
    xml = xml.replace(full_format.encode(), (full_format[:20] + "<!-- -->"
                                             + full_format[20:]).encode())
    xml = xml.replace(full_cert.encode(), (full_cert[:40] + "<!--x-->" + full_cert[40:]).encode())
    md = read_metadata(xml, signer_certificate=_signer().pem)
    assert md.signature_valid is True
    assert md.name_id_formats == [full_format]
    assert [c.sha256 for c in md.certificates] == [
        hashlib.sha256(base64.b64decode(full_cert)).hexdigest().upper()]


def test_comments_inside_unsigned_text_are_read_whole() -> None:
    xml = f.metadata().replace(b"nameid-format:emailAddress",
                               b"nameid-format:<!-- a comment -->emailAddress")
    assert read_metadata(xml).name_id_formats == [
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"]


def test_the_window_does_not_show_a_wrapped_signature_as_verifying(
        make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QLabel

    from tests.gui_helpers import settle

    path = tmp_path / "idp.xml"
    path.write_bytes(_signed_original_in_extensions())
    window = make_window()
    window.metadata_view.open_source(str(path))
    settle(qtbot)
    shown = "\n".join(w.text() for w in window.metadata_view.findChildren(QLabel))
    assert EVIL_SSO in shown
    assert "Signed, signature verifies" not in shown
    assert "signature does NOT verify" in shown
