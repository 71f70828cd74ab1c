"""Certificate facts as an admin and Graph see them, including certificates real IdPs ship that
cryptography dislikes."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import textwrap

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.certificates import (
    CertificateError,
    CertificateInfo,
    der_serial,
    parse_certificate_text,
    read_certificate,
)
from tests import factories as f


def test_facts_of_an_ordinary_certificate() -> None:
    issued = f.cert("idp.example.com", not_before=f.NOW - 10 * f.DAY, days=100)
    info = CertificateInfo.from_der(issued.der, use="signing", now=f.NOW)
    assert info.subject == "CN=idp.example.com"
    assert info.issuer == "CN=idp.example.com"
    assert info.self_signed is True
    assert info.serial == issued.cert.serial_number
    assert info.days_left == 90
    assert (info.key_type, info.key_size, info.key_description) == ("RSA", 2048, "RSA 2048")
    assert info.signature_hash == "sha256"
    assert info.sha1 == hashlib.sha1(issued.der).hexdigest().upper()
    assert info.sha256 == hashlib.sha256(issued.der).hexdigest().upper()
    assert info.der_base64 == base64.b64encode(issued.der).decode()
    assert "\n" not in info.der_base64
    assert info.der == issued.der
    assert info.use == "signing"
    assert info.common_name == "idp.example.com"


def test_json_dates_are_utc_iso8601_and_thumbprints_uppercase() -> None:
    start = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    issued = f.cert(not_before=start, days=10)
    body = CertificateInfo.from_der(issued.der, now=f.NOW).to_json()
    assert body["not_before"] == "2025-01-02T01:04:05Z"
    assert body["not_after"] == "2025-01-12T01:04:05Z"
    assert body["sha1"] == body["sha1"].upper() and ":" not in body["sha1"]
    assert len(body["sha256"]) == 64
    assert body["key"] == "RSA 2048"
    assert set(body) >= {"use", "subject", "issuer", "serial", "not_before", "not_after",
                         "days_left", "key", "signature_hash", "sha1", "sha256", "self_signed",
                         "der_base64"}


def test_expired_certificate_has_negative_days_left() -> None:
    info = CertificateInfo.from_der(f.expired().der, now=f.NOW)
    assert info.days_left < 0
    assert not info.is_valid_at(f.NOW)


def test_ec_1024_bit_and_sha1_certificates() -> None:
    ec_info = CertificateInfo.from_der(f.cert(kind="ec").der, now=f.NOW)
    assert (ec_info.key_type, ec_info.key_size) == ("EC", 256)
    weak = CertificateInfo.from_der(f.cert(size=1024).der, now=f.NOW)
    assert weak.key_size == 1024
    sha1 = CertificateInfo.from_der(f.sha1_cert(), now=f.NOW)
    assert sha1.signature_hash == "sha1"
    assert sha1.self_signed is True


def test_ca_issued_certificate_is_not_self_signed() -> None:
    from core.certgen import make_certificate

    ca = make_certificate("Example CA", key=f.key(slot=2), ca=True)
    leaf = f.cert("leaf.example.com", issuer=ca)
    info = CertificateInfo.from_der(leaf.der, now=f.NOW)
    assert info.self_signed is False
    assert info.issuer == "CN=Example CA"


@pytest.mark.parametrize("serial", [0, -1, -123456789])
def test_non_positive_serials_are_reported_not_refused(serial: int) -> None:
    der = f.with_serial(f.cert(), serial)
    assert der_serial(der) == serial
    info = CertificateInfo.from_der(der, now=f.NOW)
    assert info.serial == serial
    assert info.self_signed is True  # re-signed properly by the factory
    assert info.subject == "CN=idp.example.com"


def test_serial_zero_ec_certificate() -> None:
    info = CertificateInfo.from_der(f.with_serial(f.cert(kind="ec"), 0), now=f.NOW)
    assert (info.serial, info.key_type) == (0, "EC")


@pytest.mark.parametrize("layout", ["one line", "wrapped 64", "wrapped 76 with tabs",
                                    "indented", "crlf", "trailing spaces", "pem"])
def test_certificate_text_layouts(layout: str) -> None:
    issued = f.cert()
    der = issued.der
    b64 = base64.b64encode(der).decode()
    text = {
        "one line": b64,
        "wrapped 64": "\n".join(textwrap.wrap(b64, 64)),
        "wrapped 76 with tabs": "\n\t\t".join(textwrap.wrap(b64, 76)),
        "indented": "\n" + "\n".join(" " * 28 + line for line in textwrap.wrap(b64, 64)) + "\n",
        "crlf": "\r\n".join(textwrap.wrap(b64, 64)),
        "trailing spaces": b64 + "\n        ",
        "pem": issued.pem.decode(),
    }[layout]
    parsed, findings = parse_certificate_text(text)
    assert parsed == der
    assert findings == []


def test_base64_of_a_pem_is_unwrapped_once_and_reported() -> None:
    issued = f.cert()
    text = base64.b64encode(issued.pem).decode()
    der, findings = parse_certificate_text(text)
    assert der == issued.der
    assert [x.id for x in findings] == ["certificate_base64_of_pem"]
    assert findings[0].severity == "warning"


@pytest.mark.parametrize("text", ["", "   \n\t", "not base64 at all!", "QUJD", "QUJDRA=",
                                  base64.b64encode(b"\x30\x03\x02\x01\x01").decode(),
                                  base64.b64encode(base64.b64encode(b"hello")).decode()])
def test_garbage_certificate_text_is_a_bad_certificate(text: str) -> None:
    with pytest.raises(CertificateError) as info:
        der, _ = parse_certificate_text(text)
        CertificateInfo.from_der(der, now=f.NOW)
    assert info.value.code == "bad_certificate"
    assert info.value.message


def test_read_certificate_accepts_der_pem_and_base64_files() -> None:
    issued = f.cert()
    for data in (issued.der, issued.pem, base64.b64encode(issued.der),
                 b"\xef\xbb\xbf" + issued.pem):
        info, _ = read_certificate(data, now=f.NOW)
        assert info.der == issued.der


def test_read_certificate_refuses_binary_junk() -> None:
    with pytest.raises(CertificateError):
        read_certificate(b"\x89PNG\r\n\x1a\n\x00\x00", now=f.NOW)


def test_serial_zero_still_read_if_cryptography_starts_refusing_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # cryptography announces it will refuse non-positive serials; emulate that release.
    from cryptography import x509

    real = x509.load_der_x509_certificate

    def strict(data: bytes) -> x509.Certificate:
        if der_serial(data) <= 0:
            raise ValueError("error parsing asn1 value: negative serial")
        return real(data)

    monkeypatch.setattr(x509, "load_der_x509_certificate", strict)
    issued = f.cert("zero.example.com")
    info = CertificateInfo.from_der(f.with_serial(issued, 0), now=f.NOW)
    assert info.serial == 0
    assert info.subject == "CN=zero.example.com"
    assert info.not_after == issued.cert.not_valid_after_utc


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=2000), st.binary(max_size=6),
       st.integers(min_value=0, max_value=6))
@example(12, b"\x01", 1)  # an X.509 version number cryptography does not know (InvalidVersion)
def test_damaged_der_only_raises_certificate_error(position: int, insert: bytes,
                                                   delete: int) -> None:
    der = _BASE_DER
    at = position % (len(der) + 1)
    damaged = der[:at] + insert + der[at + delete:]
    try:
        info = CertificateInfo.from_der(damaged, now=f.NOW)
    except CertificateError as exc:
        assert exc.code == "bad_certificate" and exc.message
    else:
        assert len(info.sha256) == 64 and info.der == damaged


_BASE_DER = f.cert("fuzz.example.com").der


def test_email_in_a_subject_is_named_as_admins_know_it() -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    issued = f.cert("verkada")
    name = x509.Name([x509.NameAttribute(NameOID.EMAIL_ADDRESS, "info@okta.com"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "verkada")])
    private = f.key("rsa", 2048, 0)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(private.public_key()).serial_number(7)
            .not_valid_before(issued.cert.not_valid_before_utc)
            .not_valid_after(issued.cert.not_valid_after_utc)
            .sign(private, hashes.SHA256()))
    info = CertificateInfo.from_der(cert.public_bytes(serialization.Encoding.DER), now=f.NOW)
    assert info.subject == "CN=verkada,emailAddress=info@okta.com"
    assert "1.2.840.113549" not in info.subject
