"""The sign-in judge (core.signin) on real-world response shapes and hostile responses.

Responses are written by the sandbox's sample IdP (``sandbox.sample_idp``); the judge is the
one copy used by the sandbox's login.srf, ``federator test-signin`` and ``federator doctor``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import textwrap
import zlib
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from core.certgen import Issued
from core.certificates import CertificateInfo
from core.errors import InputError
from core.signin.codes import parse_error_text
from core.signin.decode import decode
from core.signin.doctor import diagnose
from core.signin.judge import DirectoryUser, Realm, Rules, judge
from sandbox.sample_idp import ENTITY_ID, Subject, build_response, encode, load_key

IMMUTABLE = "BlAdehNaVHGe84Tdmm53hQ=="
UPN = "ada.albers0@fabrikam.com"
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Issued, Issued]:
    folder = tmp_path_factory.mktemp("idp")
    from core.idp_sample import jumpcloud_certificate

    return load_key(folder), jumpcloud_certificate("Renewed")


def realm(*issued: Issued, issuer: str = ENTITY_ID) -> Realm:
    return Realm("fabrikam.com", issuer, tuple(CertificateInfo.from_der(i.der) for i in issued))


USERS = {IMMUTABLE: DirectoryUser(UPN, IMMUTABLE)}


def response(key: Issued, **kwargs: object) -> bytes:
    kwargs.setdefault("now", NOW)
    return build_response(key, Subject(UPN, IMMUTABLE), **kwargs)  # type: ignore[arg-type]


def verdict_of(data: bytes | str, key: Issued, *, rules: Rules | None = None,
               now: dt.datetime = NOW) -> tuple[bool, str | None, list[str]]:
    result = judge(decode(data).xml, [realm(key)], USERS.get, now=now, rules=rules)
    return result.ok, result.aadsts, [f.id for f in result.findings]


@pytest.mark.parametrize("signed", ["assertion", "both"])
@pytest.mark.parametrize("algorithm", ["rsa-sha256", "rsa-sha1"])
@pytest.mark.parametrize("declaration", [False, True])
def test_real_world_shapes_sign_in(keys: tuple[Issued, Issued], signed: str, algorithm: str,
                                   declaration: bool) -> None:
    key = keys[0]
    xml = response(key, signed=signed, algorithm=algorithm, xml_declaration=declaration)
    wrapped = "\n".join(textwrap.wrap(encode(xml), 76))  # as IdPs and browsers line-wrap it
    ok, code, ids = verdict_of(wrapped, key)
    assert (ok, code) == (True, None)
    assert ("signature_sha1" in ids) == (algorithm == "rsa-sha1")


def test_signed_response_alone_is_refused(keys: tuple[Issued, Issued]) -> None:
    # Microsoft requires the assertion signed (Entra's metadata: WantAssertionsSigned).
    ok, code, ids = verdict_of(response(keys[0], signed="response"), keys[0])
    assert (ok, code, ids) == (False, "AADSTS50008", ["assertion_unsigned"])


@pytest.mark.parametrize("wrap", ["form", "har", "tracer", "deflate", "xml", "urlsafe"])
def test_captures_in_every_container_decode(keys: tuple[Issued, Issued], wrap: str) -> None:
    xml = response(keys[0])
    value = encode(xml)
    data: bytes | str
    if wrap == "form":
        data = f"SAMLResponse={quote_plus(value)}&RelayState=abc"
    elif wrap == "har":
        data = json.dumps({"log": {"entries": [
            {"request": {"method": "GET", "url": "https://login.microsoftonline.com/"}},
            {"request": {"method": "POST", "url": "https://login.microsoftonline.com/login.srf",
                         "postData": {"mimeType": "application/x-www-form-urlencoded",
                                      "params": [{"name": "SAMLResponse",
                                                  "value": quote_plus(value)},
                                                 {"name": "RelayState", "value": "x"}]}}}]}})
    elif wrap == "tracer":
        data = json.dumps({"requests": [{"method": "POST", "url": "https://login.microsoftonline"
                                         ".com/login.srf", "post": [["SAMLResponse", value]]}]})
    elif wrap == "deflate":
        squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
        data = base64.b64encode(squeeze.compress(xml) + squeeze.flush()).decode()
    elif wrap == "urlsafe":
        data = value.replace("+", "-").replace("/", "_").rstrip("=")
    else:
        data = xml
    assert verdict_of(data, keys[0])[:2] == (True, None)


@pytest.mark.parametrize(("defect", "code", "finding"), [
    ("wrong-issuer", "AADSTS50107", "issuer_unknown"),
    ("wrong-key", "AADSTS500081", "assertion_signing_key"),
    ("tampered", "AADSTS50006", "assertion_signature_invalid"),
    ("expired", "AADSTS50008", "expired"),
    ("wrong-audience", "AADSTS50008", "audience"),
    ("nameid-not-immutableid", "AADSTS51004", "user_not_found"),
    ("no-idpemail", "AADSTS50008", "idpemail_missing"),
    ("unsigned", "AADSTS50008", "assertion_unsigned"),
])
def test_each_defect_gives_entras_code(keys: tuple[Issued, Issued], defect: str, code: str,
                                       finding: str) -> None:
    ok, got, ids = verdict_of(response(keys[0], defect=defect), keys[0])
    assert (ok, got) == (False, code)
    assert finding in ids


def test_next_signing_certificate_is_accepted_and_named(keys: tuple[Issued, Issued]) -> None:
    current, renewed = keys
    result = judge(response(renewed), [realm(current, renewed)], USERS.get, now=NOW)
    assert result.ok and result.matched_certificate == "nextSigningCertificate"


def test_issuer_differing_in_case_is_refused_and_explained(keys: tuple[Issued, Issued]) -> None:
    xml = response(keys[0], issuer=ENTITY_ID.upper().replace("HTTPS", "https"))
    result = judge(xml, [realm(keys[0])], USERS.get, now=NOW)
    assert result.aadsts == "AADSTS50107"
    assert "only in case or a trailing slash" in result.findings[0].message


def test_clock_skew_strict_refuses_what_lenient_accepts(keys: tuple[Issued, Issued]) -> None:
    xml = response(keys[0], now=NOW + dt.timedelta(minutes=2))  # the IdP's clock is ahead
    assert verdict_of(xml, keys[0])[:2] == (False, "AADSTS50008")
    assert verdict_of(xml, keys[0], rules=Rules.lenient())[:2] == (True, None)


def test_missing_idpemail_fails_strict_and_warns_lenient(keys: tuple[Issued, Issued]) -> None:
    xml = response(keys[0], defect="no-idpemail")
    assert verdict_of(xml, keys[0])[0] is False
    ok, code, ids = verdict_of(xml, keys[0], rules=Rules.lenient())
    assert (ok, code, ids) == (True, None, ["idpemail_missing"])


def test_doctor_judges_an_old_capture_as_of_its_issue_time(keys: tuple[Issued, Issued]) -> None:
    xml = response(keys[0])
    report = diagnose(encode(xml), None, [realm(keys[0])], USERS.get,
                      now=NOW + dt.timedelta(days=3))
    assert report.ok and [f.id for f in report.findings] == ["judged_at_issue"]


# -- hostile responses ----------------------------------------------------------------------

def _wrapped(key: Issued, attack: str) -> bytes:
    """A genuine signed response for UPN, rewritten to speak for someone else."""
    from lxml import etree

    from core.signin.response import A, D

    root = etree.fromstring(response(key))
    genuine = root.find(A + "Assertion")
    assert genuine is not None
    evil = etree.fromstring(etree.tostring(genuine))
    name_id = evil.find(f"{A}Subject/{A}NameID")
    assert name_id is not None
    name_id.text = "ATTACKER-IMMUTABLE"
    if attack == "sibling":  # evil assertion first, the genuine one kept after it
        root.insert(root.index(genuine), evil)
    elif attack == "object":  # XSW: genuine hidden in the evil one's signature Object
        root.replace(genuine, evil)
        signature = evil.find(D + "Signature")
        assert signature is not None
        obj = etree.SubElement(signature, D + "Object")
        obj.append(genuine)
    else:  # same ID twice: evil replaces the genuine one, genuine kept in Extensions
        root.replace(genuine, evil)
        extensions = etree.SubElement(root, "{urn:oasis:names:tc:SAML:2.0:protocol}Extensions")
        extensions.append(genuine)
    return etree.tostring(root)


@pytest.mark.parametrize("attack", ["sibling", "object", "extensions"])
def test_signature_wrapping_never_signs_anyone_in(keys: tuple[Issued, Issued],
                                                  attack: str) -> None:
    users = {**USERS, "ATTACKER-IMMUTABLE": DirectoryUser("boss@fabrikam.com",
                                                          "ATTACKER-IMMUTABLE")}
    result = judge(_wrapped(keys[0], attack), [realm(keys[0])], users.get, now=NOW)
    assert not result.ok
    assert result.user is None


def test_comment_inside_signed_name_id_does_not_cut_it(keys: tuple[Issued, Issued]) -> None:
    # Exclusive c14n ignores comments, so one added after signing keeps the signature valid; a
    # reader stopping at the comment would see "BlAdeh" + nothing. The whole value is judged.
    xml = response(keys[0]).replace(IMMUTABLE.encode(),
                                    IMMUTABLE[:6].encode() + b"<!---->" + IMMUTABLE[6:].encode())
    result = judge(xml, [realm(keys[0])], USERS.get, now=NOW)
    assert result.facts.name_id == IMMUTABLE and result.ok


@pytest.mark.parametrize(("data", "code"), [
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&x;</samlp:Response>',
     "signin_forbidden_dtd"),
    (b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
     b'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:EncryptedAssertion/>'
     b'</samlp:Response>', "signin_encrypted"),
    (b'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>',
     "signin_not_response"),
    (b"not a response at all!", "signin_bad_input"),
    (b"QUJD" * 10, "signin_bad_input"),
    (b"A" * (11 * 1024 * 1024), "signin_too_large"),
])
def test_unusable_input_is_refused_cleanly(data: bytes, code: str) -> None:
    with pytest.raises(InputError) as caught:
        judge(decode(data).xml, [], None, now=NOW)
    assert caught.value.code == code


def test_error_text_from_microsofts_page_is_read() -> None:
    page = ("Sign in\nSorry, but we're having trouble signing you in.\nRequest Id: "
            "5e2f3c1a-0000-4000-8000-000000000001\nCorrelation Id: "
            "0f2a7c1e-1111-2222-3333-444455556666\nTimestamp: 2023-11-17T11:51:02Z\nMessage: "
            "AADSTS51004: The user account 'X1+y==' does not exist in the 'contoso' directory.")
    text = parse_error_text(page)
    assert (text.code, text.quoted[0], text.correlation_id, text.timestamp) == (
        "AADSTS51004", "X1+y==", "0f2a7c1e-1111-2222-3333-444455556666", "2023-11-17T11:51:02Z")


def test_response_values_are_not_kept(tmp_path: Path, keys: tuple[Issued, Issued]) -> None:
    judge(response(keys[0]), [realm(keys[0])], USERS.get, now=NOW)
    assert list(tmp_path.iterdir()) == []


# -- each vendor's shape (what the reference documents of it) -------------------------------

GOOGLE = "https://accounts.google.com/o/saml2?idpid=C01abcde2"
SHIBBOLETH = "https://idp.example.edu/idp/shibboleth"
JUMPCLOUD = "https://sso.jumpcloud.com/saml2/m365-fabrikam"
ONELOGIN = "https://app.onelogin.com/saml/metadata/1234567"


@pytest.mark.parametrize(("vendor", "issuer", "signed", "name_id", "stored", "code", "hint"), [
    # Google: persistent NameID = primary email, "Signed response" on; the ImmutableID must be
    # that address exactly, case included.
    ("Google", GOOGLE, "both", UPN, UPN, None, None),
    ("Google", GOOGLE, "both", UPN, UPN.title(), "AADSTS51004", "primary email"),
    # Shibboleth: assertion signed only, persistent NameID = base64 objectGUID.
    ("Shibboleth", SHIBBOLETH, "assertion", IMMUTABLE, IMMUTABLE, None, None),
    # JumpCloud: a user not bound to the M365 integration has no immutable ID to send.
    ("JumpCloud", JUMPCLOUD, "assertion", UPN, IMMUTABLE, "AADSTS51004", "bind the user"),
    # OneLogin: provisioning did not write the value it sends.
    ("OneLogin", ONELOGIN, "assertion", "b3Vy+IGlk", IMMUTABLE, "AADSTS51004", "provisioning"),
])
def test_vendor_shapes_agree_with_the_reference(keys: tuple[Issued, Issued], vendor: str,
                                                issuer: str, signed: str, name_id: str,
                                                stored: str, code: str | None,
                                                hint: str | None) -> None:
    xml = build_response(keys[0], Subject(UPN, name_id), issuer=issuer, signed=signed,  # type: ignore[arg-type]
                         now=NOW)
    users = {stored: DirectoryUser(UPN, stored)}
    result = judge(xml, [realm(keys[0], issuer=issuer)], users.get, now=NOW)
    assert (result.ok, result.aadsts) == (code is None, code)
    if hint:
        assert hint in (result.findings[0].remedy or ""), vendor


def test_shibboleth_transient_name_id_is_refused(keys: tuple[Issued, Issued]) -> None:
    xml = build_response(keys[0], Subject(UPN, IMMUTABLE), issuer=SHIBBOLETH, now=NOW,
                         name_id_format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient")
    result = judge(xml, [realm(keys[0], issuer=SHIBBOLETH)], USERS.get, now=NOW)
    assert (result.aadsts, result.findings[0].id) == ("AADSTS50008", "name_id_format")


def test_ws_federation_answer_is_named_not_judged() -> None:
    rstr = (b'<t:RequestSecurityTokenResponse xmlns:t="http://schemas.xmlsoap.org/ws/2005/02/'
            b'trust"><t:RequestedSecurityToken/></t:RequestSecurityTokenResponse>')
    with pytest.raises(InputError) as caught:
        judge(decode(rstr).xml, [], None, now=NOW)
    assert caught.value.code == "signin_wsfed" and "Okta" in caught.value.message


def test_manual_steps_for_a_real_tenant_name_what_the_idp_must_send() -> None:
    from core.signin.manual import manual_steps

    steps = manual_steps("fabrikam.com", DirectoryUser(UPN, IMMUTABLE),
                         passive_sign_in_uri="https://idp.example/sso", issuer_uri=ENTITY_ID)
    text = "\n".join(steps)
    assert "private" in steps[0] and "https://myapps.microsoft.com/?whr=fabrikam.com" in text
    assert f"NameID = '{IMMUTABLE}'" in text and f"IDPEmail = {UPN}" in text
    assert "federator doctor --saml-response FILE --domain fabrikam.com" in text
    missing = manual_steps("fabrikam.com", DirectoryUser("new@fabrikam.com", None),
                           passive_sign_in_uri=None, issuer_uri=None)
    assert any("AADSTS51004" in step for step in missing)
